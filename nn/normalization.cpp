#include "nn/normalization.hpp"

#include <algorithm>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/ops_conv.hpp"
#include "nn/init.hpp"

namespace tapegrad {
namespace nn {

namespace functional {

// y = (x - mean) / sqrt(var + eps) * weight + bias per channel: tapegrad::batch_norm, which
// also checks the shapes and refuses a single value per channel in training.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options) {
    if (options.training() && running_mean.defined() && !options.momentum()) {
        throw std::invalid_argument(
            "batch_norm: momentum is nullopt; updating running_mean and running_var needs one");
    }
    return tapegrad::batch_norm(input, options.weight(), options.bias(), running_mean, running_var,
                                options.training(), options.momentum().value_or(0.0),
                                options.eps());
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

namespace detail {

void reset_affine(Tensor& weight, Tensor& bias) {
    if (!weight.defined()) return;
    init::ones_(weight);
    init::zeros_(bias);
}

// Training: the batch's statistics, and the running ones (when tracked) move by momentum, or
// (momentum nullopt) by 1 / batches seen: the cumulative average, as LibTorch. Eval with
// tracking: the running statistics. num_batches_tracked counts only the batches that passed.
template <size_t D, class Derived>
Tensor BatchNormImplBase<D, Derived>::forward(const Tensor& input) {
    if constexpr (D == 1)
        this->check_input(input, {2, 3});
    else
        this->check_input(input, {D + 2});
    const BatchNormOptions& o = this->options;
    const bool update = this->is_training() && o.track_running_stats();
    std::optional<double> momentum = o.momentum();
    if (update && !momentum)
        momentum =
            1.0 / static_cast<double>(this->num_batches_tracked.template item<int64_t>() + 1);
    Tensor y = functional::batch_norm(input, this->running_mean, this->running_var,
                                      functional::BatchNormFuncOptions()
                                          .weight(this->weight)
                                          .bias(this->bias)
                                          .training(this->is_training() || !o.track_running_stats())
                                          .momentum(momentum)
                                          .eps(o.eps()));
    if (update) {
        NoGradGuard no_grad;
        this->num_batches_tracked.add_(1);
    }
    return y;
}

template <size_t D, class Derived>
void BatchNormImplBase<D, Derived>::pretty_print(std::ostream& stream) const {
    const BatchNormOptions& o = this->options;
    stream << "BatchNorm" << D << "d(" << o.num_features() << ", eps=" << o.eps() << ", momentum=";
    if (o.momentum())
        stream << *o.momentum();
    else
        stream << "None";
    stream << ", affine=" << (o.affine() ? "true" : "false")
           << ", track_running_stats=" << (o.track_running_stats() ? "true" : "false") << ")";
}

template class BatchNormImplBase<1, BatchNorm1dImpl>;
template class BatchNormImplBase<2, BatchNorm2dImpl>;
template class BatchNormImplBase<3, BatchNorm3dImpl>;

}  // namespace detail

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
    detail::reset_affine(weight, bias);
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
