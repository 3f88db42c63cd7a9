#pragma once
// The one loop behind gather, scatter, index, index_put, index_add, index_copy, take and their
// relatives: no graph code here.
//
// Each of these ops pairs an element of a "plain" operand (walked by its strides) with an
// element of an "indexed" operand found at its strides plus an offset read from an int64
// tensor of offsets (index * stride, computed and range-checked by the op). The dims the index
// picks along have stride 0 in the indexed operand, so the offset alone places them:
//   gather:  out[i]         = src[pos(i) + off[i]]   (plain: out,  indexed: src)
//   scatter: dst[pos(i) + off[i]] = src[i]          (plain: src,  indexed: dst)
// The runs come from kernels/strided.hpp, so either operand may be any view, and writes land
// in row-major order of the loop's shape (a repeated position keeps the last write).

#include <array>
#include <cstdint>
#include <vector>

#include "autograd/kernels/strided.hpp"

namespace tapegrad {
namespace kernels {

/// Calls f(plain[i], indexed[i]) over `sizes`, where plain[i] is at plain + i . plain_strides,
/// indexed[i] at indexed + i . indexed_strides + off[i . off_strides]; every stride in elements.
template <class TP, class TI, class F>
void indexed_loop(const std::vector<int64_t>& sizes, TP* plain, const int64_t* plain_strides,
                  TI* indexed, const int64_t* indexed_strides, const int64_t* off,
                  const int64_t* off_strides, F f) {
    const LoopPlan<3> p = plan_loop<3>(sizes, {plain_strides, indexed_strides, off_strides});
    for_each_run<3>(
        p,
        {reinterpret_cast<char*>(plain), reinterpret_cast<char*>(indexed),
         reinterpret_cast<char*>(const_cast<int64_t*>(off))},
        {int64_t(sizeof(TP)), int64_t(sizeof(TI)), int64_t(sizeof(int64_t))},
        [&](int64_t n, const std::array<char*, 3>& ptr, const std::array<int64_t, 3>& s) {
            TP* a = reinterpret_cast<TP*>(ptr[0]);
            TI* b = reinterpret_cast<TI*>(ptr[1]);
            const int64_t* o = reinterpret_cast<const int64_t*>(ptr[2]);
            if (s[0] == 1 && s[1] == 0 && s[2] == 1) {  // a gather of single elements
                for (int64_t i = 0; i < n; ++i) f(a[i], b[o[i]]);
            } else if (s[2] == 0) {  // one offset for the run: a slice copied whole
                TI* bo = b + o[0];
                for (int64_t i = 0; i < n; ++i) f(a[i * s[0]], bo[i * s[1]]);
            } else {
                for (int64_t i = 0; i < n; ++i) f(a[i * s[0]], b[i * s[1] + o[i * s[2]]]);
            }
        });
}

}  // namespace kernels
}  // namespace tapegrad
