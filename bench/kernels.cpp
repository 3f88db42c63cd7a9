// Kernel choices, measured: each element-wise, broadcast, strided-copy and reduction kernel as a
// hand loop and as xtensor (xt::adapt over the same buffers, XSIMD on, the project's
// compile definitions), on one thread. tapegrad keeps a hand loop only where this program
// shows it faster; the figures stand beside the kernels (autograd/kernels/strided.hpp,
// autograd/kernels/math.cpp).
//
// Usage: bench_kernels [--n ELEMENTS] [--reps R]. Prints `kernel <name> hand <us> xtensor <us>
// ratio <xt/hand>` lines, medians of R timings.

#include "autograd/kernels/xt.hpp"  // the project's xtensor settings

#include <xtensor/xreducer.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/kernels/activation.hpp"
#include "autograd/kernels/math.hpp"
#include "bench/common.hpp"

namespace {

using bench::median_us;

volatile float sink;

void report(const char* name, double hand, double xt) {
    std::printf("kernel %-22s hand %9.2f us   xtensor %9.2f us   ratio %6.2f\n", name, hand, xt,
                xt / hand);
}

}  // namespace

int main(int argc, char** argv) {
    size_t rows = 64, cols = 1024;
    int reps = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--n")
            cols = std::max<size_t>(1, std::strtoull(argv[i + 1], nullptr, 10) / rows);
        else if (a == "--reps")
            reps = std::atoi(argv[i + 1]);
    }
    const size_t n = rows * cols;
    std::printf("# %zu x %zu float32, median of %d runs, one thread\n", rows, cols, reps);
    std::vector<float> a(n), b(n), o(n), row(cols), col(cols);
    for (size_t i = 0; i < n; ++i) {
        a[i] = std::sin(0.1f * static_cast<float>(i));
        b[i] = 1.5f + std::cos(0.3f * static_cast<float>(i));
    }
    for (size_t i = 0; i < cols; ++i) row[i] = 0.5f + 1e-3f * static_cast<float>(i);
    using A1 = std::array<size_t, 1>;
    using A2 = std::array<size_t, 2>;
    auto xa = xt::adapt(a.data(), n, xt::no_ownership(), A1{n});
    auto xb = xt::adapt(b.data(), n, xt::no_ownership(), A1{n});
    auto xo = xt::adapt(o.data(), n, xt::no_ownership(), A1{n});
    auto xa2 = xt::adapt(a.data(), n, xt::no_ownership(), A2{rows, cols});
    auto xo2 = xt::adapt(o.data(), n, xt::no_ownership(), A2{rows, cols});
    auto xrow = xt::adapt(row.data(), cols, xt::no_ownership(), A1{cols});
    auto xot = xt::adapt(o.data(), n, xt::no_ownership(), A2{cols, rows});
    auto xcol = xt::adapt(col.data(), cols, xt::no_ownership(), A1{cols});

    report("add (contiguous)",
           median_us(
               [&] {
                   for (size_t i = 0; i < n; ++i) o[i] = a[i] + b[i];
               },
               reps),
           median_us([&] { xt::noalias(xo) = xa + xb; }, reps));
    report("add (row broadcast)",
           median_us(
               [&] {
                   for (size_t r = 0; r < rows; ++r)
                       for (size_t c = 0; c < cols; ++c) o[r * cols + c] = a[r * cols + c] + row[c];
               },
               reps),
           median_us([&] { xt::noalias(xo2) = xa2 + xrow; }, reps));
    report("copy (transposed)",
           median_us(
               [&] {
                   for (size_t c = 0; c < cols; ++c)
                       for (size_t r = 0; r < rows; ++r) o[c * rows + r] = a[r * cols + c];
               },
               reps),
           median_us([&] { xt::noalias(xot) = xt::transpose(xa2); }, reps));
    report("exp",
           median_us(
               [&] {
                   for (size_t i = 0; i < n; ++i) o[i] = std::exp(a[i]);
               },
               reps),
           median_us([&] { xt::noalias(xo) = xt::exp(xa); }, reps));
    report("log",
           median_us(
               [&] {
                   for (size_t i = 0; i < n; ++i) o[i] = std::log(b[i]);
               },
               reps),
           median_us([&] { xt::noalias(xo) = xt::log(xb); }, reps));
    report("tanh (tapegrad's kernel)",
           median_us([&] { tapegrad::kernels::tanh(a.data(), o.data(), static_cast<int64_t>(n)); },
                     reps),
           median_us([&] { xt::noalias(xo) = xt::tanh(xa); }, reps));
    report("tanh (std::tanh)",
           median_us(
               [&] {
                   for (size_t i = 0; i < n; ++i) o[i] = std::tanh(a[i]);
               },
               reps),
           median_us([&] { xt::noalias(xo) = xt::tanh(xa); }, reps));
    report("sigmoid",
           median_us(
               [&] {
                   for (size_t i = 0; i < n; ++i) {
                       const float x = a[i];
                       o[i] = x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
                   }
               },
               reps),
           median_us([&] { xt::noalias(xo) = 1.0f / (1.0f + xt::exp(-xa)); }, reps));
    {  // the kernel against the expression it replaced, which evaluated exp twice
        auto e = xt::exp(-xt::abs(xa));
        report(
            "sigmoid (tapegrad's kernel)",
            median_us(
                [&] { tapegrad::kernels::sigmoid(a.data(), o.data(), static_cast<int64_t>(n)); },
                reps),
            median_us(
                [&] { xt::noalias(xo) = xt::where(xa >= 0.0f, 1.0f / (1.0f + e), e / (1.0f + e)); },
                reps));
    }
    report("sqrt",
           median_us(
               [&] {
                   for (size_t i = 0; i < n; ++i) o[i] = std::sqrt(b[i]);
               },
               reps),
           median_us([&] { xt::noalias(xo) = xt::sqrt(xb); }, reps));
    report("sum (all)",
           median_us(
               [&] {
                   double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                   for (size_t i = 0; i + 4 <= n; i += 4) {
                       s0 += a[i];
                       s1 += a[i + 1];
                       s2 += a[i + 2];
                       s3 += a[i + 3];
                   }
                   sink = static_cast<float>((s0 + s1) + (s2 + s3));
               },
               reps),
           median_us([&] { sink = xt::sum(xa)(); }, reps));
    report("sum (axis 0)",
           median_us(
               [&] {
                   std::fill(col.begin(), col.end(), 0.0f);
                   for (size_t r = 0; r < rows; ++r)
                       for (size_t c = 0; c < cols; ++c) col[c] += a[r * cols + c];
               },
               reps),
           median_us([&] { xt::noalias(xcol) = xt::sum(xa2, {0}); }, reps));
    std::printf("# %g\n", static_cast<double>(o[n / 2] + col[0] + sink));
}
