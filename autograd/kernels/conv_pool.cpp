#include "autograd/kernels/conv_pool.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tapegrad {
namespace kernels {

namespace {

// Max pooling is a plain loop, not xtensor: bench/conv_kernels.cpp compares it with the max of
// four strided xt::adapt views and xt::where for the indices; on W6's two 2x2 pools
// ([640, 24, 24] and [1280, 8, 8]) xtensor took 4.6 times as long as the row kernel below
// (medians of 11 alternating runs, one thread).
// True when every window is two neighbouring positions (a 2-wide kernel without dilation,
// clipped nowhere): the common 2x2 pool runs a loop without inner loops.
bool pairs(const PoolWindows& win) {
    if (win.step != 1) return false;
    for (int64_t i = 0; i < win.out(); ++i)
        if (win.end[i] - win.start[i] != 2) return false;
    return true;
}

// The first maximum of a 2x2 window (a, b over c, d; w: the row length), as max_pool2d_impl
// finds it, but without branches: on random data each comparison is a coin toss that the
// branch predictor loses, and the branchy loop ran at ~11 ns a window here. The max comes from
// maxss-style selects, the offset of its first occurrence from 0/1 flags, and the value is
// read back from there (so a -0 / +0 tie keeps the first one's sign). A window holding a NaN
// takes the sequential rule (a NaN wins).
template <class T>
int64_t first_max_2x2(const T* top, const T* bottom, int64_t w) {
    const T a = top[0], b = top[1], c = bottom[0], d = bottom[1];
    if ((a != a) | (b != b) | (c != c) | (d != d)) {
        const T v[4] = {a, b, c, d};
        const int64_t off[4] = {0, 1, w, w + 1};
        T best = a;
        int64_t at = 0;
        for (int k = 1; k < 4; ++k) {
            if (v[k] > best || v[k] != v[k]) best = v[k], at = off[k];
        }
        return at;
    }
    const T ab = a > b ? a : b, cd = c > d ? c : d;
    const T best = ab > cd ? ab : cd;
    const int64_t ea = a == best, eb = b == best, ec = c == best;
    int64_t off = w + 1 - ec;   // c, else d
    off = eb + (1 - eb) * off;  // b before them
    return (1 - ea) * off;      // a first
}

// One output row of a 2x2 pool with stride 2 along the row, written to vectorise (selects, a
// flag per window, the index from the flags): returns false when the row holds a NaN, whose
// windows the caller redoes one by one.
template <class T>
bool max_pool2x2_row(const T* top, const T* bottom, int64_t w, int64_t wo, int64_t base, T* y,
                     int64_t* idx) {
    int nan = 0;
    for (int64_t j = 0; j < wo; ++j) {
        const T a = top[2 * j], b = top[2 * j + 1], c = bottom[2 * j], d = bottom[2 * j + 1];
        nan |= (a != a) | (b != b) | (c != c) | (d != d);
        const T ab = a > b ? a : b, cd = c > d ? c : d;
        const T best = ab > cd ? ab : cd;
        const int64_t ea = a == best, eb = b == best, ec = c == best;
        int64_t off = w + 1 - ec;
        off = eb + (1 - eb) * off;
        off = (1 - ea) * off;
        idx[j] = base + 2 * j + off;
        y[j] = ea ? a : eb ? b : ec ? c : d;  // the first maximum's own value (-0 vs +0)
    }
    return nan == 0;
}

template <class T>
void max_pool2x2(int64_t planes, int64_t h, int64_t w, const PoolWindows& wh, const PoolWindows& ww,
                 const T* x, T* y, int64_t* idx) {
    const int64_t ho = wh.out(), wo = ww.out();
    bool stride2 = true;  // windows side by side along the row: the row kernel applies
    for (int64_t j = 0; j < wo; ++j) stride2 = stride2 && ww.start[j] == ww.start[0] + 2 * j;
    for (int64_t p = 0; p < planes; ++p) {
        const T* xp = x + p * h * w;
        T* yp = y + p * ho * wo;
        int64_t* ip = idx + p * ho * wo;
        for (int64_t i = 0; i < ho; ++i) {
            const int64_t r = wh.start[i] * w;
            if (stride2 && wo > 0) {
                const int64_t at = r + ww.start[0];
                if (max_pool2x2_row(xp + at, xp + at + w, w, wo, at, yp + i * wo, ip + i * wo))
                    continue;
            }
            for (int64_t j = 0; j < wo; ++j) {
                const int64_t at = r + ww.start[j];
                const int64_t m = at + first_max_2x2(xp + at, xp + at + w, w);
                yp[i * wo + j] = xp[m];
                ip[i * wo + j] = m;
            }
        }
    }
}

template <class T>
void max_pool2d_impl(int64_t planes, int64_t h, int64_t w, const PoolWindows& wh,
                     const PoolWindows& ww, const T* x, T* y, int64_t* idx) {
    if (pairs(wh) && pairs(ww)) return max_pool2x2(planes, h, w, wh, ww, x, y, idx);
    const int64_t ho = wh.out(), wo = ww.out(), sh = wh.step, sw = ww.step;
    for (int64_t p = 0; p < planes; ++p) {
        const T* xp = x + p * h * w;
        T* yp = y + p * ho * wo;
        int64_t* ip = idx + p * ho * wo;
        for (int64_t i = 0; i < ho; ++i) {
            const int64_t h0 = wh.start[i], h1 = wh.end[i];
            for (int64_t j = 0; j < wo; ++j) {
                const int64_t w0 = ww.start[j], w1 = ww.end[j];
                T best = -std::numeric_limits<T>::infinity();
                int64_t at = -1;  // an empty window (only with odd dilations) has no max
                for (int64_t ih = h0; ih < h1; ih += sh) {
                    const T* row = xp + ih * w;
                    for (int64_t iw = w0; iw < w1; iw += sw) {
                        const T v = row[iw];
                        if (v > best || std::isnan(v) || at < 0) {
                            best = v;
                            at = ih * w + iw;
                        }
                    }
                }
                yp[i * wo + j] = best;
                ip[i * wo + j] = at;
            }
        }
    }
}

template <class T>
void plane_gather_impl(int64_t planes, int64_t src_plane, int64_t n, const T* src,
                       const int64_t* idx, T* out) {
    for (int64_t p = 0; p < planes; ++p) {
        const T* s = src + p * src_plane;
        const int64_t* ip = idx + p * n;
        T* o = out + p * n;
        for (int64_t k = 0; k < n; ++k) o[k] = ip[k] >= 0 ? s[ip[k]] : T(0);
    }
}

template <class T>
void plane_scatter_impl(int64_t planes, int64_t n, int64_t out_plane, const T* src,
                        const int64_t* idx, T* out, bool accumulate) {
    std::fill(out, out + planes * out_plane, T(0));
    for (int64_t p = 0; p < planes; ++p) {
        const T* s = src + p * n;
        const int64_t* ip = idx + p * n;
        T* o = out + p * out_plane;
        for (int64_t k = 0; k < n; ++k) {
            const int64_t at = ip[k];
            if (at < 0 || at >= out_plane) continue;
            if (accumulate)
                o[at] += s[k];
            else
                o[at] = s[k];
        }
    }
}

template <class T>
std::vector<T> weights_as(const Taps& t) {
    return std::vector<T>(t.weight.begin(), t.weight.end());
}

template <class T>
void resample2d_impl(int64_t planes, const Taps& th, const Taps& tw, double fill, const T* x,
                     T* y) {
    const int64_t h = th.in, w = tw.in, ho = th.out(), wo = tw.out();
    const std::vector<T> wh = weights_as<T>(th), ww = weights_as<T>(tw);
    for (int64_t p = 0; p < planes; ++p) {
        const T* xp = x + p * h * w;
        T* yp = y + p * ho * wo;
        for (int64_t i = 0; i < ho; ++i) {
            const int64_t a0 = th.offset[i], a1 = th.offset[i + 1];
            for (int64_t j = 0; j < wo; ++j) {
                const int64_t b0 = tw.offset[j], b1 = tw.offset[j + 1];
                if (a0 == a1 || b0 == b1) {
                    yp[i * wo + j] = static_cast<T>(fill);
                    continue;
                }
                T acc = 0;
                for (int64_t a = a0; a < a1; ++a) {
                    const T* row = xp + th.index[a] * w;
                    T inner = 0;
                    for (int64_t b = b0; b < b1; ++b) inner += ww[b] * row[tw.index[b]];
                    acc += wh[a] * inner;
                }
                yp[i * wo + j] = acc;
            }
        }
    }
}

template <class T>
void resample2d_adjoint_impl(int64_t planes, const Taps& th, const Taps& tw, const T* g, T* dx) {
    const int64_t h = th.in, w = tw.in, ho = th.out(), wo = tw.out();
    const std::vector<T> wh = weights_as<T>(th), ww = weights_as<T>(tw);
    std::fill(dx, dx + planes * h * w, T(0));
    for (int64_t p = 0; p < planes; ++p) {
        const T* gp = g + p * ho * wo;
        T* xp = dx + p * h * w;
        for (int64_t i = 0; i < ho; ++i) {
            for (int64_t a = th.offset[i]; a < th.offset[i + 1]; ++a) {
                T* row = xp + th.index[a] * w;
                for (int64_t j = 0; j < wo; ++j) {
                    const T ga = wh[a] * gp[i * wo + j];
                    for (int64_t b = tw.offset[j]; b < tw.offset[j + 1]; ++b)
                        row[tw.index[b]] += ww[b] * ga;
                }
            }
        }
    }
}

// big [n, c, h*r, w*r] <-> small [n, c*r*r, h, w]:  big[n][c][y*r + i][x*r + j] =
// small[n][(c*r + i)*r + j][y][x]
template <class T>
void pixel_shuffle_impl(int64_t n, int64_t c, int64_t h, int64_t w, int64_t r, bool unshuffle,
                        const T* x, T* y) {
    const int64_t bw = w * r;
    for (int64_t b = 0; b < n * c; ++b) {
        for (int64_t i = 0; i < r; ++i) {
            for (int64_t j = 0; j < r; ++j) {
                const int64_t small_off = (b * r * r + i * r + j) * h * w;
                const int64_t big_off = b * h * r * bw + i * bw + j;
                for (int64_t yy = 0; yy < h; ++yy) {
                    const int64_t s = small_off + yy * w, g = big_off + yy * r * bw;
                    if (unshuffle) {
                        for (int64_t xx = 0; xx < w; ++xx) y[s + xx] = x[g + xx * r];
                    } else {
                        for (int64_t xx = 0; xx < w; ++xx) y[g + xx * r] = x[s + xx];
                    }
                }
            }
        }
    }
}

}  // namespace

void max_pool2d(int64_t planes, int64_t h, int64_t w, const PoolWindows& wh, const PoolWindows& ww,
                const float* x, float* y, int64_t* idx) {
    max_pool2d_impl(planes, h, w, wh, ww, x, y, idx);
}
void max_pool2d(int64_t planes, int64_t h, int64_t w, const PoolWindows& wh, const PoolWindows& ww,
                const double* x, double* y, int64_t* idx) {
    max_pool2d_impl(planes, h, w, wh, ww, x, y, idx);
}
void plane_gather(int64_t planes, int64_t src_plane, int64_t n, const float* src,
                  const int64_t* idx, float* out) {
    plane_gather_impl(planes, src_plane, n, src, idx, out);
}
void plane_gather(int64_t planes, int64_t src_plane, int64_t n, const double* src,
                  const int64_t* idx, double* out) {
    plane_gather_impl(planes, src_plane, n, src, idx, out);
}
void plane_scatter(int64_t planes, int64_t n, int64_t out_plane, const float* src,
                   const int64_t* idx, float* out, bool accumulate) {
    plane_scatter_impl(planes, n, out_plane, src, idx, out, accumulate);
}
void plane_scatter(int64_t planes, int64_t n, int64_t out_plane, const double* src,
                   const int64_t* idx, double* out, bool accumulate) {
    plane_scatter_impl(planes, n, out_plane, src, idx, out, accumulate);
}
void resample2d(int64_t planes, const Taps& th, const Taps& tw, double fill, const float* x,
                float* y) {
    resample2d_impl(planes, th, tw, fill, x, y);
}
void resample2d(int64_t planes, const Taps& th, const Taps& tw, double fill, const double* x,
                double* y) {
    resample2d_impl(planes, th, tw, fill, x, y);
}
void resample2d_adjoint(int64_t planes, const Taps& th, const Taps& tw, const float* g, float* dx) {
    resample2d_adjoint_impl(planes, th, tw, g, dx);
}
void resample2d_adjoint(int64_t planes, const Taps& th, const Taps& tw, const double* g,
                        double* dx) {
    resample2d_adjoint_impl(planes, th, tw, g, dx);
}
void pixel_shuffle(int64_t n, int64_t c, int64_t h, int64_t w, int64_t r, bool unshuffle,
                   const float* x, float* y) {
    pixel_shuffle_impl(n, c, h, w, r, unshuffle, x, y);
}
void pixel_shuffle(int64_t n, int64_t c, int64_t h, int64_t w, int64_t r, bool unshuffle,
                   const double* x, double* y) {
    pixel_shuffle_impl(n, c, h, w, r, unshuffle, x, y);
}

}  // namespace kernels
}  // namespace tapegrad
