// The intra-op pool (autograd/parallel.hpp): parallel_for's contract, the thread-count calls,
// and, per parallelised kernel family, the same values with 1 and 2 threads (bit for bit:
// each element is computed by one thread in the one-thread order).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"
#include "autograd/tensor.hpp"
#include "nn/functional/loss.hpp"
#include "optim/optim.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

namespace {
// Sets the thread count for one scope, and restores the one before.
struct Threads {
    explicit Threads(int n) : before(get_num_threads()) { set_num_threads(n); }
    ~Threads() { set_num_threads(before); }
    int before;
};

// The tensors `compute` returns with 1 thread and with 2, which must be equal element for
// element (and in dtype and shape).
void check_same_with_2_threads(const std::function<std::vector<Tensor>()>& compute) {
    std::vector<Tensor> one, two;
    {
        const Threads t(1);
        manual_seed(11);
        one = compute();
    }
    {
        const Threads t(2);
        manual_seed(11);
        two = compute();
    }
    REQUIRE(one.size() == two.size());
    for (size_t i = 0; i < one.size(); ++i) {
        CAPTURE(i);
        REQUIRE(one[i].sizes() == two[i].sizes());
        CHECK(one[i].dtype() == two[i].dtype());
        CHECK(one[i].equal(two[i]));
    }
}

// Shapes above kGrainSize elements with odd sizes, so chunks end mid-row and vector tails vary.
const std::vector<int64_t> kBig = {301, 257};
}  // namespace

TEST_SUITE("parallel") {
    TEST_CASE("set_num_threads: sets the pool and refuses counts below 1") {
        const Threads t(2);
        CHECK(get_num_threads() == 2);
        set_num_threads(1);
        CHECK(get_num_threads() == 1);
        set_num_threads(3);
        CHECK(get_num_threads() == 3);
        CHECK_THROWS_WITH_AS(set_num_threads(0),
                             "set_num_threads: expected at least 1 thread, got 0",
                             std::invalid_argument);
        CHECK(get_num_threads() == 3);  // a refused call changes nothing
        CHECK_THROWS_WITH_AS(parallel_for(0, 2, 1, [](int64_t, int64_t) { set_num_threads(1); }),
                             "set_num_threads: called inside a parallel_for body",
                             std::logic_error);
        CHECK(get_num_threads() == 3);
    }

    TEST_CASE("set_num_interop_threads: records the count and refuses counts below 1") {
        const int before = get_num_interop_threads();
        set_num_interop_threads(4);
        CHECK(get_num_interop_threads() == 4);
        CHECK_THROWS_WITH_AS(set_num_interop_threads(-1),
                             "set_num_interop_threads: expected at least 1 thread, got -1",
                             std::invalid_argument);
        set_num_interop_threads(before);
    }

    TEST_CASE("parallel_for: covers the range once, in chunks of at least grain_size") {
        for (int threads : {1, 2, 3}) {
            const Threads t(threads);
            for (int64_t n : {0, 1, 99, 100, 101, 1000, 12345}) {
                CAPTURE(threads);
                CAPTURE(n);
                std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
                std::mutex m;
                std::vector<std::pair<int64_t, int64_t>> chunks;
                parallel_for(0, n, 100, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
                    const std::lock_guard<std::mutex> lock(m);
                    chunks.emplace_back(b, e);
                });
                CHECK(std::all_of(hits.begin(), hits.end(), [](const auto& h) { return h == 1; }));
                std::sort(chunks.begin(), chunks.end());
                // at most one chunk per thread; all but the last at least grain_size long
                CHECK(static_cast<int>(chunks.size()) <= threads);
                for (size_t c = 0; c + 1 < chunks.size(); ++c)
                    CHECK(chunks[c].second - chunks[c].first >= 100);
                if (n >= 200 && threads > 1) CHECK(chunks.size() >= 2);  // it did split
                if (n < 200) CHECK(chunks.size() <= 1);                  // under two grains: inline
            }
        }
    }

    TEST_CASE("parallel_for: an offset range, a grain of 0, and begin >= end") {
        const Threads t(2);
        std::atomic<int64_t> sum{0};
        parallel_for(10, 20, 0, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) sum += i;
        });
        CHECK(sum == 145);
        bool called = false;
        parallel_for(5, 5, 1, [&](int64_t, int64_t) { called = true; });
        parallel_for(6, 5, 1, [&](int64_t, int64_t) { called = true; });
        CHECK_FALSE(called);
    }

    TEST_CASE("parallel_for: nested calls run inline on the calling thread") {
        const Threads t(2);
        CHECK_FALSE(in_parallel_region());
        std::atomic<int> inner_calls{0}, regions{0};
        parallel_for(0, 4, 1, [&](int64_t b, int64_t e) {
            if (in_parallel_region()) ++regions;
            for (int64_t i = b; i < e; ++i) {
                const std::thread::id outer = std::this_thread::get_id();
                parallel_for(0, 1000, 1, [&](int64_t, int64_t) {
                    ++inner_calls;
                    CHECK(std::this_thread::get_id() == outer);
                });
            }
        });
        CHECK(inner_calls == 4);  // one call per outer element: never split
        CHECK(regions == 2);
        CHECK_FALSE(in_parallel_region());
    }

    TEST_CASE(
        "parallel_for: an exception in a chunk reaches the caller, and the pool still works") {
        const Threads t(2);
        CHECK_THROWS_WITH_AS(parallel_for(0, 1000, 10,
                                          [](int64_t b, int64_t) {
                                              if (b > 0) throw std::runtime_error("chunk failed");
                                          }),
                             "chunk failed", std::runtime_error);
        std::atomic<int64_t> n{0};
        parallel_for(0, 1000, 10, [&](int64_t b, int64_t e) { n += e - b; });
        CHECK(n == 1000);
    }

    TEST_CASE("parallel_for: calls from several user threads at once all complete") {
        const Threads t(2);
        std::vector<int64_t> totals(4, 0);
        std::vector<std::thread> users;
        for (size_t u = 0; u < totals.size(); ++u) {
            users.emplace_back([&totals, u] {
                for (int rep = 0; rep < 50; ++rep) {
                    std::atomic<int64_t> n{0};
                    parallel_for(0, 10000, 100, [&](int64_t b, int64_t e) { n += e - b; });
                    totals[u] += n;
                }
            });
        }
        for (std::thread& u : users) u.join();
        for (int64_t total : totals) CHECK(total == 50 * 10000);
    }

    TEST_CASE("element-wise: unary maps and vector math give the same values on 2 threads") {
        check_same_with_2_threads([] {
            const Tensor x = randn(kBig), pos = rand(kBig) + 0.5, d = randn(kBig, kFloat64);
            return std::vector<Tensor>{relu(x), exp(x), log(pos), sqrt(pos), sigmoid(x), tanh(x),
                                       abs(x),  -x,     tanh(d),  exp(d),    relu(d),    x * 3.0};
        });
    }

    TEST_CASE("index_select: gathered rows and columns are the same on 2 threads") {
        check_same_with_2_threads([] {
            // a loader's batch: 64 scattered rows of 784 (two chunks of rows); columns of a
            // [200, 400]: 60000 one-element slices, chunks ending inside a row of the output
            const Tensor data = randn({500, 784}), wide = randn({200, 400}, kFloat64);
            const Tensor rows = randint(0, 500, {64}), cols = randint(0, 400, {300});
            return std::vector<Tensor>{data.index_select(0, rows), wide.index_select(1, cols),
                                       data.index_select(1, cols)};
        });
    }

    TEST_CASE("element-wise: binary ops, flat and broadcast, give the same values on 2 threads") {
        check_same_with_2_threads([] {
            const Tensor a = randn(kBig), b = randn(kBig), row = randn({kBig[1]}),
                         col = randn({kBig[0], 1});
            const Tensor big3 = randn({7, 129, 85}), mid = randn({129, 1});
            return std::vector<Tensor>{a + b,   a * b, a / (b.abs() + 1), a + row,
                                       a * col, a > b, big3 - mid,        maximum(a, b)};
        });
    }

    TEST_CASE("element-wise: strided views, copies and in-place ops give the same values") {
        check_same_with_2_threads([] {
            const Tensor a = randn({257, 301}), b = randn(kBig);
            Tensor c = randn(kBig);
            NoGradGuard no_grad;
            c.add_(b, 0.5);
            c.mul_(2.0);
            Tensor sliced = randn({301, 514}).slice(1, 0, 514, 2);  // every other column
            return std::vector<Tensor>{a.t() + b,    a.t().contiguous(), c,
                                       sliced.exp(), sliced * sliced,    b.to(kFloat64),
                                       a.t().relu()};
        });
    }

    TEST_CASE("element-wise: an op writing through overlapping strides stays on one thread") {
        // as_strided's backward adds each window's gradient into shared elements: the loop's
        // output overlaps itself, so splitting it would lose additions
        check_same_with_2_threads([] {
            const Tensor base = randn({40000}, TensorOptions().requires_grad(true));
            const Tensor windows = base.as_strided({39000, 8}, {1, 1});
            (windows * windows).sum().backward();
            return std::vector<Tensor>{base.grad()};
        });
    }

    TEST_CASE("activations: fused backward kernels give the same gradients on 2 threads") {
        check_same_with_2_threads([] {
            const Tensor x = randn(kBig, TensorOptions().requires_grad(true));
            const Tensor g = randn(kBig);
            std::vector<Tensor> grads;
            for (auto act : {+[](const Tensor& v) { return relu(v); },
                             +[](const Tensor& v) { return tanh(v); },
                             +[](const Tensor& v) { return sigmoid(v); }}) {
                grads.push_back(autograd::grad({act(x)}, {x}, {g})[0]);
            }
            return grads;
        });
    }

    TEST_CASE("sum: column, row and mixed sums give the same values on 2 threads") {
        check_same_with_2_threads([] {
            const Tensor a = randn(kBig), d = randn(kBig, kFloat64), c = randn({9, 131, 67});
            return std::vector<Tensor>{a.sum(0),      a.sum(1), d.sum(0),  d.sum(1, true), c.sum(1),
                                       c.sum({0, 2}), c.sum(2), c.mean(0), a.sum()};
        });
    }

    TEST_CASE("linear layers: a training step gives the same loss and gradients on 2 threads") {
        // products may split differently across OpenBLAS's threads: equal to 1e-6, not bit for bit
        std::vector<std::vector<double>> results;
        for (int threads : {1, 2}) {
            const Threads t(threads);
            manual_seed(5);
            const Tensor x = randn({512, 300}),
                         w1 = randn({256, 300}, TensorOptions().requires_grad(true)),
                         b1 = randn({256}, TensorOptions().requires_grad(true)),
                         w2 = randn({10, 256}, TensorOptions().requires_grad(true));
            const Tensor target = randint(0, 10, {512});
            const Tensor loss =
                nn::functional::cross_entropy(linear(relu(linear(x, w1, b1)), w2), target);
            loss.backward();
            results.push_back({loss.item<double>(), w1.grad().abs().sum().item<double>(),
                               b1.grad().abs().sum().item<double>(),
                               w2.grad().abs().sum().item<double>()});
        }
        for (size_t i = 0; i < results[0].size(); ++i) {
            CAPTURE(i);
            CHECK(results[1][i] == doctest::Approx(results[0][i]).epsilon(1e-6));
        }
    }

    TEST_CASE("optimizers: the update loops give the same parameters on 2 threads") {
        // each loop is split at block boundaries across the pool; a pointer not offset to its
        // block would update the wrong elements on the second thread only
        const auto run = [](auto make_optimizer) {
            return [make_optimizer] {
                Tensor p = randn(kBig, TensorOptions().requires_grad(true));
                auto opt = make_optimizer(p);
                for (int step = 0; step < 3; ++step) {
                    p.mutable_grad() = randn(kBig);
                    opt.step();
                }
                return std::vector<Tensor>{p.detach()};  // steps 2 and 3 read the state
            };
        };
        SUBCASE("SGD") {
            check_same_with_2_threads(run([](const Tensor& p) {
                return optim::SGD(
                    {p}, optim::SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01));
            }));
        }
        SUBCASE("Adam") {
            check_same_with_2_threads(run([](const Tensor& p) {
                return optim::Adam({p}, optim::AdamOptions(0.01).weight_decay(0.1).amsgrad(true));
            }));
        }
        SUBCASE("AdamW") {
            check_same_with_2_threads(
                run([](const Tensor& p) { return optim::AdamW({p}, optim::AdamWOptions(0.01)); }));
        }
        SUBCASE("RMSprop") {
            check_same_with_2_threads(run([](const Tensor& p) {
                return optim::RMSprop({p},
                                      optim::RMSpropOptions(0.01).momentum(0.5).centered(true));
            }));
        }
        SUBCASE("Adagrad") {
            check_same_with_2_threads(run([](const Tensor& p) {
                return optim::Adagrad({p}, optim::AdagradOptions(0.1).lr_decay(0.01));
            }));
        }
    }
}
