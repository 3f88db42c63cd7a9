// autograd::functional: jacobian, hessian, vjp, jvp, hvp against analytic results and
// PyTorch's torch.autograd.functional (tests/golden/porting_golden.txt, by gen_porting.py).

#include <map>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::autograd::functional;

namespace {
// The functions of gen_porting.py.
Tensor f_vec(const Tensor& x) {
    return stack({x[0] * x[1], x[1].sin() + x[2].pow(2), (x[0] * x[2]).exp()});
}
Tensor f_scalar(const Tensor& x) {
    return (x[0].pow(2) * x[1] + x[1].sin() * x[2] + x[2].pow(3)).sum();
}
Tensor v3() {
    return make_f64({0.3, -0.7, 1.1}, {3});
}
}  // namespace

TEST_SUITE("functional") {
    TEST_CASE("functional: jacobian, hessian, vjp, jvp and hvp match PyTorch's") {
        const std::map<std::string, std::function<Tensor(const tensor_list&)>> fns = {
            {"jacobian", [](const tensor_list& in) { return F::jacobian(f_vec, in[0]); }},
            {"hessian", [](const tensor_list& in) { return F::hessian(f_scalar, in[0]); }},
            {"vjp", [](const tensor_list& in) { return F::vjp(f_vec, in[0], v3()).second; }},
            {"jvp", [](const tensor_list& in) { return F::jvp(f_vec, in[0], v3()).second; }},
            {"hvp", [](const tensor_list& in) { return F::hvp(f_scalar, in[0], v3()).second; }},
        };
        const std::vector<GoldenCase> cases =
            read_golden(TAPEGRAD_GOLDEN_DIR "/porting_golden.txt");
        int checked = 0;
        for (const GoldenCase& c : cases) {
            const auto it = fns.find(c.name);
            if (it == fns.end()) continue;
            check_golden_case(c, it->second);
            ++checked;
        }
        CHECK(checked == 5);
    }

    TEST_CASE("jacobian: of a matrix product is the matrix, shaped out + in") {
        const Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {3, 2});
        const Tensor x = make_f64({0.5, -1}, {2});
        const Tensor j = F::jacobian([&](const Tensor& v) { return a.matmul(v); }, x);
        CHECK(j.sizes() == std::vector<int64_t>{3, 2});
        CHECK_VALUES(j, {1, 2, 3, 4, 5, 6});
        CHECK_FALSE(j.requires_grad());
        CHECK_FALSE(x.requires_grad());  // the input is left as it was
        const Tensor j2 =
            F::jacobian([](const Tensor& m) { return m * 2.0; }, zeros({2, 1}, kFloat64));
        CHECK(j2.sizes() == std::vector<int64_t>{2, 1, 2, 1});
        CHECK_VALUES(j2, {2, 0, 0, 2});
    }

    TEST_CASE("jacobian: of several inputs and outputs, J[i][j] = d out_i / d in_j") {
        const tensor_list in = {make_f64({1, 2}, {2}), make_f64({3}, {1})};
        const auto j = F::jacobian(
            [](const tensor_list& x) {
                return tensor_list{x[0] * x[1], x[1].exp()};
            },
            in);
        REQUIRE(j.size() == 2);
        CHECK_VALUES(j[0][0], {3, 0, 0, 3});
        CHECK_VALUES(j[0][1], {1, 2});
        CHECK_VALUES(j[1][0], {0, 0});
        CHECK_VALUES(j[1][1], {std::exp(3.0)});
    }

    TEST_CASE("jacobian: create_graph keeps it differentiable; strict refuses an unused input") {
        Tensor x = make_f64({2}, {1}, true);
        const Tensor j =
            F::jacobian([](const Tensor& v) { return v.pow(3); }, x, /*create_graph=*/true);
        CHECK_VALUES(j, {12});
        j.sum().backward();
        CHECK_VALUES(x.grad(), {12});  // d(3 x^2)/dx = 6 x
        const auto constant = [](const Tensor& v) { return ones({2}, v.dtype()); };
        CHECK_VALUES(F::jacobian(constant, make_f64({1}, {1})), {0, 0});
        CHECK_THROWS_CONTAINS(F::jacobian(constant, make_f64({1}, {1}), false, /*strict=*/true),
                              std::invalid_argument, "jacobian", "does not depend", "strict");
    }

    TEST_CASE("hessian and hvp: of x^T A x are A + A^T and (A + A^T) v") {
        const Tensor a = make_f64({1, 2, 0, 3}, {2, 2});
        const auto quad = [&](const Tensor& x) { return x.matmul(a.matmul(x)); };
        const Tensor x = make_f64({0.3, -0.4}, {2});
        CHECK_VALUES(F::hessian(quad, x), {2, 2, 2, 6});
        const auto [value, hv] = F::hvp(quad, x, make_f64({1, -1}, {2}));
        CHECK_VALUES(value, {0.3 * 0.3 + 2 * 0.3 * -0.4 + 3 * 0.16});
        CHECK_VALUES(hv, {0, -4});
    }

    TEST_CASE("vjp and jvp: agree with the jacobian") {
        manual_seed(5);
        const Tensor x = randn({3}, kFloat64), u = randn({3}, kFloat64), w = randn({3}, kFloat64);
        const Tensor j = F::jacobian(f_vec, x);
        CHECK(F::vjp(f_vec, x, u).second.allclose(u.matmul(j), 1e-12, 1e-12));
        CHECK(F::jvp(f_vec, x, w).second.allclose(j.matmul(w), 1e-12, 1e-12));
        CHECK(F::vjp(f_vec, x, u).first.allclose(f_vec(x)));
    }

    TEST_CASE("functional: rejects a v of the wrong shape, a missing v and integer inputs") {
        const Tensor x = make_f64({1, 2, 3}, {3});
        CHECK_THROWS_CONTAINS(F::vjp(f_vec, x, zeros({2}, kFloat64)), std::invalid_argument, "vjp",
                              "[2]", "[3]");
        CHECK_THROWS_CONTAINS(F::jvp(f_vec, x), std::invalid_argument, "jvp", "v is needed", "[3]");
        CHECK_THROWS_CONTAINS(F::hessian(f_vec, x), std::invalid_argument, "hessian",
                              "single element");
        CHECK_THROWS_CONTAINS(F::jacobian(f_vec, make_i64({1, 2, 3}, {3})), std::invalid_argument,
                              "floating", "int64");
    }
}
