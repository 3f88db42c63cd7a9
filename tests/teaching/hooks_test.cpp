// Tensor hooks and retain_grad, as in LibTorch: hooks read or replace the gradient flowing
// through a tensor; retain_grad keeps .grad() on a non-leaf.

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("hooks") {
    TEST_CASE("register_hook: on a leaf, the returned tensor replaces the gradient") {
        Tensor x = make_f64({1, 2}, {2}, true);
        x.register_hook([](const Tensor& g) { return g * 10.0; });
        (x * x).sum().backward();
        CHECK_VALUES(x.grad(), {20, 40});
    }

    TEST_CASE("register_hook: on a non-leaf, a replaced gradient flows on to every input") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor w = make_f64({3, 4}, {2}, true);
        Tensor h = x * w;
        h.register_hook([](const Tensor& g) { return g * 2.0; });
        (h * h).sum().backward();  // d/dh = 2h = [6, 16], doubled by the hook
        CHECK_VALUES(x.grad(), {12 * 3, 32 * 4});
        CHECK_VALUES(w.grad(), {12 * 1, 32 * 2});
    }

    TEST_CASE("register_hook: a hook returning nothing reads the gradient without changing it") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 3.0;
        Tensor seen;
        h.register_hook([&seen](const Tensor& g) { seen = g.clone(); });
        (h * h).sum().backward();
        CHECK_VALUES(seen, {6, 12});
        CHECK_VALUES(x.grad(), {18, 36});
    }

    TEST_CASE(
        "register_hook: hooks run in the order registered, each seeing the last one's result") {
        Tensor x = make_f64({1}, {1}, true);
        Tensor h = x * 1.0;
        std::vector<double> seen;
        h.register_hook([&](const Tensor& g) {
            seen.push_back(g.item<double>());
            return g + 1.0;
        });
        h.register_hook([&](const Tensor& g) {
            seen.push_back(g.item<double>());
            return g * 10.0;
        });
        h.sum().backward();
        CHECK(seen == std::vector<double>{1, 2});
        CHECK_VALUES(x.grad(), {20});
    }

    TEST_CASE("register_hook: on a non-leaf used twice runs once, on the summed gradient") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 1.0;
        int calls = 0;
        Tensor seen;
        h.register_hook([&](const Tensor& g) {
            ++calls;
            seen = g.clone();
        });
        (h * 2.0 + h * 3.0).sum().backward();
        CHECK(calls == 1);
        CHECK_VALUES(seen, {5, 5});
    }

    // As LibTorch (pre-hooks of its AccumulateGrad node): a leaf's hooks run once, on the summed
    // gradient of the pass; a hook that is not linear (clamping) tells the difference.
    TEST_CASE("register_hook: on a leaf used twice runs once, on the summed gradient") {
        Tensor x = make_f64({1, 2}, {2}, true);
        int calls = 0;
        x.register_hook([&](const Tensor& g) {
            ++calls;
            return clamp(g, -4.0, 4.0);
        });
        (x * 2.0 + x * 3.0).sum().backward();
        CHECK(calls == 1);
        CHECK_VALUES(x.grad(), {4, 4});  // clamp(2 + 3), not clamp(2) + clamp(3)
    }

    TEST_CASE("register_hook: a hook returning the wrong shape raises, naming both shapes") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 1.0;
        h.register_hook([](const Tensor& g) { return g.sum(); });
        CHECK_THROWS_WITH_AS(h.sum().backward(),
                             "hook on mul: returned a gradient of shape [], expected [2]",
                             std::logic_error);
        Tensor y = make_f64({1, 2}, {2}, true);
        y.register_hook([](const Tensor& g) { return g.reshape({2, 1}); });
        CHECK_THROWS_CONTAINS((y * 1.0).sum().backward(), std::logic_error, "hook on a leaf",
                              "[2, 1]", "[2]");
    }

    TEST_CASE("register_hook: on a tensor that does not require grad raises") {
        CHECK_THROWS_AS(make_f64({1}, {1}).register_hook([](const Tensor& g) { return g; }),
                        std::logic_error);
    }

    TEST_CASE("register_hook: also applies to gradients returned by autograd::grad") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 3.0;
        h.register_hook([](const Tensor& g) { return g * 0.5; });
        const tensor_list g = autograd::grad({(h * h).sum()}, {x});
        CHECK_VALUES(g[0], {9, 18});
        CHECK_FALSE(x.grad().defined());
    }

    TEST_CASE("retain_grad: keeps .grad() of a non-leaf, which otherwise stays undefined") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 3.0, k = x * 4.0;
        h.retain_grad();
        CHECK(h.retains_grad());
        CHECK_FALSE(k.retains_grad());
        (h * h + k).sum().backward();
        CHECK_VALUES(h.grad(), {6, 12});
        CHECK_FALSE(k.grad().defined());
        CHECK_FALSE(h.grad().requires_grad());
    }

    TEST_CASE("retain_grad: accumulates over backward calls, as a leaf's gradient does") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 3.0;
        h.retain_grad();
        Tensor y = (h * h).sum();
        y.backward(Tensor(), /*retain_graph=*/true);
        y.backward();
        CHECK_VALUES(h.grad(), {12, 24});
    }

    TEST_CASE("retain_grad: sees the gradient after the tensor's hooks") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 1.0;
        h.retain_grad();
        h.register_hook([](const Tensor& g) { return g * 100.0; });
        h.sum().backward();
        CHECK_VALUES(h.grad(), {100, 100});
    }

    TEST_CASE("retain_grad: on a leaf changes nothing, and without grad it raises") {
        Tensor x = make_f64({1, 2}, {2}, true);
        x.retain_grad();
        (x * 2.0).sum().backward();
        CHECK_VALUES(x.grad(), {2, 2});
        CHECK_THROWS_AS(make_f64({1}, {1}).retain_grad(), std::logic_error);
    }
}

TEST_SUITE("hooks") {
    TEST_CASE("remove_hook: a removed hook stops running, the others keep their handles") {
        Tensor x = make_f64({1, 2}, {2}, true);
        int first = 0, second = 0;
        const unsigned h1 = x.register_hook([&](const Tensor&) { ++first; });
        const unsigned h2 = x.register_hook([&](const Tensor& g) {
            ++second;
            return g * 2.0;
        });
        CHECK(h1 != h2);
        (x * 3.0).sum().backward();
        CHECK_VALUES(x.grad(), {6, 6});
        x.remove_hook(h1);
        x.grad().zero_();
        (x * 3.0).sum().backward();
        CHECK(first == 1);
        CHECK(second == 2);
        CHECK_VALUES(x.grad(), {6, 6});
        x.remove_hook(h2);
        x.grad().zero_();
        (x * 3.0).sum().backward();
        CHECK_VALUES(x.grad(), {3, 3});
        CHECK_THROWS_CONTAINS(x.remove_hook(h2), std::invalid_argument, "remove_hook", "handle 1",
                              "removed already");
    }
}
