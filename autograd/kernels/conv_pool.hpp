#pragma once
// Loops over image planes for pooling, padding, resampling and pixel shuffling (no graph code).
// A tensor [N, C, H, W] is seen as N * C planes of H * W values.
//
// Two window descriptions cover every op:
// - PoolWindows: per output index along one dim, the input positions start, start + step, ...
//   below end (already clipped to the input). Max pooling (with dilation and padding) and
//   adaptive max pooling take the max over the product of an H window and a W window.
// - Taps: per output index along one dim, a short list of (input index, weight). Every linear
//   op here is separable: y[i, j] = sum_a sum_b wh[i, a] ww[j, b] x[ih[i, a], iw[j, b]].
//   Average pooling (weights 1 / window length), adaptive average pooling, nearest and
//   bilinear upsampling and padding (one tap of weight 1, or none) are all Taps; the backward
//   of each is the adjoint loop, which scatters the same weights.

#include <cstdint>
#include <vector>

namespace tapegrad {
namespace kernels {

/// Windows along one dim: output i reads start[i], start[i] + step, ... < end[i].
struct PoolWindows {
    std::vector<int64_t> start, end;
    int64_t step = 1;
    int64_t out() const { return static_cast<int64_t>(start.size()); }
};

/// Output i of a dim reads index[offset[i]] .. index[offset[i + 1] - 1] with their weights.
struct Taps {
    int64_t in = 0;                  // input size along the dim
    std::vector<int64_t> offset{0};  // out() + 1 entries
    std::vector<int64_t> index;
    std::vector<double> weight;
    int64_t out() const { return static_cast<int64_t>(offset.size()) - 1; }
    /// Appends one tap to the output being built.
    void add(int64_t i, double w) {
        index.push_back(i);
        weight.push_back(w);
    }
    /// Closes the output being built and starts the next one.
    void next() { offset.push_back(static_cast<int64_t>(index.size())); }
};

/// y[p, i, j] = max over the window (i, j) of plane p of x [planes, h, w]; idx holds the flat
/// position ih * w + iw of the max within its plane (the first one; a NaN wins, as PyTorch).
void max_pool2d(int64_t planes, int64_t h, int64_t w, const PoolWindows& wh, const PoolWindows& ww,
                const float* x, float* y, int64_t* idx);
void max_pool2d(int64_t planes, int64_t h, int64_t w, const PoolWindows& wh, const PoolWindows& ww,
                const double* x, double* y, int64_t* idx);

/// out[p, k] = src[p, idx[p, k]]: each plane of `src` has src_plane values, each plane of idx
/// and out has n values.
void plane_gather(int64_t planes, int64_t src_plane, int64_t n, const float* src,
                  const int64_t* idx, float* out);
void plane_gather(int64_t planes, int64_t src_plane, int64_t n, const double* src,
                  const int64_t* idx, double* out);
/// out[p, idx[p, k]] += src[p, k] (accumulate) or = src[p, k] (assign), after zeroing out
/// [planes, out_plane]. Indices outside [0, out_plane) are skipped (the caller checks them).
void plane_scatter(int64_t planes, int64_t n, int64_t out_plane, const float* src,
                   const int64_t* idx, float* out, bool accumulate);
void plane_scatter(int64_t planes, int64_t n, int64_t out_plane, const double* src,
                   const int64_t* idx, double* out, bool accumulate);

/// y[p, i, j] = sum of th's and tw's weighted taps of x [planes, th.in, tw.in]; outputs where
/// either dim has no tap get `fill` (constant padding).
void resample2d(int64_t planes, const Taps& th, const Taps& tw, double fill, const float* x,
                float* y);
void resample2d(int64_t planes, const Taps& th, const Taps& tw, double fill, const double* x,
                double* y);
/// The adjoint of resample2d (without fill): dx [planes, th.in, tw.in] = sum of each output's
/// gradient scattered back along its taps.
void resample2d_adjoint(int64_t planes, const Taps& th, const Taps& tw, const float* g, float* dx);
void resample2d_adjoint(int64_t planes, const Taps& th, const Taps& tw, const double* g,
                        double* dx);

/// PixelShuffle: x [n, c * r * r, h, w] -> y [n, c, h * r, w * r], or the inverse when
/// `unshuffle` (x [n, c, h * r, w * r] -> y [n, c * r * r, h, w]); h, w are the small sizes.
void pixel_shuffle(int64_t n, int64_t c, int64_t h, int64_t w, int64_t r, bool unshuffle,
                   const float* x, float* y);
void pixel_shuffle(int64_t n, int64_t c, int64_t h, int64_t w, int64_t r, bool unshuffle,
                   const double* x, double* y);

}  // namespace kernels
}  // namespace tapegrad
