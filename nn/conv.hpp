#pragma once
// Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, and their functional
// forms F::conv1d, F::conv2d, F::conv_transpose1d, F::conv_transpose2d.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "autograd/ops_conv.hpp"
#include "autograd/tensor.hpp"
#include "nn/any.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

namespace detail {

/// The options every convolution layer has (as LibTorch's detail::ConvNdOptions); the
/// setters return the Derived options, so that `Conv2dOptions(3, 16, 3).stride(2).padding(1)`
/// chains through them.
template <size_t D, class Derived>
struct ConvOptionsBase {
    using padding_mode_t = PaddingMode;
    ConvOptionsBase(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
        : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
    TAPEGRAD_BASE_ARG(int64_t, in_channels);
    TAPEGRAD_BASE_ARG(int64_t, out_channels);
    TAPEGRAD_BASE_ARG(ExpandingArray<D>, kernel_size);
    TAPEGRAD_BASE_ARG(ExpandingArray<D>, stride) = 1;
    TAPEGRAD_BASE_ARG(ExpandingArray<D>, dilation) = 1;
    /// Input and output channels split into this many independent groups.
    TAPEGRAD_BASE_ARG(int64_t, groups) = 1;
    TAPEGRAD_BASE_ARG(bool, bias) = true;
    /// kZeros, kReflect, kReplicate or kCircular (a transposed convolution: only kZeros, as in
    /// LibTorch).
    TAPEGRAD_BASE_ARG(PaddingMode, padding_mode) = kZeros;
};

}  // namespace detail

/// Options of a D-dimensional convolution layer: `Conv2dOptions(3, 16, 3).stride(1).padding(1)
/// .bias(false)`. Sizes take one number or one per dim; padding also takes kSame or kValid.
template <size_t D>
struct ConvOptions : public detail::ConvOptionsBase<D, ConvOptions<D>> {
    using padding_t = ConvPadding<D>;
    using detail::ConvOptionsBase<D, ConvOptions<D>>::ConvOptionsBase;
    TAPEGRAD_ARG(ConvPadding<D>, padding) = 0;
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;

/// Options of a transposed convolution layer: `ConvTranspose2dOptions(16, 3, 4).stride(2)`.
template <size_t D>
struct ConvTransposeOptions : public detail::ConvOptionsBase<D, ConvTransposeOptions<D>> {
    using detail::ConvOptionsBase<D, ConvTransposeOptions<D>>::ConvOptionsBase;
    TAPEGRAD_ARG(ExpandingArray<D>, padding) = 0;
    /// Extra size on one side of the output (smaller than the stride or the dilation).
    TAPEGRAD_ARG(ExpandingArray<D>, output_padding) = 0;
};
using ConvTranspose1dOptions = ConvTransposeOptions<1>;
using ConvTranspose2dOptions = ConvTransposeOptions<2>;

namespace detail {

/// What Conv and ConvTranspose layers share (LibTorch's ConvNdImpl): the options, and weight and
/// bias registered by reset() and initialised as PyTorch (Kaiming-uniform with a = sqrt(5); bias
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.size(1) * prod(k)). Options is
/// ConvOptions<D> or ConvTransposeOptions<D>.
template <size_t D, class Derived, class Options>
class ConvImplBase : public Cloneable<Derived> {
public:
    ConvImplBase(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
        : ConvImplBase(Options(in_channels, out_channels, kernel_size)) {}
    explicit ConvImplBase(const Options& options) : options(options) { reset(); }
    /// Checks the options, registers weight and bias, and draws them.
    void reset() override;
    void reset_parameters();

    Options options;
    /// [out, in / groups, k...] for a convolution, [in, out / groups, k...] for a transposed one.
    Tensor weight;
    /// [out]; undefined when options.bias() is false.
    Tensor bias;

protected:
    bool describes_parameters() const override { return true; }
};

/// The shared body of Conv1d and Conv2d.
template <size_t D, class Derived>
class ConvNdImpl : public ConvImplBase<D, Derived, ConvOptions<D>> {
public:
    using Base = ConvImplBase<D, Derived, ConvOptions<D>>;
    using Base::Base, Base::options, Base::weight, Base::bias;
    /// [N, in, *spatial] (or unbatched [in, *spatial]) -> [N, out, *spatial_out].
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};

/// The shared body of ConvTranspose1d and ConvTranspose2d.
template <size_t D, class Derived>
class ConvTransposeNdImpl : public ConvImplBase<D, Derived, ConvTransposeOptions<D>> {
public:
    using Base = ConvImplBase<D, Derived, ConvTransposeOptions<D>>;
    using Base::Base, Base::options, Base::weight, Base::bias;
    /// output_size (the spatial sizes, or with batch and channels) picks the output_padding
    /// that gives that size, as LibTorch's forward(input, output_size).
    Tensor forward(const Tensor& input,
                   const std::optional<std::vector<int64_t>>& output_size = std::nullopt);
    void pretty_print(std::ostream& stream) const override;
    TAPEGRAD_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(std::optional<std::vector<int64_t>>())})
};

}  // namespace detail

/// 1-d convolution over [N, C, L].
TAPEGRAD_ND_LAYER(Conv1d, ConvNdImpl, 1);

/// 2-d convolution over [N, C, H, W]: `nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1))`.
TAPEGRAD_ND_LAYER(Conv2d, ConvNdImpl, 2);

/// Transposed 1-d convolution.
TAPEGRAD_ND_LAYER(ConvTranspose1d, ConvTransposeNdImpl, 1);

/// Transposed 2-d convolution (upsampling by a learned kernel).
TAPEGRAD_ND_LAYER(ConvTranspose2d, ConvTransposeNdImpl, 2);

namespace functional {

/// Options of F::conv1d / F::conv2d: `F::Conv2dFuncOptions().stride(2).padding(1)`.
template <size_t D>
struct ConvFuncOptions {
    using padding_t = ConvPadding<D>;
    TAPEGRAD_ARG(Tensor, bias) = Tensor();
    TAPEGRAD_ARG(ExpandingArray<D>, stride) = 1;
    TAPEGRAD_ARG(ConvPadding<D>, padding) = 0;
    TAPEGRAD_ARG(ExpandingArray<D>, dilation) = 1;
    TAPEGRAD_ARG(int64_t, groups) = 1;
};
using Conv1dFuncOptions = ConvFuncOptions<1>;
using Conv2dFuncOptions = ConvFuncOptions<2>;

/// Options of F::conv_transpose1d / F::conv_transpose2d.
template <size_t D>
struct ConvTransposeFuncOptions {
    TAPEGRAD_ARG(Tensor, bias) = Tensor();
    TAPEGRAD_ARG(ExpandingArray<D>, stride) = 1;
    TAPEGRAD_ARG(ExpandingArray<D>, padding) = 0;
    TAPEGRAD_ARG(ExpandingArray<D>, output_padding) = 0;
    TAPEGRAD_ARG(int64_t, groups) = 1;
    TAPEGRAD_ARG(ExpandingArray<D>, dilation) = 1;
};
using ConvTranspose1dFuncOptions = ConvTransposeFuncOptions<1>;
using ConvTranspose2dFuncOptions = ConvTransposeFuncOptions<2>;

Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options = {});
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options = {});
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight,
                        const ConvTranspose1dFuncOptions& options = {});
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight,
                        const ConvTranspose2dFuncOptions& options = {});

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
