#pragma once
// nn::functional: the stateless forms of the layers and losses, as LibTorch's
// torch::nn::functional (usually aliased `namespace F = tapegrad::nn::functional;`).

#include "autograd/ops.hpp"
#include "nn/activation.hpp"
#include "nn/arg.hpp"
#include "nn/dropout.hpp"
#include "nn/functional/loss.hpp"

namespace tapegrad {
namespace nn {
namespace functional {

using tapegrad::gelu;
using tapegrad::leaky_relu;
using tapegrad::linear;
using tapegrad::log_softmax;
using tapegrad::relu;
using tapegrad::sigmoid;
using tapegrad::softmax;
using tapegrad::tanh;

using SoftmaxFuncOptions = SoftmaxOptions;
using LogSoftmaxFuncOptions = LogSoftmaxOptions;
using LeakyReLUFuncOptions = LeakyReLUOptions;

/// softmax along options.dim(): `F::softmax(x, F::SoftmaxFuncOptions(1))`.
inline Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
    return tapegrad::softmax(input, options.dim());
}
/// log_softmax along options.dim().
inline Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
    return tapegrad::log_softmax(input, options.dim());
}
inline Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& options) {
    return tapegrad::leaky_relu(input, options.negative_slope());
}

/// Options of functional::dropout: `DropoutFuncOptions().p(0.2).training(is_training())`.
struct DropoutFuncOptions {
    TAPEGRAD_ARG(double, p) = 0.5;
    TAPEGRAD_ARG(bool, training) = true;
};
inline Tensor dropout(const Tensor& input, const DropoutFuncOptions& options = {}) {
    return tapegrad::dropout(input, options.p(), options.training());
}

}  // namespace functional
}  // namespace nn
}  // namespace tapegrad
