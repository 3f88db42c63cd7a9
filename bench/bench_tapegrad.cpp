// tapegrad's side of the LibTorch comparison: the five workloads of WORKLOADS.md, written the
// way a user writes them (nn::Linear, optim::SGD/Adam, cross_entropy, index_select batches).
// bench_torch.cpp is its twin, line for line; common.hpp holds what both share.
//
// Usage: bench_tapegrad <W1|W2|W3|W4|W4_autocast|W5|W9> [--threads T] [--batch B] [--epochs E]
// [--runs R] Prints `fig <name> <unit> <median> <min> <max>` and `check <name> <value>` lines.
#include <tapegrad.hpp>

#include "autograd/kernels/bf16.hpp"  // bf16_gemm_implementation: which oneDNN kernel ran
#include "autograd/kernels/blas.hpp"  // blas_threads: what set_num_threads gave OpenBLAS
#include "bench/common.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace tg = tapegrad;
using bench::Clock;
using bench::seconds_between;

namespace {

enum class Act { ReLU, Tanh };

// An MLP of Linear layers with an activation between them, weights from the portable stream.
struct MLPImpl : tg::nn::Module {
    MLPImpl(const std::vector<int64_t>& sizes, uint64_t seed, Act act) : act_(act) {
        const auto init = bench::init_mlp(sizes, seed);
        for (size_t l = 0; l < init.size(); ++l) {
            auto fc =
                register_module("fc" + std::to_string(l), tg::nn::Linear(init[l].in, init[l].out));
            tg::NoGradGuard no_grad;
            std::copy(init[l].weight.begin(), init[l].weight.end(), fc->weight.data_ptr<float>());
            std::copy(init[l].bias.begin(), init[l].bias.end(), fc->bias.data_ptr<float>());
            layers_.emplace_back(fc);
        }
    }
    tg::Tensor forward(tg::Tensor x) {
        for (size_t l = 0; l < layers_.size(); ++l) {
            x = layers_[l](x);
            if (l + 1 < layers_.size()) x = act_ == Act::ReLU ? tg::relu(x) : tg::tanh(x);
        }
        return x;
    }

private:
    std::vector<tg::nn::Linear> layers_;
    Act act_;
};

tg::Tensor float_tensor(const std::vector<float>& v, std::vector<int64_t> sizes) {
    return tg::from_blob(v.data(), std::move(sizes), tg::kFloat32);
}
tg::Tensor long_tensor(const std::vector<int64_t>& v) {
    return tg::from_blob(v.data(), {int64_t(v.size())}, tg::kInt64);
}

// ---- W1: Fashion-MNIST, MLP 784-128-10, Adam, batch 64 ---------------------------------------
void w1(const bench::Args& args) {
    const auto ds = tg::data::load_fashion_mnist("/usr/share/datasets/fashion-mnist");
    const tg::Tensor train_x = ds.train.data(), train_y = ds.train.targets();
    const tg::Tensor test_x = ds.test.data(), test_y = ds.test.targets();
    const int64_t n = train_x.size(0);

    auto net = std::make_shared<MLPImpl>(std::vector<int64_t>{784, 128, 10}, 1, Act::ReLU);
    tg::optim::Adam opt(net->parameters(), tg::optim::AdamOptions(1e-3));
    std::mt19937_64 rng(42);
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::vector<double> epoch_seconds;
    double accuracy = 0;
    for (int epoch = 1; epoch <= args.epochs; ++epoch) {
        const auto t0 = Clock::now();
        bench::shuffle(perm, rng);
        for (int64_t start = 0; start < n; start += 64) {
            const int64_t len = std::min<int64_t>(64, n - start);
            const auto index = tg::from_blob(perm.data() + start, {len}, tg::kInt64);
            const auto x = train_x.index_select(0, index);
            const auto y = train_y.index_select(0, index);
            opt.zero_grad();
            auto loss = tg::cross_entropy(net->forward(x), y);
            if (epoch == 1 && start == 0)
                bench::print_check("w1_run0_first_batch_loss", loss.item<double>());
            loss.backward();
            opt.step();
        }
        epoch_seconds.push_back(seconds_between(t0, Clock::now()));
        {
            tg::NoGradGuard no_grad;
            const auto pred = net->forward(test_x).argmax(1);
            const int64_t* p = pred.data_ptr<int64_t>();
            const int64_t* t = test_y.data_ptr<int64_t>();
            int64_t correct = 0;
            for (int64_t i = 0; i < test_y.numel(); ++i) correct += p[i] == t[i];
            accuracy = double(correct) / double(test_y.numel());
        }
        std::printf("# epoch %d  %.3f s  test accuracy %.4f\n", epoch, epoch_seconds.back(),
                    accuracy);
    }
    double mean = 0;
    for (double s : epoch_seconds) mean += s;
    mean /= double(epoch_seconds.size());
    const auto [lo, hi] = std::minmax_element(epoch_seconds.begin(), epoch_seconds.end());
    bench::print_fig("W1_epoch", "s", mean, *lo, *hi);
    bench::print_check("w1_test_accuracy_epoch" + std::to_string(args.epochs), accuracy);
}

// ---- W2: step latency of MLP 784-256-10, SGD with momentum, one fixed batch -----------------
void w2_one(int64_t batch, const bench::Args& args) {
    auto net = std::make_shared<MLPImpl>(std::vector<int64_t>{784, 256, 10}, 2, Act::ReLU);
    tg::optim::SGD opt(net->parameters(), tg::optim::SGDOptions(0.01).momentum(0.9));
    const auto x = float_tensor(bench::uniform_matrix(batch, 784, 3), {batch, 784});
    const auto y = long_tensor(bench::cyclic_labels(batch));

    auto step = [&](bool print_loss) {
        const auto t0 = Clock::now();
        opt.zero_grad();
        auto loss = tg::cross_entropy(net->forward(x), y);
        loss.backward();
        opt.step();
        const double s = seconds_between(t0, Clock::now());
        if (print_loss)
            bench::print_check("w2_b" + std::to_string(batch) + "_loss_step1", loss.item<double>());
        return s;
    };
    double warm = 0;
    for (int i = 0; i < 50; ++i) warm += step(i == 0);
    const int64_t k = bench::w2_block_steps(warm / 50);
    std::vector<double> block_medians;
    std::vector<double> times(static_cast<size_t>(k));
    for (int b = 0; b < args.runs; ++b) {
        for (auto& t : times) t = step(false) * 1e6;
        block_medians.push_back(bench::median(times));
    }
    bench::print_blocks("W2_b" + std::to_string(batch), "us", block_medians);
}

void w2(const bench::Args& args) {
    if (args.batch > 0) return w2_one(args.batch, args);
    for (int64_t b : {1, 16, 64, 256, 1024}) w2_one(b, args);
}

// ---- W3: per-node cost of a 1000-op chain ---------------------------------------------------
tg::Tensor chain(tg::Tensor x) {
    for (int k = 0; k < 1000; ++k) {
        if (k % 3 == 0)
            x = x * 1.0001;
        else if (k % 3 == 1)
            x = x + 0.0001;
        else
            x = tg::tanh(x);
    }
    return x;
}

void w3_one(int64_t n, const bench::Args& args) {
    auto x0 = tg::full({n}, 0.5).requires_grad_();
    std::vector<double> fwd_b, fwdbwd_b, all_b, nograd_b;
    std::vector<double> fwd(100), fwdbwd(100), all(100), nograd(100);
    for (int it = 0; it < 20 + 100 * args.runs; ++it) {
        const auto t0 = Clock::now();
        Clock::time_point t1, t2;
        {
            auto x = chain(x0);
            t1 = Clock::now();
            x.sum().backward();
            t2 = Clock::now();
        }
        const auto t3 = Clock::now();
        x0.mutable_grad() = tg::Tensor();
        if (it < 20) continue;
        const size_t i = size_t((it - 20) % 100);
        fwd[i] = seconds_between(t0, t1) * 1e6;  // us per 1000 ops = ns per op
        fwdbwd[i] = seconds_between(t0, t2) * 1e6;
        all[i] = seconds_between(t0, t3) * 1e6;
        if (i == 99) {
            fwd_b.push_back(bench::median(fwd));
            fwdbwd_b.push_back(bench::median(fwdbwd));
            all_b.push_back(bench::median(all));
        }
    }
    {
        tg::NoGradGuard no_grad;
        const auto xc = tg::full({n}, 0.5);
        for (int it = 0; it < 20 + 100 * args.runs; ++it) {
            const auto t0 = Clock::now();
            { auto x = chain(xc); }
            const double ns = seconds_between(t0, Clock::now()) * 1e6;
            if (it < 20) continue;
            const size_t i = size_t((it - 20) % 100);
            nograd[i] = ns;
            if (i == 99) nograd_b.push_back(bench::median(nograd));
        }
    }
    const std::string s = "_n" + std::to_string(n);
    bench::print_blocks("W3_fwd" + s, "ns/op", fwd_b);
    bench::print_blocks("W3_fwdbwd" + s, "ns/op", fwdbwd_b);
    bench::print_blocks("W3_fwdbwd_free" + s, "ns/op", all_b);
    bench::print_blocks("W3_fwd_nograd" + s, "ns/op", nograd_b);
    chain(x0).sum().backward();
    bench::print_check("w3_n" + std::to_string(n) + "_dx0", x0.grad().data_ptr<float>()[0]);
}

void w3(const bench::Args& args) {
    for (int64_t n : {1, 64}) w3_one(n, args);
}

// ---- W4: gemm-bound MLP 1024-4096-4096-10, batch 512 -----------------------------------------
// W4_autocast: the same steps with forward and backward in an autocast scope (bfloat16
// products, float32 weights and optimizer), against LibTorch's float32 W4.
void w4(const bench::Args& args, bool autocast) {
    const std::string w = autocast ? "W4_autocast" : "W4";
    auto fig = [&w](const char* name, const char* unit, const std::vector<double>& v) {
        const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        bench::print_fig(w + name, unit, bench::median(v), *lo, *hi);
    };
    if (autocast) std::printf("# autocast available=%d\n", int(tg::autocast::is_available()));
    std::vector<double> step_ms, fwd_ms, bwd_ms, opt_ms;
    {  // the model lives in this scope only: the peak RSS is the training's, not the reference's
        auto net =
            std::make_shared<MLPImpl>(std::vector<int64_t>{1024, 4096, 4096, 10}, 4, Act::ReLU);
        tg::optim::SGD opt(net->parameters(), tg::optim::SGDOptions(0.01).momentum(0.9));
        const auto x = float_tensor(bench::uniform_matrix(512, 1024, 5), {512, 1024});
        const auto y = long_tensor(bench::cyclic_labels(512));

        const int total = 2 + args.w4_steps;
        for (int s = 1; s <= total; ++s) {
            const auto t0 = Clock::now();
            opt.zero_grad();
            std::optional<tg::autocast::AutocastGuard> scope;
            if (autocast) scope.emplace();
            auto loss = tg::cross_entropy(net->forward(x), y);
            const auto t1 = Clock::now();
            loss.backward();
            scope.reset();
            const auto t2 = Clock::now();
            opt.step();
            const auto t3 = Clock::now();
            if (s == 1 || s == total) {
                bench::print_check(
                    (autocast ? "w4_autocast_loss_step" : "w4_loss_step") + std::to_string(s),
                    loss.item<double>());
            }
            if (s <= 2) continue;
            step_ms.push_back(seconds_between(t0, t3) * 1e3);
            fwd_ms.push_back(seconds_between(t0, t1) * 1e3);
            bwd_ms.push_back(seconds_between(t1, t2) * 1e3);
            opt_ms.push_back(seconds_between(t2, t3) * 1e3);
        }
    }
    fig("_step", "ms", step_ms);
    fig("_fwd", "ms", fwd_ms);
    fig("_bwd", "ms", bwd_ms);
    fig("_opt", "ms", opt_ms);
    std::vector<double> gflops;
    for (double ms : step_ms) gflops.push_back(64.56 / ms * 1e3);
    fig("_gflops", "GFLOP/s", gflops);
    if (autocast) {
        std::printf("# bf16 products by %s\n", tg::kernels::bf16_gemm_implementation());
        return;
    }

    // The reference: one [512,4096] x [4096,4096] product with autograd off, through the
    // library (tg::mm, fresh output) and through OpenBLAS alone (preallocated output).
    const auto a = tg::rand({512, 4096}), b = tg::rand({4096, 4096});
    std::vector<float> c(size_t(512) * 4096);
    std::vector<double> mm_rate, blas_rate;
    const double flop = 2.0 * 512 * 4096 * 4096;
    tg::NoGradGuard no_grad;
    for (int r = 0; r < 12; ++r) {
        auto t0 = Clock::now();
        { auto p = tg::mm(a, b); }
        const double t_mm = seconds_between(t0, Clock::now());
        t0 = Clock::now();
        tg::kernels::gemm(false, false, 512, 4096, 4096, 1.f, a.data_ptr<float>(),
                          b.data_ptr<float>(), 0.f, c.data());
        const double t_blas = seconds_between(t0, Clock::now());
        if (r < 2) continue;
        mm_rate.push_back(flop / t_mm * 1e-9);
        blas_rate.push_back(flop / t_blas * 1e-9);
    }
    fig("_mm_gflops", "GFLOP/s", mm_rate);
    fig("_sgemm_gflops", "GFLOP/s", blas_rate);
}

// ---- W5: two moons, MLP 2-16-16-1 tanh, full-batch SGD ---------------------------------------
void w5(const bench::Args& args) {
    std::vector<float> xv, yv;
    bench::two_moons(xv, yv);
    const auto x = float_tensor(xv, {100, 2});
    const auto y = float_tensor(yv, {100, 1});
    std::vector<double> run_medians, run_means;
    for (int run = 0; run < args.runs; ++run) {
        auto net = std::make_shared<MLPImpl>(std::vector<int64_t>{2, 16, 16, 1}, 6, Act::Tanh);
        tg::optim::SGD opt(net->parameters(), tg::optim::SGDOptions(0.1));
        std::vector<double> us;
        double last_loss = 0;
        for (int s = 1; s <= 100; ++s) {
            const auto t0 = Clock::now();
            opt.zero_grad();
            auto loss = tg::mse_loss(net->forward(x), y);
            loss.backward();
            opt.step();
            us.push_back(seconds_between(t0, Clock::now()) * 1e6);
            if (s == 100) last_loss = loss.item<double>();
        }
        run_medians.push_back(bench::median(us));
        double total = 0;
        for (double u : us) total += u;
        run_means.push_back(total / 100);
        if (run == 0) {
            tg::NoGradGuard no_grad;
            const auto out = net->forward(x);
            const float* o = out.data_ptr<float>();
            int correct = 0;
            for (int i = 0; i < 100; ++i) correct += (o[i] > 0 ? 1.f : -1.f) == yv[size_t(i)];
            bench::print_check("w5_loss_step100", last_loss);
            bench::print_check("w5_train_accuracy", correct / 100.0);
        }
    }
    bench::print_blocks("W5_step", "us", run_medians);
    bench::print_blocks("W5_step_mean", "us", run_means);
}

// ---- W9: products and element-wise ops on transposed and sliced views (issue 14) ------------
void w9(const bench::Args& args) {
    using S = bench::W9Sizes;
    const auto xv = bench::signed_matrix(S::kRows, S::kCols, 9);
    const auto wv = bench::signed_matrix(S::kRows, S::kOut, 10);
    const auto zv = bench::signed_matrix(S::kCols, S::kWide, 11);
    auto x = float_tensor(xv, {S::kRows, S::kCols}).requires_grad_();
    auto w = float_tensor(wv, {S::kRows, S::kOut}).requires_grad_();
    auto z = float_tensor(zv, {S::kCols, S::kWide}).requires_grad_();
    auto zero_grad = [](tg::Tensor& t) {
        if (t.grad().defined()) t.mutable_grad().zero_();
    };
    auto tmm = [&] {
        zero_grad(x);
        zero_grad(w);
        auto loss = x.t().matmul(w).sum();
        loss.backward();
        return loss.item<double>() / double(S::kCols * S::kOut);
    };
    auto strided = [&] {
        zero_grad(z);
        zero_grad(x);
        const auto a = z.slice(1, 0, S::kWide, 2);
        const auto b = x.t();
        auto loss = tg::tanh(tg::relu(a + b) * b).sum();
        loss.backward();
        return loss.item<double>() / double(S::kCols * S::kRows);
    };
    auto timed = [&](const std::string& name, auto&& step) {
        double warm = 0;
        for (int i = 0; i < 20; ++i) {
            const auto t0 = Clock::now();
            const double loss_mean = step();
            warm += seconds_between(t0, Clock::now());
            if (i == 0) bench::print_check("w9_" + name + "_loss_mean", loss_mean);
        }
        const int64_t k = bench::w2_block_steps(warm / 20);
        std::vector<double> block_medians, times(static_cast<size_t>(k));
        for (int b = 0; b < args.runs; ++b) {
            for (auto& t : times) {
                const auto t0 = Clock::now();
                step();
                t = seconds_between(t0, Clock::now()) * 1e6;
            }
            block_medians.push_back(bench::median(times));
        }
        bench::print_blocks("W9_" + name, "us", block_medians);
    };
    timed("tmm", tmm);
    bench::print_check("w9_tmm_grad_x_7_3", x.grad()[7][3].item<double>());
    bench::print_check("w9_tmm_grad_w_5_9", w.grad()[5][9].item<double>());
    timed("strided", strided);
    bench::print_check("w9_strided_grad_z_mean", z.grad().mean().item<double>());
    bench::print_check("w9_strided_grad_z_3_11", z.grad()[3][11].item<double>());  // not in a
    bench::print_check("w9_strided_grad_x_10_3", x.grad()[10][3].item<double>());
}

}  // namespace

int main(int argc, char** argv) {
    const auto args = bench::parse_args(argc, argv);
    tg::set_num_threads(args.threads);  // tapegrad's pool and OpenBLAS's, as WORKLOADS.md asks
    std::printf("# tapegrad %s threads=%d blas_threads=%d\n", args.workload.c_str(), args.threads,
                tg::kernels::blas_threads());
    if (args.workload == "W1")
        w1(args);
    else if (args.workload == "W2")
        w2(args);
    else if (args.workload == "W3")
        w3(args);
    else if (args.workload == "W4" || args.workload == "W4_autocast")
        w4(args, args.workload == "W4_autocast");
    else if (args.workload == "W5")
        w5(args);
    else if (args.workload == "W9")
        w9(args);
    else {
        std::fprintf(stderr, "unknown workload %s\n", args.workload.c_str());
        return 2;
    }
    return 0;
}
