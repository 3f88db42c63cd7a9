// The gradient checker itself: it must pass correct rules, catch wrong ones (saying where and
// by how much) in the full-Jacobian and the fast mode, catch backwards that mishandle zero or
// combined output gradients, refuse float32, check second derivatives, and leave the inputs as
// they were.

#include <memory>

#include "autograd/gradcheck_doctest.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using In = const std::vector<Tensor>&;

namespace {
// y = 2.5 x, with a backward that is right everywhere but at flat element `bad`, where it
// sends 7.5 instead of 2.5.
Tensor scale_with_bug(const Tensor& x, int64_t bad) {
    Tensor y;
    {
        NoGradGuard guard;
        y = x * 2.5;
    }
    return autograd::record("scale_with_bug", y, {x}, [bad](const Tensor& grad_out) {
        std::vector<double> factor(static_cast<size_t>(grad_out.numel()), 2.5);
        factor[static_cast<size_t>(bad)] = 7.5;
        return autograd::Grads{grad_out * make_f64(factor, grad_out.sizes())};
    });
}

// y = x * x whose backward forgets the factor 2, and so is wrong by the same factor everywhere.
Tensor square_missing_two(const Tensor& x) {
    Tensor y;
    {
        NoGradGuard guard;
        y = x * x;
    }
    return autograd::record("square_missing_two", y, {x},
                            [x](const Tensor& grad_out) { return autograd::Grads{grad_out * x}; });
}

// y = x * x with a right backward written half on a detached x: correct first derivatives,
// but only half of the backward is recorded as a function of x, so second derivatives are
// half what they should be.
Tensor square_detached_backward(const Tensor& x) {
    Tensor y;
    {
        NoGradGuard guard;
        y = x * x;
    }
    return autograd::record("square_detached_backward", y, {x}, [x](const Tensor& grad_out) {
        return autograd::Grads{grad_out * (x + x.detach())};
    });
}

// y = x with a backward that permutes the gradient: its sum is right, its elements are not.
Tensor identity_permuted(const Tensor& x) {
    Tensor y;
    {
        NoGradGuard guard;
        y = x.clone();
    }
    return autograd::record("identity_permuted", y, {x}, [](const Tensor& grad_out) {
        return autograd::Grads{cat({grad_out.slice(0, 1), grad_out.slice(0, 0, 1)}, 0)};
    });
}

// y = 2 x with a backward that is right for every unit output gradient but uses |grad_out|,
// so it is wrong for any gradient with a negative element.
Tensor double_abs_backward(const Tensor& x) {
    Tensor y;
    {
        NoGradGuard guard;
        y = x * 2.0;
    }
    return autograd::record("double_abs_backward", y, {x}, [](const Tensor& grad_out) {
        return autograd::Grads{abs(grad_out) * 2.0};
    });
}

// y = 2 x with a backward that is right for every non-zero output gradient but sends ones for a
// zero one (as a backward that fills in a default for a missing gradient might).
Tensor double_ones_for_zero(const Tensor& x) {
    Tensor y;
    {
        NoGradGuard guard;
        y = x * 2.0;
    }
    return autograd::record("double_ones_for_zero", y, {x}, [](const Tensor& grad_out) {
        if (abs(grad_out).sum().item<double>() == 0.0) return autograd::Grads{ones_like(grad_out)};
        return autograd::Grads{grad_out * 2.0};
    });
}

// y = 2 x with a backward that changes what it saved each time it runs.
Tensor double_drifting(const Tensor& x) {
    Tensor y;
    {
        NoGradGuard guard;
        y = x * 2.0;
    }
    auto calls = std::make_shared<int>(0);
    return autograd::record("double_drifting", y, {x}, [calls](const Tensor& grad_out) {
        return autograd::Grads{grad_out * (2.0 + 1e-3 * (*calls)++)};
    });
}
}  // namespace

TEST_SUITE("gradcheck") {
    TEST_CASE("gradcheck: passes a correct op") {
        manual_seed(61);
        const auto r = autograd::gradcheck([](In in) { return in[0] * in[1] + sin(in[0]); },
                                           {randn({2, 3}, f64()), randn({2, 3}, f64())});
        CHECK(r.ok);
        CHECK(static_cast<bool>(r));
        CHECK(r.message.empty());
    }

    TEST_CASE("gradcheck: fails a wrong backward, naming the input, the element and both values") {
        manual_seed(62);
        Tensor a = randn({3}, f64());
        Tensor b = randn({2, 2}, kFloat64);  // does not require grad: not checked
        Tensor c = randn({5}, f64());
        const auto r = autograd::gradcheck(
            [](In in) { return (in[0] * in[1].sum()).sum() + scale_with_bug(in[2], 3).sum(); },
            {a, b, c});
        CHECK_FALSE(r.ok);
        CHECK_FALSE(static_cast<bool>(r));
        INFO("message: ", r.message);
        CHECK(r.message.find("input 2") != std::string::npos);
        CHECK(r.message.find("element 3") != std::string::npos);
        CHECK(r.message.find("7.5") != std::string::npos);
        CHECK(r.message.find("2.5") != std::string::npos);
        CHECK(r.message.find("input 0") == std::string::npos);
    }

    TEST_CASE("gradcheck: fails a backward that is wrong by a constant factor") {
        manual_seed(63);
        const auto r = autograd::gradcheck([](In in) { return square_missing_two(in[0]); },
                                           {randn({2, 2}, f64())});
        CHECK_FALSE(r.ok);
        CHECK(r.message.find("input 0") != std::string::npos);
    }

    TEST_CASE("gradcheck: fails a non-scalar op whose wrong gradient still sums correctly") {
        const auto r = autograd::gradcheck([](In in) { return identity_permuted(in[0]); },
                                           {make_f64({1, 2, 3}, {3}, true)});
        CHECK_FALSE(r.ok);
    }

    TEST_CASE("gradcheck: refuses float32 inputs with an explanation") {
        Tensor x = randn({3}, TensorOptions().dtype(kFloat32).requires_grad(true));
        std::string message;
        try {
            const auto r = autograd::gradcheck([](In in) { return in[0] * in[0]; }, {x});
            CHECK_FALSE(r.ok);
            message = r.message;
        } catch (const std::invalid_argument& e) {
            message = e.what();
        }
        INFO("message: ", message);
        CHECK(message.find("float32") != std::string::npos);
        CHECK(message.find("float64") != std::string::npos);
    }

    TEST_CASE("gradcheck: leaves the inputs' values and .grad() as they were") {
        Tensor x = make_f64({0.5, -1, 2}, {3}, true);
        const auto r = autograd::gradcheck([](In in) { return exp(in[0]); }, {x});
        CHECK(r.ok);
        CHECK_VALUES(x, {0.5, -1, 2});
        CHECK_FALSE(x.grad().defined());
    }

    TEST_CASE("gradcheck: the full Jacobian names the output element and the input element") {
        // y = x with a backward that swaps the first two elements: d y[0] / d x[0] is 1, the
        // backward says 0 (and 1 for d y[0] / d x[1])
        Tensor skip = make_f64({5}, {1});  // does not require grad: input 0 is not checked
        Tensor x = make_f64({1, 2, 3}, {3}, true);
        const auto r =
            autograd::gradcheck([](In in) { return identity_permuted(in[1]); }, {skip, x});
        REQUIRE_FALSE(r.ok);
        INFO("message: ", r.message);
        CHECK(r.check == "jacobian");
        CHECK(r.input == 1);
        CHECK(r.output == 0);
        CHECK(r.mismatches == 6);  // all but the zeros both agree on
        CHECK(std::abs(r.analytic - r.numeric) == doctest::Approx(1.0));
        CHECK(r.error == doctest::Approx(1.0));
        CHECK(r.allowed == doctest::Approx(1e-5 + 1e-3 * std::abs(r.numeric)));
        const std::string head =
            "gradcheck: input 1 (shape [3]) element " + std::to_string(r.input_element) + " [" +
            std::to_string(r.input_element) + "], output 0 (shape [3]) element " +
            std::to_string(r.output_element) + " [" + std::to_string(r.output_element) +
            "]: analytic ";
        CHECK(r.message.rfind(head, 0) == 0);
        CHECK(r.message.find("6 of 9 Jacobian entries differ") != std::string::npos);
        // small Jacobians are printed whole, rows for output elements
        CHECK(r.message.find("\n  numeric Jacobian d output 0 / d input 1 (a row per output "
                             "element):\n    [[1, 0, 0],\n     [0, 1, 0],\n     [0, 0, 1]]\n"
                             "  analytic Jacobian:\n"
                             "    [[0, 0, 1],\n     [1, 0, 0],\n     [0, 1, 0]]") !=
              std::string::npos);
    }

    TEST_CASE("gradcheck: the full Jacobian of a non-square op is compared entry by entry") {
        manual_seed(66);
        auto f = [](In in) { return matmul(in[0], in[1]).tanh(); };
        Tensor a = randn({2, 3}, f64());
        Tensor b = randn({3, 4}, f64());
        CHECK_GRADCHECK(f, {a, b});
        autograd::GradcheckOptions fast;
        fast.fast_mode = true;
        CHECK_GRADCHECK(f, {a, b}, fast);
    }

    TEST_CASE("gradcheck: fast mode projects the outputs and still finds the wrong input element") {
        manual_seed(67);
        autograd::GradcheckOptions fast;
        fast.fast_mode = true;
        const auto r = autograd::gradcheck([](In in) { return scale_with_bug(in[0], 2) * 3.0; },
                                           {randn({2, 2}, f64())}, fast);
        REQUIRE_FALSE(r.ok);
        INFO("message: ", r.message);
        CHECK(r.check == "jacobian");
        CHECK(r.input_element == 2);
        CHECK(r.output == -1);
        CHECK(r.output_element == -1);
        CHECK(r.message.rfind("gradcheck (fast mode): input 0 (shape [2, 2]) element 2 [1, 0], the "
                              "outputs projected on a fixed random r: analytic ",
                              0) == 0);
    }

    TEST_CASE("gradcheck: several outputs, each named; integer outputs are skipped") {
        manual_seed(68);
        autograd::GradcheckMultiFn good = [](In in) {
            return tensor_list{sin(in[0]), in[0] * in[1], argmax(in[1])};
        };
        CHECK_GRADCHECK(good, {randn({3}, f64()), randn({3}, f64())});
        autograd::GradcheckMultiFn bad = [](In in) {
            return tensor_list{sin(in[0]), scale_with_bug(in[1], 1) + in[0]};
        };
        const auto r = autograd::gradcheck(bad, {randn({3}, f64()), randn({3}, f64())});
        REQUIRE_FALSE(r.ok);
        INFO("message: ", r.message);
        CHECK(r.input == 1);
        CHECK(r.input_element == 1);
        CHECK(r.output == 1);
        CHECK(r.output_element == 1);
        CHECK(r.analytic == doctest::Approx(7.5));
        CHECK(r.numeric == doctest::Approx(2.5));
    }

    TEST_CASE("gradcheck: an output that records nothing fails with a hint") {
        manual_seed(69);
        const auto r =
            autograd::gradcheck([](In in) { return in[0].detach() * 2.0; }, {randn({2}, f64())});
        REQUIRE_FALSE(r.ok);
        INFO("message: ", r.message);
        CHECK(r.analytic == 0.0);
        CHECK(r.numeric == doctest::Approx(2.0));
        CHECK(r.message.find("backward gave no gradient for input 0") != std::string::npos);
        CHECK(r.message.find("output 0 requires grad (computed under NoGradGuard") !=
              std::string::npos);
    }

    TEST_CASE("gradcheck: perturbs in place, so a function may read a parameter it closes over") {
        // the nn tests' pattern: the module's weight is one of the inputs, the function calls the
        // module (which reads its own weight)
        manual_seed(70);
        Tensor w = randn({3, 2}, f64());
        auto f = [&w](In in) { return matmul(in[0], w).sin(); };
        CHECK_GRADCHECK(f, {randn({4, 3}, f64()), w});
    }

    TEST_CASE("gradcheck: a strided view as input is perturbed in place and restored") {
        // x is a transposed view of base's storage: every write must go through its strides
        Tensor base = make_f64({1, 2, 3, 4, 5, 6}, {3, 2});
        Tensor x = base.t();
        x.requires_grad_();
        REQUIRE_FALSE(x.is_contiguous());
        auto f = [](In in) { return matmul(in[0], in[1]).sin(); };
        CHECK_GRADCHECK(f, {x, make_f64({0.5, -1, 2, 0.25, 1, -0.5}, {3, 2}, true)});
        CHECK_VALUES(base, {1, 2, 3, 4, 5, 6});
    }

    TEST_CASE("gradcheck: check_undefined_grad catches a backward that mishandles zero gradients") {
        manual_seed(71);
        Tensor x = randn({3}, f64());
        const auto r = autograd::gradcheck([](In in) { return double_ones_for_zero(in[0]); }, {x});
        REQUIRE_FALSE(r.ok);
        INFO("message: ", r.message);
        CHECK(r.check == "undefined_grad");
        CHECK(r.input == 0);
        CHECK(r.input_element == 0);
        CHECK(
            r.message ==
            "gradcheck (check_undefined_grad): with a zero gradient for every output, backward "
            "gave "
            "input 0 (shape [3]) element 0 [0] 1 instead of 0 (a zero or undefined output gradient "
            "must be treated as zeros)");
        autograd::GradcheckOptions off;
        off.check_undefined_grad = false;
        CHECK(autograd::gradcheck([](In in) { return double_ones_for_zero(in[0]); }, {x}, off).ok);
    }

    TEST_CASE("gradcheck: check_batched_grad catches a backward that is not linear in grad_out") {
        manual_seed(72);
        Tensor x = randn({4}, f64());
        auto f = [](In in) { return double_abs_backward(in[0]); };
        const auto r = autograd::gradcheck(f, {x});
        REQUIRE_FALSE(r.ok);
        INFO("message: ", r.message);
        CHECK(r.check == "batched_grad");
        CHECK(
            r.message.rfind("gradcheck (check_batched_grad): backward is not linear in the output "
                            "gradient: for input 0 (shape [4]) element ",
                            0) == 0);
        // every unit-vector row of the Jacobian is right, so without the check it passes...
        autograd::GradcheckOptions off;
        off.check_batched_grad = false;
        CHECK(autograd::gradcheck(f, {x}, off).ok);
        // ...and the fast mode's random projection sees it as a wrong Jacobian
        off.fast_mode = true;
        const auto fast = autograd::gradcheck(f, {x}, off);
        CHECK_FALSE(fast.ok);
        CHECK(fast.check == "jacobian");
    }

    TEST_CASE("gradcheck: a backward that gives another answer the second time is not reentrant") {
        const auto r = autograd::gradcheck([](In in) { return double_drifting(in[0]); },
                                           {make_f64({1, 2}, {2}, true)});
        REQUIRE_FALSE(r.ok);
        INFO("message: ", r.message);
        CHECK(r.check == "reentrant");
        CHECK(r.message.rfind("gradcheck (reentrant): the same output gradient gave input 0 (shape "
                              "[2]) element 0 [0] 2, then ",
                              0) == 0);
    }

    TEST_CASE("gradcheck: restores the inputs when the function throws halfway") {
        Tensor x = make_f64({0.5, -1, 2}, {3}, true);
        auto calls = std::make_shared<int>(0);
        auto f = [calls](In in) {
            if (++*calls == 4) throw std::runtime_error("boom");
            return in[0] * in[0];
        };
        CHECK_THROWS_WITH_AS(autograd::gradcheck(f, {x}), "boom", std::runtime_error);
        CHECK_VALUES(x, {0.5, -1, 2});
    }

    TEST_CASE("gradcheck: rejects a non-positive step and negative tolerances") {
        autograd::GradcheckOptions o;
        o.eps = 0;
        CHECK_THROWS_CONTAINS(
            autograd::gradcheck([](In in) { return in[0] * 2.0; }, {make_f64({1}, {1}, true)}, o),
            std::invalid_argument, "gradcheck: eps must be positive", "eps 0");
        o.eps = 1e-6;
        o.rtol = -1;
        CHECK_THROWS_CONTAINS(
            autograd::gradcheck([](In in) { return in[0] * 2.0; }, {make_f64({1}, {1}, true)}, o),
            std::invalid_argument, "rtol -1");
    }

    TEST_CASE("gradcheck: rejects a function that returns float32 or nothing") {
        CHECK_THROWS_CONTAINS(autograd::gradcheck([](In in) { return in[0].to(kFloat32); },
                                                  {make_f64({1}, {1}, true)}),
                              std::invalid_argument,
                              "gradcheck: the function returned float32 (output 0)");
        autograd::GradcheckMultiFn none = [](In) { return tensor_list{}; };
        CHECK_THROWS_CONTAINS(autograd::gradcheck(none, {make_f64({1}, {1}, true)}),
                              std::invalid_argument, "gradcheck: the function returned no tensor");
    }

    TEST_CASE("gradgradcheck: passes tanh and x*x*x") {
        manual_seed(64);
        CHECK_GRADGRADIENTS([](In in) { return tanh(in[0]); }, {randn({2, 3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return in[0] * in[0] * in[0]; }, {randn({4}, f64())});
    }

    TEST_CASE("gradgradcheck: fails a backward whose own derivative is wrong") {
        manual_seed(65);
        Tensor x = randn({3}, f64());
        const auto first =
            autograd::gradcheck([](In in) { return square_detached_backward(in[0]); }, {x});
        CHECK_MESSAGE(first.ok, first.message);
        const auto second =
            autograd::gradgradcheck([](In in) { return square_detached_backward(in[0]); }, {x});
        CHECK_FALSE(second.ok);
        INFO("message: ", second.message);
        CHECK(second.message.rfind(
                  "gradgradcheck (second derivative): input 0 (shape [3]) element ", 0) == 0);
        CHECK(second.message.find(", the gradient of input 0 (shape [3]) element ") !=
              std::string::npos);
        // the full Hessian-vector Jacobian is diagonal here: d g_i / d x_j = 2 r_i [i = j], and the
        // backward records only half of it
        CHECK(second.analytic == doctest::Approx(second.numeric / 2));
    }

    TEST_CASE("gradgradcheck: fast mode and several outputs") {
        manual_seed(73);
        autograd::GradcheckOptions fast;
        fast.fast_mode = true;
        auto f = [](In in) { return sigmoid(in[0]) * in[1]; };
        CHECK_GRADGRADCHECK(f, {randn({3}, f64()), randn({3}, f64())}, fast);
        autograd::GradcheckMultiFn two = [](In in) {
            return tensor_list{exp(in[0]), in[0] * in[1]};
        };
        CHECK_GRADGRADCHECK(two, {randn({2}, f64()), randn({2}, f64())});
    }

    TEST_CASE("CHECK_GRADCHECK: fails the test case on a wrong backward" * doctest::should_fail()) {
        auto f = [](In in) { return square_missing_two(in[0]); };
        CHECK_GRADCHECK(f, {make_f64({1, 2}, {2}, true)});
    }

}  // TEST_SUITE
