// The gradient checker itself: it must pass correct rules, catch wrong ones (saying where and
// by how much), refuse float32, and check second derivatives.

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
    return autograd::record("square_missing_two", y, {x}, [x](const Tensor& grad_out) {
        return autograd::Grads{grad_out * x};
    });
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

TEST_CASE("gradgradcheck: passes tanh and x*x*x") {
    manual_seed(64);
    CHECK_GRADGRADIENTS([](In in) { return tanh(in[0]); }, {randn({2, 3}, f64())});
    CHECK_GRADGRADIENTS([](In in) { return in[0] * in[0] * in[0]; }, {randn({4}, f64())});
}

TEST_CASE("gradgradcheck: fails a backward whose own derivative is wrong") {
    manual_seed(65);
    Tensor x = randn({3}, f64());
    const auto first = autograd::gradcheck([](In in) { return square_detached_backward(in[0]); },
                                           {x});
    CHECK_MESSAGE(first.ok, first.message);
    const auto second = autograd::gradgradcheck(
        [](In in) { return square_detached_backward(in[0]); }, {x});
    CHECK_FALSE(second.ok);
    CHECK(second.message.find("input 0") != std::string::npos);
}

}  // TEST_SUITE
