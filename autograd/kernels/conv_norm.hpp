#pragma once
// Batch normalisation loops over [N, C, S] (S: the product of the dims after the channel one).
// No graph code here. Sums accumulate in double, so float32 statistics over a large batch
// keep their precision.

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// Per channel c: mean[c] and biased var[c] of x[:, c, :] (two passes: mean, then squares).
void channel_stats(int64_t n, int64_t c, int64_t s, const float* x, double* mean, double* var);
void channel_stats(int64_t n, int64_t c, int64_t s, const double* x, double* mean, double* var);

/// out[c] = sum of x[:, c, :] (accumulated in double): a convolution's bias gradient.
void channel_sum(int64_t n, int64_t c, int64_t s, const float* x, float* out);
void channel_sum(int64_t n, int64_t c, int64_t s, const double* x, double* out);

/// y[:, c, :] = x[:, c, :] * scale[c] + shift[c].
void channel_affine(int64_t n, int64_t c, int64_t s, const float* x, const double* scale,
                    const double* shift, float* y);
void channel_affine(int64_t n, int64_t c, int64_t s, const double* x, const double* scale,
                    const double* shift, double* y);

/// The backward of training-mode batch norm, with xhat = (x - mean) * invstd and M = n * s:
///   grad_bias[c]   = sum g                 grad_weight[c] = sum g * xhat
///   grad_x         = weight[c] * invstd[c] * (g - grad_bias[c] / M - xhat * grad_weight[c] / M)
/// weight may be null (no affine: 1); any output may be null (not wanted).
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const float* x, const float* g,
                         const double* mean, const double* invstd, const float* weight,
                         float* grad_x, float* grad_weight, float* grad_bias);
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const double* x, const double* g,
                         const double* mean, const double* invstd, const double* weight,
                         double* grad_x, double* grad_weight, double* grad_bias);

}  // namespace kernels
}  // namespace tapegrad
