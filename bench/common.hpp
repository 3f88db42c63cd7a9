#pragma once
// Shared by bench_tapegrad and bench_torch: the portable random stream of WORKLOADS.md, the
// workload data, the statistics and the argument parsing. No tensor library appears here, so
// both twins start from the very same numbers.
//
// Output protocol (read by run_comparison.sh): one line per figure,
//   fig <name> <unit> <median> <min> <max>
// and one line per correctness check, `check <name> <value>`. Lines starting with '#' are
// comments for people.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

/// u in [0, 1): the top 53 bits of one mt19937_64 draw.
inline double uniform(std::mt19937_64& rng) {
    return double(rng() >> 11) * 0x1.0p-53;
}

/// The weights of one Linear layer as WORKLOADS.md draws them: weight [out, in], bias [out].
struct LayerInit {
    int64_t in = 0, out = 0;
    std::vector<float> weight, bias;
};

/// PyTorch's default Linear init from the portable stream: one rng for all layers, in order.
inline std::vector<LayerInit> init_mlp(const std::vector<int64_t>& sizes, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<LayerInit> layers;
    for (size_t l = 0; l + 1 < sizes.size(); ++l) {
        LayerInit li;
        li.in = sizes[l];
        li.out = sizes[l + 1];
        const double bound = 1.0 / std::sqrt(double(li.in));
        li.weight.resize(size_t(li.out * li.in));
        for (auto& w : li.weight) w = float(bound * (2.0 * uniform(rng) - 1.0));
        li.bias.resize(size_t(li.out));
        for (auto& b : li.bias) b = float(bound * (2.0 * uniform(rng) - 1.0));
        layers.push_back(std::move(li));
    }
    return layers;
}

/// float(u) for a [rows, cols] row-major matrix drawn from mt19937_64(seed).
inline std::vector<float> uniform_matrix(int64_t rows, int64_t cols, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<float> x(size_t(rows * cols));
    for (auto& v : x) v = float(uniform(rng));
    return x;
}

/// float(2u - 1), in [-1, 1), for a [rows, cols] row-major matrix drawn from mt19937_64(seed).
inline std::vector<float> signed_matrix(int64_t rows, int64_t cols, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<float> x(size_t(rows * cols));
    for (auto& v : x) v = float(2.0 * uniform(rng) - 1.0);
    return x;
}

/// Labels b mod 10 for b = 0..n-1.
inline std::vector<int64_t> cyclic_labels(int64_t n) {
    std::vector<int64_t> y(static_cast<size_t>(n));
    for (int64_t b = 0; b < n; ++b) y[size_t(b)] = b % 10;
    return y;
}

/// Two moons with noise (W5): x [100, 2] and y [100] of +1 / -1.
inline void two_moons(std::vector<float>& x, std::vector<float>& y) {
    const double pi = 3.14159265358979323846;
    std::vector<double> xd(200);
    y.assign(100, 0.f);
    for (int i = 0; i < 50; ++i) {
        const double t = pi * i / 49;
        xd[2 * i] = std::cos(t);
        xd[2 * i + 1] = std::sin(t);
        y[i] = 1.f;
        xd[2 * (50 + i)] = 1 - std::cos(t);
        xd[2 * (50 + i) + 1] = 0.5 - std::sin(t);
        y[50 + i] = -1.f;
    }
    std::mt19937_64 rng(7);
    for (int i = 0; i < 100; ++i) {
        xd[2 * i] += 0.1 * (2 * uniform(rng) - 1);
        xd[2 * i + 1] += 0.1 * (2 * uniform(rng) - 1);
    }
    x.resize(200);
    for (int i = 0; i < 200; ++i) x[i] = float(xd[i]);
}

/// The per-epoch shuffle of W1: identity, then Fisher-Yates from the top with rng() % (i+1).
inline void shuffle(std::vector<int64_t>& perm, std::mt19937_64& rng) {
    const int64_t n = int64_t(perm.size());
    for (int64_t i = 0; i < n; ++i) perm[size_t(i)] = i;
    for (int64_t i = n - 1; i >= 1; --i) {
        const int64_t j = int64_t(rng() % uint64_t(i + 1));
        std::swap(perm[size_t(i)], perm[size_t(j)]);
    }
}

inline double median(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Median wall time of `reps` calls of f, in microseconds, after one warm-up call.
template <class F>
double median_us(F&& f, int reps) {
    f();
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        const auto a = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a)
                        .count());
    }
    return median(std::move(t));
}

inline void print_fig(const std::string& name, const char* unit, double med, double lo, double hi) {
    std::printf("fig %s %s %.6g %.6g %.6g\n", name.c_str(), unit, med, lo, hi);
    std::fflush(stdout);
}

/// Median of the medians of several blocks, with the smallest and largest block median.
inline void print_blocks(const std::string& name, const char* unit,
                         const std::vector<double>& block_medians) {
    const auto [lo, hi] = std::minmax_element(block_medians.begin(), block_medians.end());
    print_fig(name, unit, median(block_medians), *lo, *hi);
}

inline void print_check(const std::string& name, double value) {
    std::printf("check %s %.8g\n", name.c_str(), value);
    std::fflush(stdout);
}

/// W9 (views): x [1024, 512], w [1024, 256], z [512, 2048], each signed_matrix(seed 9, 10, 11).
/// W9_tmm: loss = x.t().matmul(w).sum(), backward; the product reads x through a transposed
/// view. W9_strided: a = z.slice(1, 0, 2048, 2), b = x.t() (both [512, 1024], strides
/// [2048, 2] and [1, 512]), loss = tanh(relu(a + b) * b).sum(), backward. A step zeroes the
/// leaves' existing grads first (as zero_grad does), and builds the views anew.
struct W9Sizes {
    static constexpr int64_t kRows = 1024, kCols = 512, kOut = 256, kWide = 2048;
};

/// Command line: `<W1|W2|W3|W4|W5|W9> [--threads T] [--batch B] [--epochs E] [--runs R]`.
struct Args {
    std::string workload;
    int threads = 1;
    int64_t batch = 0;  // W2: 0 means every size
    int epochs = 3;     // W1
    int runs = 5;       // W5 runs, W3 blocks, W2 blocks
    int w4_steps = 10;  // W4 timed steps
};

inline Args parse_args(int argc, char** argv) {
    Args a;
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: %s <W1|W2|W3|W4|W5|W9> [--threads T] [--batch B] [--epochs E] "
                     "[--runs R] [--w4-steps S]\n",
                     argv[0]);
        std::exit(2);
    }
    a.workload = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const long v = std::atol(argv[i + 1]);
        if (k == "--threads")
            a.threads = int(v);
        else if (k == "--batch")
            a.batch = v;
        else if (k == "--epochs")
            a.epochs = int(v);
        else if (k == "--runs")
            a.runs = int(v);
        else if (k == "--w4-steps")
            a.w4_steps = int(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            std::exit(2);
        }
    }
    return a;
}

/// W2: steps per block, K = ceil(0.3 s / mean warm-up step), clamped to [50, 5000].
inline int64_t w2_block_steps(double warmup_mean_seconds) {
    const double k = std::ceil(0.3 / warmup_mean_seconds);
    return int64_t(std::min(5000.0, std::max(50.0, k)));
}

}  // namespace bench
