// Indexing, masks and writes along a dim: views versus copies, writes landing in the indexed
// tensor, repeated positions, empty and out-of-range indices, gradients to second order. Values
// against PyTorch are in indexing_golden_test.cpp.

#include "tests/autograd/indexing_test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using namespace tapegrad::indexing;

TEST_SUITE("indexing") {
    // ---- t.index({...})
    // ------------------------------------------------------------------------------

    TEST_CASE("index: integers, Slice, None and Ellipsis give views that share storage both ways") {
        Tensor x = iota({3, 4, 5});
        Tensor v = x.index({Slice(1, None), 2, None, Slice(None, None, 2)});
        CHECK_SHAPE(v, {2, 1, 3});
        CHECK(v.is_alias_of(x));
        CHECK_VALUES(v, {30, 32, 34, 50, 52, 54});
        v.fill_(-1.0);
        CHECK(x.index({1, 2, 0}).item<double>() == -1);
        CHECK(x.index({1, 2, 1}).item<double>() == 31);
        x.index({2, 2, 4}).fill_(7.0);  // base written: the view shows it
        CHECK(v.index({1, 0, 2}).item<double>() == 7);
        // "..." and Ellipsis
        CHECK_VALUES(x.index({"...", 3}).index({0}), {3, 8, 13, 18});
        CHECK_SHAPE(x.index({Ellipsis, None}), {3, 4, 5, 1});
        // x[...] is a new view handle, not x itself (LibTorch's alias)
        Tensor a = x.index({Ellipsis});
        CHECK_FALSE(a.is_same(x));
        CHECK(a.is_alias_of(x));
        // Slice with negative ends, as Python
        CHECK_VALUES(iota({6}).index({Slice(-4, -1)}), {2, 3, 4});
        CHECK_VALUES(iota({6}).index({Slice(None, None, 4)}), {0, 4});
    }

    TEST_CASE("index: a tensor index gives a copy, and repeated positions sum their gradients") {
        Tensor x = iota({3, 4});
        Tensor y = x.index({ints({2, 0, 2})});
        CHECK_FALSE(y.is_alias_of(x));
        CHECK_VALUES(y, {8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
        y.fill_(0.0);
        CHECK(x.index({2, 0}).item<double>() == 8);  // the copy does not write back
        Tensor w = x.clone().requires_grad_();
        w.index({ints({2, 0, 2})}).sum().backward();
        CHECK_VALUES(w.grad(), {1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 2, 2});
    }

    TEST_CASE("index: true, false, 0-d tensors and masks as LibTorch reads them") {
        Tensor x = iota({2, 3});
        CHECK_SHAPE(x.index({true}), {1, 2, 3});
        CHECK_SHAPE(x.index({false}), {0, 2, 3});
        CHECK_SHAPE(x.index({tensor(1, kBool)}), {1, 2, 3});
        Tensor s = x.index({ints(1)});  // a 0-d integer tensor selects: a view
        CHECK(s.is_alias_of(x));
        CHECK_VALUES(s, {3, 4, 5});
        CHECK_VALUES(x.index({bools({{1, 0, 1}, {0, 1, 0}})}), {0, 2, 4});
        // uint8 masks are masks (LibTorch's deprecated form), not positions
        CHECK_VALUES(x.index({Slice(), tensor({1, 0, 1}, kUInt8)}), {0, 2, 3, 5});
        // a mask over two dims, then an integer for the third (NumPy's rule; LibTorch 1.13 raises)
        Tensor z = iota({2, 3, 4});
        CHECK_VALUES(z.index({bools({{1, 0, 0}, {0, 0, 1}}), 1}), {1, 21});
    }

    TEST_CASE(
        "index: tensor indices apart put the broadcast dims first, together keep their place") {
        Tensor x = iota({2, 3, 4});
        CHECK_SHAPE(x.index({ints({0, 1}), Slice(), ints({1, 2})}), {2, 3});
        CHECK_SHAPE(x.index({Slice(), ints({0, 1}), ints({1, 2})}), {2, 2});
        CHECK_SHAPE(x.index({None, ints({0, 1}), None, ints({1, 2})}), {2, 1, 1, 4});
        CHECK_SHAPE(x.index({ints({{0}, {1}}), ints({1, 2})}), {2, 2, 4});
        // an integer selects first (LibTorch's order), so the list below is alone: its dim stays
        CHECK_SHAPE(x.index({0, Slice(), ints({1, 2})}), {3, 2});
        CHECK_VALUES(x.index({ints({0, 1}), Slice(), ints({1, 2})}), {1, 5, 9, 14, 18, 22});
    }

    TEST_CASE(
        "index: negative positions count from the end; empty index tensors give empty results") {
        Tensor x = iota({3, 2});
        CHECK_VALUES(x.index({ints({-1, 0})}), {4, 5, 0, 1});
        Tensor e = x.index({empty({0}, kInt64)});
        CHECK_SHAPE(e, {0, 2});
        CHECK_SHAPE(zeros({0, 3}).index({Slice(), ints({2, 0})}), {0, 2});
        Tensor g = x.clone().requires_grad_();
        g.index({empty({0}, kInt64)}).sum().backward();
        CHECK_VALUES(g.grad(), {0, 0, 0, 0, 0, 0});
    }

    TEST_CASE(
        "index: out-of-range positions, bad index types and malformed lists raise, naming the op") {
        Tensor x = iota({3, 4});
        CHECK_THROWS_WITH_AS(x.index({3}), "index: index 3 is out of range for dim 0 of size 3",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(x.index({Slice(), -5}),
                             "index: index -5 is out of range for dim 1 of size 4",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(x.index({ints({0, 4})}),
                             "index: index 4 is out of range for dim 0 of size 3",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(x.index({Slice(), ints({-5})}),
                             "index: index -5 is out of range for dim 1 of size 4",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(x.index({0, 0, 0}), std::invalid_argument, "index: too many indices",
                              "[3, 4]");
        CHECK_THROWS_CONTAINS(x.index({tensor({0.0, 1.0})}), std::invalid_argument,
                              "index:", "float32");
        CHECK_THROWS_CONTAINS(x.index({bools({1, 0})}), std::invalid_argument,
                              "index:", "mask of shape [2]");
        CHECK_THROWS_CONTAINS(x.index({ints({0, 1}), ints({0, 1, 2})}), std::invalid_argument,
                              "index:", "do not broadcast");
        CHECK_THROWS_CONTAINS(x.index({Ellipsis, 0, Ellipsis}), std::invalid_argument,
                              "only one Ellipsis");
        CHECK_THROWS_CONTAINS(x.index({Slice(None, None, -1)}), std::invalid_argument,
                              "negative slice steps");
        CHECK_THROWS_CONTAINS(Slice(0, 2, 0), std::invalid_argument, "Slice: step cannot be zero");
        CHECK_THROWS_CONTAINS(x.index({".."}), std::invalid_argument, "expected \"...\"");
        CHECK_THROWS_CONTAINS(x.index({ints({0, 1}), Tensor()}), std::invalid_argument, "index:");
    }

    TEST_CASE(
        "index: gradients of basic and advanced indexing match finite differences, to second "
        "order") {
        check_derivatives("basic",
                          [](const auto& in) {
                              return in[0].index({Slice(1, None), None, 1}).pow(2);
                          },
                          {randn({3, 4}, f64())});
        check_derivatives("positions",
                          [](const auto& in) {
                              return in[0].index({ints({2, 0, 2}), Slice(1, 3)}).pow(2);
                          },
                          {randn({3, 4}, f64())});
        check_derivatives("separated",
                          [](const auto& in) {
                              return in[0].index({ints({0, 1}), Slice(), ints({2, 0})}).pow(2);
                          },
                          {randn({2, 3, 4}, f64())});
        check_derivatives("mask",
                          [](const auto& in) {
                              return in[0].index({bools({{1, 0}, {1, 1}})}).pow(2);
                          },
                          {randn({2, 2}, f64())});
    }

    // ---- index_put_
    // --------------------------------------------------------------------------------

    TEST_CASE(
        "index_put_: writes land in the tensor, through views, with tensor or scalar values") {
        Tensor x = zeros({3, 4}, kFloat64);
        x.index_put_({1}, 5.0);
        x.index_put_({Slice(), 0}, make_f64({1, 2, 3}, {3}));
        x.index_put_({ints({0, 2}), 3}, make_f64({-1, -2}, {2}));
        x.index_put_({bools({0, 0, 1}), Slice(1, 3)}, 9.0);
        CHECK_VALUES(x, {1, 0, 0, -1, 2, 5, 5, 5, 3, 9, 9, -2});
        // the value broadcasts, and leading dims of size 1 are dropped, as LibTorch's setitem
        x.index_put_({Slice(0, 2)}, make_f64({7, 7, 7, 7}, {1, 1, 4}));
        CHECK_VALUES(x.index({0}), {7, 7, 7, 7});
        // through a view of x: x changes
        Tensor row = x[2];
        row.index_put_({ints({0, 1})}, 4.0);
        CHECK_VALUES(x[2], {4, 4, 9, -2});
        // a value that aliases the target is read before it is written
        Tensor y = iota({4});
        y.index_put_({ints({1, 2, 3})}, y.index({Slice(0, 3)}));
        CHECK_VALUES(y, {0, 0, 1, 2});
        Tensor z = iota({4});
        z.index_put_({Slice(1, None)}, z.index({Slice(0, 3)}));
        CHECK_VALUES(z, {0, 0, 1, 2});
    }

    TEST_CASE("index_put_: accumulate sums repeated positions; without it, the last write wins") {
        Tensor x = zeros({5}, kFloat64);
        x.index_put_({ints({1, 1, 1, 2})}, make_f64({1, 2, 3, 4}, {4}), /*accumulate=*/true);
        CHECK_VALUES(x, {0, 6, 4, 0, 0});
        // LibTorch leaves the winner undefined; its CPU kernel, and tapegrad, keep the last one
        Tensor y = zeros({5}, kFloat64);
        y.index_put_({ints({1, 1, 1, 2})}, make_f64({1, 2, 3, 4}, {4}));
        CHECK_VALUES(y, {0, 3, 4, 0, 0});
        CHECK_VALUES(index_put(zeros({5}, kFloat64), {ints({4, 4})}, make_f64({1, 2}, {2}), true),
                     {0, 0, 0, 0, 3});
        // integer tensors accumulate too
        Tensor c = zeros({3}, kInt64);
        c.index_put_({ints({0, 2, 2})}, ints({1, 1, 1}), true);
        CHECK_VALUES(c, {1, 0, 2});
        // the list form with nullopt for a whole dim
        Tensor m = zeros({2, 3}, kFloat64);
        m.index_put_({std::nullopt, ints({2, 2})}, make_f64({1, 10}, {2}), true);
        CHECK_VALUES(m, {0, 0, 11, 0, 0, 11});
    }

    TEST_CASE(
        "index_put_: in place on a graph tensor is recorded; on a leaf that requires grad it is "
        "refused") {
        Tensor leaf = make_f64({1, 2, 3, 4}, {4}, true);
        CHECK_THROWS_CONTAINS(leaf.index_put_({ints({0})}, 0.0), std::logic_error, "index_put_",
                              "leaf");
        {
            NoGradGuard no_grad;
            leaf.index_put_({ints({0})}, 0.0);
        }
        CHECK_VALUES(leaf, {0, 2, 3, 4});
        Tensor w = make_f64({10, 20}, {2}, true);
        Tensor y = leaf * 2.0;
        const uint64_t v = y._version();
        y.index_put_({ints({3, 1})}, w);
        CHECK(y._version() == v + 1);
        CHECK(y.grad_fn()->name() == "index_put");
        (y * y).sum().backward();  // y = [0, w1, 6, w0]
        CHECK_VALUES(leaf.grad(), {0, 0, 24, 0});
        CHECK_VALUES(w.grad(), {20, 40});
    }

    TEST_CASE("index_put_: values of another dtype or shape raise, naming the shapes") {
        Tensor x = zeros({3, 4});
        CHECK_THROWS_CONTAINS(x.index_put_({ints({0, 1})}, zeros({2, 4}, kFloat64)),
                              std::invalid_argument, "index_put_", "float64", "float32");
        CHECK_THROWS_CONTAINS(x.index_put_({ints({0, 1})}, zeros({3})), std::invalid_argument,
                              "index_put_", "[3]", "[2, 4]");
        CHECK_THROWS_CONTAINS(x.index_put_({0}, zeros({3})), std::invalid_argument, "index_put_",
                              "[3]", "[4]");
        CHECK_THROWS_CONTAINS(x.index_put_({ints({3})}, 1.0), std::invalid_argument,
                              "index_put_: index 3 is out of range for dim 0 of size 3");
    }

    TEST_CASE(
        "index_put: gradients for self and values match finite differences, to second order") {
        check_derivatives("write",
                          [](const auto& in) {
                              return index_put(in[0], {ints({2, 0})}, in[1]).pow(2);
                          },
                          {randn({3, 2}, f64()), randn({2}, f64())});
        check_derivatives("accumulate",
                          [](const auto& in) {
                              return index_put(in[0], {ints({1, 1, 0})}, in[1], true).pow(2);
                          },
                          {randn({3, 2}, f64()), randn({3, 2}, f64())});
        check_derivatives("in place, basic and advanced",
                          [](const auto& in) {
                              Tensor y = in[0] * 1.0;
                              y.index_put_({Slice(), ints({1})}, in[1]);
                              y.index_put_({0}, in[1].sum());
                              return y.pow(2);
                          },
                          {randn({2, 3}, f64()), randn({2, 1}, f64())});
    }

    TEST_CASE(
        "operator[] with a tensor: a 0-d integer selects (a view); anything else raises, as "
        "LibTorch") {
        Tensor x = iota({3, 2});
        Tensor r = x[ints(2)];
        CHECK(r.is_alias_of(x));
        CHECK_VALUES(r, {4, 5});
        x[ints(0)] = make_f64({-1, -2}, {2});  // x[i] = y writes through
        CHECK_VALUES(x.index({0}), {-1, -2});
        CHECK_THROWS_CONTAINS(x[ints({0, 1})], std::invalid_argument, "operator[]", "0-d",
                              "index({t})");
        CHECK_THROWS_CONTAINS(x[tensor(1, kBool)], std::invalid_argument, "operator[]", "bool");
        CHECK_THROWS_CONTAINS(x[ints(3)], std::invalid_argument, "out of range");
    }

    // ---- take
    // ------------------------------------------------------------------------------------------

    TEST_CASE(
        "take: picks from the flattened tensor in the index's shape; repeats sum their gradients") {
        Tensor x = iota({2, 3});
        CHECK_VALUES(take(x.t(), ints({{0, 1}, {-1, 2}})), {0, 3, 5, 1});
        CHECK_SHAPE(take(x, ints({{0, 1}, {-1, 2}})), {2, 2});
        CHECK_SHAPE(take(x, empty({0}, kInt64)), {0});
        Tensor w = x.clone().requires_grad_();
        take(w, ints({4, 4, 0})).sum().backward();
        CHECK_VALUES(w.grad(), {1, 0, 0, 0, 2, 0});
        CHECK_THROWS_WITH_AS(take(x, ints({6})),
                             "take: index 6 is out of range for dim 0 of size 6",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(take(x, ints({-7})),
                             "take: index -7 is out of range for dim 0 of size 6",
                             std::invalid_argument);
        check_derivatives("take",
                          [](const auto& in) {
                              return take(in[0].t(), ints({{5, 0}, {2, 2}})).pow(2);
                          },
                          {randn({2, 3}, f64())});
    }

    // ---- masks
    // ---------------------------------------------------------------------------------------

    TEST_CASE("masked_fill: fills where the mask is true, broadcast; in place through a view") {
        Tensor x = iota({2, 3});
        CHECK_VALUES(x.masked_fill(bools({1, 0, 1}), -1.0), {-1, 1, -1, -1, 4, -1});
        CHECK_VALUES(x.masked_fill(x > 2.5, make_f64({9}, {})), {0, 1, 2, 9, 9, 9});
        // the mask may broadcast the result beyond self (out of place only)
        CHECK_SHAPE(masked_fill(iota({3}), bools({{1, 0, 0}, {0, 0, 1}}), 0.0), {2, 3});
        Tensor y = iota({2, 3});
        y.select(1, 2).masked_fill_(bools({0, 1}), 7.0);
        CHECK_VALUES(y, {0, 1, 2, 3, 4, 7});
        Tensor i = ints({1, 2, 3});
        i.masked_fill_(i > 1, 0);
        CHECK_VALUES(i, {1, 0, 0});
        CHECK_THROWS_CONTAINS(x.masked_fill(ints({1, 0, 1}), 0.0), std::invalid_argument,
                              "masked_fill", "bool");
        CHECK_THROWS_CONTAINS(x.masked_fill(bools({1, 0}), 0.0), std::invalid_argument,
                              "masked_fill");
        CHECK_THROWS_CONTAINS(iota({3}).masked_fill_(bools({{1, 0, 0}, {0, 0, 1}}), 0.0),
                              std::invalid_argument, "masked_fill_",
                              "does not broadcast to self's shape [3]");
        CHECK_THROWS_CONTAINS(x.masked_fill(bools({1, 0, 1}), iota({2})), std::invalid_argument,
                              "masked_fill", "0-d");
        check_derivatives("masked_fill",
                          [](const auto& in) {
                              return in[0].masked_fill(bools({1, 0, 1}), 0.5).pow(2);
                          },
                          {randn({2, 3}, f64())});
        check_derivatives(
            "masked_fill tensor value",
            [](const auto& in) {
                return in[0].masked_fill(bools({{1, 0, 1}, {0, 0, 1}}), in[1]) * in[0];
            },
            {randn({2, 3}, f64()), randn({}, f64())});
        check_derivatives("masked_fill_ on a clone",
                          [](const auto& in) {
                              Tensor y = in[0].clone();
                              y.masked_fill_(bools({0, 1, 1}), in[1]);
                              return y.pow(2);
                          },
                          {randn({2, 3}, f64()), randn({}, f64())});
    }

    TEST_CASE(
        "masked_select: the true positions in row-major order, 1-D; all false gives an empty "
        "tensor") {
        Tensor x = iota({2, 3});
        CHECK_VALUES(x.masked_select(x > 1.5), {2, 3, 4, 5});
        CHECK_VALUES(x.masked_select(bools({0, 1, 1})), {1, 2, 4, 5});
        CHECK_SHAPE(x.masked_select(x > 100.0), {0});
        CHECK_VALUES(masked_select(make_f64({3}, {}), tensor(1, kBool)), {3});
        check_derivatives("masked_select",
                          [](const auto& in) {
                              return in[0].masked_select(bools({{1, 0, 1}, {0, 1, 1}})).pow(2);
                          },
                          {randn({2, 3}, f64())});
        check_derivatives("masked_select broadcast self",
                          [](const auto& in) {
                              return in[0].masked_select(bools({{1, 0, 1}, {1, 1, 0}})).pow(2);
                          },
                          {randn({3}, f64())});
    }

    TEST_CASE(
        "nonzero and argwhere: positions as int64 [count, dims], row-major; empty and 0-d inputs") {
        Tensor n = nonzero(tensor({{0, 1}, {2, 0}}));
        CHECK(n.dtype() == kInt64);
        CHECK_VALUES(n, {0, 1, 1, 0});
        CHECK_SHAPE(nonzero(zeros({2, 3})), {0, 2});
        CHECK_SHAPE(nonzero(zeros({0})), {0, 1});
        CHECK_SHAPE(nonzero(tensor(5)), {1, 0});
        CHECK_SHAPE(tensor(0).nonzero(), {0, 0});
        CHECK_VALUES(argwhere(bools({0, 1, 1})), {1, 2});
    }

    TEST_CASE("any and all: whole tensor or per dim (negative dims too); empty and uint8 inputs") {
        Tensor x = tensor({{0, 0, 1}, {0, 0, 0}});
        CHECK(x.any().dtype() == kBool);
        CHECK(x.any().item<bool>());
        CHECK_FALSE(x.all().item<bool>());
        CHECK_VALUES(x.any(1), {1, 0});
        CHECK_VALUES(x.any(-2, /*keepdim=*/true), {0, 0, 1});
        CHECK_SHAPE(x.any(-2, true), {1, 3});
        CHECK_VALUES(all(tensor({{1.0, 2.0}, {0.0, 3.0}}), 0), {0, 1});
        CHECK_FALSE(any(zeros({0})).item<bool>());
        CHECK(all(zeros({0})).item<bool>());
        CHECK_SHAPE(all(zeros({2, 0}), 1), {2});
        CHECK_VALUES(all(zeros({2, 0}), 1), {1, 1});
        CHECK(any(tensor({0, 3}, kUInt8)).dtype() == kUInt8);  // as LibTorch
        CHECK(any(make_f64({NAN}, {1})).item<bool>());         // NaN is not zero
        CHECK_THROWS_CONTAINS(x.any(2), std::invalid_argument, "any", "dim 2");
    }

    // ---- writes along a dim
    // --------------------------------------------------------------------------

    TEST_CASE(
        "index_add: adds rows at positions, repeats summing; into views; alpha; negative dims") {
        Tensor x = zeros({3, 2}, kFloat64);
        x.index_add_(0, ints({2, 0, 2}), make_f64({1, 2, 3, 4, 5, 6}, {3, 2}));
        CHECK_VALUES(x, {3, 4, 0, 0, 6, 8});
        CHECK_VALUES(index_add(zeros({2, 3}, kFloat64), -1, ints({1}), make_f64({1, 2}, {2, 1}), 3),
                     {0, 3, 0, 0, 6, 0});
        Tensor y = zeros({2, 3}, kFloat64);
        y.t().index_add_(0, ints({1, 1}), ones({2, 2}, kFloat64));  // through a transposed view
        CHECK_VALUES(y, {0, 2, 0, 0, 2, 0});
        Tensor e = iota({2, 2});
        e.index_add_(0, empty({0}, kInt64), zeros({0, 2}, kFloat64));
        CHECK_VALUES(e, {0, 1, 2, 3});
        CHECK_THROWS_WITH_AS(x.index_add(0, ints({3}), zeros({1, 2}, kFloat64)),
                             "index_add: index 3 is out of range for dim 0 of size 3",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(x.index_add(0, ints({-1}), zeros({1, 2}, kFloat64)),
                             "index_add: index -1 is out of range for dim 0 of size 3",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(x.index_add(0, ints({0}), zeros({1, 3}, kFloat64)),
                              std::invalid_argument, "index_add", "[1, 3]", "[1, 2]");
        CHECK_THROWS_CONTAINS(x.index_add(0, ints({0}), zeros({1, 2})), std::invalid_argument,
                              "index_add", "same dtype");
        CHECK_THROWS_CONTAINS(x.index_add(0, ints({{0}}), zeros({1, 2}, kFloat64)),
                              std::invalid_argument, "index_add", "0-D or 1-D");
        CHECK_THROWS_CONTAINS(x.index_add(2, ints({0}), zeros({1, 2}, kFloat64)),
                              std::invalid_argument, "index_add", "dim 2");
        check_derivatives("index_add",
                          [](const auto& in) {
                              return in[0].index_add(1, ints({2, 0, 2}), in[1], 0.5).pow(2);
                          },
                          {randn({2, 3}, f64()), randn({2, 3}, f64())});
    }

    TEST_CASE(
        "index_copy and index_fill: write slices at positions (a repeated position keeps the "
        "last)") {
        Tensor x = zeros({4}, kFloat64);
        x.index_copy_(0, ints({1, 1, 3}), make_f64({1, 2, 3}, {3}));
        CHECK_VALUES(x, {0, 2, 0, 3});
        Tensor y = iota({2, 3});
        y.index_fill_(-1, ints({0, 2}), -1.0);
        CHECK_VALUES(y, {-1, 1, -1, -1, 4, -1});
        CHECK_VALUES(iota({2, 2}).index_fill(0, ints(1), 5.0), {0, 1, 5, 5});
        CHECK_THROWS_WITH_AS(y.index_copy(1, ints({0, 3}), zeros({2, 2}, kFloat64)),
                             "index_copy: index 3 is out of range for dim 1 of size 3",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(y.index_fill(0, ints({-1}), 0.0),
                             "index_fill: index -1 is out of range for dim 0 of size 2",
                             std::invalid_argument);
        check_derivatives("index_copy",
                          [](const auto& in) {
                              return in[0].index_copy(0, ints({2, 0}), in[1]).pow(2);
                          },
                          {randn({3, 2}, f64()), randn({2, 2}, f64())});
        check_derivatives("index_fill",
                          [](const auto& in) { return in[0].index_fill(1, ints({1}), 2.0).pow(2); },
                          {randn({3, 2}, f64())});
        check_derivatives("index_copy_ on a clone",
                          [](const auto& in) {
                              Tensor y = in[0].clone();
                              y.index_copy_(1, ints({0}), in[1]);
                              return y * in[0];
                          },
                          {randn({3, 2}, f64()), randn({3, 1}, f64())});
    }

    TEST_CASE(
        "scatter and scatter_add: per-element positions; repeats keep the last / sum; src larger "
        "than index") {
        Tensor x = zeros({2, 4}, kFloat64);
        Tensor src = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        CHECK_VALUES(x.scatter(1, ints({{3, 0}, {1, 1}}), src), {2, 0, 0, 1, 0, 5, 0, 0});
        CHECK_VALUES(x.scatter_add(1, ints({{3, 0}, {1, 1}}), src), {2, 0, 0, 1, 0, 9, 0, 0});
        CHECK_VALUES(x.scatter(-2, ints({{1, 0, 1, 0}}), 7.0), {0, 7, 0, 7, 7, 0, 7, 0});
        Tensor y = zeros({3, 2}, kFloat64);
        y.t().scatter_(1, ints({{2}, {0}}), make_f64({8, 9}, {2, 1}));  // into a transposed view
        CHECK_VALUES(y, {0, 9, 0, 0, 8, 0});
        Tensor c = zeros({3}, kInt64);
        c.scatter_add_(0, ints({0, 0, 2}), ints({1, 1, 1}));
        CHECK_VALUES(c, {2, 0, 1});
        Tensor e = iota({2});
        e.scatter_(0, empty({0}, kInt64), empty({0}, kFloat64));
        CHECK_VALUES(e, {0, 1});
        CHECK_THROWS_WITH_AS(x.scatter(1, ints({{4}}), 1.0),
                             "scatter: index 4 is out of range for dim 1 of size 4",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(x.scatter_add(0, ints({{-1}}), src),
                             "scatter_add: index -1 is out of range for dim 0 of size 2",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(x.scatter(1, ints({0, 1}), src), std::invalid_argument, "scatter",
                              "number of dims");
        CHECK_THROWS_CONTAINS(x.scatter(1, ints({{0, 1, 2, 3}}), src), std::invalid_argument,
                              "scatter", "must fit", "[2, 3]");
        CHECK_THROWS_CONTAINS(x.scatter(1, ints({{0}}), zeros({1, 1})), std::invalid_argument,
                              "scatter", "same dtype");
        check_derivatives("scatter",
                          [](const auto& in) {
                              return in[0].scatter(1, ints({{2, 0}, {1, 2}}), in[1]).pow(2);
                          },
                          {randn({2, 3}, f64()), randn({2, 2}, f64())});
        // src larger than index: the elements scatter never reads get a zero gradient (LibTorch
        // raises in backward here)
        check_derivatives("scatter, src larger than index",
                          [](const auto& in) {
                              return in[0].scatter(0, ints({{1, 0}}), in[1]).pow(2);
                          },
                          {randn({2, 3}, f64()), randn({2, 3}, f64())});
        check_derivatives("scatter value",
                          [](const auto& in) {
                              return in[0].scatter(0, ints({{1, 0, 1}}), 0.5).pow(2);
                          },
                          {randn({2, 3}, f64())});
        check_derivatives("scatter_add, repeated positions",
                          [](const auto& in) {
                              return in[0].scatter_add(1, ints({{2, 2}, {0, 2}}), in[1]).pow(2);
                          },
                          {randn({2, 3}, f64()), randn({2, 2}, f64())});
        check_derivatives("scatter_add_ on a clone",
                          [](const auto& in) {
                              Tensor y = in[0].clone();
                              y.scatter_add_(0, ints({{1, 1, 0}}), in[1]);
                              return y * in[0];
                          },
                          {randn({2, 3}, f64()), randn({1, 3}, f64())});
    }

    TEST_CASE(
        "in place index ops: recorded on graph tensors, refused on leaves, writes alias-safe") {
        Tensor leaf = make_f64({1, 2, 3}, {3}, true);
        CHECK_THROWS_CONTAINS(leaf.scatter_(0, ints({0}), 1.0), std::logic_error, "scatter_",
                              "leaf");
        CHECK_THROWS_CONTAINS(leaf.index_add_(0, ints({0}), make_f64({1}, {1})), std::logic_error,
                              "index_add_");
        CHECK_THROWS_CONTAINS(leaf.masked_fill_(bools({1, 0, 0}), 1.0), std::logic_error,
                              "masked_fill_");
        Tensor y = leaf * 1.0;
        y.index_add_(0, ints({2, 2}), leaf.index({Slice(0, 2)}));  // y = [1, 2, 3 + 1 + 2]
        CHECK_VALUES(y, {1, 2, 6});
        y.sum().backward();
        CHECK_VALUES(leaf.grad(), {2, 2, 1});
        // a source that is a view of the target is read before it is written
        Tensor z = iota({4});
        z.index_copy_(0, ints({1, 2, 3}), z.index({Slice(0, 3)}));
        CHECK_VALUES(z, {0, 0, 1, 2});
    }

}  // TEST_SUITE
