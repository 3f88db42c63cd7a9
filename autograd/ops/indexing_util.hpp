#pragma once
// Helpers shared by the indexing op files (indexing.cpp, mask.cpp, scatter.cpp, sort.cpp):
// index checks, the gather/put loops over any strides, and the in-place pattern. Internal.

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "autograd/detail.hpp"
#include "autograd/view.hpp"

namespace tapegrad {
namespace detail {

/// Throws unless `index` is an integer tensor (bool and floating types are refused: a mask or
/// a float where positions are expected would silently pick the wrong elements).
void check_index_dtype(const char* op, const Tensor& index, const char* what = "index");

/// index * stride as a contiguous int64 tensor of index's shape, each position checked to lie
/// in [0, n), or in [-n, n) with `allow_negative` (then counted from the end).
Tensor index_offsets(const char* op, const Tensor& index, int64_t n, int64_t stride, int64_t dim,
                     bool allow_negative);

/// out[i] = src[i . src_strides + off[i . off_strides]] over out's shape; out is fresh and
/// contiguous, of src's dtype.
void gather_into(const Tensor& out, const Tensor& src, const std::vector<int64_t>& src_strides,
                 const Tensor& off, const std::vector<int64_t>& off_strides);

/// How put_into combines a value with the element it lands on.
enum class PutMode { Write, Add };

/// dst[i . dst_strides + off[i . off_strides]] = src[i . src_strides] over `sizes` (with
/// PutMode::Add, += alpha * src); src is converted to dst's dtype first by the caller.
void put_into(const Tensor& dst, const std::vector<int64_t>& sizes,
              const std::vector<int64_t>& dst_strides, const Tensor& src,
              const std::vector<int64_t>& src_strides, const Tensor& off,
              const std::vector<int64_t>& off_strides, PutMode mode, const Scalar& alpha = 1);

/// self[indices] (a copy, recorded), `indices[d]` int64 positions along dim d of self or
/// undefined (the whole dim): advanced indexing once masks have become positions.
Tensor index_at(const Tensor& self, const std::vector<Tensor>& indices);
/// self with values written (accumulate: added) at those positions (recorded).
Tensor index_put_at(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& values,
                    bool accumulate);

/// The positions of the true elements of a bool (or uint8) mask: one int64 tensor per dim of
/// the mask, each of length count (nonzero's columns).
std::vector<Tensor> mask_positions(const Tensor& mask);

/// `t` when it shares no memory with `self`, else a copy: a write into self must not change the
/// values it is still reading.
Tensor unaliased(const Tensor& t, const Tensor& self);

/// The in-place pattern of ops/inplace.cpp: with recording off, `direct()` writes self's
/// elements; with recording on, self takes the value and the history of `twin(self)`, its
/// out-of-place twin (see autograd/view.hpp). Returns self.
template <class Direct, class Twin>
Tensor& inplace_or_twin(const char* op, const Tensor& self, std::initializer_list<Tensor> others,
                        Direct direct, Twin twin) {
    if (inplace_is_recorded(self, others)) {
        // the twins here never read self's old values in their backward: no copy needed
        finish_inplace(op, self, twin(inplace_input(self, false)));
    } else {
        begin_inplace(op, self);
        direct();
    }
    return const_cast<Tensor&>(self);  // a handle: the data changed, not the handle
}

}  // namespace detail
}  // namespace tapegrad
