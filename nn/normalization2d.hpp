#pragma once
// Instance and group normalisation: InstanceNorm1d/2d, GroupNorm, and their functional forms
// F::instance_norm, F::group_norm (fused ops, autograd/ops/norm.cpp). BatchNorm1d/2d/3d and
// F::batch_norm are in nn/normalization.hpp.

#include <cstddef>
#include <cstdint>
#include <iosfwd>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"
#include "nn/normalization.hpp"

namespace tapegrad {
namespace nn {

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

/// InstanceNorm1d / InstanceNorm2d over inputs of D + 1 (unbatched) or D + 2 dims.
template <size_t D, class Derived>
class InstanceNormImpl : public NormImplBase<D, Derived, InstanceNormOptions> {
public:
    using NormImplBase<D, Derived, InstanceNormOptions>::NormImplBase;
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};

}  // namespace detail

/// Normalises each (sample, channel) of [N, C, L] over its length.
TAPEGRAD_ND_LAYER(InstanceNorm1d, InstanceNormImpl, 1);

/// Normalises each (sample, channel) of [N, C, H, W] over its pixels.
TAPEGRAD_ND_LAYER(InstanceNorm2d, InstanceNormImpl, 2);

/// Normalises each group of C / num_groups channels of each sample of [N, C, ...] (no batch
/// statistics: the same in training and eval); then weight and bias per channel.
class GroupNormImpl : public Cloneable<GroupNormImpl> {
public:
    GroupNormImpl(int64_t num_groups, int64_t num_channels)
        : GroupNormImpl(GroupNormOptions(num_groups, num_channels)) {}
    explicit GroupNormImpl(const GroupNormOptions& options);
    /// Registers the weight and bias (when affine), initialised.
    void reset() override;
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
