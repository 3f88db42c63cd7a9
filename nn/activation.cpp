#include "nn/activation.hpp"

#include <cmath>
#include <ostream>
#include <stdexcept>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/functional.hpp"

namespace tapegrad {
namespace nn {

namespace functional {
// inplace: relu_ is recorded like any in-place op (on a leaf that requires grad it is refused
// outside NoGradGuard, as in LibTorch).
Tensor relu(const Tensor& input, const ReLUFuncOptions& options) {
    return options.inplace() ? input.relu_() : tapegrad::relu(input);
}

// inplace: x *= (x > 0 ? 1 : negative_slope), the mask computed first; mul_'s backward,
// grad_out * mask, is leaky_relu's.
Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& options) {
    const double slope = options.negative_slope();
    if (!options.inplace()) return tapegrad::leaky_relu(input, slope);
    Tensor scale;
    {
        NoGradGuard no_grad;
        scale = where(input.gt(0.0), ones_like(input), full_like(input, slope));
    }
    return input.mul_(scale);
}

// exact:  y = x Phi(x)                                          (tapegrad::gelu)
// tanh:   y = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
// The tanh form is composed of ops, which give its backward.
Tensor gelu(const Tensor& input, const GELUFuncOptions& options) {
    const std::string& approximate = options.approximate();
    if (approximate == "none") return tapegrad::gelu(input);
    if (approximate != "tanh") {
        throw std::invalid_argument("gelu: approximate must be \"none\" or \"tanh\", got \"" +
                                    approximate + "\"");
    }
    const double k = std::sqrt(2.0 / M_PI);
    return 0.5 * input * (1.0 + tapegrad::tanh(k * (input + 0.044715 * input.pow(3))));
}
}  // namespace functional

void ReLUImpl::reset() {}
Tensor ReLUImpl::forward(const Tensor& input) {
    return functional::relu(input, options);
}
void ReLUImpl::pretty_print(std::ostream& stream) const {
    stream << "ReLU(" << (options.inplace() ? "inplace=true" : "") << ")";
}

void LeakyReLUImpl::reset() {}
Tensor LeakyReLUImpl::forward(const Tensor& input) {
    return functional::leaky_relu(input, options);
}
void LeakyReLUImpl::pretty_print(std::ostream& stream) const {
    stream << "LeakyReLU(negative_slope=" << options.negative_slope()
           << (options.inplace() ? ", inplace=true" : "") << ")";
}

Tensor SigmoidImpl::forward(const Tensor& input) {
    return sigmoid(input);
}
void SigmoidImpl::pretty_print(std::ostream& stream) const {
    stream << "Sigmoid()";
}

Tensor TanhImpl::forward(const Tensor& input) {
    return tanh(input);
}
void TanhImpl::pretty_print(std::ostream& stream) const {
    stream << "Tanh()";
}

void GELUImpl::reset() {
    if (options.approximate() != "none" && options.approximate() != "tanh") {
        throw std::invalid_argument("GELU: approximate must be \"none\" or \"tanh\", got \"" +
                                    options.approximate() + "\"");
    }
}
Tensor GELUImpl::forward(const Tensor& input) {
    return functional::gelu(input, options);
}
void GELUImpl::pretty_print(std::ostream& stream) const {
    stream << "GELU(";
    if (options.approximate() != "none") stream << "approximate=" << options.approximate();
    stream << ")";
}

void SoftmaxImpl::reset() {}
Tensor SoftmaxImpl::forward(const Tensor& input) {
    return softmax(input, options.dim());
}
void SoftmaxImpl::pretty_print(std::ostream& stream) const {
    stream << "Softmax(dim=" << options.dim() << ")";
}

void LogSoftmaxImpl::reset() {}
Tensor LogSoftmaxImpl::forward(const Tensor& input) {
    return log_softmax(input, options.dim());
}
void LogSoftmaxImpl::pretty_print(std::ostream& stream) const {
    stream << "LogSoftmax(dim=" << options.dim() << ")";
}

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
    if (!function_) throw std::invalid_argument("Functional: the function is empty");
}
Tensor FunctionalImpl::forward(Tensor input) {
    return function_(std::move(input));
}
void FunctionalImpl::pretty_print(std::ostream& stream) const {
    stream << "Functional()";
}

}  // namespace nn
}  // namespace tapegrad
