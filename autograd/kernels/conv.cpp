#include "autograd/kernels/conv.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "autograd/kernels/blas.hpp"

namespace tapegrad {
namespace kernels {

namespace {

// Column buffers are reused across calls (and so across training steps): a fresh 8 MB buffer
// per call would cost ~20 ms of first-touch page faults here (TOOLCHAIN.md: 11 us per 4 KiB).
// Two slots per thread and type: the columns, and the output / gathered gradient. A kernel
// uses its slots only between its own first and last line, so nesting cannot clash.
template <class T>
T* workspace(int slot, int64_t n) {
    thread_local std::vector<T> buffers[2];
    std::vector<T>& b = buffers[slot];
    if (static_cast<int64_t>(b.size()) < n) {
        b = std::vector<T>();  // free first: the old contents are not needed
        b.resize(static_cast<size_t>(n));
    }
    return b.data();
}

// Samples per chunk: as many as keep the columns within 128 KB of float32 (in L2), so that the
// product reads them from cache right after im2col wrote them, but enough for a product at
// least 256 columns wide (one of width 16 would pack its operands for little work). W6's step
// (two small convolutions) took 1.9 s of CPU per 300 steps with chunks of 64-256 KB, 2.3 s with
// 1 MB and 2.7 s with the whole minibatch as one product (8 MB of columns).
int64_t chunk_samples(const ConvGeometry& g) {
    constexpr int64_t kBudget = int64_t{1} << 15, kMinProductWidth = 256;
    const int64_t p = std::max<int64_t>(1, g.out_plane());
    const int64_t per_sample = g.c_in * g.kh * g.kw * p;
    const int64_t by_cache = kBudget / std::max<int64_t>(1, per_sample);
    const int64_t by_width = (kMinProductWidth + p - 1) / p;
    return std::max<int64_t>(1, std::min(g.n, std::max(by_cache, by_width)));
}

// Output columns ow in [lo, hi) whose input column iw0 + ow * s lies inside [0, w).
void inside_range(int64_t iw0, int64_t s, int64_t w, int64_t wo, int64_t* lo, int64_t* hi) {
    int64_t a = iw0 >= 0 ? 0 : (-iw0 + s - 1) / s;
    int64_t b = w - iw0 <= 0 ? 0 : (w - iw0 + s - 1) / s;
    a = std::min(a, wo);
    b = std::min(std::max(b, a), wo);
    *lo = a;
    *hi = b;
}

// Visits the rows of a chunk's columns in the order im2col writes them: for each column row
// (c, ki, kj), sample j and output row oh, f(at, from, iw0, lo, hi), where `at` is where that
// row starts in col, `from` where input row ih = oh sh - ph + ki dh starts in the samples'
// input (-1 when ih falls in the padding), iw0 = kj dw - pw the input column under output
// column 0, and [lo, hi) the output columns whose input column lies inside the image.
template <class F>
void for_each_window_row(const ConvGeometry& g, int64_t samples, int64_t row_stride,
                         int64_t sample_stride, F f) {
    const int64_t h = g.h, w = g.w, in_n = g.c_in * h * w;
    for (int64_t kj = 0; kj < g.kw; ++kj) {
        const int64_t iw0 = kj * g.dw - g.pw;
        int64_t lo, hi;
        inside_range(iw0, g.sw, w, g.wo, &lo, &hi);
        for (int64_t c = 0; c < g.c_in; ++c) {
            for (int64_t ki = 0; ki < g.kh; ++ki) {
                const int64_t row = ((c * g.kh + ki) * g.kw + kj) * row_stride;
                for (int64_t j = 0; j < samples; ++j) {
                    const int64_t at = row + j * sample_stride, xc = j * in_n + c * h * w;
                    for (int64_t oh = 0; oh < g.ho; ++oh) {
                        const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
                        f(at + oh * g.wo, ih < 0 || ih >= h ? -1 : xc + ih * w, iw0, lo, hi);
                    }
                }
            }
        }
    }
}

// im2col and col2im are plain loops, not xtensor: bench/conv_kernels.cpp compares them with an
// xtensor version (a strided xt::adapt of the input assigned into a view of each row, all
// samples at once). xtensor / loop time, medians of 15 alternating runs on one thread: 0.92-1.07
// on MNIST's conv2 (64 samples of [10, 12, 12], k5: a tie), 3.3-16 on a 64->64 3x3 layer on
// 32x32, 19-20 with stride 2 (callgrind: the loop runs 8x fewer instructions). Each row (c, ki,
// kj) is written for every sample of the chunk in turn, so the writes run sequentially through
// the column buffer (writing sample by sample took 1.5x as long on MNIST's conv2).
//
// Unfolds the windows of `samples` consecutive inputs [c_in, h, w] into col [c_in kh kw,
// samples * ho * wo]: row (c, ki, kj), column (j, oh, ow) holds x_j[c, oh sh - ph + ki dh,
// ow sw - pw + kj dw], or 0 outside the image.
// Row r of sample j starts at col + r * row_stride + j * sample_stride (see Layout below).
template <class T>
void im2col_impl(const ConvGeometry& g, int64_t samples, const T* x, T* col, int64_t row_stride,
                 int64_t sample_stride) {
    const int64_t wo = g.wo, s = g.sw;
    for_each_window_row(g, samples, row_stride, sample_stride,
                        [&](int64_t at, int64_t from, int64_t iw0, int64_t lo, int64_t hi) {
                            T* out = col + at;
                            if (from < 0) return std::fill(out, out + wo, T(0));
                            const T* in = x + from;
                            std::fill(out, out + lo, T(0));
                            if (s == 1) {
                                for (int64_t ow = lo; ow < hi; ++ow) out[ow] = in[iw0 + ow];
                            } else {
                                for (int64_t ow = lo; ow < hi; ++ow) out[ow] = in[iw0 + ow * s];
                            }
                            std::fill(out + hi, out + wo, T(0));
                        });
}

// The adjoint: adds each column entry back into its input position of dx (samples inputs).
template <class T>
void col2im_impl(const ConvGeometry& g, int64_t samples, const T* col, T* dx, int64_t row_stride,
                 int64_t sample_stride) {
    const int64_t s = g.sw;
    for_each_window_row(g, samples, row_stride, sample_stride,
                        [&](int64_t at, int64_t from, int64_t iw0, int64_t lo, int64_t hi) {
                            if (from < 0) return;
                            const T* in = col + at;
                            T* out = dx + from;
                            if (s == 1) {
                                for (int64_t ow = lo; ow < hi; ++ow) out[iw0 + ow] += in[ow];
                            } else {
                                for (int64_t ow = lo; ow < hi; ++ow) out[iw0 + ow * s] += in[ow];
                            }
                        });
}

// ---- depthwise: one channel per group, direct loops ------------------------------------------
// For each (ki, kj) an axpy over the output rows: y_row += w[c, ki, kj] * x_row(shifted).
// Forward + backward of a depthwise 3x3 layer on [32, 64, 32, 32] takes 0.56 of the time of
// im2col's 64 one-row products (bench/conv_kernels.cpp).

// Visits the kernel taps of one channel and the output rows each reaches inside the image:
// f(tap, in_row, out_row, iw0, lo, hi) with tap = ki kw + kj, in_row and out_row the offsets
// of input row ih = oh sh - ph + ki dh and of output row oh in their planes, iw0 and [lo, hi)
// as in for_each_window_row.
template <class F>
void for_each_tap_row(const ConvGeometry& g, F f) {
    for (int64_t ki = 0; ki < g.kh; ++ki) {
        for (int64_t kj = 0; kj < g.kw; ++kj) {
            const int64_t iw0 = kj * g.dw - g.pw;
            int64_t lo, hi;
            inside_range(iw0, g.sw, g.w, g.wo, &lo, &hi);
            for (int64_t oh = 0; oh < g.ho; ++oh) {
                const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
                if (ih >= 0 && ih < g.h) f(ki * g.kw + kj, ih * g.w, oh * g.wo, iw0, lo, hi);
            }
        }
    }
}

template <class T>
void depthwise_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y) {
    const int64_t hw = g.in_plane(), p = g.out_plane(), taps = g.kh * g.kw;
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t c = 0; c < g.c_out; ++c) {
            const T *xc = x + (n * g.c_in + c) * hw, *wc = w + c * taps;
            T* yc = y + (n * g.c_out + c) * p;
            std::fill(yc, yc + p, bias ? bias[c] : T(0));
            for_each_tap_row(g, [&](int64_t tap, int64_t in_row, int64_t out_row, int64_t iw0,
                                    int64_t lo, int64_t hi) {
                const T wv = wc[tap];
                const T* in = xc + in_row;
                T* out = yc + out_row;
                if (g.sw == 1) {
                    const T* src = in + (iw0 + lo);
                    for (int64_t ow = lo; ow < hi; ++ow) out[ow] += wv * src[ow - lo];
                } else {
                    for (int64_t ow = lo; ow < hi; ++ow) out[ow] += wv * in[iw0 + ow * g.sw];
                }
            });
        }
    }
}

template <class T>
void depthwise_input_grad(const ConvGeometry& g, const T* grad, const T* w, const T* bias, T* dx) {
    const int64_t hw = g.in_plane(), p = g.out_plane(), taps = g.kh * g.kw;
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t c = 0; c < g.c_in; ++c) {
            T* xc = dx + (n * g.c_in + c) * hw;
            const T *gc = grad + (n * g.c_out + c) * p, *wc = w + c * taps;
            std::fill(xc, xc + hw, bias ? bias[c] : T(0));
            for_each_tap_row(g, [&](int64_t tap, int64_t in_row, int64_t out_row, int64_t iw0,
                                    int64_t lo, int64_t hi) {
                const T wv = wc[tap];
                T* out = xc + in_row;
                const T* in = gc + out_row;
                for (int64_t ow = lo; ow < hi; ++ow) out[iw0 + ow * g.sw] += wv * in[ow];
            });
        }
    }
}

template <class T>
void depthwise_weight_grad(const ConvGeometry& g, const T* x, const T* grad, T* dw) {
    const int64_t hw = g.in_plane(), p = g.out_plane(), taps = g.kh * g.kw;
    std::fill(dw, dw + g.c_out * taps, T(0));
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t c = 0; c < g.c_in; ++c) {
            const T* xc = x + (n * g.c_in + c) * hw;
            const T* gc = grad + (n * g.c_out + c) * p;
            T* dwc = dw + c * taps;
            for_each_tap_row(g, [&](int64_t tap, int64_t in_row, int64_t out_row, int64_t iw0,
                                    int64_t lo, int64_t hi) {
                const T* in = xc + in_row;
                const T* go = gc + out_row;
                T acc = 0;
                for (int64_t ow = lo; ow < hi; ++ow) acc += go[ow] * in[iw0 + ow * g.sw];
                dwc[tap] += acc;
            });
        }
    }
}

// ---- pointwise: a 1x1 kernel, stride 1, no padding; the input is its own column matrix -------
// One product per sample and group, straight on the tensors: forward + backward take 0.53
// (64 channels on 32x32) and 0.80 (256 channels on 7x7) of im2col's time (bench/conv_kernels.cpp).

// out = W @ in per sample and group, plus a bias per output channel; with transpose_w, W^T @ in.
// The forward (W, from c_in to c_out channels) and the input gradient (W^T, from c_out back to
// c_in) are this one product.
template <class T>
void pointwise_product(const ConvGeometry& g, bool transpose_w, const T* in, const T* w,
                       const T* bias, T* out) {
    const int64_t p = g.out_plane(), ci = g.cin_g(), co = g.cout_g();
    const int64_t in_c = transpose_w ? g.c_out : g.c_in, out_c = transpose_w ? g.c_in : g.c_out;
    const int64_t rows = transpose_w ? ci : co, depth = transpose_w ? co : ci;  // per group
    for (int64_t n = 0; n < g.n; ++n) {
        T* on = out + n * out_c * p;
        if (bias)
            for (int64_t o = 0; o < out_c; ++o) std::fill(on + o * p, on + (o + 1) * p, bias[o]);
        for (int64_t gi = 0; gi < g.groups; ++gi) {
            gemm(transpose_w, false, rows, p, depth, T(1), w + gi * co * ci,
                 in + (n * in_c + gi * depth) * p, bias ? T(1) : T(0), on + gi * rows * p);
        }
    }
}

template <class T>
void pointwise_weight_grad(const ConvGeometry& g, const T* x, const T* grad, T* dw) {
    const int64_t p = g.out_plane(), ci = g.cin_g(), co = g.cout_g();
    if (g.n == 0) std::fill(dw, dw + g.c_out * ci, T(0));
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t gi = 0; gi < g.groups; ++gi) {
            gemm(false, true, co, ci, p, T(1), grad + (n * g.c_out + gi * co) * p,
                 x + (n * g.c_in + gi * ci) * p, n == 0 ? T(0) : T(1), dw + gi * co * ci);
        }
    }
}

// ---- the general case: im2col over a chunk of samples, products per group ---------------------

// Where a chunk's columns live. Images of at least kMinWidth output pixels keep each sample's
// [rows, p] matrix whole ("per sample"): one product per sample and group reads the gradient
// and writes the output in place. Smaller ones interleave the samples along each row
// ("batched"): one product per group covers the chunk, through a [c_out, b * p] buffer that
// the output is copied out of (and the gradient gathered into). On the example CNN's 28x28
// layers the per-sample layout removed that copy, 5% of a step.
struct Layout {
    int64_t row = 0, sample = 0;  // strides of a row and of a sample's block, in elements
    bool per_sample = true;
};

constexpr int64_t kMinWidth = 256;

Layout layout(const ConvGeometry& g, int64_t b) {
    const int64_t p = g.out_plane();
    if (b == 1 || p >= kMinWidth) return {p, g.c_in * g.kh * g.kw * p, true};
    return {b * p, p, false};
}

// Runs f(n0, b, L, col) for each chunk of b samples from sample n0: L is the chunk's layout and
// col its column buffer, room for [groups * k_g, b * p].
template <class T, class F>
void for_each_chunk(const ConvGeometry& g, F f) {
    const int64_t nb = chunk_samples(g);
    for (int64_t n0 = 0; n0 < g.n; n0 += nb) {
        const int64_t b = std::min(nb, g.n - n0);
        f(n0, b, layout(g, b), workspace<T>(0, g.groups * g.k_g() * b * g.out_plane()));
    }
}

template <class T>
void im2col_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y) {
    const int64_t p = g.out_plane(), k = g.k_g(), co = g.cout_g(), in_n = g.c_in * g.in_plane();
    for_each_chunk<T>(g, [&](int64_t n0, int64_t b, const Layout& L, T* col) {
        const int64_t ld = b * p;
        im2col_impl(g, b, x + n0 * in_n, col, L.row, L.sample);
        if (L.per_sample) {
            for (int64_t j = 0; j < b; ++j) {
                T* yj = y + (n0 + j) * g.c_out * p;
                if (bias)
                    for (int64_t o = 0; o < g.c_out; ++o)
                        std::fill(yj + o * p, yj + (o + 1) * p, bias[o]);
                for (int64_t gi = 0; gi < g.groups; ++gi) {
                    gemm(false, false, co, p, k, T(1), w + gi * co * k,
                         col + j * L.sample + gi * k * p, bias ? T(1) : T(0), yj + gi * co * p);
                }
            }
            return;
        }
        T* out = workspace<T>(1, g.c_out * ld);
        for (int64_t gi = 0; gi < g.groups; ++gi) {
            gemm(false, false, co, ld, k, T(1), w + gi * co * k, col + gi * k * ld, T(0),
                 out + gi * co * ld);
        }
        for (int64_t j = 0; j < b; ++j) {  // each (sample, channel) row to its place in y
            for (int64_t o = 0; o < g.c_out; ++o) {
                T* dst = y + ((n0 + j) * g.c_out + o) * p;
                const T* src = out + o * ld + j * p;
                const T bo = bias ? bias[o] : T(0);
                for (int64_t i = 0; i < p; ++i) dst[i] = src[i] + bo;
            }
        }
    });
}

// grad [n, c_out, p] rows of a batched chunk gathered as [c_out, b * p].
template <class T>
const T* gather_grad(const ConvGeometry& g, const T* grad, int64_t n0, int64_t b) {
    const int64_t p = g.out_plane(), ld = b * p;
    T* gm = workspace<T>(1, g.c_out * ld);
    for (int64_t j = 0; j < b; ++j)
        for (int64_t o = 0; o < g.c_out; ++o)
            std::copy_n(grad + ((n0 + j) * g.c_out + o) * p, p, gm + o * ld + j * p);
    return gm;
}

template <class T>
void im2col_input_grad(const ConvGeometry& g, const T* grad, const T* w, const T* bias, T* dx) {
    const int64_t p = g.out_plane(), k = g.k_g(), co = g.cout_g(), in_n = g.c_in * g.in_plane();
    for (int64_t n = 0; n < g.n; ++n) {
        T* xn = dx + n * in_n;
        for (int64_t c = 0; c < g.c_in; ++c)
            std::fill(xn + c * g.in_plane(), xn + (c + 1) * g.in_plane(), bias ? bias[c] : T(0));
    }
    for_each_chunk<T>(g, [&](int64_t n0, int64_t b, const Layout& L, T* col) {
        const int64_t ld = b * p;
        if (L.per_sample) {
            for (int64_t j = 0; j < b; ++j) {
                const T* gj = grad + (n0 + j) * g.c_out * p;
                for (int64_t gi = 0; gi < g.groups; ++gi) {
                    gemm(true, false, k, p, co, T(1), w + gi * co * k, gj + gi * co * p, T(0),
                         col + j * L.sample + gi * k * p);
                }
            }
        } else {
            const T* gm = gather_grad(g, grad, n0, b);
            for (int64_t gi = 0; gi < g.groups; ++gi) {
                gemm(true, false, k, ld, co, T(1), w + gi * co * k, gm + gi * co * ld, T(0),
                     col + gi * k * ld);
            }
        }
        col2im_impl(g, b, col, dx + n0 * in_n, L.row, L.sample);
    });
}

template <class T>
void im2col_weight_grad(const ConvGeometry& g, const T* x, const T* grad, T* dw) {
    const int64_t p = g.out_plane(), k = g.k_g(), co = g.cout_g(), in_n = g.c_in * g.in_plane();
    if (g.n == 0) std::fill(dw, dw + g.c_out * k, T(0));
    for_each_chunk<T>(g, [&](int64_t n0, int64_t b, const Layout& L, T* col) {
        const int64_t ld = b * p;
        im2col_impl(g, b, x + n0 * in_n, col, L.row, L.sample);
        if (L.per_sample) {
            for (int64_t j = 0; j < b; ++j) {
                const T* gj = grad + (n0 + j) * g.c_out * p;
                for (int64_t gi = 0; gi < g.groups; ++gi) {
                    gemm(false, true, co, k, p, T(1), gj + gi * co * p,
                         col + j * L.sample + gi * k * p, n0 + j == 0 ? T(0) : T(1),
                         dw + gi * co * k);
                }
            }
            return;
        }
        const T* gm = gather_grad(g, grad, n0, b);
        for (int64_t gi = 0; gi < g.groups; ++gi) {
            gemm(false, true, co, k, ld, T(1), gm + gi * co * ld, col + gi * k * ld,
                 n0 == 0 ? T(0) : T(1), dw + gi * co * k);
        }
    });
}

// Runs the branch of `path` after checking that the path can take g: each kernel below is
// one choice among its three lowerings.
template <class Pointwise, class Depthwise, class Im2col>
void on_path(ConvPath path, const ConvGeometry& g, Pointwise pointwise, Depthwise depthwise,
             Im2col im2col) {
    if (path == ConvPath::Pointwise && conv_path(g) != ConvPath::Pointwise)
        throw std::logic_error(
            "conv2d kernels: the pointwise path needs a 1x1, stride-1, unpadded kernel");
    if (path == ConvPath::Depthwise && !g.is_depthwise())
        throw std::logic_error("conv2d kernels: the depthwise path needs groups == c_in == c_out");
    switch (path) {
        case ConvPath::Pointwise:
            return pointwise();
        case ConvPath::Depthwise:
            return depthwise();
        case ConvPath::Im2col:
            return im2col();
    }
}

template <class T>
void forward_impl(ConvPath path, const ConvGeometry& g, const T* x, const T* w, const T* bias,
                  T* y) {
    on_path(
        path, g, [&] { pointwise_product(g, /*transpose_w=*/false, x, w, bias, y); },
        [&] { depthwise_forward(g, x, w, bias, y); }, [&] { im2col_forward(g, x, w, bias, y); });
}
template <class T>
void input_grad_impl(ConvPath path, const ConvGeometry& g, const T* grad, const T* w, const T* bias,
                     T* dx) {
    on_path(
        path, g, [&] { pointwise_product(g, /*transpose_w=*/true, grad, w, bias, dx); },
        [&] { depthwise_input_grad(g, grad, w, bias, dx); },
        [&] { im2col_input_grad(g, grad, w, bias, dx); });
}
template <class T>
void weight_grad_impl(ConvPath path, const ConvGeometry& g, const T* x, const T* grad, T* dw) {
    on_path(
        path, g, [&] { pointwise_weight_grad(g, x, grad, dw); },
        [&] { depthwise_weight_grad(g, x, grad, dw); },
        [&] { im2col_weight_grad(g, x, grad, dw); });
}

}  // namespace

ConvPath conv_path(const ConvGeometry& g) {
    if (g.is_pointwise() && g.ho == g.h && g.wo == g.w) return ConvPath::Pointwise;
    if (g.is_depthwise()) return ConvPath::Depthwise;
    return ConvPath::Im2col;
}

void conv2d_forward(const ConvGeometry& g, const float* x, const float* w, const float* bias,
                    float* y) {
    forward_impl(conv_path(g), g, x, w, bias, y);
}
void conv2d_forward(const ConvGeometry& g, const double* x, const double* w, const double* bias,
                    double* y) {
    forward_impl(conv_path(g), g, x, w, bias, y);
}
void conv2d_input_grad(const ConvGeometry& g, const float* grad, const float* w, const float* bias,
                       float* dx) {
    input_grad_impl(conv_path(g), g, grad, w, bias, dx);
}
void conv2d_input_grad(const ConvGeometry& g, const double* grad, const double* w,
                       const double* bias, double* dx) {
    input_grad_impl(conv_path(g), g, grad, w, bias, dx);
}
void conv2d_weight_grad(const ConvGeometry& g, const float* x, const float* grad, float* dw) {
    weight_grad_impl(conv_path(g), g, x, grad, dw);
}
void conv2d_weight_grad(const ConvGeometry& g, const double* x, const double* grad, double* dw) {
    weight_grad_impl(conv_path(g), g, x, grad, dw);
}
void conv2d_forward(ConvPath path, const ConvGeometry& g, const float* x, const float* w,
                    const float* bias, float* y) {
    forward_impl(path, g, x, w, bias, y);
}
void conv2d_input_grad(ConvPath path, const ConvGeometry& g, const float* grad, const float* w,
                       const float* bias, float* dx) {
    input_grad_impl(path, g, grad, w, bias, dx);
}
void conv2d_weight_grad(ConvPath path, const ConvGeometry& g, const float* x, const float* grad,
                        float* dw) {
    weight_grad_impl(path, g, x, grad, dw);
}
void im2col(const ConvGeometry& g, int64_t samples, const float* x, float* col) {
    im2col_impl(g, samples, x, col, samples * g.out_plane(), g.out_plane());
}
void im2col(const ConvGeometry& g, int64_t samples, const double* x, double* col) {
    im2col_impl(g, samples, x, col, samples * g.out_plane(), g.out_plane());
}
void col2im(const ConvGeometry& g, int64_t samples, const float* col, float* dx) {
    col2im_impl(g, samples, col, dx, samples * g.out_plane(), g.out_plane());
}
void col2im(const ConvGeometry& g, int64_t samples, const double* col, double* dx) {
    col2im_impl(g, samples, col, dx, samples * g.out_plane(), g.out_plane());
}

}  // namespace kernels
}  // namespace tapegrad
