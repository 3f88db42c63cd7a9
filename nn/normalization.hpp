#pragma once
// BatchNorm1d and LayerNorm, composed of core ops (their gradients come from the tape).

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// Options of BatchNorm1d: `BatchNormOptions(64).momentum(0.01)`.
struct BatchNormOptions {
    BatchNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT
    TAPEGRAD_ARG(int64_t, num_features);
    TAPEGRAD_ARG(double, eps) = 1e-5;
    /// running = (1 - momentum) * running + momentum * batch statistic; nullopt gives the
    /// cumulative average (momentum 1 / batches seen), as LibTorch.
    TAPEGRAD_ARG(std::optional<double>, momentum) = 0.1;
    /// Whether the layer has a learned scale (weight) and shift (bias).
    TAPEGRAD_ARG(bool, affine) = true;
    /// Whether running statistics are kept (as buffers) and used in eval mode.
    TAPEGRAD_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;

/// Normalises each feature of [N, C] or [N, C, L] input: in training by the batch's mean and
/// biased variance (updating running_mean and the unbiased running_var), in eval mode by the
/// running statistics. Then y = x_hat * weight + bias.
class BatchNorm1dImpl : public Cloneable<BatchNorm1dImpl> {
public:
    explicit BatchNorm1dImpl(int64_t num_features)
        : BatchNorm1dImpl(BatchNormOptions(num_features)) {}
    explicit BatchNorm1dImpl(const BatchNormOptions& options);

    /// Registers the parameters and buffers, initialised.
    void reset() override;
    /// running_mean = 0, running_var = 1, num_batches_tracked = 0.
    void reset_running_stats();
    /// weight = 1, bias = 0, and the running statistics reset.
    void reset_parameters();
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    BatchNormOptions options;
    Tensor weight, bias;                                    // [C], when affine
    Tensor running_mean, running_var, num_batches_tracked;  // buffers, when tracking

protected:
    bool describes_parameters() const override { return true; }
};
TAPEGRAD_MODULE(BatchNorm1d);

namespace functional {
/// Options of functional::batch_norm: the affine tensors, the mode and the statistics' update.
struct BatchNormFuncOptions {
    TAPEGRAD_ARG(Tensor, weight);
    TAPEGRAD_ARG(Tensor, bias);
    /// True: normalise by the batch's statistics and update the running ones (when given).
    TAPEGRAD_ARG(bool, training) = false;
    TAPEGRAD_ARG(std::optional<double>, momentum) = 0.1;
    TAPEGRAD_ARG(double, eps) = 1e-5;
};
/// Normalises input [N, C, *] per channel, by the batch's statistics (training) or by
/// running_mean and running_var ([C]); the running statistics are updated in place.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});
}  // namespace functional

/// Options of LayerNorm: the trailing shape normalised over, e.g. `LayerNormOptions({128})`.
struct LayerNormOptions {
    LayerNormOptions(std::vector<int64_t> normalized_shape)  // NOLINT: implicit, as LibTorch
        : normalized_shape_(std::move(normalized_shape)) {}
    TAPEGRAD_ARG(std::vector<int64_t>, normalized_shape);
    TAPEGRAD_ARG(double, eps) = 1e-5;
    /// Whether the layer has a learned scale and shift of shape normalized_shape.
    TAPEGRAD_ARG(bool, elementwise_affine) = true;
};

namespace functional {
/// Options of functional::layer_norm: `LayerNormFuncOptions({128}).weight(w).bias(b)`.
struct LayerNormFuncOptions {
    LayerNormFuncOptions(std::vector<int64_t> normalized_shape)  // NOLINT: implicit, as LibTorch
        : normalized_shape_(std::move(normalized_shape)) {}
    TAPEGRAD_ARG(std::vector<int64_t>, normalized_shape);
    TAPEGRAD_ARG(Tensor, weight);
    TAPEGRAD_ARG(Tensor, bias);
    TAPEGRAD_ARG(double, eps) = 1e-5;
};
/// Normalises over the trailing normalized_shape dims, per sample; then * weight + bias.
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options);
}  // namespace functional

/// Normalises over the trailing dims given by normalized_shape, per sample, by their mean and
/// biased variance; then y = x_hat * weight + bias.
class LayerNormImpl : public Cloneable<LayerNormImpl> {
public:
    explicit LayerNormImpl(std::vector<int64_t> normalized_shape)
        : LayerNormImpl(LayerNormOptions(std::move(normalized_shape))) {}
    explicit LayerNormImpl(const LayerNormOptions& options);

    /// Registers the weight and bias (when elementwise_affine), initialised.
    void reset() override;
    void reset_parameters();
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    LayerNormOptions options;
    Tensor weight, bias;  // normalized_shape, when elementwise_affine

protected:
    bool describes_parameters() const override { return true; }
};
TAPEGRAD_MODULE(LayerNorm);

}  // namespace nn
}  // namespace tapegrad
