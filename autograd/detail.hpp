#pragma once
// Helpers shared by the op files: allocation, dim wrapping, error messages, dtype dispatch.
// Internal: not part of the umbrella header.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace detail {

using autograd::Grads;
using autograd::record;

/// A new contiguous tensor of the given shape and dtype; contents uninitialised. Raises when
/// a size is negative or the element or byte count overflows int64.
Tensor make_tensor(const std::vector<int64_t>& sizes, ScalarType dtype);
/// A view of `self`: its storage with new sizes, strides and (absolute) storage offset. Made
/// with recording on, it remembers its base so that in-place ops through it rewrite the
/// base's history. The caller records the view op (autograd::record) on it.
Tensor make_view(const Tensor& self, std::vector<int64_t> sizes,
                 const std::vector<int64_t>& strides, int64_t offset);
/// `t`'s strides as seen from `out_sizes` (t broadcasts to them): 0 along new leading dims and
/// along dims where t has size 1.
std::vector<int64_t> expanded_strides(const Tensor& t, const std::vector<int64_t>& out_sizes);
/// Writes `src`, broadcast to dst's shape and converted to dst's dtype, into dst's elements,
/// whatever the strides of either. No graph, no version bump: the callers' business.
void copy_into(const Tensor& dst, const Tensor& src);

/// `t` itself when it is contiguous, else a contiguous copy outside the graph: what a kernel
/// that reads raw memory flat reads (the op records its node on `t` itself).
Tensor dense(const Tensor& t);

/// The product of `sizes`; raises naming `op` when a size is negative or the product
/// overflows int64.
int64_t checked_numel(const char* op, const std::vector<int64_t>& sizes);
/// The product of `sizes` (sizes already checked).
int64_t numel_of(const std::vector<int64_t>& sizes);
/// Wraps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);

/// "op: message" as std::invalid_argument.
[[noreturn]] void fail(const char* op, const std::string& message);
/// Throws unless `t` is defined.
void check_defined(const char* op, const Tensor& t, const char* what = "input");
/// Throws unless `t` has a floating dtype.
void check_floating(const char* op, const Tensor& t);
/// The result dtype of a binary op on a and b, LibTorch's promotion: the wider floating type,
/// else the wider integer type (uint8 with a signed type gives int16 or wider), Bool lowest.
ScalarType promote(ScalarType a, ScalarType b);
/// The dtype a tensor op with a scalar computes in.
ScalarType promote(ScalarType a, const Scalar& s);
/// `t` in dtype `dt` (the same tensor when it already is), differentiably.
Tensor cast(const Tensor& t, ScalarType dt);

[[noreturn]] void unsupported_dtype(ScalarType dt);
/// Raises for a bfloat16 tensor given to `op`, which computes in float32 and float64 only.
[[noreturn]] void refuse_bfloat16(const char* op);
/// Calls f(T{}) with T the C++ type of `dt`, for the types arithmetic runs in: float, double
/// and int64 (ops promote the other integer types and Bool to int64 first).
template <class F>
decltype(auto) dispatch(ScalarType dt, F&& f) {
    switch (dt) {
        case kFloat32:
            return f(float{});
        case kFloat64:
            return f(double{});
        case kInt64:
            return f(int64_t{});
        default:
            unsupported_dtype(dt);
    }
}
/// As dispatch, over every dtype (copies, conversions, comparisons) but bfloat16, a storage
/// type that copy_into and the conversions handle before this.
template <class F>
decltype(auto) dispatch_all(ScalarType dt, F&& f) {
    if (dt == kInt32) return f(int32_t{});
    if (dt == kInt16) return f(int16_t{});
    if (dt == kInt8) return f(int8_t{});
    if (dt == kUInt8) return f(uint8_t{});
    if (dt == kBool) return f(bool{});
    return dispatch(dt, std::forward<F>(f));  // float32, float64, int64; refuses bfloat16
}
/// The dtype arithmetic on `dt` runs in: itself for float32, float64 and int64, else int64.
inline ScalarType compute_type(ScalarType dt) {
    return is_floating_point(dt) ? dt : kInt64;
}
/// As dispatch, for ops defined only on floating types (checked by the caller); bfloat16,
/// a storage type, is refused.
template <class F>
decltype(auto) dispatch_floating(ScalarType dt, F&& f) {
    if (dt == kFloat64) return f(double{});
    if (dt == kBFloat16) unsupported_dtype(dt);
    return f(float{});
}

/// Checks that `self` may be modified in place (no graph would miss it) and bumps its
/// version counter.
void begin_inplace(const char* op, const Tensor& self);

/// Splits `sizes` around `dim` into [outer, n, inner] so a dim-wise op is three loops.
struct DimSplit {
    int64_t outer = 1, n = 1, inner = 1;
    /// Where line `line` along the dim starts (lines numbered 0 .. outer * inner - 1 in memory
    /// order); its elements are at start + j * inner, j < n.
    int64_t line_start(int64_t line) const { return line / inner * n * inner + line % inner; }
    /// Calls f(line_start(line), line) for every line along the dim, in order.
    template <class F>
    void for_each_line(F f) const {
        for (int64_t o = 0, line = 0; o < outer; ++o)
            for (int64_t k = 0; k < inner; ++k, ++line) f(o * n * inner + k, line);
    }
};
DimSplit split_at(const std::vector<int64_t>& sizes, int64_t dim);

}  // namespace detail
}  // namespace tapegrad
