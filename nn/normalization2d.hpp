#pragma once
// Normalisation layers for images: BatchNorm2d, InstanceNorm1d/2d, GroupNorm, and their
// functional forms F::batch_norm, F::instance_norm, F::group_norm (fused ops,
// autograd/ops/norm.cpp).

#include <cstddef>
#include <cstdint>
#include <iosfwd>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/module.hpp"
#include "nn/normalization.hpp"

namespace tapegrad {
namespace nn {

using BatchNorm2dOptions = BatchNormOptions;

/// Options of InstanceNorm1d/2d: `InstanceNormOptions(64).affine(true)`; by default no affine
/// parameters and no running statistics, as in LibTorch.
struct InstanceNormOptions {
    InstanceNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT
    TAPEGRAD_ARG(int64_t, num_features);
    TAPEGRAD_ARG(double, eps) = 1e-5;
    TAPEGRAD_ARG(double, momentum) = 0.1;
    TAPEGRAD_ARG(bool, affine) = false;
    TAPEGRAD_ARG(bool, track_running_stats) = false;
};
using InstanceNorm1dOptions = InstanceNormOptions;
using InstanceNorm2dOptions = InstanceNormOptions;

/// Options of GroupNorm: `GroupNormOptions(num_groups, num_channels)`.
struct GroupNormOptions {
    GroupNormOptions(int64_t num_groups, int64_t num_channels)
        : num_groups_(num_groups), num_channels_(num_channels) {}
    TAPEGRAD_ARG(int64_t, num_groups);
    TAPEGRAD_ARG(int64_t, num_channels);
    TAPEGRAD_ARG(double, eps) = 1e-5;
    TAPEGRAD_ARG(bool, affine) = true;
};

namespace detail {

/// What batch and instance norm layers share: weight and bias [C] (ones and zeros) when
/// affine, buffers running_mean, running_var and num_batches_tracked when tracking.
template <class Options>
class NormBase : public Module {
public:
    explicit NormBase(const Options& options);
    /// running_mean = 0, running_var = 1, num_batches_tracked = 0.
    void reset_running_stats();
    /// weight = 1, bias = 0, and the running statistics reset.
    void reset_parameters();

    Options options;
    Tensor weight, bias;
    Tensor running_mean, running_var, num_batches_tracked;

protected:
    bool describes_parameters() const override { return true; }
    /// Checks the input's rank (`dims` allowed ranks) and channel count, naming `layer`.
    void check_input(const char* layer, const Tensor& input,
                     std::initializer_list<int64_t> dims) const;
};

/// InstanceNorm1d / InstanceNorm2d over inputs of D + 1 (unbatched) or D + 2 dims.
template <size_t D>
class InstanceNormNdImpl : public NormBase<InstanceNormOptions> {
public:
    using NormBase::NormBase;
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};

}  // namespace detail

/// Batch normalisation of [N, C, H, W] per channel: in training by the batch's statistics
/// (updating the running ones), in eval mode by the running statistics; then weight and bias.
/// One fused op (tapegrad::batch_norm) instead of the dozen ops BatchNorm1d is made of.
class BatchNorm2dImpl : public detail::NormBase<BatchNormOptions> {
public:
    explicit BatchNorm2dImpl(int64_t num_features)
        : BatchNorm2dImpl(BatchNormOptions(num_features)) {}
    explicit BatchNorm2dImpl(const BatchNormOptions& options) : NormBase(options) {}
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(BatchNorm2d);

/// Normalises each (sample, channel) of [N, C, L] over its length.
class InstanceNorm1dImpl : public detail::InstanceNormNdImpl<1> {
public:
    explicit InstanceNorm1dImpl(int64_t num_features)
        : InstanceNormNdImpl(InstanceNormOptions(num_features)) {}
    explicit InstanceNorm1dImpl(const InstanceNormOptions& options) : InstanceNormNdImpl(options) {}
};
TAPEGRAD_MODULE(InstanceNorm1d);

/// Normalises each (sample, channel) of [N, C, H, W] over its pixels.
class InstanceNorm2dImpl : public detail::InstanceNormNdImpl<2> {
public:
    explicit InstanceNorm2dImpl(int64_t num_features)
        : InstanceNormNdImpl(InstanceNormOptions(num_features)) {}
    explicit InstanceNorm2dImpl(const InstanceNormOptions& options) : InstanceNormNdImpl(options) {}
};
TAPEGRAD_MODULE(InstanceNorm2d);

/// Normalises each group of C / num_groups channels of each sample of [N, C, ...] (no batch
/// statistics: the same in training and eval); then weight and bias per channel.
class GroupNormImpl : public Module {
public:
    GroupNormImpl(int64_t num_groups, int64_t num_channels)
        : GroupNormImpl(GroupNormOptions(num_groups, num_channels)) {}
    explicit GroupNormImpl(const GroupNormOptions& options);
    void reset_parameters();
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    GroupNormOptions options;
    Tensor weight, bias;

protected:
    bool describes_parameters() const override { return true; }
};
TAPEGRAD_MODULE(GroupNorm);

namespace functional {

/// Options of F::batch_norm: `F::BatchNormFuncOptions().weight(w).bias(b).training(true)`.
struct BatchNormFuncOptions {
    TAPEGRAD_ARG(Tensor, weight) = Tensor();
    TAPEGRAD_ARG(Tensor, bias) = Tensor();
    TAPEGRAD_ARG(bool, training) = false;
    TAPEGRAD_ARG(double, momentum) = 0.1;
    TAPEGRAD_ARG(double, eps) = 1e-5;
};
/// tapegrad::batch_norm with the options' weight, bias, training, momentum and eps.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});

/// Options of F::instance_norm.
struct InstanceNormFuncOptions {
    TAPEGRAD_ARG(Tensor, running_mean) = Tensor();
    TAPEGRAD_ARG(Tensor, running_var) = Tensor();
    TAPEGRAD_ARG(Tensor, weight) = Tensor();
    TAPEGRAD_ARG(Tensor, bias) = Tensor();
    TAPEGRAD_ARG(bool, use_input_stats) = true;
    TAPEGRAD_ARG(double, momentum) = 0.1;
    TAPEGRAD_ARG(double, eps) = 1e-5;
};
Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& options = {});

/// Options of F::group_norm: `F::GroupNormFuncOptions(num_groups).eps(1e-5)`.
struct GroupNormFuncOptions {
    GroupNormFuncOptions(int64_t num_groups) : num_groups_(num_groups) {}  // NOLINT
    TAPEGRAD_ARG(int64_t, num_groups);
    TAPEGRAD_ARG(Tensor, weight) = Tensor();
    TAPEGRAD_ARG(Tensor, bias) = Tensor();
    TAPEGRAD_ARG(double, eps) = 1e-5;
};
Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options);

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
