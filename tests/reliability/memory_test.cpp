// Memory: backward frees the graph, so a long training run keeps its resident memory flat, and
// tensors, nodes and hooks form no reference cycles (LeakSanitizer checks the whole suite in
// the AddressSanitizer job; these cases give it graphs with hooks to look at).

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TAPEGRAD_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TAPEGRAD_TEST_ASAN 1
#endif
#endif

using namespace tapegrad;

namespace {

#ifdef TAPEGRAD_TEST_ASAN
// AddressSanitizer quarantines freed memory, so RSS says nothing about leaks there; the run is
// shorter and LeakSanitizer does the checking at exit.
constexpr bool kMeasureRss = false;
constexpr int kSteps = 1000;
#else
constexpr bool kMeasureRss = true;
constexpr int kSteps = 10000;
#endif

// Resident set size in bytes, from the second field of /proc/self/statm (in pages). Free heap
// pages are handed back first, so that memory freed by earlier tests in the same process
// cannot hide a leak (it would be reused without growing the resident size).
long resident_bytes() {
    malloc_trim(0);
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    REQUIRE(f != nullptr);
    long size = 0, resident = 0;
    const int got = std::fscanf(f, "%ld %ld", &size, &resident);
    std::fclose(f);
    REQUIRE(got == 2);
    return resident * sysconf(_SC_PAGESIZE);
}

// A small classifier: 16 features, 64 hidden units, 4 classes, batch 32.
struct Mlp {
    nn::Sequential net{nn::Linear(16, 64), nn::ReLU(), nn::Linear(64, 64), nn::Tanh(),
                       nn::Linear(64, 4)};
    optim::Adam opt{net->parameters(), optim::AdamOptions(1e-3)};
    Tensor x = randn({32, 16});
    Tensor y = randint(0, 4, {32});

    // One training step. With `keep`, it makes the classic leak: backward with retain_graph
    // and the loss kept, so each step's graph and saved activations stay alive.
    float step(std::vector<Tensor>* keep = nullptr) {
        opt.zero_grad();
        Tensor loss = cross_entropy(net->forward(x), y);
        loss.backward({}, /*retain_graph=*/keep != nullptr);
        opt.step();
        if (keep) keep->push_back(loss);
        return loss.item<float>();
    }
};

// The growth bound: 10,000 steps that each leaked even one [32, 64] activation (8 KiB) would
// grow by 80 MB; allocator noise and lazily mapped pages stay well under this.
constexpr long kMaxGrowth = 8L << 20;

}  // namespace

TEST_SUITE("reliability/memory") {
    TEST_CASE("memory: 10,000 training steps of an MLP keep the resident memory flat") {
        manual_seed(1);
        Mlp mlp;
        // Warm up: the optimizer state, the allocator's arenas and the pages of the first steps.
        const int warmup = kSteps / 10;
        for (int i = 0; i < warmup; ++i) mlp.step();
        const long before = resident_bytes();
        float last = 0;
        for (int i = warmup; i < kSteps; ++i) last = mlp.step();
        const long growth = resident_bytes() - before;
        MESSAGE("resident memory grew by " << growth / 1024 << " KiB over " << kSteps - warmup
                                           << " steps; final loss " << last);
        CHECK(std::isfinite(last));
        if (kMeasureRss) CHECK(growth < kMaxGrowth);
    }

    TEST_CASE("memory: the probe sees the growth of activations kept alive by mistake") {
        // The flat-memory check above must be able to fail: keeping each step's graph and saved
        // tensors alive grows memory past the bound.
        if (!kMeasureRss) return;
        manual_seed(2);
        Mlp mlp;
        for (int i = 0; i < 100; ++i) mlp.step();
        std::vector<Tensor> kept;
        const long before = resident_bytes();
        // each kept graph holds two [32, 64] activations and more: over 16 KiB per step
        for (int i = 0; i < 2000; ++i) mlp.step(&kept);
        const long growth = resident_bytes() - before;
        MESSAGE("with the graphs kept: grew by " << growth / 1024 << " KiB");
        CHECK(growth > kMaxGrowth);
    }

    TEST_CASE("memory: the graph is freed by backward, even while the loss tensor lives on") {
        // A weak reference to a saved input dies once backward has run.
        Tensor w = testing::make_f64({1.0, 2.0}, {2}, true);
        std::weak_ptr<Storage> saved;
        Tensor loss;
        {
            Tensor x = testing::make_f64({3.0, 4.0}, {2});
            saved = detail::impl(x).storage;
            loss = (w * x).sum();
        }
        CHECK_FALSE(saved.expired());  // the mul node keeps x for grad_w
        loss.backward();
        CHECK(saved.expired());
        CHECK_VALUES(w.grad(), {3.0, 4.0});
    }

    TEST_CASE(
        "memory: hooks that capture tensors of their own graph leave no cycle after backward") {
        // Under LeakSanitizer in CI: nodes, hooks and the tensors they capture must all go. A hook
        // on h that captures h makes node -> hook -> h -> node; backward frees the node's hooks
        // along with its saved tensors, which breaks the cycle.
        std::weak_ptr<autograd::Node> node;
        std::weak_ptr<TensorImpl> leaf;
        {
            Tensor w = testing::make_f64({1.0, 2.0}, {2}, true);
            Tensor h = w * 3.0;
            Tensor seen;
            const unsigned handle =
                h.register_hook([h, &seen](const Tensor& g) { seen = g * h.detach(); });
            w.register_hook([h](const Tensor& g) { return g + 0.0 * h.detach(); });
            node = h.grad_fn();
            leaf = detail::impl_ptr(w);
            h.sum().backward();
            CHECK_VALUES(seen, {3.0, 6.0});
            CHECK_VALUES(w.grad(), {3.0, 3.0});
            CHECK_NOTHROW(h.remove_hook(handle));  // the handle outlives the freed graph
        }
        CHECK(node.expired());
        CHECK(leaf.expired());
    }

}  // TEST_SUITE
