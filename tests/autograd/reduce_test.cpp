// Reductions: sum, mean, max, min (whole tensor and along a dim), argmax, argmin, norm.

#include <cmath>
#include <tuple>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using In = const std::vector<Tensor>&;

TEST_SUITE("ops/reduce") {
    // ---- values worked out by hand ----------------------------------------------------------

    TEST_CASE("sum: over everything, one dim, negative dims, keepdim and several dims") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        Tensor s = a.sum();
        CHECK(s.dim() == 0);
        CHECK_VALUES(s, {21});
        CHECK_VALUES(a.sum(0), {5, 7, 9});
        CHECK_VALUES(sum(a, 1), {6, 15});
        CHECK_VALUES(a.sum(-1), {6, 15});
        CHECK_SHAPE(a.sum(1, true), {2, 1});
        CHECK_SHAPE(a.sum(0, true), {1, 3});
        Tensor b = make_f64({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 3, 2});
        CHECK_VALUES(b.sum(std::vector<int64_t>{0, 2}), {14, 22, 30});
        CHECK_SHAPE(b.sum(std::vector<int64_t>{0, 2}, true), {1, 3, 1});
        CHECK_VALUES(b.sum(1), {6, 9, 24, 27});
    }

    TEST_CASE("sum: of int64 stays int64") {
        Tensor s = make_i64({1, 2, 3}, {3}).sum();
        CHECK(s.dtype() == kInt64);
        CHECK(s.item<int64_t>() == 6);
    }

    TEST_CASE("mean: over everything and along dims") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        CHECK_VALUES(a.mean(), {3.5});
        CHECK_VALUES(a.mean(0), {2.5, 3.5, 4.5});
        CHECK_VALUES(mean(a, 1, true), {2, 5});
        CHECK_SHAPE(mean(a, 1, true), {2, 1});
        CHECK_VALUES(a.mean(std::vector<int64_t>{0, 1}), {3.5});
    }

    TEST_CASE("max: values and indices along a dim, and over everything") {
        Tensor a = make_f64({1, 7, 3, 9, 2, 4}, {2, 3});
        CHECK_VALUES(a.max(), {9});
        CHECK_VALUES(a.min(), {1});
        auto [v1, i1] = a.max(1);
        CHECK_VALUES(v1, {7, 9});
        CHECK(i1.dtype() == kInt64);
        CHECK_VALUES(i1, {1, 0});
        auto [v0, i0] = max(a, 0, /*keepdim=*/true);
        CHECK_SHAPE(v0, {1, 3});
        CHECK_VALUES(v0, {9, 7, 4});
        CHECK_VALUES(i0, {1, 0, 1});
        auto [w1, j1] = a.min(1);
        CHECK_VALUES(w1, {1, 2});
        CHECK_VALUES(j1, {0, 1});
        auto [w0, j0] = min(a, -2);
        CHECK_VALUES(w0, {1, 2, 3});
        CHECK_VALUES(j0, {0, 1, 0});
    }

    TEST_CASE("argmax: flat and along a dim, argmin likewise") {
        Tensor a = make_f64({1, 7, 3, 9, 2, 4}, {2, 3});
        Tensor am = a.argmax();
        CHECK(am.dtype() == kInt64);
        CHECK(am.item<int64_t>() == 3);
        CHECK(argmin(a).item<int64_t>() == 0);
        CHECK_VALUES(argmax(a, 1), {1, 0});
        CHECK_VALUES(a.argmin(0), {0, 1, 0});
        CHECK_SHAPE(a.argmax(1, true), {2, 1});
        CHECK_FALSE(argmax(make_f64({1, 2}, {2}, true)).requires_grad());
    }

    TEST_CASE("max: the gradient goes to the first maximal element only") {
        Tensor a = make_f64({1, 5, 5, 2}, {4}, true);
        a.max().backward();
        CHECK_VALUES(a.grad(), {0, 1, 0, 0});
        Tensor b = make_f64({3, 1, 3, 0}, {2, 2}, true);
        std::get<0>(b.max(1)).backward(make_f64({1, 2}, {2}));
        CHECK_VALUES(b.grad(), {1, 0, 2, 0});
    }

    TEST_CASE("norm: is the Euclidean norm of all elements, with gradient x / norm") {
        Tensor a = make_f64({3, 4}, {2}, true);
        Tensor n = a.norm();
        CHECK_VALUES(n, {5});
        n.backward();
        CHECK_VALUES(a.grad(), {0.6, 0.8});
        CHECK_VALUES(norm(make_f64({1, 2, 2, 4}, {2, 2})), {5});
    }

    TEST_CASE("norm: gradient at the origin is 0, not NaN, as LibTorch") {
        Tensor a = make_f64({0, 0, 0}, {3}, true);
        a.norm().backward();
        CHECK_VALUES(a.grad(), {0, 0, 0});
    }

    TEST_CASE("sum: of an empty tensor is 0, along a dim too") {
        CHECK_VALUES(empty({0}, kFloat64).sum(), {0});
        Tensor e = empty({2, 0}, kFloat64);
        CHECK_VALUES(e.sum(1), {0, 0});
    }

    // ---- gradient checks --------------------------------------------------------------------

    TEST_CASE("sum: gradient matches finite differences for every form") {
        manual_seed(41);
        CHECK_GRADIENTS([](In in) { return in[0].sum(); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].sum(1); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].sum(0, true); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].sum(-2); }, {randn({2, 3, 2}, f64())});
        CHECK_GRADIENTS(
            [](In in) {
                return in[0].sum(std::vector<int64_t>{0, 2});
            },
            {randn({2, 3, 2}, f64())});
    }

    TEST_CASE("mean: gradient matches finite differences for every form") {
        manual_seed(42);
        CHECK_GRADIENTS([](In in) { return in[0].mean(); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].mean(0); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].mean(1, true); }, {randn({2, 3, 2}, f64())});
        CHECK_GRADIENTS(
            [](In in) {
                return in[0].mean(std::vector<int64_t>{1, 2});
            },
            {randn({2, 3, 2}, f64())});
    }

    TEST_CASE("max: gradient matches finite differences, whole and with dim") {
        CHECK_GRADIENTS([](In in) { return in[0].max(); }, {grid({2, 3})});
        CHECK_GRADIENTS([](In in) { return std::get<0>(in[0].max(1)); }, {grid({3, 4})});
        CHECK_GRADIENTS([](In in) { return std::get<0>(max(in[0], 0, true)); }, {grid({3, 4})});
    }

    TEST_CASE("min: gradient matches finite differences, whole and with dim") {
        CHECK_GRADIENTS([](In in) { return in[0].min(); }, {grid({2, 3})});
        CHECK_GRADIENTS([](In in) { return std::get<0>(in[0].min(1)); }, {grid({3, 4})});
        CHECK_GRADIENTS([](In in) { return std::get<0>(min(in[0], -2, true)); }, {grid({3, 4})});
    }

    TEST_CASE("norm: gradient matches finite differences, and second derivatives too") {
        manual_seed(43);
        CHECK_GRADIENTS([](In in) { return in[0].norm(); }, {randn({2, 3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return norm(in[0]); }, {randn({3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return (in[0] * in[0]).mean(0); }, {randn({2, 2}, f64())});
    }

    // ---- errors -----------------------------------------------------------------------------

    TEST_CASE("sum: rejects a dim out of range, as do mean, max, min, argmax and argmin") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        CHECK_THROWS_CONTAINS(a.sum(2), std::invalid_argument, "sum", "2");
        CHECK_THROWS_CONTAINS(a.sum(std::vector<int64_t>{0, 5}), std::invalid_argument, "sum", "5");
        CHECK_THROWS_CONTAINS(a.mean(-3), std::invalid_argument, "mean", "-3");
        CHECK_THROWS_CONTAINS(a.max(2), std::invalid_argument, "max", "2");
        CHECK_THROWS_CONTAINS(a.min(2), std::invalid_argument, "min", "2");
        CHECK_THROWS_CONTAINS(a.argmax(2), std::invalid_argument, "argmax", "2");
        CHECK_THROWS_CONTAINS(a.argmin(-4), std::invalid_argument, "argmin", "-4");
    }

    TEST_CASE("max: rejects an empty tensor") {
        Tensor e = empty({0}, kFloat64);
        CHECK_THROWS_CONTAINS(e.max(), std::invalid_argument, "max");
        CHECK_THROWS_CONTAINS(e.argmax(), std::invalid_argument, "argmax");
    }

}  // TEST_SUITE
