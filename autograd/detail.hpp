#pragma once
// Helpers shared by the op files: allocation, dim wrapping, error messages, dtype dispatch.
// Internal: not part of the umbrella header.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace detail {

using autograd::Grads;
using autograd::record;

/// A new contiguous tensor of the given shape and dtype; contents uninitialised.
Tensor make_tensor(const std::vector<int64_t>& sizes, ScalarType dtype);
/// A view: same storage, new shape, element offset added.
Tensor make_view(const Tensor& base, std::vector<int64_t> sizes, int64_t extra_offset);

int64_t numel_of(const std::vector<int64_t>& sizes);
/// Wraps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);

/// "op: message" as std::invalid_argument.
[[noreturn]] void fail(const char* op, const std::string& message);
/// Throws unless `t` is defined.
void check_defined(const char* op, const Tensor& t, const char* what = "input");
/// Throws unless `t` has a floating dtype.
void check_floating(const char* op, const Tensor& t);
/// The dtype a binary op on a and b computes in: float64 > float32 > int64.
ScalarType promote(ScalarType a, ScalarType b);
/// The dtype a tensor op with a scalar computes in.
ScalarType promote(ScalarType a, const Scalar& s);
/// `t` in dtype `dt` (the same tensor when it already is), differentiably.
Tensor cast(const Tensor& t, ScalarType dt);

/// Calls f(T{}) with T the C++ type of `dt`.
template <class F>
decltype(auto) dispatch(ScalarType dt, F&& f) {
    switch (dt) {
        case kFloat32: return f(float{});
        case kFloat64: return f(double{});
        default: return f(int64_t{});
    }
}
/// As dispatch, for ops defined only on floating types (checked by the caller).
template <class F>
decltype(auto) dispatch_floating(ScalarType dt, F&& f) {
    if (dt == kFloat64) return f(double{});
    return f(float{});
}

/// Checks that `self` may be modified in place (no graph would miss it) and bumps its
/// version counter.
void begin_inplace(const char* op, const Tensor& self);

/// Splits `sizes` around `dim` into [outer, n, inner] so a dim-wise op is three loops.
struct DimSplit {
    int64_t outer = 1, n = 1, inner = 1;
};
DimSplit split_at(const std::vector<int64_t>& sizes, int64_t dim);

}  // namespace detail
}  // namespace tapegrad
