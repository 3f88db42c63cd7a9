#include "nn/normalization.hpp"

#include <algorithm>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tapegrad {
namespace nn {

BatchNorm1dImpl::BatchNorm1dImpl(const BatchNormOptions& opts) : options(opts) {
    reset();
}

void BatchNorm1dImpl::reset() {
    const int64_t c = options.num_features();
    if (options.affine()) {
        weight = register_parameter("weight", empty({c}));
        bias = register_parameter("bias", empty({c}));
    }
    if (options.track_running_stats()) {
        running_mean = register_buffer("running_mean", zeros({c}));
        running_var = register_buffer("running_var", ones({c}));
        num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
    }
    reset_parameters();
}

void BatchNorm1dImpl::reset_running_stats() {
    if (!options.track_running_stats()) return;
    init::zeros_(running_mean);
    init::ones_(running_var);
    init::zeros_(num_batches_tracked);
}

void BatchNorm1dImpl::reset_parameters() {
    reset_running_stats();
    if (options.affine()) {
        init::ones_(weight);
        init::zeros_(bias);
    }
}

namespace functional {

// training:  x_hat = (x - mean_B) / sqrt(var_B + eps), statistics over every dim but 1, and
//            running = (1 - momentum) running + momentum stat (the variance unbiased), in place
// otherwise: x_hat = (x - running_mean) / sqrt(running_var + eps)
// y = x_hat weight + bias. The backward comes from the ops (mean, sub, div, sqrt, ...).
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options) {
    const char* op = "batch_norm";
    if (input.dim() < 2) {
        throw std::invalid_argument(std::string(op) +
                                    ": expected input [batch, channels, ...], "
                                    "got shape " +
                                    shape_str(input.sizes()));
    }
    const int64_t c = input.size(1);
    std::vector<int64_t> dims{0}, stat_shape(static_cast<size_t>(input.dim()), 1);
    for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
    stat_shape[1] = c;
    for (const Tensor* t : {&running_mean, &running_var, &options.weight(), &options.bias()}) {
        if (t->defined() && t->sizes() != std::vector<int64_t>{c}) {
            throw std::invalid_argument(
                std::string(op) + ": expected per-channel tensors of shape [" + std::to_string(c) +
                "] for input of shape " + shape_str(input.sizes()) + ", got " +
                shape_str(t->sizes()));
        }
    }
    Tensor x_hat;
    if (options.training()) {
        const int64_t count = input.numel() / std::max<int64_t>(c, 1);
        if (count <= 1) {
            throw std::invalid_argument(std::string(op) +
                                        ": expected more than 1 value per channel when training, "
                                        "got input of shape " +
                                        shape_str(input.sizes()));
        }
        Tensor mean = input.mean(dims, /*keepdim=*/true);
        Tensor centered = input - mean;
        Tensor var = centered.square().mean(dims, /*keepdim=*/true);  // biased, as PyTorch
        x_hat = centered / (var + options.eps()).sqrt();
        if (running_mean.defined() || running_var.defined()) {
            if (!options.momentum()) {
                throw std::invalid_argument(std::string(op) +
                                            ": updating running statistics "
                                            "needs a momentum");
            }
            NoGradGuard no_grad;
            const double m = *options.momentum();
            const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
            if (running_mean.defined())
                running_mean.mul_(1.0 - m).add_(mean.detach().reshape({c}).to(running_mean.dtype()),
                                                m);
            if (running_var.defined())
                running_var.mul_(1.0 - m).add_(var.detach().reshape({c}).to(running_var.dtype()),
                                               m * unbias);
        }
    } else {
        if (!running_mean.defined() || !running_var.defined()) {
            throw std::invalid_argument(std::string(op) +
                                        ": evaluation (training false) needs "
                                        "running_mean and running_var");
        }
        x_hat = (input - running_mean.reshape(stat_shape)) /
                (running_var.reshape(stat_shape) + options.eps()).sqrt();
    }
    if (options.weight().defined()) x_hat = x_hat * options.weight().reshape(stat_shape);
    if (options.bias().defined()) x_hat = x_hat + options.bias().reshape(stat_shape);
    return x_hat;
}

// x_hat = (x - mean) / sqrt(var + eps) over the trailing normalized_shape dims (biased var);
// y = x_hat weight + bias. The backward comes from the ops.
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options) {
    const std::vector<int64_t>& shape = options.normalized_shape();
    const int64_t k = static_cast<int64_t>(shape.size());
    bool matches = input.dim() >= k;
    for (int64_t i = 0; matches && i < k; ++i)
        matches = input.size(input.dim() - k + i) == shape[i];
    if (!matches) {
        throw std::invalid_argument("LayerNorm: input of shape " + shape_str(input.sizes()) +
                                    " does not end with the normalized shape " + shape_str(shape));
    }
    std::vector<int64_t> dims;
    for (int64_t i = 0; i < k; ++i) dims.push_back(input.dim() - k + i);
    Tensor mean = input.mean(dims, /*keepdim=*/true);
    Tensor centered = input - mean;
    Tensor var = centered.square().mean(dims, /*keepdim=*/true);
    Tensor x_hat = centered / (var + options.eps()).sqrt();
    if (options.weight().defined()) x_hat = x_hat * options.weight();
    if (options.bias().defined()) x_hat = x_hat + options.bias();
    return x_hat;
}

}  // namespace functional

// The running statistics move by momentum, or (momentum nullopt) by 1 / batches seen: the
// cumulative average, as PyTorch.
Tensor BatchNorm1dImpl::forward(const Tensor& input) {
    const int64_t c = options.num_features();
    if (input.dim() != 2 && input.dim() != 3) {
        throw std::invalid_argument(
            "BatchNorm1d: expected 2-D [batch, features] or 3-D [batch, "
            "features, length] input, got shape " +
            shape_str(input.sizes()));
    }
    if (input.size(1) != c) {
        throw std::invalid_argument("BatchNorm1d: expected " + std::to_string(c) +
                                    " features in dim 1, got input of shape " +
                                    shape_str(input.sizes()));
    }
    if ((is_training() || !options.track_running_stats()) && input.numel() / c <= 1) {
        throw std::invalid_argument(
            "BatchNorm1d: expected more than 1 value per feature when training, got input "
            "of shape " +
            shape_str(input.sizes()));
    }
    const bool update = is_training() && options.track_running_stats();
    std::optional<double> momentum = options.momentum();
    if (update) {
        NoGradGuard no_grad;
        num_batches_tracked.add_(1);
        if (!momentum) momentum = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
    }
    const bool batch_stats = is_training() || !options.track_running_stats();
    return functional::batch_norm(input, update || !batch_stats ? running_mean : Tensor(),
                                  update || !batch_stats ? running_var : Tensor(),
                                  functional::BatchNormFuncOptions()
                                      .weight(weight)
                                      .bias(bias)
                                      .training(batch_stats)
                                      .momentum(momentum)
                                      .eps(options.eps()));
}

void BatchNorm1dImpl::pretty_print(std::ostream& stream) const {
    stream << "BatchNorm1d(" << options.num_features() << ", eps=" << options.eps()
           << ", momentum=";
    if (options.momentum())
        stream << *options.momentum();
    else
        stream << "None";
    stream << ", affine=" << (options.affine() ? "true" : "false")
           << ", track_running_stats=" << (options.track_running_stats() ? "true" : "false") << ")";
}

LayerNormImpl::LayerNormImpl(const LayerNormOptions& opts) : options(opts) {
    reset();
}

void LayerNormImpl::reset() {
    if (options.elementwise_affine()) {
        weight = register_parameter("weight", tapegrad::empty(options.normalized_shape()));
        bias = register_parameter("bias", tapegrad::empty(options.normalized_shape()));
    }
    reset_parameters();
}

void LayerNormImpl::reset_parameters() {
    if (!options.elementwise_affine()) return;
    init::ones_(weight);
    init::zeros_(bias);
}

Tensor LayerNormImpl::forward(const Tensor& input) {
    return functional::layer_norm(input,
                                  functional::LayerNormFuncOptions(options.normalized_shape())
                                      .weight(weight)
                                      .bias(bias)
                                      .eps(options.eps()));
}

void LayerNormImpl::pretty_print(std::ostream& stream) const {
    stream << "LayerNorm(" << shape_str(options.normalized_shape()) << ", eps=" << options.eps()
           << ", elementwise_affine=" << (options.elementwise_affine() ? "true" : "false") << ")";
}

}  // namespace nn
}  // namespace tapegrad
