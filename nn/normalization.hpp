#pragma once
// BatchNorm1d/2d/3d (one fused op, tapegrad::batch_norm, for every rank) and LayerNorm (composed
// of core ops: its gradient comes from the tape), with functional::batch_norm and layer_norm.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// Options of BatchNorm1d/2d/3d: `BatchNormOptions(64).momentum(0.01)`.
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
using BatchNorm2dOptions = BatchNormOptions;
using BatchNorm3dOptions = BatchNormOptions;

namespace functional {
/// Options of functional::batch_norm: the affine tensors, the mode and the statistics' update,
/// `F::BatchNormFuncOptions().weight(w).bias(b).training(true)`.
struct BatchNormFuncOptions {
    TAPEGRAD_ARG(Tensor, weight);
    TAPEGRAD_ARG(Tensor, bias);
    /// True: normalise by the batch's statistics and update the running ones (when given).
    TAPEGRAD_ARG(bool, training) = false;
    /// Needed when running statistics are updated (LibTorch 1.13 makes it optional here too).
    TAPEGRAD_ARG(std::optional<double>, momentum) = 0.1;
    TAPEGRAD_ARG(double, eps) = 1e-5;
};
/// Normalises input [N, C, *] per channel, by the batch's statistics (training) or by
/// running_mean and running_var ([C]); the running statistics are updated in place. One fused
/// op, tapegrad::batch_norm (autograd/ops/norm.cpp), for every rank.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});
}  // namespace functional

namespace detail {

/// weight = 1 and bias = 0, the initial affine parameters of every norm layer (nothing when
/// they are undefined: a layer without affine parameters).
void reset_affine(Tensor& weight, Tensor& bias);

/// What the batch and instance norm layers share, as LibTorch's NormImplBase: weight and bias
/// [C] (ones and zeros) when affine, buffers running_mean, running_var (zeros and ones) and
/// num_batches_tracked when tracking. `D` is the number of spatial dims.
template <size_t D, class Derived, class Options>
class NormImplBase : public Cloneable<Derived> {
public:
    explicit NormImplBase(const Options& options) : options(options) { reset(); }
    explicit NormImplBase(int64_t num_features) : NormImplBase(Options(num_features)) {}

    /// Registers the parameters and buffers, initialised.
    void reset() override {
        const int64_t c = options.num_features();
        if (c <= 0) {
            throw std::invalid_argument(layer_name() + ": num_features must be positive, got " +
                                        std::to_string(c));
        }
        if (options.affine()) {
            weight = this->register_parameter("weight", tapegrad::empty({c}));
            bias = this->register_parameter("bias", tapegrad::empty({c}));
        }
        if (options.track_running_stats()) {
            running_mean = this->register_buffer("running_mean", tapegrad::zeros({c}));
            running_var = this->register_buffer("running_var", tapegrad::ones({c}));
            num_batches_tracked =
                this->register_buffer("num_batches_tracked", tapegrad::zeros({}, kInt64));
        }
        reset_parameters();
    }
    /// running_mean = 0, running_var = 1, num_batches_tracked = 0.
    void reset_running_stats() {
        if (!options.track_running_stats()) return;
        NoGradGuard no_grad;
        running_mean.zero_();
        running_var.fill_(1.0);
        num_batches_tracked.zero_();
    }
    /// weight = 1, bias = 0, and the running statistics reset.
    void reset_parameters() {
        reset_running_stats();
        if (!options.affine()) return;
        NoGradGuard no_grad;
        weight.fill_(1.0);
        bias.zero_();
    }

    Options options;
    Tensor weight, bias;                                    // [C], when affine
    Tensor running_mean, running_var, num_batches_tracked;  // buffers, when tracking

protected:
    bool describes_parameters() const override { return true; }
    /// "BatchNorm2d", "InstanceNorm1d", ...: the layer's name in messages (usable while it is
    /// being constructed, unlike Module::name()).
    static std::string layer_name() {
        return (std::is_same_v<Options, BatchNormOptions> ? "BatchNorm" : "InstanceNorm") +
               std::to_string(D) + "d";
    }
    /// Throws unless input has one of the ranks in `dims` and num_features channels (in dim 1,
    /// or in dim 0 for an input of rank `unbatched_rank`).
    void check_input(const Tensor& input, std::initializer_list<int64_t> dims,
                     int64_t unbatched_rank = -1) const {
        std::string ranks;
        bool ok = false;
        for (int64_t d : dims) {
            ranks += (ranks.empty() ? "" : " or ") + std::to_string(d) + "-d";
            ok = ok || (input.defined() && input.dim() == d);
        }
        if (!ok) {
            throw std::invalid_argument(layer_name() + ": expected a " + ranks + " input, got " +
                                        (input.defined() ? "shape " + shape_str(input.sizes())
                                                         : std::string("an undefined tensor")));
        }
        if (input.size(input.dim() == unbatched_rank ? 0 : 1) != options.num_features()) {
            throw std::invalid_argument(
                layer_name() + ": expected " + std::to_string(options.num_features()) +
                " channels, got input of shape " + shape_str(input.sizes()));
        }
    }
};

/// BatchNorm1d/2d/3d: the batch's statistics in training (updating the running ones), the
/// running statistics in eval mode when tracked; then weight and bias.
template <size_t D, class Derived>
class BatchNormImplBase : public NormImplBase<D, Derived, BatchNormOptions> {
public:
    using NormImplBase<D, Derived, BatchNormOptions>::NormImplBase;
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};

}  // namespace detail

/// Batch normalisation of [N, C] or [N, C, L] per feature (channel C).
TAPEGRAD_ND_LAYER(BatchNorm1d, BatchNormImplBase, 1);

/// Batch normalisation of [N, C, H, W] per channel.
TAPEGRAD_ND_LAYER(BatchNorm2d, BatchNormImplBase, 2);

/// Batch normalisation of [N, C, D, H, W] per channel.
TAPEGRAD_ND_LAYER(BatchNorm3d, BatchNormImplBase, 3);

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
