#pragma once
// Views and in-place ops in the graph (internal).
//
// A view shares its base's storage. Its history is a view op (select, transpose, ...) of the
// base's history at the time it was made. When the base's data changes in place, the view's
// history is rebuilt as as_strided(base) on next use (refresh_view), so it always describes
// the data it shows.
//
// An in-place op on a tensor that is part of a graph runs as its out-of-place twin y = f(self),
// then y's values are written into self's elements and self takes y's history. Through a view
// the base takes a new history instead, "copy_slices": the base with the view's region
// replaced by y, whose backward sends the base's gradient outside the region to the base's
// old history and the region to y. This is LibTorch's rebase, written out.

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {

namespace autograd {
namespace detail {
/// Rebuilds the history of a view whose storage changed since it was made or refreshed.
void refresh_view(const Tensor& view);
}  // namespace detail
}  // namespace autograd

namespace detail {

/// A view of `self` with the given sizes, strides and (absolute) storage offset, recorded as
/// `op`: its backward lays grad_out into zeros of self's shape at the viewed elements
/// (elements the view shows more than once add up). `rule` is that backward for print_tape.
Tensor record_view(const char* op, const Tensor& self, std::vector<int64_t> sizes,
                   std::vector<int64_t> strides, int64_t offset, const char* rule);

/// Checks that `self` may be written in place by `op` with recording off or on: raises for
/// a tensor whose elements overlap (an expand), and, when the op is recorded, for a leaf that
/// requires grad or a view of one. Bumps the shared version counter.
void begin_inplace(const char* op, const Tensor& self);

/// True when `op` on `self` with `others` must be recorded (grad mode on and one of them
/// requires grad).
bool inplace_is_recorded(const Tensor& self, std::initializer_list<Tensor> others);

/// The recorded path: `y` (self's new value, computed out of place from self's current value)
/// is written into self's elements and self (or, for a view, its base) takes y's history.
/// Returns self.
const Tensor& finish_inplace(const char* op, const Tensor& self, Tensor y);

/// The value of `self` that an out-of-place twin may use: self itself when its backward does
/// not read it, else a copy (self's memory is about to be overwritten).
Tensor inplace_input(const Tensor& self, bool backward_reads_self);

}  // namespace detail
}  // namespace tapegrad
