#include "nn/activation.hpp"

#include <ostream>
#include <stdexcept>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace nn {

Tensor ReLUImpl::forward(const Tensor& input) {
    return relu(input);
}
void ReLUImpl::pretty_print(std::ostream& stream) const {
    stream << "ReLU()";
}

LeakyReLUImpl::LeakyReLUImpl(const LeakyReLUOptions& opts) : options(opts) {}
Tensor LeakyReLUImpl::forward(const Tensor& input) {
    return leaky_relu(input, options.negative_slope());
}
void LeakyReLUImpl::pretty_print(std::ostream& stream) const {
    stream << "LeakyReLU(negative_slope=" << options.negative_slope() << ")";
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

Tensor GELUImpl::forward(const Tensor& input) {
    return gelu(input);
}
void GELUImpl::pretty_print(std::ostream& stream) const {
    stream << "GELU()";
}

SoftmaxImpl::SoftmaxImpl(const SoftmaxOptions& opts) : options(opts) {}
Tensor SoftmaxImpl::forward(const Tensor& input) {
    return softmax(input, options.dim());
}
void SoftmaxImpl::pretty_print(std::ostream& stream) const {
    stream << "Softmax(dim=" << options.dim() << ")";
}

LogSoftmaxImpl::LogSoftmaxImpl(const LogSoftmaxOptions& opts) : options(opts) {}
Tensor LogSoftmaxImpl::forward(const Tensor& input) {
    return log_softmax(input, options.dim());
}
void LogSoftmaxImpl::pretty_print(std::ostream& stream) const {
    stream << "LogSoftmax(dim=" << options.dim() << ")";
}

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
    if (!function_) throw std::invalid_argument("Functional: the function is empty");
}
Tensor FunctionalImpl::forward(const Tensor& input) {
    return function_(input);
}

}  // namespace nn
}  // namespace tapegrad
