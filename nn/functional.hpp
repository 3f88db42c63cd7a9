#pragma once
// nn::functional: the stateless forms of the layers and losses, as LibTorch's
// torch::nn::functional (usually aliased `namespace F = tapegrad::nn::functional;`).

#include <cstdint>
#include <optional>

#include "autograd/ops.hpp"
#include "nn/activation.hpp"
#include "nn/arg.hpp"
#include "nn/dropout.hpp"
#include "nn/functional/loss.hpp"

namespace tapegrad {
namespace nn {
namespace functional {

using tapegrad::linear;
using tapegrad::log_softmax;
using tapegrad::sigmoid;
using tapegrad::softmax;
using tapegrad::tanh;

using ReLUFuncOptions = ReLUOptions;
using LeakyReLUFuncOptions = LeakyReLUOptions;
using GELUFuncOptions = GELUOptions;

/// Options of functional::softmax: the dim, and a dtype to convert the input to first.
struct SoftmaxFuncOptions {
    SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch
    TAPEGRAD_ARG(int64_t, dim);
    TAPEGRAD_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};
using LogSoftmaxFuncOptions = SoftmaxFuncOptions;

/// max(x, 0); with options.inplace() written into x when x is not part of a graph.
Tensor relu(const Tensor& input, const ReLUFuncOptions& options = {});
/// x for x > 0, negative_slope * x otherwise: `F::leaky_relu(x, 0.2)` or with options.
Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& options);
inline Tensor leaky_relu(const Tensor& input, double negative_slope = 0.01) {
    return tapegrad::leaky_relu(input, negative_slope);
}
/// GELU, exact or (approximate("tanh")) its tanh approximation.
Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {});

/// softmax along options.dim(): `F::softmax(x, F::SoftmaxFuncOptions(1))`.
inline Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
    return tapegrad::softmax(options.dtype() ? input.to(*options.dtype()) : input, options.dim());
}
/// log_softmax along options.dim(), in options.dtype() when given.
inline Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
    return tapegrad::log_softmax(options.dtype() ? input.to(*options.dtype()) : input,
                                 options.dim());
}

/// Options of functional::dropout: `DropoutFuncOptions().p(0.2).training(is_training())`.
struct DropoutFuncOptions {
    TAPEGRAD_ARG(double, p) = 0.5;
    TAPEGRAD_ARG(bool, training) = true;
    TAPEGRAD_ARG(bool, inplace) = false;
};
/// dropout(input, p, training), written into input with inplace (see nn::ReLUOptions).
Tensor dropout(const Tensor& input, const DropoutFuncOptions& options = {});

}  // namespace functional
}  // namespace nn
}  // namespace tapegrad
