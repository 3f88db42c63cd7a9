#pragma once
// Loops shared by the element-wise op files (elementwise.cpp, activation.cpp, inplace.cpp).
// Internal.

#include "autograd/detail.hpp"
#include "autograd/kernels/broadcast.hpp"

namespace tapegrad {
namespace detail {

/// y[i] = f(x[i]) in x's floating dtype; f is called with a float or a double.
template <class F>
Tensor map_floating(const Tensor& x, F f) {
    Tensor y = make_tensor(x.sizes(), x.dtype());
    dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data_ptr<T>();
        T* py = y.data_ptr<T>();
        const int64_t n = x.numel();
        for (int64_t i = 0; i < n; ++i) py[i] = f(px[i]);
    });
    return y;
}

/// y = f(a, b) with broadcasting, a and b already in dtype `dt`; the result has dtype `out_dt`.
template <class F>
Tensor map_binary(const Tensor& a, const Tensor& b, ScalarType dt, ScalarType out_dt, F f) {
    Tensor y = make_tensor(broadcast_shapes("map", a.sizes(), b.sizes()), out_dt);
    dispatch(dt, [&](auto zero) {
        using T = decltype(zero);
        dispatch(out_dt, [&](auto zero_out) {
            using O = decltype(zero_out);
            kernels::binary_broadcast(a.data_ptr<T>(), a.sizes(), b.data_ptr<T>(), b.sizes(),
                                      y.data_ptr<O>(), y.sizes(),
                                      [&](T u, T v) { return static_cast<O>(f(u, v)); });
        });
    });
    return y;
}

/// A floating tensor for a unary math op: int64 inputs compute in float32, as in LibTorch.
inline Tensor as_floating(const Tensor& a) { return a.is_floating_point() ? a : a.to(kFloat32); }

}  // namespace detail
}  // namespace tapegrad
