#pragma once
// Broadcast iteration: the loops behind binary ops, expand and sum_to. No graph code here.
//
// Operands are described by their strides as seen from the output's shape (0 where an
// operand is broadcast). Adjacent dims that stay contiguous for every operand are merged,
// so a [64, 128] + [128] add runs as 64 plain inner loops of 128.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "autograd/parallel.hpp"

namespace tapegrad {
namespace kernels {

/// Shape of the iteration after merging dims, with each operand's strides in elements.
struct BroadcastPlan {
    std::vector<int64_t> sizes;
    std::vector<int64_t> stride_a, stride_b;  // operand strides along `sizes`
    int64_t inner() const { return sizes.empty() ? 1 : sizes.back(); }
    int64_t inner_stride_a() const { return stride_a.empty() ? 0 : stride_a.back(); }
    int64_t inner_stride_b() const { return stride_b.empty() ? 0 : stride_b.back(); }
};

/// Plan for reading `a` and `b` (shapes that broadcast to `out`) in `out`'s order.
BroadcastPlan plan_broadcast(const std::vector<int64_t>& out, const std::vector<int64_t>& a,
                             const std::vector<int64_t>& b);

/// Calls run(out_offset, a_offset, b_offset) once per innermost run of plan.inner() elements;
/// the output is contiguous, the operands step by the plan's inner strides within a run.
template <class Run>
void for_each_run(const BroadcastPlan& plan, Run&& run) {
    const int64_t nd = static_cast<int64_t>(plan.sizes.size());
    const int64_t inner = plan.inner();
    int64_t total = 1;
    for (int64_t s : plan.sizes) total *= s;
    if (total == 0) return;
    std::vector<int64_t> index(nd > 0 ? nd : 1, 0);
    int64_t oa = 0, ob = 0;
    for (int64_t out = 0; out < total; out += inner) {
        run(out, oa, ob);
        // advance the outer counter (all dims but the last), odometer style
        for (int64_t d = nd - 2; d >= 0; --d) {
            oa += plan.stride_a[d];
            ob += plan.stride_b[d];
            if (++index[d] < plan.sizes[d]) break;
            oa -= plan.stride_a[d] * plan.sizes[d];
            ob -= plan.stride_b[d] * plan.sizes[d];
            index[d] = 0;
        }
    }
}

/// out[i] = op(a[i'], b[i'']) over the broadcast shape `out_sizes`.
template <class TA, class TB, class TO, class Op>
void binary_broadcast(const TA* a, const std::vector<int64_t>& a_sizes, const TB* b,
                      const std::vector<int64_t>& b_sizes, TO* out,
                      const std::vector<int64_t>& out_sizes, Op op) {
    int64_t n = 1;
    for (int64_t s : out_sizes) n *= s;
    if (a_sizes == out_sizes && b_sizes == out_sizes) {  // the common case: one flat loop
        for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
        return;
    }
    const BroadcastPlan plan = plan_broadcast(out_sizes, a_sizes, b_sizes);
    const int64_t inner = plan.inner(), sa = plan.inner_stride_a(), sb = plan.inner_stride_b();
    for_each_run(plan, [&](int64_t o, int64_t ia, int64_t ib) {
        TO* y = out + o;
        const TA* x1 = a + ia;
        const TB* x2 = b + ib;
        // separate loops per stride pattern, so each one vectorises
        if (sa == 1 && sb == 1) {
            for (int64_t i = 0; i < inner; ++i) y[i] = op(x1[i], x2[i]);
        } else if (sa == 1 && sb == 0) {
            const TB v = x2[0];
            for (int64_t i = 0; i < inner; ++i) y[i] = op(x1[i], v);
        } else if (sa == 0 && sb == 1) {
            const TA v = x1[0];
            for (int64_t i = 0; i < inner; ++i) y[i] = op(v, x2[i]);
        } else {
            for (int64_t i = 0; i < inner; ++i) y[i] = op(x1[i * sa], x2[i * sb]);
        }
    });
}

/// out = in broadcast to out_sizes (a copying expand).
template <class T>
void broadcast_copy(const T* in, const std::vector<int64_t>& in_sizes, T* out,
                    const std::vector<int64_t>& out_sizes) {
    binary_broadcast(in, in_sizes, in, in_sizes, out, out_sizes, [](T x, T) { return x; });
}

/// out (shape out_sizes) = sum of in over the dims where out was broadcast to in_sizes.
/// Accumulates in double for float so long reductions keep their precision.
template <class T>
void sum_to(const T* in, const std::vector<int64_t>& in_sizes, T* out,
            const std::vector<int64_t>& out_sizes) {
    using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
    int64_t n_out = 1;
    for (int64_t s : out_sizes) n_out *= s;
    std::vector<Acc> acc(static_cast<size_t>(n_out), Acc(0));
    int64_t n_in = 1;
    for (int64_t s : in_sizes) n_in *= s;
    // iterate over `in`; `a` is the output's view (stride 0 on summed dims)
    const BroadcastPlan plan = plan_broadcast(in_sizes, out_sizes, in_sizes);
    const int64_t inner = plan.inner(), so = plan.inner_stride_a();
    // Each output element is one chain of additions in `in`'s order, whichever thread runs it,
    // so the threads split the outputs: runs' columns [k0, k1) when the innermost dim is kept
    // (a bias gradient's column sums), rows when only it is summed (sums along the last dim).
    const auto columns = [&](int64_t k0, int64_t k1) {
        for_each_run(plan, [&](int64_t i, int64_t o, int64_t) {
            const T* x = in + i;
            if (so == 0) {
                Acc s = 0;
                for (int64_t k = 0; k < inner; ++k) s += x[k];
                acc[o] += s;
            } else {
                Acc* y = acc.data() + o;
                for (int64_t k = k0; k < k1; ++k) y[k * so] += x[k];
            }
        });
    };
    const bool rows = so == 0 && plan.sizes.size() == 2 && plan.stride_a[0] != 0;
    if (n_in <= kGrainSize || get_num_threads() == 1 || (so == 0 && !rows)) {
        columns(0, inner);
    } else if (so != 0) {
        parallel_for(0, inner, std::max<int64_t>(1, kGrainSize / (n_in / inner)), columns);
    } else {
        const int64_t sr = plan.stride_a[0];
        parallel_for(0, plan.sizes[0], std::max<int64_t>(1, kGrainSize / inner),
                     [&](int64_t r0, int64_t r1) {
                         for (int64_t r = r0; r < r1; ++r) {
                             const T* x = in + r * inner;
                             Acc s = 0;
                             for (int64_t k = 0; k < inner; ++k) s += x[k];
                             acc[r * sr] += s;
                         }
                     });
    }
    for (int64_t k = 0; k < n_out; ++k) out[k] = static_cast<T>(acc[k]);
}

}  // namespace kernels
}  // namespace tapegrad
