#pragma once
// Element-wise loops behind the activations: a vectorisable tanh, and the fused backward
// products that would otherwise take three allocating ops each. No graph code here. Each loop is
// a template defined (and instantiated for float and double only) in activation.cpp.

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// y[i] = tanh(x[i]), within a few ulp of the correctly rounded value; NaN stays NaN.
template <class T>
void tanh(const T* x, T* y, int64_t n);

/// grad_a[i] = grad_out[i] * (1 - y[i] * y[i]): tanh's backward from its output y.
template <class T>
void tanh_backward(const T* grad_out, const T* y, T* grad_a, int64_t n);

/// grad_a[i] = grad_out[i] * y[i] * (1 - y[i]): sigmoid's backward from its output y.
template <class T>
void sigmoid_backward(const T* grad_out, const T* y, T* grad_a, int64_t n);

/// grad_a[i] = grad_out[i] * (y[i] > 0 ? 1 : 0): relu's backward from its output y.
template <class T>
void relu_backward(const T* grad_out, const T* y, T* grad_a, int64_t n);

}  // namespace kernels
}  // namespace tapegrad
