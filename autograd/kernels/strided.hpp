#pragma once
// Strided loops: how every element-wise kernel walks tensors that may be views. No graph
// code here.
//
// A loop runs over a shape with several operands, each a first element and strides (in
// elements, 0 along dims it is broadcast over). Dims of size 1 are dropped, and a dim is
// merged into the next when every operand steps through both as through one, so a
// contiguous tensor is one flat run and a [64, 128] + [128] add is 64 runs of 128. The body
// gets one run at a time, with each operand's pointer and its stride within the run: the
// kernels branch on stride 1 / 0 so the common runs are plain loops the compiler vectorises.
//
// These hand loops stay where bench/kernels.cpp measured them against xtensor's (strided
// xt::adapt with XSIMD): flat add 5.9 us vs 14.6 us, row broadcast 4.9 vs 66, transposed
// copy 95 vs 299, full sum 4.0 vs 93 (64 x 1024 floats, g++ 12 -O3). xtensor's vector math
// wins on exp/log/tanh, which autograd/kernels/math.cpp runs through it.

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/parallel.hpp"

namespace tapegrad {
namespace kernels {

/// Side of the square blocks a tiled walk uses (for_each_run), in elements: 32 x 32 floats of
/// a transposed operand are 32 (or 64, unaligned) cache lines, well inside L1.
constexpr int64_t kTile = 32;
/// Stride (in elements) from which an innermost dim touches a new cache line at every step.
constexpr int64_t kTileStride = 16;

/// Merged dims a loop runs over: sizes[0..ndim) outermost first, and per operand its strides
/// along them, in elements.
template <int N>
struct LoopPlan {
    static constexpr int kMaxDims = 64;
    int ndim = 0;
    std::array<int64_t, kMaxDims> sizes;
    std::array<std::array<int64_t, kMaxDims>, N> strides;
};

/// Plans a loop over `sizes` for N operands whose strides (in elements, one per dim of
/// `sizes`) are given.
template <int N>
LoopPlan<N> plan_loop(const std::vector<int64_t>& sizes,
                      const std::array<const int64_t*, N>& strides) {
    LoopPlan<N> p;
    for (size_t d = 0; d < sizes.size(); ++d) {
        if (sizes[d] == 1) continue;
        // merge into the previous kept dim when each operand's outer stride spans the inner dim
        if (p.ndim > 0) {
            bool merge = true;
            for (int k = 0; k < N && merge; ++k)
                merge = p.strides[k][p.ndim - 1] == strides[k][d] * sizes[d];
            if (merge) {
                p.sizes[p.ndim - 1] *= sizes[d];
                for (int k = 0; k < N; ++k) p.strides[k][p.ndim - 1] = strides[k][d];
                continue;
            }
        }
        if (p.ndim == LoopPlan<N>::kMaxDims) {
            throw std::invalid_argument(
                "strided loop: more than 64 dims of size > 1 after merging");
        }
        p.sizes[p.ndim] = sizes[d];
        for (int k = 0; k < N; ++k) p.strides[k][p.ndim] = strides[k][d];
        ++p.ndim;
    }
    return p;
}

/// True when a tiled walk of the two innermost dims pays: some operand steps further along the
/// innermost dim than along the one outside it (a transposed view, read or written), so a
/// plain walk touches a new cache line at every element of that operand.
template <int N>
bool tiling_pays(const LoopPlan<N>& p) {
    if (p.ndim < 2 || p.sizes[p.ndim - 1] < 2 * kTile || p.sizes[p.ndim - 2] < 2 * kTile)
        return false;
    for (int k = 0; k < N; ++k) {
        const int64_t in = p.strides[k][p.ndim - 1], out = p.strides[k][p.ndim - 2];
        const int64_t a_in = in < 0 ? -in : in, a_out = out < 0 ? -out : out;
        if (a_in >= kTileStride && a_out < a_in) return true;
    }
    return false;
}

/// Calls body(n, ptrs, inner_strides) once per innermost run of n elements, where ptrs[k] is
/// operand k's first element of the run and inner_strides[k] its stride in elements. `base`
/// holds each operand's first element as a char pointer; `elem` each one's element size.
/// With Tiled, when tiling_pays, the two innermost dims are walked in kTile x kTile blocks
/// (runs of at most kTile elements), so a transposed operand's lines are reused from L1
/// instead of refetched: the order of the runs changes, not the set of elements.
template <int N, bool Tiled = false, class Body>
void for_each_run(const LoopPlan<N>& p, const std::array<char*, N>& base,
                  const std::array<int64_t, N>& elem, Body&& body) {
    std::array<char*, N> ptr = base;
    std::array<int64_t, N> inner{};
    if (p.ndim == 0) {  // one element
        body(int64_t{1}, ptr, inner);
        return;
    }
    for (int k = 0; k < N; ++k) inner[k] = p.strides[k][p.ndim - 1];
    const int64_t n = p.sizes[p.ndim - 1];
    if (n == 0) return;
    for (int d = 0; d + 1 < p.ndim; ++d)
        if (p.sizes[d] == 0) return;
    // the dims the odometer walks: all but the innermost, or all but the two tiled ones
    const bool tiled = Tiled && tiling_pays(p);
    const int outer_dims = tiled ? p.ndim - 2 : p.ndim - 1;
    std::array<int64_t, LoopPlan<N>::kMaxDims> index;
    for (int d = 0; d < p.ndim; ++d) index[static_cast<size_t>(d)] = 0;
    while (true) {
        if (tiled) {
            const int d0 = p.ndim - 2, d1 = p.ndim - 1;
            const int64_t n0 = p.sizes[d0];
            for (int64_t i0 = 0; i0 < n0; i0 += kTile) {
                for (int64_t j0 = 0; j0 < n; j0 += kTile) {
                    const int64_t ni = std::min(kTile, n0 - i0), nj = std::min(kTile, n - j0);
                    for (int64_t i = i0; i < i0 + ni; ++i) {
                        std::array<char*, N> q;
                        for (int k = 0; k < N; ++k)
                            q[k] =
                                ptr[k] + (i * p.strides[k][d0] + j0 * p.strides[k][d1]) * elem[k];
                        body(nj, q, inner);
                    }
                }
            }
        } else {
            body(n, ptr, inner);
        }
        // odometer over the outer dims, innermost of them first
        int d = outer_dims - 1;
        for (; d >= 0; --d) {
            for (int k = 0; k < N; ++k) ptr[k] += p.strides[k][d] * elem[k];
            if (++index[d] < p.sizes[d]) break;
            for (int k = 0; k < N; ++k) ptr[k] -= p.strides[k][d] * p.sizes[d] * elem[k];
            index[d] = 0;
        }
        if (d < 0) return;
    }
}

/// True when threads may walk disjoint slabs of the loop at once: operand 0 (the output) has
/// no two positions on one element (its strides, sorted, each step past all the smaller dims
/// reach), and each other operand either is the output itself (same first element and
/// strides: an in-place op) or lies wholly outside the output's bytes.
template <int N>
bool splittable(const LoopPlan<N>& p, const std::array<char*, N>& base,
                const std::array<int64_t, N>& elem) {
    std::array<int64_t, LoopPlan<N>::kMaxDims> order;
    for (int d = 0; d < p.ndim; ++d) order[d] = d;
    const auto mag = [&](int k, int64_t d) {
        return p.strides[k][d] < 0 ? -p.strides[k][d] : p.strides[k][d];
    };
    std::sort(order.begin(), order.begin() + p.ndim,
              [&](int64_t x, int64_t y) { return mag(0, x) < mag(0, y); });
    int64_t reach = 1;  // elements spanned by the dims already seen
    for (int i = 0; i < p.ndim; ++i) {
        const int64_t d = order[i];
        if (mag(0, d) < reach) return false;
        reach += mag(0, d) * (p.sizes[d] - 1);
    }
    // the bytes [lo, hi) each operand touches
    const auto span = [&](int k) {
        const char* lo = base[k];
        const char* hi = base[k] + elem[k];
        for (int d = 0; d < p.ndim; ++d) {
            const int64_t len = p.strides[k][d] * (p.sizes[d] - 1) * elem[k];
            (len < 0 ? lo : hi) += len;
        }
        return std::array<const char*, 2>{lo, hi};
    };
    const std::array<const char*, 2> out = span(0);
    for (int k = 1; k < N; ++k) {
        bool same = base[k] == base[0] && elem[k] == elem[0];
        for (int d = 0; d < p.ndim && same; ++d) same = p.strides[k][d] == p.strides[0][d];
        if (same) continue;
        const std::array<const char*, 2> in = span(k);
        if (in[0] < out[1] && out[0] < in[1]) return false;
    }
    return true;
}

/// for_each_run, with the outermost dim cut into slabs that the pool's threads walk at once
/// when the loop has more than kGrainSize elements and splittable() allows it. Each element is
/// still computed once by the same body, so results equal the one-thread walk's.
template <int N, bool Tiled = false, class Body>
void parallel_for_each_run(const LoopPlan<N>& p, const std::array<char*, N>& base,
                           const std::array<int64_t, N>& elem, Body&& body) {
    int64_t total = 1;
    for (int d = 0; d < p.ndim; ++d) total *= p.sizes[d];
    if (p.ndim == 0 || total <= kGrainSize || get_num_threads() == 1 || in_parallel_region() ||
        !splittable<N>(p, base, elem)) {
        for_each_run<N, Tiled>(p, base, elem, body);
        return;
    }
    const int64_t per_slice = total / p.sizes[0];
    parallel_for(0, p.sizes[0], std::max<int64_t>(1, kGrainSize / per_slice),
                 [&](int64_t b, int64_t e) {
                     LoopPlan<N> slab = p;
                     slab.sizes[0] = e - b;
                     std::array<char*, N> first;
                     for (int k = 0; k < N; ++k) first[k] = base[k] + b * p.strides[k][0] * elem[k];
                     for_each_run<N, Tiled>(slab, first, elem, body);
                 });
}

/// out[i] = f(a[i]) over `sizes`, operands typed.
template <class TO, class TA, class F>
void unary_loop(const std::vector<int64_t>& sizes, TO* out, const int64_t* out_strides, const TA* a,
                const int64_t* a_strides, F f) {
    const LoopPlan<2> p = plan_loop<2>(sizes, {out_strides, a_strides});
    parallel_for_each_run<2, true>(
        p, {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<TA*>(a))},
        {int64_t(sizeof(TO)), int64_t(sizeof(TA))},
        [&](int64_t n, const std::array<char*, 2>& ptr, const std::array<int64_t, 2>& s) {
            TO* y = reinterpret_cast<TO*>(ptr[0]);
            const TA* x = reinterpret_cast<const TA*>(ptr[1]);
            if (s[0] == 1 && s[1] == 1) {
                for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
            } else if (s[0] == 1 && s[1] == 0) {
                const TO v = f(x[0]);
                for (int64_t i = 0; i < n; ++i) y[i] = v;
            } else {
                for (int64_t i = 0; i < n; ++i) y[i * s[0]] = f(x[i * s[1]]);
            }
        });
}

/// out[i] = f(a[i], b[i]) over `sizes`, operands typed (a broadcast operand has stride 0).
template <class TO, class TA, class TB, class F>
void binary_loop(const std::vector<int64_t>& sizes, TO* out, const int64_t* out_strides,
                 const TA* a, const int64_t* a_strides, const TB* b, const int64_t* b_strides,
                 F f) {
    const LoopPlan<3> p = plan_loop<3>(sizes, {out_strides, a_strides, b_strides});
    parallel_for_each_run<3, true>(
        p,
        {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<TA*>(a)),
         reinterpret_cast<char*>(const_cast<TB*>(b))},
        {int64_t(sizeof(TO)), int64_t(sizeof(TA)), int64_t(sizeof(TB))},
        [&](int64_t n, const std::array<char*, 3>& ptr, const std::array<int64_t, 3>& s) {
            TO* y = reinterpret_cast<TO*>(ptr[0]);
            const TA* x1 = reinterpret_cast<const TA*>(ptr[1]);
            const TB* x2 = reinterpret_cast<const TB*>(ptr[2]);
            // one loop per stride pattern, so each one vectorises
            if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                for (int64_t i = 0; i < n; ++i) y[i] = f(x1[i], x2[i]);
            } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
                const TB v = x2[0];
                for (int64_t i = 0; i < n; ++i) y[i] = f(x1[i], v);
            } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
                const TA v = x1[0];
                for (int64_t i = 0; i < n; ++i) y[i] = f(v, x2[i]);
            } else {
                for (int64_t i = 0; i < n; ++i) y[i * s[0]] = f(x1[i * s[1]], x2[i * s[2]]);
            }
        });
}

/// Row-major strides for `sizes`.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes);

}  // namespace kernels
}  // namespace tapegrad
