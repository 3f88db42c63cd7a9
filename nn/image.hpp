#pragma once
// Layers that reshape, resample or pad images: Dropout2d, Unflatten, Upsample, PixelShuffle,
// PixelUnshuffle, ZeroPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, and the
// functional forms F::dropout2d, F::interpolate, F::pad, F::pixel_shuffle, F::pixel_unshuffle.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "autograd/ops_conv.hpp"
#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/dropout.hpp"
#include "nn/functional.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

using Dropout2dOptions = DropoutOptions;

/// Zeroes whole channels of [N, C, H, W] (or unbatched [C, H, W]) with probability p while
/// training, scaling the kept ones by 1 / (1 - p); the identity in eval mode.
class Dropout2dImpl : public detail::DropoutNdImpl<Dropout2dImpl> {
public:
    using DropoutNdImpl::DropoutNdImpl;
    Tensor forward(const Tensor& input);
};
TAPEGRAD_MODULE(Dropout2d);

/// Options of Unflatten: dim `dim` becomes `sizes` (one entry may be -1).
struct UnflattenOptions {
    UnflattenOptions(int64_t dim, std::vector<int64_t> sizes)
        : dim_(dim), sizes_(std::move(sizes)) {}
    TAPEGRAD_ARG(int64_t, dim);
    TAPEGRAD_ARG(std::vector<int64_t>, sizes);
};

/// Splits one dim into several: Unflatten(1, {1, 28, 28}) maps [N, 784] to [N, 1, 28, 28]
/// (a view).
class UnflattenImpl : public Cloneable<UnflattenImpl> {
public:
    UnflattenImpl(int64_t dim, std::vector<int64_t> sizes)
        : UnflattenImpl(UnflattenOptions(dim, std::move(sizes))) {}
    explicit UnflattenImpl(const UnflattenOptions& options);
    void reset() override {}
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    UnflattenOptions options;
};
TAPEGRAD_MODULE(Unflatten);

/// Options of Upsample: an output size or a scale factor per spatial dim, and the mode.
struct UpsampleOptions {
    TAPEGRAD_ARG(std::optional<std::vector<int64_t>>, size) = std::nullopt;
    TAPEGRAD_ARG(std::optional<std::vector<double>>, scale_factor) = std::nullopt;
    /// kNearest or kBilinear.
    TAPEGRAD_ARG(InterpolateMode, mode) = kNearest;
    /// For kBilinear (false when not given); must stay unset for kNearest.
    TAPEGRAD_ARG(std::optional<bool>, align_corners) = std::nullopt;
};

/// Resizes [N, C, H, W] by nearest or bilinear interpolation.
class UpsampleImpl : public Cloneable<UpsampleImpl> {
public:
    explicit UpsampleImpl(const UpsampleOptions& options = {});
    void reset() override {}
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    UpsampleOptions options;
};
TAPEGRAD_MODULE(Upsample);

/// Options of PixelShuffle.
struct PixelShuffleOptions {
    PixelShuffleOptions(int64_t upscale_factor) : upscale_factor_(upscale_factor) {}  // NOLINT
    TAPEGRAD_ARG(int64_t, upscale_factor);
};
/// Options of PixelUnshuffle.
struct PixelUnshuffleOptions {
    PixelUnshuffleOptions(int64_t downscale_factor)
        : downscale_factor_(downscale_factor) {}  // NOLINT
    TAPEGRAD_ARG(int64_t, downscale_factor);
};

/// [N, C r^2, H, W] -> [N, C, H r, W r]: channels become sub-pixels.
class PixelShuffleImpl : public Cloneable<PixelShuffleImpl> {
public:
    explicit PixelShuffleImpl(int64_t upscale_factor) : options(upscale_factor) {}
    explicit PixelShuffleImpl(const PixelShuffleOptions& options) : options(options) {}
    void reset() override {}
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
    PixelShuffleOptions options;
};
TAPEGRAD_MODULE(PixelShuffle);

/// [N, C, H r, W r] -> [N, C r^2, H, W], the inverse of PixelShuffle.
class PixelUnshuffleImpl : public Cloneable<PixelUnshuffleImpl> {
public:
    explicit PixelUnshuffleImpl(int64_t downscale_factor) : options(downscale_factor) {}
    explicit PixelUnshuffleImpl(const PixelUnshuffleOptions& options) : options(options) {}
    void reset() override {}
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
    PixelUnshuffleOptions options;
};
TAPEGRAD_MODULE(PixelUnshuffle);

/// Options of the 2-d padding layers: {left, right, top, bottom}, or one size for all four.
struct Pad2dOptions {
    Pad2dOptions(ExpandingArray<4> padding) : padding_(padding) {}  // NOLINT: implicit
    TAPEGRAD_ARG(ExpandingArray<4>, padding);
};
using ZeroPad2dOptions = Pad2dOptions;
using ReflectionPad2dOptions = Pad2dOptions;
using ReplicationPad2dOptions = Pad2dOptions;
/// Options of ConstantPad2d: the sizes and the fill value.
struct ConstantPad2dOptions {
    ConstantPad2dOptions(ExpandingArray<4> padding, double value)
        : padding_(padding), value_(value) {}
    TAPEGRAD_ARG(ExpandingArray<4>, padding);
    TAPEGRAD_ARG(double, value);
};

namespace detail {
/// A 2-d padding layer of a fixed mode (kConstant for ZeroPad2d and ConstantPad2d).
template <class Derived>
class Pad2dImpl : public Cloneable<Derived> {
public:
    Pad2dImpl(ExpandingArray<4> padding, PaddingMode mode, double value)
        : padding(padding), mode(mode), value(value) {}
    void reset() override {}
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
    ExpandingArray<4> padding;
    PaddingMode mode;
    double value;
};

/// The padding layers that take only the sizes (Pad2dOptions): their mode is Mode.
template <class Derived, PaddingMode Mode>
class FixedModePad2dImpl : public Pad2dImpl<Derived> {
public:
    explicit FixedModePad2dImpl(ExpandingArray<4> padding)
        : FixedModePad2dImpl(Pad2dOptions(padding)) {}
    explicit FixedModePad2dImpl(const Pad2dOptions& options)
        : Pad2dImpl<Derived>(options.padding(), Mode, 0.0), options(options) {}
    Pad2dOptions options;
};
}  // namespace detail

/// Pads [N, C, H, W] with zeros: ZeroPad2d(1) or ZeroPad2d({left, right, top, bottom}).
class ZeroPad2dImpl : public detail::FixedModePad2dImpl<ZeroPad2dImpl, kConstant> {
public:
    using FixedModePad2dImpl::FixedModePad2dImpl;
};
TAPEGRAD_MODULE(ZeroPad2d);
/// Pads with a constant.
class ConstantPad2dImpl : public detail::Pad2dImpl<ConstantPad2dImpl> {
public:
    ConstantPad2dImpl(ExpandingArray<4> padding, double value)
        : ConstantPad2dImpl(ConstantPad2dOptions(padding, value)) {}
    explicit ConstantPad2dImpl(const ConstantPad2dOptions& options)
        : Pad2dImpl(options.padding(), kConstant, options.value()), options(options) {}
    ConstantPad2dOptions options;
};
TAPEGRAD_MODULE(ConstantPad2d);
/// Pads with the mirror image of the border (the edge pixel not repeated).
class ReflectionPad2dImpl : public detail::FixedModePad2dImpl<ReflectionPad2dImpl, kReflect> {
public:
    using FixedModePad2dImpl::FixedModePad2dImpl;
};
TAPEGRAD_MODULE(ReflectionPad2d);
/// Pads by repeating the edge pixels.
class ReplicationPad2dImpl : public detail::FixedModePad2dImpl<ReplicationPad2dImpl, kReplicate> {
public:
    using FixedModePad2dImpl::FixedModePad2dImpl;
};
TAPEGRAD_MODULE(ReplicationPad2d);

namespace functional {

using Dropout2dFuncOptions = DropoutFuncOptions;
/// Channel dropout of [N, C, H, W] (or [C, H, W]): F::dropout2d(x,
/// F::Dropout2dFuncOptions().p(0.25) .training(is_training())).
Tensor dropout2d(const Tensor& input, const Dropout2dFuncOptions& options = {});

/// Options of F::pad: `F::PadFuncOptions({1, 1, 2, 2}).mode(kReflect)`.
struct PadFuncOptions {
    PadFuncOptions(std::vector<int64_t> pad) : pad_(std::move(pad)) {}  // NOLINT: implicit
    TAPEGRAD_ARG(std::vector<int64_t>, pad);
    TAPEGRAD_ARG(PaddingMode, mode) = kConstant;
    TAPEGRAD_ARG(double, value) = 0;
};
Tensor pad(const Tensor& input, const PadFuncOptions& options);

/// Options of F::interpolate: size or scale_factor, mode, align_corners.
struct InterpolateFuncOptions {
    TAPEGRAD_ARG(std::optional<std::vector<int64_t>>, size) = std::nullopt;
    TAPEGRAD_ARG(std::optional<std::vector<double>>, scale_factor) = std::nullopt;
    TAPEGRAD_ARG(InterpolateMode, mode) = kNearest;
    TAPEGRAD_ARG(std::optional<bool>, align_corners) = std::nullopt;
    /// Compute the sampling from the rounded output size instead of the scale factor.
    TAPEGRAD_ARG(std::optional<bool>, recompute_scale_factor) = std::nullopt;
};
/// Resizes [N, C, H, W] to options.size() or by options.scale_factor() (output floor(in * s)).
Tensor interpolate(const Tensor& input, const InterpolateFuncOptions& options = {});

using PixelShuffleFuncOptions = PixelShuffleOptions;
using PixelUnshuffleFuncOptions = PixelUnshuffleOptions;
Tensor pixel_shuffle(const Tensor& input, const PixelShuffleFuncOptions& options);
Tensor pixel_unshuffle(const Tensor& input, const PixelUnshuffleFuncOptions& options);

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
