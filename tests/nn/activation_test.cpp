// Activation modules, against the PyTorch golden values of their ops.

#include <cmath>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/nn/golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

namespace {
const GoldenCase& golden(const std::string& name) {
    for (const GoldenCase& c : golden_cases())
        if (c.name == name) return c;
    throw std::runtime_error("no golden case " + name);
}
Tensor golden_input(const GoldenCase& c) {
    return make_f64(c.inputs[0].values, c.inputs[0].shape);
}
}  // namespace

TEST_SUITE("nn/activation") {
    TEST_CASE("ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax: match PyTorch's values") {
        CHECK_VALUES(nn::ReLU()(golden_input(golden("relu"))), golden("relu").out.values);
        nn::LeakyReLU leaky(nn::LeakyReLUOptions().negative_slope(0.1));
        CHECK_VALUES(leaky(golden_input(golden("leaky_relu"))), golden("leaky_relu").out.values);
        CHECK_VALUES(nn::Sigmoid()(golden_input(golden("sigmoid"))), golden("sigmoid").out.values);
        CHECK_VALUES(nn::Tanh()(golden_input(golden("tanh"))), golden("tanh").out.values);
        CHECK_VALUES(nn::GELU()(golden_input(golden("gelu"))), golden("gelu").out.values);
        CHECK_VALUES(nn::Softmax(1)(golden_input(golden("softmax"))), golden("softmax").out.values);
        CHECK_VALUES(nn::LogSoftmax(1)(golden_input(golden("log_softmax"))),
                     golden("log_softmax").out.values);
    }

    TEST_CASE("LeakyReLU: the default slope is 0.01") {
        CHECK_VALUES(nn::LeakyReLU()(tensor({-2.0, 3.0}, kFloat64)), {-0.02, 3.0});
    }

    TEST_CASE("Functional: wraps a function as a module") {
        nn::Functional f(tapegrad::relu);
        CHECK_VALUES(f(tensor({-1.0, 2.0}, kFloat64)), {0.0, 2.0});
    }

    TEST_CASE("Functional: rejects an empty function") {
        CHECK_THROWS_CONTAINS(nn::Functional(nn::FunctionalImpl::Function()), std::invalid_argument,
                              "Functional: the function is empty");
    }

    TEST_CASE("functional: softmax and log_softmax take LibTorch's options") {
        namespace F = nn::functional;
        Tensor x = grid({2, 3});
        CHECK(F::softmax(x, F::SoftmaxFuncOptions(1)).allclose(softmax(x, 1)));
        CHECK(F::log_softmax(x, F::LogSoftmaxFuncOptions(0)).allclose(log_softmax(x, 0)));
    }

    TEST_CASE("ReLU and LeakyReLU: inplace works in place, recorded inside a graph") {
        Tensor x = tensor({-2.0, 3.0}, kFloat64);
        Tensor y = nn::ReLU(nn::ReLUOptions().inplace(true))(x);
        CHECK(y.is_same(x));
        CHECK_VALUES(x, {0.0, 3.0});
        Tensor w = tensor({-2.0, 3.0}, kFloat64);
        CHECK(F::leaky_relu(w, F::LeakyReLUFuncOptions().negative_slope(0.5).inplace(true))
                  .is_same(w));
        CHECK_VALUES(w, {-1.0, 3.0});
        // inside a graph: same values and gradients as the out-of-place ops
        for (bool leaky : {false, true}) {
            Tensor leaf = tensor({-2.0, 3.0, -0.5}, kFloat64).requires_grad_();
            Tensor h = leaf * 2.0;
            Tensor r = leaky ? F::leaky_relu(h, F::LeakyReLUFuncOptions().inplace(true))
                             : nn::ReLU(true)(h);
            CHECK(r.is_same(h));
            CHECK_VALUES(r, leaky ? std::vector<double>{-0.04, 6.0, -0.01}
                                  : std::vector<double>{0.0, 6.0, 0.0});
            r.sum().backward();
            CHECK_VALUES(leaf.grad(), leaky ? std::vector<double>{0.02, 2.0, 0.02}
                                            : std::vector<double>{0.0, 2.0, 0.0});
        }
        auto f = [](const std::vector<Tensor>& in) {
            return F::leaky_relu(in[0] * 1.0, F::LeakyReLUFuncOptions().inplace(true));
        };
        CHECK_GRADIENTS(f, {grid({2, 3})});
        // a leaf that requires grad is refused outside NoGradGuard, as in LibTorch
        Tensor leaf = tensor({-2.0, 3.0}, kFloat64).requires_grad_();
        CHECK_THROWS_AS(nn::ReLU(true)(leaf), std::logic_error);
    }

    TEST_CASE("GELU: the tanh approximation has gradients that match finite differences") {
        auto f = [](const std::vector<Tensor>& in) {
            return F::gelu(in[0], F::GELUFuncOptions().approximate("tanh"));
        };
        CHECK_GRADIENTS(f, {grid({2, 3}, 2.0)});
        CHECK_THROWS_CONTAINS(nn::GELU(nn::GELUOptions().approximate("fast")),
                              std::invalid_argument,
                              "GELU: approximate must be \"none\" or \"tanh\", got \"fast\"");
    }
    TEST_CASE("GELU: the tanh approximation matches LibTorch") {
        check_nn_golden("gelu_tanh", [](const auto& in) {
            return nn::GELU(nn::GELUOptions().approximate("tanh"))(in[0]);
        });
    }
    TEST_CASE("functional::softmax and log_softmax: convert to options.dtype() first") {
        Tensor x = tensor({{1.0, 2.0, 3.0}});
        Tensor y = F::softmax(x, F::SoftmaxFuncOptions(1).dtype(kFloat64));
        CHECK(y.dtype() == kFloat64);
        CHECK(y.allclose(softmax(x.to(kFloat64), 1)));
        CHECK(F::log_softmax(x, F::LogSoftmaxFuncOptions(-1).dtype(kFloat64)).dtype() == kFloat64);
        CHECK(F::softmax(x, 1).dtype() == kFloat32);
    }
}
