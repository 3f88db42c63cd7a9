#pragma once
// Convolution lowered to matrix products (no graph code here).
//
// The three kernels are the three faces of one trilinear form <conv(x, w), g>:
//   conv2d_forward       y  = conv(x, w) + b          [N, C, H, W] -> [N, O, Ho, Wo]
//   conv2d_input_grad    dx = conv^T(g, w)            the adjoint in x (a transposed conv)
//   conv2d_weight_grad   dw = sum_n g_n (x) cols(x_n)  the adjoint in w
// Each unfolds windows of the input into columns (im2col: one row per (channel, ki, kj), one
// column per output pixel of every sample in a chunk of the minibatch), so the work is one
// sgemm per group and chunk; col2im folds columns back for the input gradient. A 1x1 kernel
// with stride 1 and no padding needs no columns (the input already is one), and a depthwise
// convolution (one input channel per group) runs a direct loop instead of G thin products.

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// The shape of one 2-d convolution: input [n, c_in, h, w], weight [c_out, c_in/groups, kh,
/// kw], output [n, c_out, ho, wo]. ho and wo may be smaller than the natural output size (a
/// transposed convolution with output padding < dilation uses that): windows past them are
/// simply not computed.
struct ConvGeometry {
    int64_t n = 0, c_in = 0, h = 0, w = 0;
    int64_t c_out = 0, kh = 1, kw = 1;
    int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
    int64_t groups = 1;
    int64_t ho = 0, wo = 0;

    int64_t cin_g() const { return c_in / groups; }
    int64_t cout_g() const { return c_out / groups; }
    /// Rows of a group's column matrix: cin_g * kh * kw.
    int64_t k_g() const { return cin_g() * kh * kw; }
    int64_t in_plane() const { return h * w; }
    int64_t out_plane() const { return ho * wo; }
    /// True when the columns of one sample are the sample itself.
    bool is_pointwise() const {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
    }
    /// One input and one output channel per group.
    bool is_depthwise() const { return groups == c_in && groups == c_out && groups > 1; }
};

/// The natural output size along one dim: floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1.
inline int64_t conv_out_size(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
    const int64_t span = in + 2 * pad - dil * (k - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
}

/// y = conv(x, w) (+ bias when not null). x, w, y contiguous.
void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                    float* y);
void conv2d_forward(const ConvGeometry& g, const double* x, const double* w, const double* bias,
                    double* y);
/// dx = conv^T(grad, w), written (not accumulated) into dx of the input's shape; adds bias
/// (per input channel) when not null, which makes this the forward of conv_transpose2d.
void conv2d_input_grad(const ConvGeometry& g, const float* grad, const float* w, const float* bias,
                       float* dx);
void conv2d_input_grad(const ConvGeometry& g, const double* grad, const double* w,
                       const double* bias, double* dx);
/// dw = the weight gradient of conv(x, w) for output gradient `grad`, written into dw.
void conv2d_weight_grad(const ConvGeometry& g, const float* x, const float* grad, float* dw);
void conv2d_weight_grad(const ConvGeometry& g, const double* x, const double* grad, double* dw);

/// Unfolds the windows of `samples` consecutive inputs x [samples, c_in, h, w] into col
/// [c_in * kh * kw, samples * ho * wo]: row (c, ki, kj), column (j, oh, ow) holds the input
/// pixel under kernel tap (ki, kj) of output (oh, ow) of sample j, or 0 outside the image.
/// Exposed for the benchmark that compares it with an xtensor version.
void im2col(const ConvGeometry& g, int64_t samples, const float* x, float* col);
void im2col(const ConvGeometry& g, int64_t samples, const double* x, double* col);
/// The adjoint: adds each column entry back into its input position of dx [samples, c_in, h, w].
void col2im(const ConvGeometry& g, int64_t samples, const float* col, float* dx);
void col2im(const ConvGeometry& g, int64_t samples, const double* col, double* dx);

/// The lowerings: a product per sample without columns (1x1, stride 1, no padding), a direct
/// loop (depthwise), or columns and one product per group and chunk of samples (any shape).
enum class ConvPath { Pointwise, Depthwise, Im2col };
/// The lowering the kernels above use for `g`.
ConvPath conv_path(const ConvGeometry& g);
/// The three kernels through a given lowering, for tests and benchmarks that compare them;
/// Pointwise and Depthwise throw std::logic_error for a geometry they do not fit.
void conv2d_forward(ConvPath path, const ConvGeometry& g, const float* x, const float* w,
                    const float* bias, float* y);
void conv2d_input_grad(ConvPath path, const ConvGeometry& g, const float* grad, const float* w,
                       const float* bias, float* dx);
void conv2d_weight_grad(ConvPath path, const ConvGeometry& g, const float* x, const float* grad,
                        float* dw);

}  // namespace kernels
}  // namespace tapegrad
