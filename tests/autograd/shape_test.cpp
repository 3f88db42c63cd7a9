// Shape ops: views (reshape, view, flatten, squeeze, unsqueeze, select/slice/narrow on dim 0)
// and copies (the same on other dims, index_select, gather, cat, stack, expand, sum_to).

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using In = const std::vector<Tensor>&;

namespace {
Tensor iota(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    std::vector<double> v(static_cast<size_t>(n));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
    return make_f64(v, shape);
}
}  // namespace

TEST_SUITE("ops/shape") {
    // ---- views ------------------------------------------------------------------------------

    TEST_CASE("reshape: shares storage with its input") {
        Tensor a = iota({2, 3});
        Tensor r = a.reshape({3, 2});
        CHECK_SHAPE(r, {3, 2});
        CHECK(r.data_ptr<double>() == a.data_ptr<double>());
        r.data_ptr<double>()[4] = 100;
        CHECK_VALUES(a, {0, 1, 2, 3, 100, 5});
        a.data_ptr<double>()[0] = -1;
        CHECK_VALUES(r, {-1, 1, 2, 3, 100, 5});
    }

    TEST_CASE("reshape: views see in-place updates of their base and bump its version") {
        Tensor a = iota({2, 3});
        Tensor v = a.view({6});
        const uint64_t before = a._version();
        v.mul_(2.0);
        CHECK_VALUES(a, {0, 2, 4, 6, 8, 10});
        CHECK(a._version() > before);
    }

    TEST_CASE("select: the subscript operator gives a view of a row") {
        Tensor a = iota({3, 2});
        Tensor row = a[1];
        CHECK_SHAPE(row, {2});
        CHECK_VALUES(row, {2, 3});
        row.data_ptr<double>()[0] = 42;
        CHECK_VALUES(a, {0, 1, 42, 3, 4, 5});
        Tensor last = a.select(0, -1);
        CHECK_VALUES(last, {4, 5});
    }

    TEST_CASE("slice: on dim 0 and narrow on dim 0 are views") {
        Tensor a = iota({4, 2});
        Tensor s = a.slice(0, 1, 3);
        CHECK_SHAPE(s, {2, 2});
        CHECK_VALUES(s, {2, 3, 4, 5});
        s.fill_(-1);
        CHECK_VALUES(a, {0, 1, -1, -1, -1, -1, 6, 7});
        Tensor n = a.narrow(0, 3, 1);
        CHECK_SHAPE(n, {1, 2});
        n.data_ptr<double>()[1] = 9;
        CHECK_VALUES(a, {0, 1, -1, -1, -1, -1, 6, 9});
    }

    TEST_CASE("flatten: squeeze and unsqueeze are views with the expected shapes") {
        Tensor a = iota({2, 1, 3});
        CHECK_SHAPE(a.flatten(), {6});
        CHECK_SHAPE(a.flatten(1), {2, 3});
        CHECK_SHAPE(a.flatten(0, 1), {2, 3});
        CHECK_SHAPE(flatten(iota({2, 3, 4}), 1, 2), {2, 12});
        CHECK_SHAPE(a.squeeze(), {2, 3});
        CHECK_SHAPE(a.squeeze(1), {2, 3});
        CHECK_SHAPE(a.squeeze(0), {2, 1, 3});  // a dim of size 2 stays, as LibTorch
        CHECK_SHAPE(a.unsqueeze(0), {1, 2, 1, 3});
        CHECK_SHAPE(a.unsqueeze(-1), {2, 1, 3, 1});
        CHECK_SHAPE(unsqueeze(a, 3), {2, 1, 3, 1});
        CHECK(squeeze(iota({1, 1})).dim() == 0);
        Tensor u = a.unsqueeze(0);
        u.data_ptr<double>()[5] = 50;
        CHECK(a.data_ptr<double>()[5] == 50);
    }

    TEST_CASE("view: infers one -1 dimension") {
        Tensor a = iota({2, 2, 3});
        CHECK_SHAPE(a.view({-1, 6}), {2, 6});
        CHECK_SHAPE(a.view({4, -1}), {4, 3});
        CHECK_SHAPE(a.reshape({-1}), {12});
        CHECK(iota({1}).reshape({}).dim() == 0);
    }

    TEST_CASE("detach: shares storage and is cut from the graph") {
        Tensor a = iota({3});
        a.requires_grad_();
        Tensor d = a.detach();
        CHECK_FALSE(d.requires_grad());
        d.data_ptr<double>()[0] = 7;
        CHECK(a.data_ptr<double>()[0] == 7);
    }

    // ---- copies, by hand --------------------------------------------------------------------

    TEST_CASE("slice: on dim 1 with a step, and negative bounds") {
        Tensor a = iota({2, 5});
        Tensor s = a.slice(1, 0, 5, 2);
        CHECK_SHAPE(s, {2, 3});
        CHECK_VALUES(s, {0, 2, 4, 5, 7, 9});
        CHECK_VALUES(a.slice(1, -2), {3, 4, 8, 9});
        CHECK_VALUES(slice(a, 1, 1, 100), {1, 2, 3, 4, 6, 7, 8, 9});
        CHECK_VALUES(a.slice(0, 0, INT64_MAX, 2), {0, 1, 2, 3, 4});
    }

    TEST_CASE("select: on dim 1 and with a negative index") {
        Tensor a = iota({2, 3});
        CHECK_VALUES(a.select(1, 2), {2, 5});
        CHECK_VALUES(select(a, -1, -3), {0, 3});
    }

    TEST_CASE("narrow: on dim 1") {
        Tensor a = iota({2, 4});
        Tensor n = narrow(a, 1, 1, 2);
        CHECK_SHAPE(n, {2, 2});
        CHECK_VALUES(n, {1, 2, 5, 6});
    }

    TEST_CASE("index_select: picks rows and columns, with repeats") {
        Tensor a = iota({3, 2});
        Tensor idx = make_i64({2, 0, 2}, {3});
        CHECK_VALUES(a.index_select(0, idx), {4, 5, 0, 1, 4, 5});
        Tensor c = index_select(a, 1, make_i64({1, 1}, {2}));
        CHECK_SHAPE(c, {3, 2});
        CHECK_VALUES(c, {1, 1, 3, 3, 5, 5});
    }

    TEST_CASE("index_select: repeated indices sum their gradients") {
        Tensor a = make_f64({1, 2, 3}, {3}, true);
        a.index_select(0, make_i64({0, 2, 0, 0}, {4})).backward(make_f64({1, 2, 3, 4}, {4}));
        CHECK_VALUES(a.grad(), {8, 0, 2});
    }

    TEST_CASE("gather: picks along dim 1 and along dim 0 by hand") {
        Tensor a = iota({2, 3});
        Tensor g = gather(a, 1, make_i64({2, 0, 1, 1}, {2, 2}));
        CHECK_SHAPE(g, {2, 2});
        CHECK_VALUES(g, {2, 0, 4, 4});
        Tensor h = gather(a, 0, make_i64({1, 0, 1}, {1, 3}));
        CHECK_SHAPE(h, {1, 3});
        CHECK_VALUES(h, {3, 1, 5});
    }

    TEST_CASE("cat: joins along dims 0, 1 and -1") {
        Tensor a = iota({2, 2});
        Tensor b = make_f64({10, 11, 12, 13, 14, 15}, {3, 2});
        Tensor c0 = cat({a, b}, 0);
        CHECK_SHAPE(c0, {5, 2});
        CHECK_VALUES(c0, {0, 1, 2, 3, 10, 11, 12, 13, 14, 15});
        Tensor d = make_f64({10, 11}, {2, 1});
        Tensor c1 = cat({a, d, a}, 1);
        CHECK_SHAPE(c1, {2, 5});
        CHECK_VALUES(c1, {0, 1, 10, 0, 1, 2, 3, 11, 2, 3});
        CHECK_VALUES(cat({a, d}, -1), {0, 1, 10, 2, 3, 11});
    }

    TEST_CASE("stack: inserts a new dim at 0, 1 and at the end") {
        Tensor a = iota({2, 2});
        Tensor b = make_f64({10, 11, 12, 13}, {2, 2});
        Tensor s0 = stack({a, b}, 0);
        CHECK_SHAPE(s0, {2, 2, 2});
        CHECK_VALUES(s0, {0, 1, 2, 3, 10, 11, 12, 13});
        Tensor s1 = stack({a, b}, 1);
        CHECK_SHAPE(s1, {2, 2, 2});
        CHECK_VALUES(s1, {0, 1, 10, 11, 2, 3, 12, 13});
        Tensor s2 = stack({a, b}, 2);
        CHECK_SHAPE(s2, {2, 2, 2});
        CHECK_VALUES(s2, {0, 10, 1, 11, 2, 12, 3, 13});
        CHECK_SHAPE(stack({a, b, a}, -1), {2, 2, 3});
    }

    TEST_CASE("expand: copies a tensor to a broadcast shape") {
        Tensor a = make_f64({1, 2, 3}, {3});
        Tensor e = a.expand({2, 3});
        CHECK_SHAPE(e, {2, 3});
        CHECK_VALUES(e, {1, 2, 3, 1, 2, 3});
        Tensor b = make_f64({1, 2}, {2, 1});
        Tensor f = expand(b, {-1, 3});
        CHECK_SHAPE(f, {2, 3});
        CHECK_VALUES(f, {1, 1, 1, 2, 2, 2});
        CHECK_SHAPE(expand(b, {4, 2, 2}), {4, 2, 2});
        CHECK_VALUES(b.expand_as(iota({2, 2})), {1, 1, 2, 2});
    }

    TEST_CASE("sum_to: reverses broadcasting") {
        Tensor a = iota({2, 3});
        CHECK_VALUES(sum_to(a, {3}), {3, 5, 7});
        CHECK_VALUES(sum_to(a, {2, 1}), {3, 12});
        CHECK_VALUES(sum_to(a, {1, 3}), {3, 5, 7});
        CHECK_SHAPE(sum_to(a, {1, 3}), {1, 3});
        CHECK_VALUES(sum_to(a, {}), {15});
        CHECK_VALUES(sum_to(a, {2, 3}), {0, 1, 2, 3, 4, 5});
    }

    TEST_CASE("broadcast_shapes: aligns from the right") {
        CHECK(broadcast_shapes("op", {4, 1, 3}, {2, 3}) == std::vector<int64_t>{4, 2, 3});
        CHECK(broadcast_shapes("op", {}, {2}) == std::vector<int64_t>{2});
        CHECK(broadcast_shapes("op", {2, 1}, {1, 5}) == std::vector<int64_t>{2, 5});
        CHECK_THROWS_CONTAINS(broadcast_shapes("myop", {2, 3}, {4}), std::invalid_argument, "myop",
                              "[2, 3]", "[4]");
    }

    // ---- gradient checks --------------------------------------------------------------------

    TEST_CASE("reshape: gradient matches finite differences, as do view and flatten") {
        manual_seed(21);
        CHECK_GRADIENTS([](In in) { return in[0].reshape({3, 2}); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].view({-1}); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].flatten(1); }, {randn({2, 2, 2}, f64())});
        CHECK_GRADIENTS([](In in) { return reshape(in[0] * 2.0, {6}) * in[0].reshape({6}); },
                        {randn({2, 3}, f64())});
    }

    TEST_CASE("squeeze: gradient matches finite differences, as does unsqueeze") {
        manual_seed(22);
        CHECK_GRADIENTS([](In in) { return in[0].squeeze(); }, {randn({2, 1, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return squeeze(in[0], 1); }, {randn({2, 1, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].unsqueeze(1); }, {randn({2, 3}, f64())});
    }

    TEST_CASE("slice: gradient matches finite differences on dims 0 and 1, with a step") {
        manual_seed(23);
        CHECK_GRADIENTS([](In in) { return in[0].slice(0, 1, 3); }, {randn({4, 2}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].slice(1, 1, 4, 2); }, {randn({2, 5}, f64())});
    }

    TEST_CASE("select: gradient matches finite differences on dims 0 and 1") {
        manual_seed(24);
        CHECK_GRADIENTS([](In in) { return in[0][1]; }, {randn({3, 2}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0].select(1, -1); }, {randn({3, 2}, f64())});
    }

    TEST_CASE("narrow: gradient matches finite differences on dims 0 and 1") {
        manual_seed(25);
        CHECK_GRADIENTS([](In in) { return narrow(in[0], 0, 1, 2); }, {randn({3, 2}, f64())});
        CHECK_GRADIENTS([](In in) { return narrow(in[0], 1, 1, 2); }, {randn({2, 4}, f64())});
    }

    TEST_CASE("index_select: gradient matches finite differences on dims 0 and 1") {
        manual_seed(26);
        Tensor idx = make_i64({2, 0, 2}, {3});
        CHECK_GRADIENTS([idx](In in) { return in[0].index_select(0, idx); },
                        {randn({3, 2}, f64())});
        CHECK_GRADIENTS([idx](In in) { return in[0].index_select(1, idx); },
                        {randn({2, 3}, f64())});
    }

    TEST_CASE("gather: gradient matches finite differences on dims 0 and 1") {
        manual_seed(27);
        Tensor idx1 = make_i64({2, 0, 1, 1}, {2, 2});
        CHECK_GRADIENTS([idx1](In in) { return gather(in[0], 1, idx1); }, {randn({2, 3}, f64())});
        Tensor idx0 = make_i64({1, 0, 1, 1, 1, 0}, {2, 3});
        CHECK_GRADIENTS([idx0](In in) { return gather(in[0], 0, idx0); }, {randn({2, 3}, f64())});
    }

    TEST_CASE("cat: gradient matches finite differences over dims 0 and 1") {
        manual_seed(28);
        CHECK_GRADIENTS(
            [](In in) {
                return cat({in[0], in[1]}, 0);
            },
            {randn({2, 3}, f64()), randn({1, 3}, f64())});
        CHECK_GRADIENTS(
            [](In in) {
                return cat({in[0], in[1], in[0]}, 1);
            },
            {randn({2, 3}, f64()), randn({2, 1}, f64())});
    }

    TEST_CASE("stack: gradient matches finite differences over dims 0, 1 and 2") {
        manual_seed(29);
        for (int64_t d = 0; d <= 2; ++d) {
            CAPTURE(d);
            CHECK_GRADIENTS(
                [d](In in) {
                    return stack({in[0], in[1]}, d);
                },
                {randn({2, 3}, f64()), randn({2, 3}, f64())});
        }
    }

    TEST_CASE("cat: sends gradients only to the inputs that require them") {
        Tensor a = make_f64({1, 2}, {2}, true);
        Tensor b = make_f64({3}, {1});
        cat({b, a}, 0).backward(make_f64({10, 20, 30}, {3}));
        CHECK_VALUES(a.grad(), {20, 30});
        CHECK_FALSE(b.grad().defined());
    }

    TEST_CASE("expand: gradient matches finite differences") {
        manual_seed(30);
        CHECK_GRADIENTS([](In in) { return in[0].expand({2, 3}); }, {randn({3}, f64())});
        CHECK_GRADIENTS([](In in) { return expand(in[0], {2, 2, 3}); }, {randn({2, 1, 3}, f64())});
    }

    TEST_CASE("sum_to: gradient matches finite differences") {
        manual_seed(31);
        CHECK_GRADIENTS([](In in) { return sum_to(in[0], {3}); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return sum_to(in[0], {2, 1}); }, {randn({2, 3}, f64())});
    }

    TEST_CASE("cat: second derivatives match finite differences through shape ops") {
        manual_seed(32);
        CHECK_GRADGRADIENTS(
            [](In in) {
                return cat({in[0] * in[0], in[0].reshape({3, 2}).t()}, 0).sum(0);
            },
            {randn({2, 3}, f64())});
    }

    // ---- errors -----------------------------------------------------------------------------

    TEST_CASE("reshape: rejects a shape with a different number of elements") {
        CHECK_THROWS_CONTAINS(iota({2, 3}).reshape({4, 2}), std::invalid_argument, "reshape",
                              "[2, 3]", "[4, 2]");
        CHECK_THROWS_CONTAINS(iota({2, 3}).view({4, -1}), std::invalid_argument, "view", "[2, 3]");
        CHECK_THROWS_CONTAINS(iota({2, 3}).view({-1, -1}), std::invalid_argument, "view");
    }

    TEST_CASE("squeeze: rejects a dim out of range, as do unsqueeze and flatten") {
        CHECK_THROWS_CONTAINS(iota({2, 1}).squeeze(2), std::invalid_argument, "squeeze", "2");
        CHECK_THROWS_CONTAINS(iota({2, 1}).unsqueeze(4), std::invalid_argument, "unsqueeze", "4");
        CHECK_THROWS_CONTAINS(iota({2, 1}).flatten(3), std::invalid_argument, "flatten", "3");
    }

    TEST_CASE("select: rejects an index out of range and a bad dim") {
        CHECK_THROWS_CONTAINS(iota({2, 3}).select(1, 3), std::invalid_argument, "select", "3");
        CHECK_THROWS_CONTAINS(iota({2, 3})[-3], std::invalid_argument, "select", "-3");
        CHECK_THROWS_CONTAINS(iota({2, 3}).select(2, 0), std::invalid_argument, "select", "2");
    }

    TEST_CASE("slice: rejects a bad dim and a non-positive step") {
        CHECK_THROWS_CONTAINS(iota({2, 3}).slice(2, 0, 1), std::invalid_argument, "slice", "2");
        CHECK_THROWS_CONTAINS(iota({2, 3}).slice(1, 0, 3, 0), std::invalid_argument, "slice",
                              "step");
    }

    TEST_CASE("narrow: rejects a range past the end") {
        CHECK_THROWS_CONTAINS(iota({2, 4}).narrow(1, 3, 2), std::invalid_argument, "narrow");
        CHECK_THROWS_CONTAINS(iota({2, 4}).narrow(0, -1, 5), std::invalid_argument, "narrow");
    }

    TEST_CASE("index_select: rejects float indices, out-of-range indices and a 2-D index") {
        CHECK_THROWS_CONTAINS(iota({3, 2}).index_select(0, make_f64({0, 1}, {2})),
                              std::invalid_argument, "index_select", "float64");
        CHECK_THROWS_CONTAINS(iota({3, 2}).index_select(0, make_i64({0, 3}, {2})),
                              std::invalid_argument, "index_select", "3");
        CHECK_THROWS_CONTAINS(iota({3, 2}).index_select(1, make_i64({-1}, {1})),
                              std::invalid_argument, "index_select", "-1");
        CHECK_THROWS_CONTAINS(iota({3, 2}).index_select(2, make_i64({0}, {1})),
                              std::invalid_argument, "index_select", "2");
        CHECK_THROWS_CONTAINS(iota({3, 2}).index_select(0, make_i64({0, 1}, {1, 2})),
                              std::invalid_argument, "index_select", "[1, 2]");
    }

    TEST_CASE("gather: rejects float indices, out-of-range indices and a rank mismatch") {
        CHECK_THROWS_CONTAINS(gather(iota({2, 3}), 1, make_f64({0, 1}, {2, 1})),
                              std::invalid_argument, "gather", "float64");
        CHECK_THROWS_CONTAINS(gather(iota({2, 3}), 1, make_i64({0, 3}, {2, 1})),
                              std::invalid_argument, "gather", "3");
        CHECK_THROWS_CONTAINS(gather(iota({2, 3}), 1, make_i64({0, 1}, {2})), std::invalid_argument,
                              "gather", "[2]");
        CHECK_THROWS_CONTAINS(gather(iota({2, 3}), 2, make_i64({0, 1}, {2, 1})),
                              std::invalid_argument, "gather", "2");
    }

    TEST_CASE("cat: rejects shapes that differ outside dim, an empty list and a bad dim") {
        CHECK_THROWS_CONTAINS(cat({iota({2, 3}), iota({2, 4})}, 0), std::invalid_argument, "cat",
                              "[2, 3]", "[2, 4]");
        CHECK_THROWS_CONTAINS(cat({iota({2, 3}), iota({3})}, 0), std::invalid_argument, "cat",
                              "[3]");
        CHECK_THROWS_CONTAINS(cat({}, 0), std::invalid_argument, "cat");
        CHECK_THROWS_CONTAINS(cat({iota({2, 3}), iota({2, 3})}, 2), std::invalid_argument, "cat",
                              "2");
    }

    TEST_CASE("stack: rejects shapes that differ and an empty list") {
        CHECK_THROWS_CONTAINS(stack({iota({2, 3}), iota({3, 2})}, 0), std::invalid_argument,
                              "stack", "[2, 3]", "[3, 2]");
        CHECK_THROWS_CONTAINS(stack({}, 0), std::invalid_argument, "stack");
        CHECK_THROWS_CONTAINS(stack({iota({2}), iota({2})}, 3), std::invalid_argument, "stack",
                              "3");
    }

    TEST_CASE("expand: rejects a non-broadcastable target") {
        CHECK_THROWS_CONTAINS(iota({3}).expand({2, 4}), std::invalid_argument, "expand", "[3]",
                              "[2, 4]");
        CHECK_THROWS_CONTAINS(iota({2, 3}).expand({3}), std::invalid_argument, "expand", "[2, 3]");
    }

    TEST_CASE("sum_to: rejects a shape the input was not broadcast from") {
        CHECK_THROWS_CONTAINS(sum_to(iota({2, 3}), {4}), std::invalid_argument, "sum_to", "[2, 3]",
                              "[4]");
    }

}  // TEST_SUITE
