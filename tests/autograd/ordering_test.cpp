// Ordering, scans, rearrangements and einsum: ties, NaN, empty tensors, negative dims, errors,
// and gradients to second order. Values against PyTorch are in indexing_golden_test.cpp.

#include "tests/autograd/indexing_test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("ordering") {
    // ---- sort, argsort, topk, kthvalue
    // ------------------------------------------------------------------

    TEST_CASE(
        "sort: stable on ties, NaN last ascending and first descending, as LibTorch's CPU sort") {
        // PyTorch 1.13: sort([3, 1, 3, nan, 1, 2, 3]) gives indices [1, 4, 5, 0, 2, 6, 3], and
        // [3, 0, 2, 6, 5, 1, 4] descending
        const Tensor x = make_f64({3, 1, 3, NAN, 1, 2, 3}, {7});
        auto [v, i] = x.sort();
        CHECK_VALUES(i, {1, 4, 5, 0, 2, 6, 3});
        CHECK(std::isnan(v.to_vector<double>()[6]));
        CHECK_VALUES(std::get<1>(x.sort(0, /*descending=*/true)), {3, 0, 2, 6, 5, 1, 4});
        CHECK_VALUES(std::get<1>(sort(x, /*stable=*/true, 0, false)), {1, 4, 5, 0, 2, 6, 3});
        CHECK_VALUES(argsort(x), {1, 4, 5, 0, 2, 6, 3});
        // integer and bool tensors sort too (no gradient)
        CHECK_VALUES(std::get<0>(ints({{3, -1, 2}}).sort(-1)), {-1, 2, 3});
        CHECK_VALUES(std::get<1>(tensor({1, 0, 1, 0}, kBool).sort()), {1, 3, 0, 2});
    }

    TEST_CASE("sort: empty tensors, 0-d tensors and negative dims") {
        auto [v, i] = sort(zeros({2, 0}), -1);
        CHECK_SHAPE(v, {2, 0});
        CHECK_SHAPE(i, {2, 0});
        auto [s, si] = sort(make_f64({4}, {}));
        CHECK_VALUES(s, {4});
        CHECK_VALUES(si, {0});
        CHECK_VALUES(std::get<0>(iota({2, 2}).sort(-2, true)), {2, 3, 0, 1});
        CHECK_THROWS_CONTAINS(iota({2, 2}).sort(2), std::invalid_argument, "sort", "dim 2");
    }

    TEST_CASE("sort, topk, kthvalue: the gradient goes back to where each value came from") {
        check_derivatives("sort",
                          [](const auto& in) {
                              return std::get<0>(in[0].sort(1)).pow(2) * iota({3, 4});
                          },
                          {randn({3, 4}, f64())});
        check_derivatives("sort descending, dim 0",
                          [](const auto& in) {
                              return std::get<0>(in[0].t().sort(0, true)) * iota({4, 3});
                          },
                          {randn({3, 4}, f64())});
        check_derivatives("topk",
                          [](const auto& in) { return std::get<0>(in[0].topk(2, -1)).pow(2); },
                          {randn({3, 4}, f64())});
        check_derivatives(
            "topk smallest",
            [](const auto& in) { return std::get<0>(in[0].topk(3, 0, false)).pow(2); },
            {randn({4, 2}, f64())});
        check_derivatives("kthvalue",
                          [](const auto& in) { return std::get<0>(in[0].kthvalue(2, 1)).pow(2); },
                          {randn({3, 4}, f64())});
        check_derivatives(
            "kthvalue keepdim",
            [](const auto& in) { return std::get<0>(in[0].kthvalue(1, 0, true)).pow(2); },
            {randn({3, 4}, f64())});
    }

    TEST_CASE("sort: changing the returned indices in place does not change the gradient") {
        Tensor x = make_f64({3, 1, 2}, {3}, true);
        auto [v, i] = x.sort();
        i.fill_(0);
        (v * make_f64({1, 10, 100}, {3})).sum().backward();
        CHECK_VALUES(x.grad(), {100, 1, 10});
    }

    TEST_CASE("topk and kthvalue: ties resolved as a stable sort would; k out of range raises") {
        const Tensor x = make_f64({3, 1, 3, 1, 2, 3}, {6});
        auto [tv, ti] = x.topk(2);
        CHECK_VALUES(tv, {3, 3});  // PyTorch 1.13 picks positions [5, 0]; which ones is unspecified
        CHECK_VALUES(ti, {0, 2});
        CHECK_VALUES(std::get<1>(x.topk(2, 0, /*largest=*/false)), {1, 3});
        CHECK_VALUES(std::get<0>(x.topk(4, 0, true, /*sorted=*/false)), {3, 3, 3, 2});
        auto [kv, ki] = x.kthvalue(5);
        CHECK(kv.item<double>() == 3);  // PyTorch 1.13 picks position 0; any 3 is a valid answer
        CHECK(ki.item<int64_t>() == 2);
        CHECK(std::isnan(std::get<0>(make_f64({2, NAN, 1}, {3}).topk(1)).item<double>()));
        CHECK_SHAPE(std::get<0>(x.topk(0)), {0});
        CHECK_SHAPE(std::get<0>(zeros({2, 0}).topk(0)), {2, 0});
        CHECK_THROWS_CONTAINS(x.topk(7), std::invalid_argument, "topk", "k = 7", "size 6");
        CHECK_THROWS_CONTAINS(x.kthvalue(0), std::invalid_argument, "kthvalue", "k = 0",
                              "counts from 1");
        CHECK_THROWS_CONTAINS(zeros({2, 0}).kthvalue(1), std::invalid_argument, "kthvalue",
                              "size 0");
    }

    // ---- cumsum, cumprod
    // ---------------------------------------------------------------------------

    TEST_CASE("cumsum and cumprod: values along negative dims, integer promotion, empty tensors") {
        CHECK_VALUES(iota({2, 3}).cumsum(-1), {0, 1, 3, 3, 7, 12});
        CHECK_VALUES(iota({2, 3}).cumsum(0), {0, 1, 2, 3, 5, 7});
        CHECK_VALUES(make_f64({1, 2, 3, 4}, {4}).cumprod(0), {1, 2, 6, 24});
        CHECK(ints({1, 2}).to(kInt32).cumsum(0).dtype() == kInt64);  // as LibTorch
        CHECK(tensor({1, 1}, kBool).cumsum(0).dtype() == kInt64);
        CHECK_VALUES(ints({2, 3}).cumprod(0), {2, 6});
        CHECK(ints({1, 2}).cumsum(0, kFloat64).dtype() == kFloat64);
        CHECK_SHAPE(zeros({0, 3}).cumsum(0), {0, 3});
        CHECK_SHAPE(zeros({2, 0}).cumprod(1), {2, 0});
        CHECK_VALUES(make_f64({5}, {}).cumsum(0), {5});
        CHECK_THROWS_CONTAINS(iota({2}).cumsum(1), std::invalid_argument, "cumsum", "dim 1");
        CHECK_THROWS_CONTAINS(iota({2}).cumsum(0, kInt8), std::invalid_argument, "cumsum", "int8");
    }

    TEST_CASE(
        "cumsum and cumprod: gradients to second order, cumprod also with zeros in the input") {
        check_derivatives("cumsum", [](const auto& in) { return in[0].cumsum(1).pow(2); },
                          {randn({3, 4}, f64())});
        check_derivatives("cumsum of a view",
                          [](const auto& in) { return in[0].t().cumsum(-1).pow(2); },
                          {randn({3, 4}, f64())});
        check_derivatives("cumprod", [](const auto& in) { return in[0].cumprod(1); },
                          {randn({3, 4}, f64())});
        const Tensor with_zeros =
            make_f64({0.5, 0, 2, 0, 3, 1.5, -2, 0, 0.5, 1, 0, 0, 1, 2, 1, 0.7, -1.2, 0.4, 2, 1},
                     {4, 5}, true);
        check_derivatives("cumprod with zeros", [](const auto& in) { return in[0].cumprod(1); },
                          {with_zeros});
        check_derivatives("cumprod with zeros, dim 0",
                          [](const auto& in) { return in[0].cumprod(0) * 1.5; },
                          {with_zeros.t().contiguous().detach().requires_grad_()});
    }

    TEST_CASE("cumprod: the one-pass backward and the differentiable one agree, zeros included") {
        const Tensor x =
            make_f64({0.5, 0, 2, 0, 3, 1.5, -2, 0.3, 0.5, 1, 0, 0, 1, 2, 1}, {3, 5}, true);
        const Tensor g = grid({3, 5}, 1.0, 0.0, false);
        const Tensor first = autograd::grad({x.cumprod(1)}, {x}, {g})[0];
        const Tensor graph =
            autograd::grad({x.cumprod(1)}, {x}, {g}, true, /*create_graph=*/true)[0];
        CHECK(allclose(first, graph.detach(), 1e-12, 1e-12));
        // by hand for the first line [0.5, 0, 2, 0, 3]: y = [0.5, 0, 0, 0, 0]
        const std::vector<double> gv = g.to_vector<double>(), f = first.to_vector<double>();
        CHECK(f[0] == doctest::Approx(gv[0]));
        CHECK(f[1] == doctest::Approx(0.5 * (gv[1] + 2 * gv[2])));
        CHECK(f[2] == 0);
        CHECK(f[3] == 0);
    }

    // ---- flip, roll, repeat, repeat_interleave, tril, triu
    // --------------------------------------------

    TEST_CASE("flip and roll: values, negative dims, empty tensors and errors") {
        CHECK_VALUES(iota({2, 3}).flip({-1}), {2, 1, 0, 5, 4, 3});
        CHECK_VALUES(iota({2, 3}).flip({0, 1}), {5, 4, 3, 2, 1, 0});
        CHECK_VALUES(iota({2, 3}).t().flip({0}), {2, 5, 1, 4, 0, 3});
        CHECK_VALUES(iota({3}).flip({}), {0, 1, 2});
        CHECK_SHAPE(zeros({0, 2}).flip({0}), {0, 2});
        CHECK_VALUES(ints({1, 2, 3}).flip(0), {3, 2, 1});
        CHECK_VALUES(iota({2, 3}).roll(1, -1), {2, 0, 1, 5, 3, 4});
        CHECK_VALUES(iota({2, 3}).roll(-4), {4, 5, 0, 1, 2, 3});
        CHECK_VALUES(iota({2, 3}).roll({7, 0}, {1, 0}), {2, 0, 1, 5, 3, 4});
        CHECK_SHAPE(zeros({0, 2}).roll(1, 0), {0, 2});
        CHECK_THROWS_CONTAINS(iota({2, 3}).flip({0, -2}), std::invalid_argument, "flip",
                              "appears more than once");
        CHECK_THROWS_CONTAINS(iota({2, 3}).roll({1, 2}, {0}), std::invalid_argument, "roll",
                              "same length");
        CHECK_THROWS_CONTAINS(iota({2, 3}).roll({1, 2}), std::invalid_argument, "roll",
                              "one value");
        check_derivatives("flip",
                          [](const auto& in) {
                              return in[0].flip({0, 2}).pow(2) * iota({2, 3, 2});
                          },
                          {randn({2, 3, 2}, f64())});
        check_derivatives("roll",
                          [](const auto& in) {
                              return in[0].roll({1, -1}, {0, 1}).pow(2) * iota({3, 4});
                          },
                          {randn({3, 4}, f64())});
        check_derivatives("roll flat",
                          [](const auto& in) {
                              return in[0].t().roll(3).pow(2) * iota({4, 3});
                          },
                          {randn({3, 4}, f64())});
    }

    TEST_CASE("repeat and repeat_interleave: values, zero repeats and errors") {
        CHECK_VALUES(iota({2}).repeat({2, 2}), {0, 1, 0, 1, 0, 1, 0, 1});
        CHECK_SHAPE(iota({2, 3}).repeat({2, 1, 3}), {2, 2, 9});
        CHECK_SHAPE(iota({2, 3}).repeat({0, 1}), {0, 3});
        CHECK_VALUES(repeat_interleave(ints({2, 0, 1})), {0, 0, 2});
        CHECK_VALUES(iota({2, 2}).repeat_interleave(ints({2, 1}), -2), {0, 1, 0, 1, 2, 3});
        CHECK_VALUES(iota({2, 2}).repeat_interleave(2), {0, 0, 1, 1, 2, 2, 3, 3});
        CHECK_VALUES(iota({3}).repeat_interleave(ints(2), 0), {0, 0, 1, 1, 2, 2});
        CHECK_SHAPE(iota({2, 2}).repeat_interleave(0, 1), {2, 0});
        CHECK_THROWS_CONTAINS(iota({2, 3}).repeat({2}), std::invalid_argument, "repeat", "[2, 3]");
        CHECK_THROWS_CONTAINS(iota({2}).repeat({-1}), std::invalid_argument, "repeat",
                              "non-negative");
        CHECK_THROWS_CONTAINS(iota({2}).repeat_interleave(ints({1, 2, 3}), 0),
                              std::invalid_argument, "repeat_interleave", "3 entries", "size 2");
        CHECK_THROWS_CONTAINS(repeat_interleave(ints({1, -1})), std::invalid_argument,
                              "repeat_interleave", "non-negative");
        CHECK_THROWS_CONTAINS(iota({2}).repeat_interleave(tensor({1.0, 2.0}), 0),
                              std::invalid_argument, "repeat_interleave", "integer");
        check_derivatives("repeat",
                          [](const auto& in) {
                              return in[0].repeat({2, 1, 2}).pow(2) * iota({2, 2, 6});
                          },
                          {randn({2, 3}, f64())});
        check_derivatives("repeat_interleave",
                          [](const auto& in) {
                              return in[0].repeat_interleave(ints({1, 0, 3}), 1).pow(2);
                          },
                          {randn({2, 3}, f64())});
    }

    TEST_CASE("tril and triu: diagonals above and below, batches, and fewer than two dims raise") {
        CHECK_VALUES(iota({3, 3}).tril(), {0, 0, 0, 3, 4, 0, 6, 7, 8});
        CHECK_VALUES(iota({3, 3}).triu(1), {0, 1, 2, 0, 0, 5, 0, 0, 0});
        CHECK_VALUES(iota({2, 2, 2}).tril(-1), {0, 0, 2, 0, 0, 0, 6, 0});
        CHECK_VALUES(iota({2, 3}).triu(-5), {0, 1, 2, 3, 4, 5});
        CHECK_VALUES(ints({{1, 2}, {3, 4}}).tril(), {1, 0, 3, 4});
        CHECK_SHAPE(zeros({0, 3, 3}).triu(), {0, 3, 3});
        CHECK_THROWS_CONTAINS(iota({3}).tril(), std::invalid_argument, "tril", "at least 2 dims");
        check_derivatives("tril", [](const auto& in) { return in[0].tril(1).pow(2); },
                          {randn({3, 4}, f64())});
        check_derivatives("triu of a view",
                          [](const auto& in) { return in[0].t().triu(-1).pow(2); },
                          {randn({3, 4}, f64())});
    }

    // ---- einsum
    // --------------------------------------------------------------------------------------

    TEST_CASE("einsum: agrees with the ops it stands for") {
        const Tensor a = grid({2, 3}, 1.0, 0.0, false), b = grid({3, 4}, 0.5, 0.0, false);
        CHECK(allclose(einsum("ij,jk->ik", {a, b}), a.matmul(b), 1e-12, 1e-12));
        CHECK(allclose(einsum("ij,kj->ik", {a, a}), a.matmul(a.t()), 1e-12, 1e-12));
        CHECK(allclose(einsum("ij->", {a}), a.sum(), 1e-12, 1e-12));
        CHECK(allclose(einsum("ij->j", {a}), a.sum(0), 1e-12, 1e-12));
        CHECK(allclose(einsum("ij,ij->ij", {a, a}), a * a, 1e-12, 1e-12));
        CHECK(allclose(einsum("i,i->", {a[0], a[1]}), dot(a[0], a[1]), 1e-12, 1e-12));
        CHECK(
            allclose(einsum(" ij , jk ", {a, b}), a.matmul(b), 1e-12, 1e-12));  // implicit, spaces
        CHECK(einsum("ij->ji", {a}).is_alias_of(a));  // a view, as LibTorch's
        const Tensor c = grid({2, 3, 3}, 1.0, 0.0, false);
        CHECK(allclose(einsum("bii->b", {c}), c.diagonal(0, 1, 2).sum(-1), 1e-12, 1e-12));
        CHECK(allclose(einsum("...ii->...i", {c}), c.diagonal(0, 1, 2), 1e-12, 1e-12));
        // implicit output: labels used once, upper case first (LibTorch's order)
        CHECK_SHAPE(einsum("bA", {zeros({2, 3})}), {3, 2});
        CHECK_SHAPE(einsum("ij,jk,kl->il", {zeros({2, 3}), zeros({3, 4}), zeros({4, 5})}), {2, 5});
        CHECK_SHAPE(einsum("ij,jk->ik", {zeros({2, 0}), zeros({0, 4})}), {2, 4});
        CHECK_VALUES(einsum("ij,jk->ik", {zeros({2, 0}, kFloat64), zeros({0, 1}, kFloat64)}),
                     {0, 0});
    }

    TEST_CASE("einsum: malformed equations and mismatched operands raise, naming the equation") {
        const Tensor a = zeros({2, 3});
        CHECK_THROWS_CONTAINS(einsum("ij,jk->ik", {a}), std::invalid_argument, "einsum",
                              "2 operands", "1 tensors");
        CHECK_THROWS_CONTAINS(einsum("ij,jk->ik", {a, zeros({4, 2})}), std::invalid_argument,
                              "einsum", "'j'", "3", "4");
        CHECK_THROWS_CONTAINS(einsum("ijk->i", {a}), std::invalid_argument, "einsum", "2 dims",
                              "3 labels");
        CHECK_THROWS_CONTAINS(einsum("ij->k", {a}), std::invalid_argument, "einsum", "'k'",
                              "no operand");
        CHECK_THROWS_CONTAINS(einsum("ij->ii", {a}), std::invalid_argument, "einsum", "twice");
        CHECK_THROWS_CONTAINS(einsum("i1->i", {a}), std::invalid_argument, "einsum", "'1'");
        CHECK_THROWS_CONTAINS(einsum("ii->i", {a}), std::invalid_argument, "einsum", "'i' repeated",
                              "2", "3");
        CHECK_THROWS_CONTAINS(einsum("i..j..->i", {a}), std::invalid_argument, "einsum", "\"...\"");
    }

    TEST_CASE("einsum: gradients of the common contractions to second order") {
        check_derivatives("matmul",
                          [](const auto& in) {
                              return einsum("ij,jk->ik", {in[0], in[1]});
                          },
                          {randn({2, 3}, f64()), randn({3, 2}, f64())});
        check_derivatives("batched",
                          [](const auto& in) {
                              return einsum("bij,bkj->bik", {in[0], in[1]});
                          },
                          {randn({2, 2, 3}, f64()), randn({2, 2, 3}, f64())});
        check_derivatives(
            "trace and diagonal",
            [](const auto& in) { return einsum("ii->i", {in[0]}) * einsum("ii", {in[0]}); },
            {randn({3, 3}, f64())});
        check_derivatives("outer",
                          [](const auto& in) {
                              return einsum("i,j->ij", {in[0], in[1]});
                          },
                          {randn({3}, f64()), randn({2}, f64())});
        check_derivatives("bilinear",
                          [](const auto& in) {
                              return einsum("bn,anm,bm->ba", {in[0], in[1], in[2]});
                          },
                          {randn({2, 3}, f64()), randn({2, 3, 2}, f64()), randn({2, 2}, f64())});
        check_derivatives("broadcast label",
                          [](const auto& in) {
                              return einsum("ij,kj->ik", {in[0], in[1]});
                          },
                          {randn({2, 1}, f64()), randn({3, 4}, f64())});
    }

}  // TEST_SUITE
