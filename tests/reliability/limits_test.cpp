// Sizes that overflow, integers that must stay exact, gradients of the wrong dtype, hooks that
// refer to their own tensor: each raises a clear error or works, never corrupts memory.

#include <cstdint>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

TEST_SUITE("reliability/limits") {
    TEST_CASE("sizes: element and byte counts that overflow int64 raise, naming the op") {
        CHECK_THROWS_CONTAINS(ones({int64_t{1} << 61}), std::invalid_argument, "ones",
                              "more bytes than an int64 can count");
        CHECK_THROWS_CONTAINS(zeros({int64_t{1} << 32, int64_t{1} << 32}), std::invalid_argument,
                              "zeros", "[4294967296, 4294967296]", "more elements");
        CHECK_THROWS_CONTAINS(empty({-3}), std::invalid_argument, "empty", "negative size -3");
        CHECK_THROWS_CONTAINS(randn({int64_t{1} << 40, int64_t{1} << 40}), std::invalid_argument,
                              "randn");
        CHECK_THROWS_CONTAINS(full({int64_t{1} << 62, 4}, 1.0), std::invalid_argument, "full");
        Tensor s = zeros({});
        CHECK_THROWS_CONTAINS(s.expand({int64_t{1} << 40, int64_t{1} << 40}), std::invalid_argument,
                              "expand", "more elements");
        // a product that wraps around to the right count is still refused
        CHECK_THROWS_CONTAINS(zeros({6}).reshape({9, 6148914691236517206}), std::invalid_argument,
                              "reshape");
        CHECK_THROWS_CONTAINS(arange(0.0, 1e300, 1e-300), std::invalid_argument, "arange",
                              "more elements than an int64 can count");
        CHECK_THROWS_CONTAINS(zeros({5}).narrow(0, 1, INT64_MAX), std::invalid_argument, "narrow");
        CHECK_THROWS_CONTAINS(zeros({5}).as_strided({3}, {INT64_MAX}), std::invalid_argument,
                              "as_strided", "overflows");
    }

    TEST_CASE("sizes: huge but legal arguments give the right, small results") {
        Tensor x = arange(10);
        Tensor s = x.slice(0, 0, INT64_MAX, INT64_MAX);
        CHECK(s.sizes() == std::vector<int64_t>{1});
        CHECK(s.item<int64_t>() == 0);
        CHECK(x.slice(0, -INT64_MAX, INT64_MAX).numel() == 10);
        CHECK(x.narrow(0, 10, 0).numel() == 0);
        // a zero anywhere makes an empty tensor, however large the other sizes
        CHECK(zeros({0, int64_t{1} << 62}).numel() == 0);
    }

    TEST_CASE("randint: the full int64 range is sampled exactly, never returning high") {
        manual_seed(3);
        Tensor r = randint(INT64_MIN, INT64_MAX, {2000});
        const std::vector<int64_t> v = r.to_vector<int64_t>();
        bool negative = false, positive = false;
        for (int64_t x : v) {
            CHECK(x != INT64_MAX);
            negative = negative || x < 0;
            positive = positive || x > 0;
        }
        CHECK(negative);
        CHECK(positive);
        // values above 2^53 keep their low bits (a double would round them to even)
        Tensor big = randint(int64_t{1} << 60, (int64_t{1} << 60) + 4, {200});
        bool odd = false;
        for (int64_t x : big.to_vector<int64_t>()) {
            CHECK(x >= int64_t{1} << 60);
            CHECK(x < (int64_t{1} << 60) + 4);
            odd = odd || (x & 1);
        }
        CHECK(odd);
    }

    TEST_CASE("grad dtype: a float32 leaf never stores a float64 gradient") {
        Tensor w = randn({3}).requires_grad_();
        CHECK_THROWS_CONTAINS(w.set_grad(zeros({3}, kFloat64)), std::invalid_argument, "set_grad",
                              "float64", "float32");
        w.register_hook([](const Tensor& g) { return g.to(kFloat64); });
        CHECK_THROWS_CONTAINS(w.sum().backward(), std::logic_error, "hook", "dtype float64",
                              "expected float32");
        CHECK_FALSE(w.grad().defined());
    }

    TEST_CASE("hooks: registering and removing a hook every step keeps one slot") {
        Tensor w = randn({3}).requires_grad_();
        Tensor h = w * 2.0;
        for (int step = 0; step < 100000; ++step) {
            const unsigned a = w.register_hook([](const Tensor& g) { return g; });
            const unsigned b = h.register_hook([](const Tensor& g) { return g; });
            w.remove_hook(a);
            h.remove_hook(b);
        }
        // the handles stay unique: an old one is never taken for a new hook
        const unsigned kept = w.register_hook([](const Tensor& g) { return g * 2.0; });
        CHECK_THROWS_CONTAINS(w.remove_hook(kept - 1), std::invalid_argument, "remove_hook");
        w.sum().backward();
        CHECK(allclose(w.grad(), full({3}, 2.0)));
    }

    TEST_CASE("hooks: a hook that refers to its leaf through a WeakTensor leaves no cycle") {
        WeakTensor observer;
        {
            Tensor w = randn({3}).requires_grad_();
            WeakTensor self = w.weak();
            w.register_hook([self](const Tensor& g) {
                Tensor t = self.lock();
                return t.defined() ? g + t.detach() : g;
            });
            observer = w.weak();
            w.sum().backward();
            CHECK(allclose(w.grad(), w.detach() + 1.0));
        }
        CHECK(observer.expired());  // capturing `w` itself would keep it alive forever
    }

}  // TEST_SUITE
