// tapegrad's side of the convolution comparison: W6 (the pytorch/examples MNIST network on
// Fashion-MNIST) and W7 (one 64->64 3x3 convolution, forward and backward), defined in
// conv_common.hpp. bench_conv_torch.cpp is its twin, line for line.
//
// Usage: bench_conv_tapegrad <W6|W7> [--threads T] [--epochs E] [--runs R]
// Prints `fig <name> <unit> <median> <min> <max>` and `check <name> <value>` lines.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <tapegrad.hpp>
#include <vector>

#include "autograd/kernels/blas.hpp"  // gemm for the reference rate
#include "bench/conv_common.hpp"
#include "bench/w6_net.hpp"

namespace tg = tapegrad;
using bench::Clock;
using bench::seconds_between;

namespace {

tg::Tensor float_tensor(const std::vector<float>& v, std::vector<int64_t> sizes) {
    return tg::from_blob(v.data(), std::move(sizes), tg::kFloat32);
}
tg::Tensor long_tensor(const std::vector<int64_t>& v) {
    return tg::from_blob(v.data(), {int64_t(v.size())}, tg::kInt64);
}

using bench::NetImpl;

double accuracy(NetImpl& net, const tg::Tensor& x, const tg::Tensor& y) {
    tg::NoGradGuard no_grad;
    net.eval();
    int64_t correct = 0;
    for (int64_t start = 0; start < x.size(0); start += 1000) {
        const int64_t len = std::min<int64_t>(1000, x.size(0) - start);
        const auto pred = net.forward(x.narrow(0, start, len)).argmax(1);
        const auto truth = y.narrow(0, start, len);
        const int64_t* p = pred.data_ptr<int64_t>();
        const int64_t* t = truth.data_ptr<int64_t>();
        for (int64_t i = 0; i < len; ++i) correct += p[i] == t[i];
    }
    net.train();
    return double(correct) / double(x.size(0));
}

void w6(const bench::Args& args) {
    tg::Tensor train_x, train_y, test_x, test_y;
    {  // the file contents go before training starts
        const auto train = bench::read_fashion_mnist("/usr/share/datasets/fashion-mnist", true);
        const auto test = bench::read_fashion_mnist("/usr/share/datasets/fashion-mnist", false);
        train_x = tg::empty({train.n, 1, 28, 28});
        train.to_float(train_x.data_ptr<float>());
        train_y = long_tensor(train.labels);
        test_x = tg::empty({test.n, 1, 28, 28});
        test.to_float(test_x.data_ptr<float>());
        test_y = long_tensor(test.labels);
    }
    const int64_t n = train_x.size(0);

    auto net = std::make_shared<NetImpl>();
    tg::optim::SGD opt(net->parameters(), tg::optim::SGDOptions(0.01).momentum(0.5));
    std::mt19937_64 rng(42);
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::vector<double> epoch_seconds;
    double acc = 0;
    for (int epoch = 1; epoch <= args.epochs; ++epoch) {
        const auto t0 = Clock::now();
        bench::shuffle(perm, rng);
        for (int64_t start = 0; start < n; start += 64) {
            const int64_t len = std::min<int64_t>(64, n - start);
            const auto index = tg::from_blob(perm.data() + start, {len}, tg::kInt64);
            const auto x = train_x.index_select(0, index);
            const auto y = train_y.index_select(0, index);
            if (epoch == 1 && start == 0) {  // the check, without dropout and outside the clock
                tg::NoGradGuard no_grad;
                net->eval();
                bench::print_check("w6_first_batch_loss_eval",
                                   tg::nll_loss(net->forward(x), y).item<double>());
                net->train();
            }
            opt.zero_grad();
            auto loss = tg::nll_loss(net->forward(x), y);
            loss.backward();
            opt.step();
        }
        epoch_seconds.push_back(seconds_between(t0, Clock::now()));
        acc = accuracy(*net, test_x, test_y);
        std::printf("# epoch %d  %.3f s  test accuracy %.4f\n", epoch, epoch_seconds.back(), acc);
    }
    double mean = 0;
    for (double s : epoch_seconds) mean += s;
    mean /= double(epoch_seconds.size());
    const auto [lo, hi] = std::minmax_element(epoch_seconds.begin(), epoch_seconds.end());
    bench::print_fig("W6_epoch", "s", mean, *lo, *hi);
    const double rss = bench::peak_rss_mib();
    bench::print_fig("W6_peak_rss", "MiB", rss, rss, rss);
    bench::print_check("w6_test_accuracy_epoch" + std::to_string(args.epochs), acc);
}

// ---- W7: one 64->64 3x3 convolution on [32, 64, 32, 32], forward and backward ----------------
void w7(const bench::Args&) {
    auto fig = [](const char* name, const char* unit, const std::vector<double>& v) {
        const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        bench::print_fig(name, unit, bench::median(v), *lo, *hi);
    };
    tg::nn::Conv2d conv(tg::nn::Conv2dOptions(64, 64, 3).padding(1));
    const auto init = bench::init_layers({{64, 64, 3, 3}}, 10);
    bench::set_params(conv->weight, conv->bias, init[0]);
    auto x = float_tensor(bench::uniform_matrix(32, 64 * 32 * 32, 9), {32, 64, 32, 32});
    x.requires_grad_();
    auto gv = bench::uniform_matrix(32, 64 * 32 * 32, 11);
    for (auto& v : gv) v -= 0.5f;
    const auto g = float_tensor(gv, {32, 64, 32, 32});
    std::vector<double> step_ms, rate;
    for (int s = 1; s <= 23; ++s) {
        const auto t0 = Clock::now();
        auto y = conv(x);
        y.backward(g);
        const double t = seconds_between(t0, Clock::now());
        if (s == 1)
            bench::print_check("w7_grad_weight_sum", conv->weight.grad().sum().item<double>());
        x.mutable_grad() = tg::Tensor();
        conv->zero_grad();
        if (s <= 3) continue;
        step_ms.push_back(t * 1e3);
        rate.push_back(bench::kW7StepFlop / t * 1e-9);
    }
    fig("W7_step", "ms", step_ms);
    fig("W7_gflops", "GFLOP/s", rate);

    // The reference: one sgemm of the forward's product shape through OpenBLAS.
    const auto a = tg::rand({64, 576}), b = tg::rand({576, 32768});
    std::vector<float> c(size_t(64) * 32768);
    std::vector<double> blas_rate;
    for (int r = 0; r < 12; ++r) {
        const auto t0 = Clock::now();
        tg::kernels::gemm(false, false, 64, 32768, 576, 1.f, a.data_ptr<float>(),
                          b.data_ptr<float>(), 0.f, c.data());
        const double t = seconds_between(t0, Clock::now());
        if (r >= 2) blas_rate.push_back(2.0 * 64 * 576 * 32768 / t * 1e-9);
    }
    fig("W7_sgemm_gflops", "GFLOP/s", blas_rate);
}

}  // namespace

int main(int argc, char** argv) {
    const bench::Args args = bench::parse_args(argc, argv);
    tg::set_num_threads(args.threads);  // tapegrad's pool and OpenBLAS's
    std::printf("# tapegrad %s threads=%d\n", args.workload.c_str(), args.threads);
    if (args.workload == "W6")
        w6(args);
    else if (args.workload == "W7")
        w7(args);
    else {
        std::fprintf(stderr, "unknown workload %s (W6 or W7)\n", args.workload.c_str());
        return 2;
    }
}
