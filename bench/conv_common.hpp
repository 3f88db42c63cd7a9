#pragma once
// Shared by bench_conv_tapegrad and bench_conv_torch: the definitions of W6 and W7, the
// Fashion-MNIST reader and the initial weights, with no tensor library, so both twins start
// from the same numbers. The rules of WORKLOADS.md (dtype, portable random stream, threads,
// timing, statistics, output protocol) apply.
//
// W6 fashion-cnn (the pytorch/examples MNIST network on Fashion-MNIST)
// * Data: the Fashion-MNIST IDX files, pixels float(byte) / 255.0f, as [60000, 1, 28, 28].
// * Model: conv1 1->10 k5, max_pool 2, relu; conv2 10->20 k5, Dropout2d(0.5), max_pool 2, relu;
//   view [N, 320]; fc1 320->50, relu, dropout(0.5); fc2 50->10; log_softmax; NLL loss.
// * Init: one rng std::mt19937_64(8) over conv1, conv2, fc1, fc2 in order; each layer's weight
//   ([out, in, k, k] or [out, in], row-major) then bias, each value float(bound * (2u - 1)) with
//   bound = 1 / sqrt(in * k * k) (in for the Linear layers): PyTorch's default init.
// * Optimizer: SGD lr 0.01, momentum 0.5. Batches of 64 in W1's order (rng(42), Fisher-Yates per
//   epoch, the last batch of 32 used): 938 steps an epoch. The dropout masks are each library's.
// * Timed per epoch as W1 (shuffle, gather, steps); the test accuracy after each epoch untimed.
// * Check: the loss of the first batch in eval mode (no dropout) before any update,
//   w6_first_batch_loss_eval, agrees across libraries to ~1e-5.
// * Figures: W6_epoch (s, mean over the epochs of a process), W6_peak_rss (MiB, the process's
//   maximum resident set from getrusage, as /usr/bin/time reports it).
//
// W7 conv-layer (forward + backward of one convolution)
// * x [32, 64, 32, 32] = float(u) from mt19937_64(9), requires grad; Conv2d 64->64 k3 padding 1
//   with bias, init as W6 from mt19937_64(10); upstream gradient float(u) - 0.5 from
//   mt19937_64(11).
// * Step: y = conv(x); y.backward(g) (input, weight and bias gradients); gradients released
//   outside the timed region. 3 warm-up steps, then 20 steps timed one by one: median (min, max).
// * FLOPs: forward 2 * 32 * 64 * 32 * 32 * 64 * 9 = 2.416 GFLOP, a step 3 times that (the input
//   and weight gradients are each a product of the forward's size): W7_gflops = 7.248e9 / step.
// * Reference: one sgemm of the forward's shape, [64, 576] x [576, 32768], W7_sgemm_gflops.

#include <sys/resource.h>
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/common.hpp"

namespace bench {

/// The decompressed payload of an IDX file (through zlib) and its dims.
inline std::vector<uint8_t> read_idx(const std::string& path, std::vector<int64_t>& dims) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    unsigned char head[4];
    if (gzread(f, head, 4) != 4) throw std::runtime_error("short read " + path);
    int64_t count = 1;
    dims.clear();
    for (int d = 0; d < head[3]; ++d) {
        unsigned char b[4];
        if (gzread(f, b, 4) != 4) throw std::runtime_error("short read " + path);
        dims.push_back((int64_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3]);
        count *= dims.back();
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(count));
    if (gzread(f, bytes.data(), unsigned(count)) != int(count))
        throw std::runtime_error("short read " + path);
    gzclose(f);
    return bytes;
}

/// Fashion-MNIST images as bytes, and labels.
struct Images {
    int64_t n = 0;
    std::vector<uint8_t> bytes;  // [n, 28 * 28]
    std::vector<int64_t> labels;
    /// Writes the pixels as float(byte) / 255.0f into `out` (n * 784 floats): each library
    /// converts straight into its own tensor, so no second float copy exists at any time.
    void to_float(float* out) const {
        for (size_t i = 0; i < bytes.size(); ++i) out[i] = float(bytes[i]) / 255.0f;
    }
};

inline Images read_fashion_mnist(const std::string& dir, bool train) {
    const std::string prefix = dir + (train ? "/train" : "/t10k");
    std::vector<int64_t> dims;
    Images im;
    im.bytes = read_idx(prefix + "-images-idx3-ubyte.gz", dims);
    im.n = dims[0];
    const auto lb = read_idx(prefix + "-labels-idx1-ubyte.gz", dims);
    im.labels.assign(lb.begin(), lb.end());
    return im;
}

/// One layer's initial weights: `fan_in` sets the bound, `shape` is the weight's.
struct ParamInit {
    std::vector<int64_t> shape;
    std::vector<float> weight, bias;
};

/// PyTorch's default init of conv and Linear layers from the portable stream, in order.
inline std::vector<ParamInit> init_layers(const std::vector<std::vector<int64_t>>& shapes,
                                          uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<ParamInit> out;
    for (const auto& s : shapes) {
        ParamInit p;
        p.shape = s;
        int64_t fan_in = 1, numel = 1;
        for (size_t d = 0; d < s.size(); ++d) {
            numel *= s[d];
            if (d > 0) fan_in *= s[d];
        }
        const double bound = 1.0 / std::sqrt(double(fan_in));
        p.weight.resize(size_t(numel));
        for (auto& w : p.weight) w = float(bound * (2.0 * uniform(rng) - 1.0));
        p.bias.resize(size_t(s[0]));
        for (auto& b : p.bias) b = float(bound * (2.0 * uniform(rng) - 1.0));
        out.push_back(std::move(p));
    }
    return out;
}

/// W6's layers: conv1, conv2, fc1, fc2.
inline std::vector<ParamInit> w6_init() {
    return init_layers({{10, 1, 5, 5}, {20, 10, 5, 5}, {50, 320}, {10, 50}}, 8);
}

/// The process's peak resident set in MiB (what /usr/bin/time -v reports).
inline double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;
}

constexpr double kW7StepFlop = 3.0 * 2.0 * 32 * 64 * 32 * 32 * 64 * 9;

}  // namespace bench
