// Per-op autograd overhead and one small MLP step, printed as a table of medians.
//   chain:  1000 ops (mul, add, tanh in turn) on n = 1 and n = 64 elements, then sum and
//           backward: the per-node cost of recording, running and freeing the graph.
//   mlp:    one 784-256-10 ReLU MLP training step (batch 64, cross-entropy built from core
//           ops, SGD with momentum written out), the small-batch latency a user feels.
// Usage: bench_overhead [repetitions]   (set OPENBLAS_NUM_THREADS to choose BLAS threads)
#include <tapegrad.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
namespace tg = tapegrad;
using Clock = std::chrono::steady_clock;

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

static double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Returns ns per op for {forward only, forward + backward, forward + backward + free}.
static std::vector<double> chain(int64_t n, int reps) {
    std::vector<double> fwd, fwdbwd, all;
    for (int r = 0; r < reps + 5; ++r) {
        auto x0 = tg::full({n}, 0.5).requires_grad_();
        auto t0 = Clock::now();
        double t_fwd, t_bwd;
        {
            tg::Tensor x = x0;
            for (int k = 0; k < 1000; ++k) {
                if (k % 3 == 0)
                    x = x * 1.0001;
                else if (k % 3 == 1)
                    x = x + 0.0001;
                else
                    x = tg::tanh(x);
            }
            t_fwd = seconds_since(t0);
            x.sum().backward();
            t_bwd = seconds_since(t0);
        }  // the graph and every intermediate are freed here
        const double t_all = seconds_since(t0);
        if (r >= 5) {  // warm-up iterations are not counted
            fwd.push_back(t_fwd * 1e6);
            fwdbwd.push_back(t_bwd * 1e6);
            all.push_back(t_all * 1e6);
        }
    }
    return {median(fwd), median(fwdbwd), median(all)};
}

static double mlp_step_us(int64_t batch, int reps) {
    tg::manual_seed(2);
    auto w1 = (tg::rand({256, 784}) * 2.0 - 1.0) / 28.0, b1 = tg::zeros({256});
    auto w2 = (tg::rand({10, 256}) * 2.0 - 1.0) / 16.0, b2 = tg::zeros({10});
    std::vector<tg::Tensor> params{w1.detach().requires_grad_(), b1.requires_grad_(),
                                   w2.detach().requires_grad_(), b2.requires_grad_()};
    std::vector<tg::Tensor> bufs;
    for (auto& p : params) bufs.push_back(tg::zeros_like(p));
    auto x = tg::rand({batch, 784});
    auto onehot = tg::zeros({batch, 10});
    for (int64_t b = 0; b < batch; ++b) onehot.data_ptr<float>()[b * 10 + b % 10] = 1;
    std::vector<double> times;
    for (int r = 0; r < reps + 20; ++r) {
        auto t0 = Clock::now();
        for (auto& p : params)
            if (p.grad().defined()) p.mutable_grad().zero_();
        auto h = tg::relu(tg::linear(x, params[0], params[1]));
        auto logits = tg::linear(h, params[2], params[3]);
        auto loss = -(tg::log_softmax(logits, 1) * onehot).sum() / static_cast<double>(batch);
        loss.backward();
        {
            tg::NoGradGuard no_grad;
            for (size_t i = 0; i < params.size(); ++i) {
                bufs[i].mul_(0.9).add_(params[i].grad());
                params[i].add_(bufs[i], -0.01);
            }
        }
        if (r >= 20) times.push_back(seconds_since(t0) * 1e6);
    }
    return median(times);
}

int main(int argc, char** argv) {
    const int reps = argc > 1 ? std::atoi(argv[1]) : 50;
    const char* threads = std::getenv("OPENBLAS_NUM_THREADS");
    std::printf(
        "tapegrad overhead benchmark (medians of %d repetitions, OPENBLAS_NUM_THREADS=%s)\n\n",
        reps, threads ? threads : "default");
    std::printf("%-34s %12s\n", "figure", "value");
    for (int64_t n : {1, 64}) {
        const auto c = chain(n, reps);
        std::printf("chain n=%-3lld fwd (requires grad)       %9.0f ns/op\n", (long long)n, c[0]);
        std::printf("chain n=%-3lld fwd+bwd                   %9.0f ns/op\n", (long long)n, c[1]);
        std::printf("chain n=%-3lld fwd+bwd+graph free        %9.0f ns/op\n", (long long)n, c[2]);
    }
    for (int64_t b : {1, 64}) {
        std::printf("mlp 784-256-10 step, batch %-4lld     %9.1f us\n", (long long)b,
                    mlp_step_us(b, reps * 4));
    }
    return 0;
}
