// Which kernels the convolution code keeps, by measurement (the project's rule: strided loops are
// written over xtensor unless a hand loop is faster by more than 10%).
//   1. im2col: the library's loop against an xtensor version (xt::adapt with strides, assigned
//      into a view of each column row), on MNIST's conv2, a 64->64 3x3 layer, and stride 2.
//   2. 2x2 max pooling with indices: the library's loop against xtensor (four strided views,
//      xt::maximum and xt::where), on W6's two pools.
//   3. The direct lowerings against im2col: depthwise and 1x1 convolutions, forward + backward.
// Prints `fig <name> us <median> <min> <max>` per variant and `ratio <name> <xtensor / loop>`.
// Figures measured on this machine are quoted where each kernel stands.
//
// Usage: conv_kernels [--reps R] [--only NAME-PART]   (single thread; run on a quiet machine)
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>
#include "autograd/kernels/xt.hpp"  // xtensor with the library's settings

#include <xtensor/xoperation.hpp>
#include <xtensor/xview.hpp>

#include "autograd/kernels/blas.hpp"
#include "autograd/kernels/conv.hpp"
#include "autograd/kernels/conv_pool.hpp"
#include "bench/common.hpp"

using tapegrad::kernels::ConvGeometry;
using tapegrad::kernels::ConvPath;
using tapegrad::kernels::PoolWindows;

namespace {

int g_reps = 7;
std::string g_only;  // run only the comparisons whose name contains this

bool wanted(const std::string& name) {
    return g_only.empty() || name.find(g_only) != std::string::npos;
}

// Timings of `inner` calls of a and of b, in us per call, alternating a and b g_reps times so
// that a change of load on the machine hits both alike.
std::pair<std::vector<double>, std::vector<double>> time_pair(const std::function<void()>& a,
                                                              const std::function<void()>& b,
                                                              int inner) {
    a();  // warm the caches and the workspaces
    b();
    std::vector<double> ta, tb;
    for (int r = 0; r < g_reps; ++r) {
        for (int which = 0; which < 2; ++which) {
            const auto& fn = which == 0 ? a : b;
            const auto t0 = bench::Clock::now();
            for (int i = 0; i < inner; ++i) fn();
            (which == 0 ? ta : tb)
                .push_back(bench::seconds_between(t0, bench::Clock::now()) * 1e6 / inner);
        }
    }
    return {ta, tb};
}

double report(const std::string& name, const std::vector<double>& t) {
    const auto [lo, hi] = std::minmax_element(t.begin(), t.end());
    bench::print_fig(name, "us", bench::median(t), *lo, *hi);
    return bench::median(t);
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = float(bench::uniform(rng) - 0.5);
    return v;
}

// ---- 1. im2col -----------------------------------------------------------------------------

// The same columns as kernels::im2col, written with xtensor, for all samples at once: per
// (c, ki, kj) the row is a [samples, ho, wo] view; its zero border is filled, and the inside
// assigned from a strided adaptor of the input [samples, rows, cols].
void im2col_xtensor(const ConvGeometry& g, int64_t samples, const float* x, float* col) {
    using shape3 = std::array<size_t, 3>;
    using strides3 = std::array<std::ptrdiff_t, 3>;
    const int64_t p = g.ho * g.wo, ld = samples * p;
    auto first = [](int64_t i0, int64_t s) { return i0 >= 0 ? 0 : (-i0 + s - 1) / s; };
    auto end = [](int64_t i0, int64_t s, int64_t n, int64_t o) {
        return std::min(o, n - i0 <= 0 ? 0 : (n - i0 + s - 1) / s);
    };
    for (int64_t c = 0; c < g.c_in; ++c) {
        for (int64_t ki = 0; ki < g.kh; ++ki) {
            for (int64_t kj = 0; kj < g.kw; ++kj) {
                float* row = col + ((c * g.kh + ki) * g.kw + kj) * ld;
                std::fill(row, row + ld, 0.0f);
                const int64_t ih0 = ki * g.dh - g.ph, iw0 = kj * g.dw - g.pw;
                const int64_t h_lo = std::min(first(ih0, g.sh), g.ho);
                const int64_t h_hi = std::max(h_lo, end(ih0, g.sh, g.h, g.ho));
                const int64_t w_lo = std::min(first(iw0, g.sw), g.wo);
                const int64_t w_hi = std::max(w_lo, end(iw0, g.sw, g.w, g.wo));
                if (h_hi <= h_lo || w_hi <= w_lo) continue;
                auto dst = xt::adapt(row, size_t(ld), xt::no_ownership(),
                                     shape3{size_t(samples), size_t(g.ho), size_t(g.wo)});
                const float* start = x + (c * g.h + ih0 + h_lo * g.sh) * g.w + iw0 + w_lo * g.sw;
                const shape3 shape{size_t(samples), size_t(h_hi - h_lo), size_t(w_hi - w_lo)};
                const strides3 strides{std::ptrdiff_t(g.c_in * g.h * g.w),
                                       std::ptrdiff_t(g.sh * g.w), std::ptrdiff_t(g.sw)};
                // (the size an adaptor is given is its element count, not the span it strides over)
                auto src = xt::adapt(start, shape[0] * shape[1] * shape[2], xt::no_ownership(),
                                     shape, strides);
                xt::view(dst, xt::all(), xt::range(h_lo, h_hi), xt::range(w_lo, w_hi)) = src;
            }
        }
    }
}

ConvGeometry geometry(int64_t c_in, int64_t hw, int64_t c_out, int64_t k, int64_t s, int64_t p,
                      int64_t n, int64_t groups = 1) {
    ConvGeometry g;
    g.n = n, g.c_in = c_in, g.h = g.w = hw, g.c_out = c_out, g.kh = g.kw = k;
    g.sh = g.sw = s, g.ph = g.pw = p, g.groups = groups;
    g.ho = g.wo = tapegrad::kernels::conv_out_size(hw, k, s, p, 1);
    return g;
}

void bench_im2col(const char* name, const ConvGeometry& g, int samples) {
    if (!wanted(std::string("im2col_") + name)) return;
    const int64_t p = g.ho * g.wo, rows = g.c_in * g.kh * g.kw;
    const auto x = random_floats(size_t(samples * g.c_in * g.h * g.w), 1);
    std::vector<float> a(size_t(rows * p * samples)), b(a.size());
    auto loop = [&] { tapegrad::kernels::im2col(g, samples, x.data(), a.data()); };
    auto xt_version = [&] { im2col_xtensor(g, samples, x.data(), b.data()); };
    loop();
    xt_version();
    if (a != b) {
        std::fprintf(stderr, "im2col %s: the xtensor version differs\n", name);
        std::exit(1);
    }
    const int inner = std::max(1, int(2e6 / double(a.size())));
    const auto [tl, tx] = time_pair(loop, xt_version, inner);
    const double t_loop = report(std::string("im2col_") + name + "_loop", tl);
    const double t_xt = report(std::string("im2col_") + name + "_xtensor", tx);
    std::printf("ratio im2col_%s %.3f\n", name, t_xt / t_loop);
}

// ---- 2. max pooling 2x2 with indices --------------------------------------------------------

void maxpool_xtensor(int64_t planes, int64_t h, int64_t w, const float* x, float* y, int64_t* idx) {
    using shape3 = std::array<size_t, 3>;
    using strides3 = std::array<std::ptrdiff_t, 3>;
    const int64_t ho = h / 2, wo = w / 2;
    const shape3 shape{size_t(planes), size_t(ho), size_t(wo)};
    const strides3 st{std::ptrdiff_t(h * w), std::ptrdiff_t(2 * w), 2};
    const size_t span = size_t(planes * ho * wo);  // the element count of each strided view
    auto v00 = xt::adapt(x, span, xt::no_ownership(), shape, st);
    auto v01 = xt::adapt(x + 1, span, xt::no_ownership(), shape, st);
    auto v10 = xt::adapt(x + w, span, xt::no_ownership(), shape, st);
    auto v11 = xt::adapt(x + w + 1, span, xt::no_ownership(), shape, st);
    auto out = xt::adapt(y, size_t(planes * ho * wo), xt::no_ownership(), shape);
    auto out_idx = xt::adapt(idx, size_t(planes * ho * wo), xt::no_ownership(), shape);
    // the first maximum wins, as in the loop: compare in window order
    auto top = xt::maximum(v00, v01);
    auto bottom = xt::maximum(v10, v11);
    out = xt::maximum(top, bottom);
    // base position of each window within its plane, then the offset of the winner
    auto oh = xt::arange<int64_t>(ho);
    auto ow = xt::arange<int64_t>(wo);
    auto base = xt::eval(xt::view(oh, xt::all(), xt::newaxis()) * (2 * w) +
                         xt::view(ow, xt::newaxis(), xt::all()) * 2);
    out_idx =
        base + xt::where(xt::equal(v00, out), int64_t(0),
                         xt::where(xt::equal(v01, out), int64_t(1),
                                   xt::where(xt::equal(v10, out), int64_t(w), int64_t(w + 1))));
}

void bench_maxpool(const char* name, int64_t planes, int64_t hw) {
    if (!wanted(std::string("maxpool_") + name)) return;
    const auto x = random_floats(size_t(planes * hw * hw), 2);
    const int64_t out = planes * (hw / 2) * (hw / 2);
    std::vector<float> ya(static_cast<size_t>(out)), yb(ya.size());
    std::vector<int64_t> ia(ya.size()), ib(ya.size());
    PoolWindows win;
    for (int64_t i = 0; i < hw / 2; ++i) {
        win.start.push_back(2 * i);
        win.end.push_back(2 * i + 2);
    }
    auto loop = [&] {
        tapegrad::kernels::max_pool2d(planes, hw, hw, win, win, x.data(), ya.data(), ia.data());
    };
    auto xt_version = [&] { maxpool_xtensor(planes, hw, hw, x.data(), yb.data(), ib.data()); };
    loop();
    xt_version();
    if (ya != yb || ia != ib) {
        std::fprintf(stderr, "max pool %s: the xtensor version differs\n", name);
        std::exit(1);
    }
    const int inner = std::max(1, int(4e6 / double(planes * hw * hw)));
    const auto [tl, tx] = time_pair(loop, xt_version, inner);
    const double t_loop = report(std::string("maxpool_") + name + "_loop", tl);
    const double t_xt = report(std::string("maxpool_") + name + "_xtensor", tx);
    std::printf("ratio maxpool_%s %.3f\n", name, t_xt / t_loop);
}

// ---- 3. direct lowerings against im2col ------------------------------------------------------

void bench_paths(const char* name, const ConvGeometry& g, ConvPath direct) {
    if (!wanted(std::string("conv_") + name)) return;
    const auto x = random_floats(size_t(g.n * g.c_in * g.h * g.w), 3);
    const auto w = random_floats(size_t(g.c_out * g.cin_g() * g.kh * g.kw), 4);
    const auto gy = random_floats(size_t(g.n * g.c_out * g.ho * g.wo), 5);
    std::vector<float> y(gy.size()), dx(x.size()), dw(w.size());
    auto run = [&](ConvPath path) {
        return [&, path] {
            tapegrad::kernels::conv2d_forward(path, g, x.data(), w.data(), nullptr, y.data());
            tapegrad::kernels::conv2d_input_grad(path, g, gy.data(), w.data(), nullptr, dx.data());
            tapegrad::kernels::conv2d_weight_grad(path, g, x.data(), gy.data(), dw.data());
        };
    };
    const auto [td, ti] = time_pair(run(direct), run(ConvPath::Im2col), 3);
    const double t_direct = report(std::string("conv_") + name + "_direct", td);
    const double t_im2col = report(std::string("conv_") + name + "_im2col", ti);
    std::printf("ratio conv_%s %.3f\n", name, t_im2col / t_direct);
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::string(argv[i]) == "--reps") g_reps = std::max(1, std::atoi(argv[i + 1]));
        if (std::string(argv[i]) == "--only") g_only = argv[i + 1];
    }
    tapegrad::kernels::set_blas_threads(1);
    std::printf(
        "# conv kernels: loop against xtensor, direct lowerings against im2col (1 thread)\n");
    bench_im2col("mnist_conv1_4", geometry(1, 28, 10, 5, 1, 0, 1), 4);
    bench_im2col("mnist_conv2_4", geometry(10, 12, 20, 5, 1, 0, 1), 4);
    bench_im2col("mnist_conv2", geometry(10, 12, 20, 5, 1, 0, 1), 64);
    bench_im2col("64x32x32_k3", geometry(64, 32, 64, 3, 1, 1, 1), 4);
    bench_im2col("64x32x32_k3_s2", geometry(64, 32, 64, 3, 2, 1, 1), 4);
    bench_maxpool("w6_pool1", 64 * 10, 24);
    bench_maxpool("w6_pool2", 64 * 20, 8);
    bench_paths("depthwise_64x32x32_k3", geometry(64, 32, 64, 3, 1, 1, 32, 64),
                ConvPath::Depthwise);
    bench_paths("pointwise_64x32x32", geometry(64, 32, 64, 1, 1, 0, 32), ConvPath::Pointwise);
    bench_paths("pointwise_256x7x7", geometry(256, 7, 256, 1, 1, 0, 32), ConvPath::Pointwise);
    return 0;
}
