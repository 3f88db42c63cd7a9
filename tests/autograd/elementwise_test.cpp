// Element-wise ops: arithmetic with broadcasting and scalars, unary math, clamps,
// maximum/minimum, where, and comparisons.

#include <cmath>
#include <limits>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using In = const std::vector<Tensor>&;

TEST_SUITE("ops/elementwise") {
    // ---- values worked out by hand ----------------------------------------------------------

    TEST_CASE("add: broadcasts a row over a matrix, with alpha") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        Tensor b = make_f64({10, 20, 30}, {3});
        CHECK_VALUES(a + b, {11, 22, 33, 14, 25, 36});
        CHECK_VALUES(add(a, b, 2), {21, 42, 63, 24, 45, 66});
        CHECK_VALUES(sub(a, b, 0.5), {-4, -8, -12, -1, -5, -9});
        CHECK_SHAPE(add(make_f64({1, 2}, {2, 1}), make_f64({1, 2, 3}, {1, 3})), {2, 3});
        CHECK_VALUES(add(make_f64({1, 2}, {2, 1}), make_f64({10, 20, 30}, {1, 3})),
                     {11, 21, 31, 12, 22, 32});
    }

    TEST_CASE("mul: by hand, with scalar forms on both sides") {
        Tensor a = make_f64({1, -2, 3}, {3});
        CHECK_VALUES(a * make_f64({2, 3, 4}, {3}), {2, -6, 12});
        CHECK_VALUES(a * 2.0, {2, -4, 6});
        CHECK_VALUES(2.0 * a, {2, -4, 6});
        CHECK_VALUES(a + 1, {2, -1, 4});
        CHECK_VALUES(1 + a, {2, -1, 4});
        CHECK_VALUES(a - 1, {0, -3, 2});
        CHECK_VALUES(1 - a, {0, 3, -2});
        CHECK_VALUES(a / 2, {0.5, -1, 1.5});
        CHECK_VALUES(6.0 / a, {6, -3, 2});
        CHECK_VALUES(rsub(a, 10), {9, 12, 7});
        CHECK_VALUES(rdiv(a, 3.0), {3, -1.5, 1});
        CHECK_VALUES(-a, {-1, 2, -3});
        CHECK_VALUES(neg(a), {-1, 2, -3});
        CHECK((a * 2.0).dtype() == kFloat64);
    }

    TEST_CASE("add: int64 with int64 stays int64, with a float scalar becomes floating") {
        Tensor a = make_i64({1, 2, 3}, {3});
        Tensor s = a + a;
        CHECK(s.dtype() == kInt64);
        CHECK_VALUES(s, {2, 4, 6});
        CHECK((a * 2).dtype() == kInt64);
        CHECK((a * 0.5).is_floating_point());
        CHECK_VALUES(a * 0.5, {0.5, 1, 1.5});
        CHECK((a + make_f64({1, 1, 1}, {3})).dtype() == kFloat64);
    }

    TEST_CASE("pow: square, cube and square root by hand") {
        Tensor a = make_f64({1, 2, 3}, {3});
        CHECK_VALUES(a.pow(2), {1, 4, 9});
        CHECK_VALUES(pow(a, 3.0), {1, 8, 27});
        CHECK_VALUES(square(a), {1, 4, 9});
        CHECK_VALUES(make_f64({4, 9}, {2}).pow(0.5), {2, 3});
        CHECK_VALUES(sqrt(make_f64({4, 9}, {2})), {2, 3});
    }

    TEST_CASE("exp: log, sin, cos, abs agree with <cmath>") {
        Tensor a = make_f64({0.5, 1.5, 2.5}, {3});
        CHECK_VALUES(exp(a), {std::exp(0.5), std::exp(1.5), std::exp(2.5)});
        CHECK_VALUES(log(a), {std::log(0.5), std::log(1.5), std::log(2.5)});
        CHECK_VALUES(sin(a), {std::sin(0.5), std::sin(1.5), std::sin(2.5)});
        CHECK_VALUES(cos(a), {std::cos(0.5), std::cos(1.5), std::cos(2.5)});
        CHECK_VALUES(abs(make_f64({-2, 0, 3}, {3})), {2, 0, 3});
        CHECK_VALUES(a.exp(), {std::exp(0.5), std::exp(1.5), std::exp(2.5)});
    }

    TEST_CASE("exp: of an int64 tensor computes in floating point") {
        Tensor e = exp(make_i64({0, 1}, {2}));
        CHECK(e.is_floating_point());
        CHECK_VALUES_F32(e, {1.0, std::exp(1.0)});
    }

    TEST_CASE("clamp: clamp_min and clamp_max by hand") {
        Tensor a = make_f64({-2, -0.5, 0.5, 2}, {4});
        CHECK_VALUES(clamp(a, -1, 1), {-1, -0.5, 0.5, 1});
        CHECK_VALUES(clamp_min(a, 0), {0, 0, 0.5, 2});
        CHECK_VALUES(clamp_max(a, 0), {-2, -0.5, 0, 0});
        CHECK_VALUES(a.clamp_min(0), {0, 0, 0.5, 2});
        CHECK_VALUES(a.clamp_max(0), {-2, -0.5, 0, 0});
    }

    TEST_CASE("clamp: gradient passes only where the input was inside") {
        Tensor a = make_f64({-2, -0.5, 0.5, 2}, {4}, true);
        clamp(a, -1, 1).sum().backward();
        CHECK_VALUES(a.grad(), {0, 1, 1, 0});
        Tensor b = make_f64({-2, 3}, {2}, true);
        (clamp_min(b, 0) + clamp_max(b, 0)).sum().backward();
        CHECK_VALUES(b.grad(), {1, 1});
    }

    TEST_CASE("maximum: and minimum by hand, ties send the gradient to a") {
        Tensor a = make_f64({1, 5, 3}, {3}, true);
        Tensor b = make_f64({4, 2, 3}, {3}, true);
        Tensor mx = maximum(a, b);
        CHECK_VALUES(mx, {4, 5, 3});
        mx.sum().backward();
        CHECK_VALUES(a.grad(), {0, 1, 1});
        CHECK_VALUES(b.grad(), {1, 0, 0});
        Tensor c = make_f64({1, 5, 3}, {3}, true);
        Tensor d = make_f64({4, 2, 3}, {3}, true);
        Tensor mn = minimum(c, d);
        CHECK_VALUES(mn, {1, 2, 3});
        mn.sum().backward();
        CHECK_VALUES(c.grad(), {1, 0, 1});
        CHECK_VALUES(d.grad(), {0, 1, 0});
    }

    TEST_CASE("where: picks from a where cond is non-zero, and routes gradients") {
        Tensor cond = make_i64({1, 0, 2}, {3});
        Tensor a = make_f64({1, 2, 3}, {3}, true);
        Tensor b = make_f64({10, 20, 30}, {3}, true);
        Tensor y = where(cond, a, b);
        CHECK_VALUES(y, {1, 20, 3});
        y.backward(make_f64({1, 2, 3}, {3}));
        CHECK_VALUES(a.grad(), {1, 0, 3});
        CHECK_VALUES(b.grad(), {0, 2, 0});
    }

    TEST_CASE("div: of two int64 tensors is true division, as LibTorch") {
        Tensor q = make_i64({1, 2, -3}, {3}) / make_i64({2, 2, 2}, {3});
        CHECK(q.is_floating_point());
        CHECK_VALUES(q, {0.5, 1, -1.5});
    }

    TEST_CASE("abs: gradient at 0 is 0, as is relu's, as LibTorch") {
        Tensor a = make_f64({0, 0}, {2}, true);
        (abs(a) + relu(a)).sum().backward();
        CHECK_VALUES(a.grad(), {0, 0});
    }

    TEST_CASE("div: gradient by hand") {
        Tensor a = make_f64({6}, {1}, true);
        Tensor b = make_f64({3}, {1}, true);
        (a / b).sum().backward();
        CHECK_VALUES(a.grad(), {1.0 / 3});
        CHECK_VALUES(b.grad(), {-6.0 / 9});
    }

    // ---- gradient checks --------------------------------------------------------------------

    TEST_CASE("add: gradient matches finite differences, with broadcasting and alpha") {
        manual_seed(1);
        CHECK_GRADIENTS([](In in) { return add(in[0], in[1], 0.5); },
                        {randn({2, 3}, f64()), randn({3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] + in[1]; },
                        {randn({4, 1, 3}, f64()), randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] + in[1]; },
                        {randn({2, 1}, f64()), randn({1, 3}, f64())});
    }

    TEST_CASE("sub: gradient matches finite differences, with broadcasting and alpha") {
        manual_seed(2);
        CHECK_GRADIENTS([](In in) { return sub(in[0], in[1], 2.0); },
                        {randn({2, 3}, f64()), randn({2, 1}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] - in[1]; },
                        {randn({3}, f64()), randn({2, 3}, f64())});
    }

    TEST_CASE("mul: gradient matches finite differences, with broadcasting") {
        manual_seed(3);
        CHECK_GRADIENTS([](In in) { return in[0] * in[1]; },
                        {randn({2, 3}, f64()), randn({3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] * in[1]; },
                        {randn({2, 1, 3}, f64()), randn({4, 1}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] * in[0]; }, {randn({3}, f64())});
    }

    TEST_CASE("mul: gradient reaches only the input that requires grad") {
        manual_seed(4);
        CHECK_GRADIENTS([](In in) { return in[0] * in[1]; },
                        {randn({2, 3}, f64()), randn({2, 3}, kFloat64)});
    }

    TEST_CASE("div: gradient matches finite differences, with broadcasting") {
        manual_seed(5);
        CHECK_GRADIENTS([](In in) { return in[0] / in[1]; },
                        {randn({2, 3}, f64()), grid({2, 1}, 0.5, 2.0)});
        CHECK_GRADIENTS([](In in) { return in[0] / in[1]; },
                        {randn({3}, f64()), grid({2, 3}, 0.5, 2.0)});
    }

    TEST_CASE("add: scalar forms have the right gradients") {
        manual_seed(6);
        CHECK_GRADIENTS([](In in) { return in[0] + 2.5; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return 2.5 + in[0]; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] - 1.5; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return 1.5 - in[0]; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return rsub(in[0], 3); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] * -1.5; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return -1.5 * in[0]; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return in[0] / 4.0; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return 2.0 / in[0]; }, {grid({2, 3}, 0.5, 2.0)});
        CHECK_GRADIENTS([](In in) { return rdiv(in[0], 2.0); }, {grid({2, 3}, 0.5, 2.0)});
        CHECK_GRADIENTS([](In in) { return -in[0]; }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return neg(in[0]); }, {randn({2, 3}, f64())});
    }

    TEST_CASE("pow: gradient matches finite differences for integer and fractional exponents") {
        manual_seed(7);
        CHECK_GRADIENTS([](In in) { return pow(in[0], 3.0); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return pow(in[0], 2); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return pow(in[0], 0.5); }, {grid({2, 3}, 0.5, 2.0)});
        CHECK_GRADIENTS([](In in) { return pow(in[0], -1.5); }, {grid({2, 3}, 0.5, 2.0)});
        CHECK_GRADIENTS([](In in) { return square(in[0]); }, {randn({2, 3}, f64())});
    }

    TEST_CASE("exp: gradient matches finite differences, with log, sqrt, sin, cos") {
        manual_seed(8);
        CHECK_GRADIENTS([](In in) { return exp(in[0]); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return log(in[0]); }, {grid({2, 3}, 0.5, 2.0)});
        CHECK_GRADIENTS([](In in) { return sqrt(in[0]); }, {grid({2, 3}, 0.5, 2.0)});
        CHECK_GRADIENTS([](In in) { return sin(in[0]); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return cos(in[0]); }, {randn({2, 3}, f64())});
    }

    TEST_CASE("abs: gradient matches finite differences away from 0") {
        CHECK_GRADIENTS([](In in) { return abs(in[0]); }, {grid({2, 3})});
    }

    TEST_CASE("clamp: gradient matches finite differences away from the bounds") {
        CHECK_GRADIENTS([](In in) { return clamp(in[0], -0.5, 0.5); }, {grid({3, 4})});
        CHECK_GRADIENTS([](In in) { return clamp_min(in[0], 0.0); }, {grid({3, 4})});
        CHECK_GRADIENTS([](In in) { return clamp_max(in[0], 0.0); }, {grid({3, 4})});
    }

    TEST_CASE("maximum: gradient matches finite differences without ties, with broadcasting") {
        CHECK_GRADIENTS([](In in) { return maximum(in[0], in[1]); },
                        {grid({2, 3}), grid({2, 3}, 0.7, 0.05)});
        CHECK_GRADIENTS([](In in) { return minimum(in[0], in[1]); },
                        {grid({2, 3}), grid({2, 3}, 0.7, 0.05)});
        CHECK_GRADIENTS([](In in) { return maximum(in[0], in[1]); },
                        {grid({2, 3}), grid({3}, 0.5, 0.05)});
    }

    TEST_CASE("where: gradient matches finite differences, with broadcasting") {
        manual_seed(9);
        Tensor cond = make_i64({1, 0, 0, 1, 1, 0}, {2, 3});
        CHECK_GRADIENTS([cond](In in) { return where(cond, in[0], in[1]); },
                        {randn({2, 3}, f64()), randn({2, 3}, f64())});
        CHECK_GRADIENTS([cond](In in) { return where(cond, in[0], in[1]); },
                        {randn({3}, f64()), randn({2, 1}, f64())});
    }

    TEST_CASE("mul: second derivatives of a product and of exp match finite differences") {
        manual_seed(10);
        CHECK_GRADGRADIENTS([](In in) { return in[0] * in[1]; },
                            {randn({2, 3}, f64()), randn({3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return exp(in[0]) / in[1]; },
                            {randn({3}, f64()), grid({3}, 0.5, 2.0)});
        CHECK_GRADGRADIENTS([](In in) { return log(in[0]) * sin(in[0]) + sqrt(in[0]); },
                            {grid({3}, 0.5, 2.0)});
    }

    // ---- comparisons ------------------------------------------------------------------------

    TEST_CASE("eq: comparisons return bool, as LibTorch, and are never recorded") {
        Tensor a = make_f64({1, 2, 3}, {3}, true);
        Tensor b = make_f64({3, 2, 1}, {3}, true);
        const std::vector<std::pair<Tensor, std::vector<double>>> cases = {
            {eq(a, b), {0, 1, 0}},  {ne(a, b), {1, 0, 1}}, {gt(a, b), {0, 0, 1}},
            {lt(a, b), {1, 0, 0}},  {ge(a, b), {0, 1, 1}}, {le(a, b), {1, 1, 0}},
            {a == b, {0, 1, 0}},    {a != b, {1, 0, 1}},   {a > b, {0, 0, 1}},
            {a < b, {1, 0, 0}},     {a >= b, {0, 1, 1}},   {a <= b, {1, 1, 0}},
            {eq(a, 2), {0, 1, 0}},  {ne(a, 2), {1, 0, 1}}, {gt(a, 2), {0, 0, 1}},
            {lt(a, 2), {1, 0, 0}},  {ge(a, 2), {0, 1, 1}}, {le(a, 2), {1, 1, 0}},
            {a == 2, {0, 1, 0}},    {a > 1.5, {0, 1, 1}},  {a.lt(b), {1, 0, 0}},
            {a.ge(2.0), {0, 1, 1}},
        };
        for (size_t i = 0; i < cases.size(); ++i) {
            CAPTURE(i);
            const Tensor& r = cases[i].first;
            CHECK(r.dtype() == kBool);
            CHECK_FALSE(r.requires_grad());
            CHECK(r.grad_fn() == nullptr);
            CHECK_VALUES(r, cases[i].second);
        }
    }

    TEST_CASE("gt: broadcasts its operands") {
        Tensor r = gt(make_f64({1, 2, 3, 4, 5, 6}, {2, 3}), make_f64({2, 5}, {2, 1}));
        CHECK_SHAPE(r, {2, 3});
        CHECK_VALUES(r, {0, 0, 1, 0, 0, 1});
    }

    TEST_CASE("allclose: compares within tolerances and shapes") {
        Tensor a = make_f64({1, 2}, {2});
        CHECK(allclose(a, make_f64({1, 2 + 1e-9}, {2})));
        CHECK_FALSE(allclose(a, make_f64({1, 2.1}, {2})));
        CHECK_FALSE(allclose(a, make_f64({1, 2}, {2, 1})));
        CHECK(a.allclose(make_f64({1.05, 2}, {2}), 0.1));
    }

    // ---- errors -----------------------------------------------------------------------------

    TEST_CASE("mul: rejects shapes that do not broadcast") {
        CHECK_THROWS_WITH_AS(randn({2, 3}) * randn({4}),
                             "mul: shapes do not broadcast: a is [2, 3], b is [4]",
                             std::invalid_argument);
    }

    TEST_CASE("add: rejects shapes that do not broadcast, naming the op and both shapes") {
        CHECK_THROWS_CONTAINS(randn({2, 3}) + randn({2}), std::invalid_argument, "add", "[2, 3]",
                              "[2]");
        CHECK_THROWS_CONTAINS(sub(randn({2, 3}), randn({3, 3})), std::invalid_argument, "sub",
                              "[2, 3]", "[3, 3]");
        CHECK_THROWS_CONTAINS(div(randn({4}), randn({5})), std::invalid_argument, "div", "[4]",
                              "[5]");
        CHECK_THROWS_CONTAINS(maximum(randn({4}), randn({5})), std::invalid_argument, "maximum",
                              "[4]", "[5]");
        CHECK_THROWS_CONTAINS(minimum(randn({4}), randn({5})), std::invalid_argument, "minimum",
                              "[4]", "[5]");
        CHECK_THROWS_CONTAINS(eq(randn({4}), randn({5})), std::invalid_argument, "eq", "[4]",
                              "[5]");
    }

    TEST_CASE("where: rejects shapes that do not broadcast and a floating condition") {
        CHECK_THROWS_CONTAINS(where(make_i64({1, 0, 1}, {3}), randn({3}), randn({4})),
                              std::invalid_argument, "where", "[4]");
        CHECK_THROWS_CONTAINS(where(make_i64({1, 0}, {2}), randn({3}), randn({3})),
                              std::invalid_argument, "where", "[2]");
        CHECK_THROWS_CONTAINS(where(make_f64({1, 0, 1}, {3}), randn({3}), randn({3})),
                              std::invalid_argument, "where");
    }

    TEST_CASE("add, mul, copy: transposed and sliced views give the values of contiguous copies") {
        // the strided loops walk a transposed operand in blocks (kernels/strided.hpp): every
        // element must still land where it belongs, at sizes that are not block multiples
        manual_seed(21);
        const Tensor x = randn({100, 130}), y = randn({130, 100}), z = randn({130, 201});
        const Tensor xt = x.t(), zs = z.slice(1, 0, 201, 2);  // [130, 100], [130, 101]
        const Tensor xtc = xt.contiguous();
        const float* px = x.data_ptr<float>();
        const float* pc = xtc.data_ptr<float>();
        bool copy_ok = true;
        for (int64_t i = 0; i < 130; ++i)
            for (int64_t j = 0; j < 100; ++j)
                copy_ok = copy_ok && pc[i * 100 + j] == px[j * 130 + i];
        CHECK(copy_ok);
        CHECK((xt + y).equal(xtc + y));
        CHECK((y * xt).equal(y * xtc));
        CHECK((zs.narrow(1, 0, 100) * xt).equal(zs.narrow(1, 0, 100).contiguous() * xtc));
        CHECK(tanh(xt).equal(tanh(xtc)));
        Tensor acc = y.clone();
        acc.add_(xt);
        CHECK(acc.equal(y + xtc));
        Tensor out_t = y.clone().t();  // a transposed output, a contiguous operand
        out_t.mul_(x);
        CHECK(out_t.equal(y.t().contiguous() * x));
        // 3-D: blocks in the last two dims, the batch dim outside them
        const Tensor b = randn({3, 90, 70});
        CHECK((b.transpose(1, 2) + randn({3, 70, 90}) * 0).equal(b.transpose(1, 2).contiguous()));
    }

}  // TEST_SUITE

TEST_CASE("add, sub, mul, div: methods take a scalar as LibTorch's do") {
    Tensor a = make_f64({1, 2}, {2}, true);
    CHECK_VALUES(a.add(1), {2, 3});
    CHECK_VALUES(a.sub(0.5), {0.5, 1.5});
    CHECK_VALUES(a.div(2), {0.5, 1});
    Tensor y = a.mul(3.0);
    CHECK_VALUES(y, {3, 6});
    y.sum().backward();
    CHECK_VALUES(a.grad(), {3, 3});
}

TEST_CASE("hypot: values, broadcasting and gradients (the worked example of docs/INTERNALS.md)") {
    CHECK_VALUES(hypot(make_f64({3, 5, -8}, {3}), make_f64({4}, {1})),
                 {5, std::sqrt(41.0), std::sqrt(80.0)});
    CHECK(hypot(full({1}, 1e300, kFloat64), full({1}, 1e300, kFloat64)).item<double>() ==
          doctest::Approx(1e300 * std::sqrt(2.0)));
    auto f = [](const std::vector<Tensor>& in) { return hypot(in[0], in[1]); };
    CHECK_GRADIENTS(f, {randn({2, 3}, f64()), randn({3}, f64())});
    CHECK_GRADGRADIENTS(f, {randn({2, 3}, f64()), randn({3}, f64())});
    CHECK_THROWS_CONTAINS(hypot(randn({2}), randn({3})), std::invalid_argument, "hypot");
}

TEST_CASE("clamp: an integer tensor with integer bounds stays integer; NaN stays NaN") {
    Tensor i = make_i64({-5, 0, 7}, {3});
    Tensor c = clamp(i, -1, 3);
    CHECK(c.dtype() == kInt64);
    CHECK_VALUES(c, {-1, 0, 3});
    Tensor f = clamp(make_f64({NAN, 2.0}, {2}), 0.0, 1.0);
    CHECK(std::isnan(f.to_vector<double>()[0]));
    CHECK(f.to_vector<double>()[1] == 1.0);
}
