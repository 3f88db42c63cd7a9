#pragma once
// Element-wise loops behind the activations: a vectorisable tanh, and the fused backward
// products that would otherwise take three allocating ops each. No graph code here.

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// y[i] = tanh(x[i]), within a few ulp of the correctly rounded value; NaN stays NaN.
void tanh(const float* x, float* y, int64_t n);
void tanh(const double* x, double* y, int64_t n);

/// grad_a[i] = grad_out[i] * (1 - y[i] * y[i]): tanh's backward from its output y.
void tanh_backward(const float* grad_out, const float* y, float* grad_a, int64_t n);
void tanh_backward(const double* grad_out, const double* y, double* grad_a, int64_t n);

/// grad_a[i] = grad_out[i] * y[i] * (1 - y[i]): sigmoid's backward from its output y.
void sigmoid_backward(const float* grad_out, const float* y, float* grad_a, int64_t n);
void sigmoid_backward(const double* grad_out, const double* y, double* grad_a, int64_t n);

/// grad_a[i] = grad_out[i] * (y[i] > 0 ? 1 : 0): relu's backward from its output y.
void relu_backward(const float* grad_out, const float* y, float* grad_a, int64_t n);
void relu_backward(const double* grad_out, const double* y, double* grad_a, int64_t n);

}  // namespace kernels
}  // namespace tapegrad
