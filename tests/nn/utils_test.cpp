// nn::utils: gradient clipping, parameter vectors, penalties.

#include <cmath>
#include <limits>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace U = tapegrad::nn::utils;

namespace {
// Two parameters whose gradients are {3, 0} and {0, 4}: joint 2-norm 5, max-norm 4.
std::vector<Tensor> params_with_grads() {
    Tensor a = zeros({2}, kFloat64).requires_grad_();
    Tensor b = zeros({2}, kFloat64).requires_grad_();
    a.set_grad(tensor({3.0, 0.0}, kFloat64));
    b.set_grad(tensor({0.0, -4.0}, kFloat64));
    return {a, b};
}
}  // namespace

TEST_SUITE("nn/utils") {
    TEST_CASE(
        "clip_grad_norm_: scales all gradients together down to max_norm, returning the norm") {
        auto ps = params_with_grads();
        CHECK(U::clip_grad_norm_(ps, 1.0) == doctest::Approx(5.0));
        CHECK_VALUES(ps[0].grad(), {0.6, 0.0}, 1e-6);
        CHECK_VALUES(ps[1].grad(), {0.0, -0.8}, 1e-6);
        CHECK(U::clip_grad_norm_(ps, 10.0) == doctest::Approx(1.0).epsilon(1e-5));
        CHECK_VALUES(ps[1].grad(), {0.0, -0.8}, 1e-6);
    }

    TEST_CASE(
        "clip_grad_norm_: supports the 1-norm and the max-norm, and skips missing gradients") {
        auto ps = params_with_grads();
        ps.push_back(zeros({3}).requires_grad_());
        CHECK(U::clip_grad_norm_(ps, 100.0, 1.0) == doctest::Approx(7.0));
        CHECK(U::clip_grad_norm_(ps, 2.0, std::numeric_limits<double>::infinity()) ==
              doctest::Approx(4.0));
        CHECK_VALUES(ps[1].grad(), {0.0, -2.0}, 1e-6);
    }

    TEST_CASE("clip_grad_norm_: with error_if_nonfinite rejects a NaN norm") {
        Tensor a = zeros({1}, kFloat64).requires_grad_();
        a.set_grad(tensor({std::nan("")}, kFloat64));
        CHECK_THROWS_CONTAINS(
            U::clip_grad_norm_(a, 1.0, 2.0, true), std::invalid_argument,
            "clip_grad_norm_: the total norm of order 2 of the gradients is non-finite");
    }

    TEST_CASE(
        "clip_grad_norm_: refuses a NaN or negative max_norm and leaves the gradients alone") {
        Tensor p = tensor({1.0, 2.0}, kFloat64).requires_grad_();
        (p * p).sum().backward();
        CHECK_THROWS_WITH_AS(nn::utils::clip_grad_norm_({p}, std::nan("")),
                             "clip_grad_norm_: max_norm must be a non-negative number, got nan",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(nn::utils::clip_grad_norm_(p, -1.0),
                             "clip_grad_norm_: max_norm must be a non-negative number, got -1",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(nn::utils::clip_grad_norm_(p, 1.0, std::nan("")),
                              std::invalid_argument, "norm_type must be a non-negative number");
        CHECK_VALUES(p.grad(), {2.0, 4.0});
        // max_norm 0 is allowed: it zeroes the gradients
        nn::utils::clip_grad_norm_(p, 0.0);
        CHECK_VALUES(p.grad(), {0.0, 0.0});
    }

    TEST_CASE("clip_grad_value_: refuses a NaN or negative clip_value") {
        Tensor p = tensor({1.0, -2.0}, kFloat64).requires_grad_();
        (p * p).sum().backward();
        CHECK_THROWS_WITH_AS(nn::utils::clip_grad_value_(p, -0.5),
                             "clip_grad_value_: clip_value must be a non-negative number, got -0.5",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(nn::utils::clip_grad_value_({p}, std::nan("")), std::invalid_argument,
                              "clip_value must be a non-negative number, got nan");
        CHECK_VALUES(p.grad(), {2.0, -4.0});
    }

    TEST_CASE("clip_grad_value_: clamps every gradient element") {
        auto ps = params_with_grads();
        U::clip_grad_value_(ps, 1.5);
        CHECK_VALUES(ps[0].grad(), {1.5, 0.0});
        CHECK_VALUES(ps[1].grad(), {0.0, -1.5});
    }

    TEST_CASE("parameters_to_vector and vector_to_parameters: round-trip the values in order") {
        nn::Linear fc(2, 3);
        Tensor v = U::parameters_to_vector(fc->parameters());
        CHECK_SHAPE(v, {9});
        CHECK(v.narrow(0, 6, 3).equal(fc->bias.detach()));
        U::vector_to_parameters(arange(9.0), fc->parameters());
        CHECK_VALUES(fc->weight, {0.0, 1.0, 2.0, 3.0, 4.0, 5.0});
        CHECK_VALUES(fc->bias, {6.0, 7.0, 8.0});
        CHECK(fc->weight.is_leaf());
    }

    TEST_CASE("parameters_to_vector: rejects an empty list") {
        CHECK_THROWS_CONTAINS(U::parameters_to_vector({}), std::invalid_argument,
                              "parameters_to_vector: the parameter list is empty");
    }

    TEST_CASE("vector_to_parameters: rejects a vector of the wrong length") {
        nn::Linear fc(2, 3);
        CHECK_THROWS_CONTAINS(
            U::vector_to_parameters(zeros({8}), fc->parameters()), std::invalid_argument,
            "vector_to_parameters: expected a 1-D vector of 9 elements, got shape [8]");
    }

    TEST_CASE("l1_penalty and l2_penalty: sum |p| and p^2 over all parameters, differentiably") {
        Tensor a = tensor({1.0, -2.0}, kFloat64).requires_grad_();
        Tensor b = tensor({{3.0}}, kFloat64).requires_grad_();
        CHECK_VALUES(U::l1_penalty({a, b}), {6.0});
        CHECK_VALUES(U::l2_penalty({a, b}), {14.0});
        auto f = [](const std::vector<Tensor>& in) {
            return U::l2_penalty(in) * 0.5 + U::l1_penalty(in);
        };
        CHECK_GRADIENTS(f, {grid({2, 2}), grid({3}, 1.0, 0.5)});
        CHECK_VALUES(U::l2_penalty({}), {0.0});
    }

}  // TEST_SUITE
