// Threads: independent graphs built and differentiated on separate threads give bit-for-bit
// the gradients of a serial run, and grad mode and anomaly mode are per thread. CI also runs
// this file under ThreadSanitizer (test_reliability_threads in .ci/run).

#include <cmath>
#include <cstring>
#include <future>
#include <thread>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

namespace {

constexpr int kJobs = 4;

// A tensor of `shape` with values sin(0.37 i + 1.3 k) * scale: a fixed pattern per job k, so
// no job draws from the shared random generator.
Tensor pattern(const std::vector<int64_t>& shape, int k, double scale) {
    Tensor t = zeros(shape);
    float* p = t.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i)
        p[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i) + 1.3 * k) * scale);
    return t;
}

// Class labels (7 i + k) mod 3 for 32 samples.
Tensor labels(int k) {
    Tensor t = zeros({32}, kInt64);
    int64_t* p = t.data_ptr<int64_t>();
    for (int64_t i = 0; i < 32; ++i) p[i] = (7 * i + k) % 3;
    return t;
}

// Everything a job computes, as raw floats: the losses, then the final parameters and their
// last gradients.
using Trace = std::vector<float>;

void append(Trace& trace, const Tensor& t) {
    const std::vector<float> v = t.to_vector<float>();
    trace.insert(trace.end(), v.begin(), v.end());
}

// Job k: 20 steps of an MLP with SGD and momentum on its own data, then a second-order
// gradient through autograd::grad with create_graph.
Trace run_job(int k) {
    nn::Sequential net(nn::Linear(8, 16), nn::Tanh(), nn::Linear(16, 3));
    {
        NoGradGuard no_grad;
        int i = 0;
        for (Tensor& p : net->parameters()) p.copy_(pattern(p.sizes(), 10 * k + i++, 0.4));
    }
    optim::SGD opt(net->parameters(), optim::SGDOptions(0.1).momentum(0.9));
    const Tensor x = pattern({32, 8}, k, 1.0);
    const Tensor y = labels(k);
    Trace trace;
    for (int step = 0; step < 20; ++step) {
        opt.zero_grad();
        Tensor loss = cross_entropy(net->forward(x), y);
        loss.backward();
        opt.step();
        append(trace, loss);
    }
    for (const Tensor& p : net->parameters()) {
        append(trace, p);
        append(trace, p.grad());
    }
    Tensor z = pattern({5}, k, 1.0).requires_grad_();
    Tensor f = (softmax(z, 0) * z).sum();
    Tensor g = autograd::grad({f}, {z}, {}, std::nullopt, /*create_graph=*/true)[0];
    append(trace, autograd::grad({g.pow(2).sum()}, {z})[0]);
    return trace;
}

}  // namespace

TEST_SUITE("reliability/threads") {
    TEST_CASE("threads: independent graphs on separate threads match a serial run bit for bit") {
        std::vector<Trace> serial;
        for (int k = 0; k < kJobs; ++k) serial.push_back(run_job(k));

        std::vector<Trace> threaded(kJobs);
        std::vector<std::thread> threads;
        for (int k = 0; k < kJobs; ++k) {
            // each thread runs its job twice, so the jobs overlap in time
            threads.emplace_back([k, &threaded] {
                run_job(k);
                threaded[static_cast<size_t>(k)] = run_job(k);
            });
        }
        for (std::thread& t : threads) t.join();

        for (int k = 0; k < kJobs; ++k) {
            const Trace& a = serial[static_cast<size_t>(k)];
            const Trace& b = threaded[static_cast<size_t>(k)];
            REQUIRE(a.size() == b.size());
            CHECK_MESSAGE(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0,
                          "job " << k << " differs between the serial and the threaded run");
            CHECK(std::isfinite(a.front()));
        }
    }

    TEST_CASE("threads: 8 threads, 1,000 backward passes each, equal a serial run bit for bit") {
        constexpr int kThreads = 8, kRounds = 1000;
        // round r of thread k: d/dw sum(tanh(w * x_k) * w) for a small w, accumulated
        auto run = [](int k) {
            Tensor w = pattern({6}, 100 + k, 0.5).requires_grad_();
            const Tensor x = pattern({6}, k, 1.0);
            for (int r = 0; r < kRounds; ++r) (tanh(w * x) * w).sum().backward();
            return w.grad().to_vector<float>();
        };
        std::vector<std::vector<float>> serial, threaded(kThreads);
        for (int k = 0; k < kThreads; ++k) serial.push_back(run(k));
        std::vector<std::thread> threads;
        for (int k = 0; k < kThreads; ++k)
            threads.emplace_back(
                [k, &threaded, &run] { threaded[static_cast<size_t>(k)] = run(k); });
        for (std::thread& t : threads) t.join();
        for (int k = 0; k < kThreads; ++k)
            CHECK_MESSAGE(serial[static_cast<size_t>(k)] == threaded[static_cast<size_t>(k)],
                          "thread " << k << " differs from the serial run");
    }

    TEST_CASE("threads: two threads backpropagating through one retained graph both get it all") {
        // y = sum(w^2 * x) shared by both threads; each runs backward 200 times with
        // retain_graph, so w.grad ends at 2 * 200 * 2 w x, added under the leaf's lock
        Tensor w = pattern({16}, 3, 1.0).requires_grad_();
        const Tensor x = pattern({16}, 4, 1.0);
        Tensor y = (w * w * x).sum();
        auto job = [&y] {
            for (int r = 0; r < 200; ++r) y.backward(Tensor(), /*retain_graph=*/true);
        };
        std::thread a(job), b(job);
        a.join();
        b.join();
        const std::vector<float> g = w.grad().to_vector<float>();
        const std::vector<float> wv = w.to_vector<float>(), xv = x.to_vector<float>();
        for (size_t i = 0; i < g.size(); ++i)
            CHECK(g[i] == doctest::Approx(400.0 * 2.0 * wv[i] * xv[i]).epsilon(1e-4));
    }

    TEST_CASE("threads: NoGradGuard on one thread leaves recording on in another") {
        std::promise<void> guarded, done;
        std::shared_future<void> done_future = done.get_future().share();
        bool recorded_inside = true;
        std::thread t([&] {
            NoGradGuard no_grad;
            Tensor w = ones({2}).requires_grad_();
            recorded_inside = (w * 2.0).requires_grad();
            guarded.set_value();
            done_future.wait();  // the guard stays alive while the main thread records
        });
        guarded.get_future().wait();
        CHECK(GradMode::is_enabled());
        Tensor w = ones({2}).requires_grad_();
        CHECK((w * 2.0).requires_grad());
        done.set_value();
        t.join();
        CHECK_FALSE(recorded_inside);
    }

    TEST_CASE("threads: a new thread starts with grad mode on, whatever its parent's guard") {
        NoGradGuard no_grad;
        bool enabled = false;
        std::thread t([&] { enabled = GradMode::is_enabled(); });
        t.join();
        CHECK(enabled);
        CHECK_FALSE(GradMode::is_enabled());
    }

    TEST_CASE("threads: anomaly mode on one thread does not raise in another") {
        std::promise<void> guarded, done;
        std::shared_future<void> done_future = done.get_future().share();
        std::string inside;
        std::thread t([&] {
            autograd::DetectAnomalyGuard anomaly;
            Tensor w = full({1}, -1.0).requires_grad_();
            inside = testing::thrown_message<std::runtime_error>([&] { (void)log(w); });
            guarded.set_value();
            done_future.wait();
        });
        guarded.get_future().wait();
        CHECK_FALSE(autograd::AnomalyMode::is_enabled());
        Tensor w = full({1}, -1.0).requires_grad_();
        CHECK_NOTHROW((void)log(w));  // NaN, but anomaly mode is off in this thread
        done.set_value();
        t.join();
        CHECK(inside.find("anomaly: the forward of 'log' produced NaN or Inf") !=
              std::string::npos);
    }

}  // TEST_SUITE
