// tapegrad's side of W8 (an LSTM training step, defined in rnn_common.hpp); bench_rnn_torch.cpp
// is its twin, line for line.
//
// Usage: bench_rnn_tapegrad W8 [--threads T]
// Prints `fig <name> <unit> <median> <min> <max>` and `check <name> <value>` lines.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <tapegrad.hpp>
#include <vector>

#include "bench/rnn_common.hpp"

namespace tg = tapegrad;
using bench::Clock;

int main(int argc, char** argv) {
    const bench::Args args = bench::parse_args(argc, argv);
    if (args.workload != "W8") {
        std::fprintf(stderr, "bench_rnn_tapegrad: only W8\n");
        return 2;
    }
    tg::set_num_threads(args.threads);  // tapegrad's pool and OpenBLAS's
    tg::nn::LSTM lstm(tg::nn::LSTMOptions(bench::kW8Input, bench::kW8Hidden).batch_first(true));
    tg::nn::Linear fc(bench::kW8Hidden, bench::kW8Classes);
    std::vector<tg::Tensor> params = lstm->parameters();
    params.push_back(fc->weight);
    params.push_back(fc->bias);
    const auto init = bench::w8_init();
    {
        tg::NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i)
            std::copy(init[i].begin(), init[i].end(), params[i].data_ptr<float>());
    }
    const auto xv = bench::uniform_matrix(bench::kW8Batch, bench::kW8Steps * bench::kW8Input, 12);
    const auto yv = bench::cyclic_labels(bench::kW8Batch);
    const auto x = tg::from_blob(xv.data(), {bench::kW8Batch, bench::kW8Steps, bench::kW8Input});
    const auto y = tg::from_blob(yv.data(), {bench::kW8Batch}, tg::kInt64);
    tg::optim::Adam opt(params, tg::optim::AdamOptions(1e-3));
    std::vector<double> ms;
    for (int s = 0; s < 33; ++s) {
        const auto t0 = Clock::now();
        opt.zero_grad();
        auto [out, state] = lstm(x);
        auto loss = tg::nn::functional::cross_entropy(fc(std::get<0>(state).select(0, 0)), y);
        loss.backward();
        opt.step();
        const double t = bench::seconds_between(t0, Clock::now()) * 1e3;
        if (s == 0) bench::print_check("w8_first_loss", loss.item<double>());
        if (s >= 3) ms.push_back(t);
    }
    const auto [lo, hi] = std::minmax_element(ms.begin(), ms.end());
    bench::print_fig("W8_step", "ms", bench::median(ms), *lo, *hi);
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const double rss = double(u.ru_maxrss) / 1024.0;
    bench::print_fig("W8_peak_rss", "MiB", rss, rss, rss);
}
