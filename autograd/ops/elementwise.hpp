#pragma once
// Loops shared by the element-wise op files (elementwise.cpp, activation.cpp, inplace.cpp).
// Inputs may be views with any strides; outputs are fresh and contiguous. Internal. Above
// kGrainSize elements the loops run on the pool's threads (autograd/parallel.hpp), each
// element computed as on one thread.

#include <type_traits>

#include "autograd/detail.hpp"
#include "autograd/kernels/strided.hpp"
#include "autograd/parallel.hpp"

namespace tapegrad {
namespace detail {

/// `t` itself when it has dtype `dt`, else its conversion, kept in `keep`. Ops take their
/// inputs this way: the common case makes no new handle (a copy costs two atomic count
/// updates, a large part of a small op).
inline const Tensor& converted(const Tensor& t, ScalarType dt, Tensor& keep) {
    if (t.dtype() == dt) return t;
    keep = cast(t, dt);
    return keep;
}

/// `t` itself when contiguous, else a contiguous copy kept in `keep`.
inline const Tensor& dense(const Tensor& t, Tensor& keep) {
    if (t.is_contiguous()) return t;
    keep = dense(t);
    return keep;
}

/// y[i] = f(x[i]) in x's floating dtype; f is called with a float or a double.
template <class F>
Tensor map_floating(const Tensor& x, F f) {
    Tensor y = make_tensor(x.sizes(), x.dtype());
    dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const TensorImpl& xi = impl(x);
        T* py = static_cast<T*>(y.raw_data());
        const T* px = static_cast<const T*>(x.raw_data());
        if (xi.contiguous) {
            parallel_for_blocks(xi.numel, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) py[i] = f(px[i]);
            });
        } else {
            kernels::unary_loop(xi.sizes, py, impl(y).strides.data(), px, xi.strides.data(), f);
        }
    });
    return y;
}

/// y = kernel(x) for a floating x, through a contiguous-buffer kernel (kernels/math.hpp): a
/// strided x is made dense first.
template <class Kernel>
Tensor map_kernel(const Tensor& x, Kernel kernel) {
    Tensor y = make_tensor(x.sizes(), x.dtype());
    Tensor keep;
    const Tensor& xd = dense(x, keep);
    dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = static_cast<const T*>(xd.raw_data());
        T* py = static_cast<T*>(y.raw_data());
        parallel_for_blocks(xd.numel(),
                            [&](int64_t b, int64_t e) { kernel(px + b, py + b, e - b); });
    });
    return y;
}

/// y = f(a, b) with broadcasting, a and b already in one dtype; y has that dtype, or Bool when
/// kBoolResult (comparisons). The result type is fixed at compile time, so each call site
/// instantiates its loop for the three arithmetic types only, not for every pair of types
/// (a pair dispatch made elementwise.cpp a quarter of the library's build time).
template <bool kBoolResult = false, class F>
Tensor map_binary(const Tensor& a, const Tensor& b, F f) {
    Tensor y =
        make_tensor(broadcast_shapes("map", a.sizes(), b.sizes()), kBoolResult ? kBool : a.dtype());
    const TensorImpl& yi = impl(y);
    dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        using O = std::conditional_t<kBoolResult, bool, T>;
        auto op = [&](T u, T v) { return static_cast<O>(f(u, v)); };
        O* py = static_cast<O*>(y.raw_data());
        const T* pa = static_cast<const T*>(a.raw_data());
        const T* pb = static_cast<const T*>(b.raw_data());
        if (a.is_contiguous() && b.is_contiguous() && a.sizes() == yi.sizes &&
            b.sizes() == yi.sizes) {  // the common case: one flat loop
            parallel_for_blocks(yi.numel, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) py[i] = op(pa[i], pb[i]);
            });
            return;
        }
        const std::vector<int64_t> sa = expanded_strides(a, yi.sizes);
        const std::vector<int64_t> sb = expanded_strides(b, yi.sizes);
        kernels::binary_loop(yi.sizes, py, yi.strides.data(), pa, sa.data(), pb, sb.data(), op);
    });
    return y;
}

/// A floating tensor for a unary math op: integer and Bool inputs compute in float32, as in
/// LibTorch.
/// Without a new handle when `a` is floating already (see converted).
inline const Tensor& as_floating(const Tensor& a, Tensor& keep) {
    return converted(a, a.is_floating_point() ? a.dtype() : kFloat32, keep);
}
inline Tensor as_floating(const Tensor& a) {
    Tensor keep;
    return as_floating(a, keep);
}

}  // namespace detail
}  // namespace tapegrad
