#pragma once
// Shared by bench_rnn_tapegrad and bench_rnn_torch: the definition of W8 and its initial weights,
// with no tensor library, so both twins start from the same numbers. The rules of WORKLOADS.md
// (dtype, portable random stream, threads, timing, statistics, output protocol) apply.
//
// W8 lstm-step (issue 18: rows of a Fashion-MNIST image as a sequence)
// * x [64, 28, 28] (batch_first: 64 sequences of 28 steps of 28 features) = float(u) from
//   mt19937_64(12); labels b mod 10.
// * Model: LSTM(28, 128, batch_first), its h_n [1, 64, 128] -> select(0, 0) -> Linear(128, 10);
//   cross-entropy.
// * Init: one rng std::mt19937_64(13) over weight_ih_l0 [512, 28], weight_hh_l0 [512, 128],
//   bias_ih_l0 [512], bias_hh_l0 [512] (each value float(b * (2u - 1)), b = 1 / sqrt(128): the
//   LSTM's default init), then the Linear's weight [10, 128] and bias [10] with b = 1 / sqrt(128).
// * Step: zero_grad, forward, loss, backward, Adam(lr 1e-3) step. 3 warm-up steps, then 30 steps
//   timed one by one: W8_step (ms, median, min, max). W8_peak_rss (MiB) after them.
// * Check: the loss of the first step, before any update, w8_first_loss, agrees to ~1e-5.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "bench/common.hpp"

namespace bench {

constexpr int64_t kW8Batch = 64, kW8Steps = 28, kW8Input = 28, kW8Hidden = 128, kW8Classes = 10;

/// The W8 parameters in the order above, each row-major.
inline std::vector<std::vector<float>> w8_init() {
    std::mt19937_64 rng(13);
    const double bound = 1.0 / std::sqrt(double(kW8Hidden));
    const int64_t G = 4 * kW8Hidden;
    std::vector<std::vector<float>> params;
    for (int64_t n : {G * kW8Input, G * kW8Hidden, G, G, kW8Classes * kW8Hidden, kW8Classes}) {
        std::vector<float> p(static_cast<size_t>(n));
        for (auto& v : p) v = float(bound * (2.0 * uniform(rng) - 1.0));
        params.push_back(std::move(p));
    }
    return params;
}

}  // namespace bench
