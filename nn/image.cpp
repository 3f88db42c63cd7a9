#include "nn/image.hpp"

#include <cmath>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace nn {

namespace {
[[noreturn]] void fail(const char* op, const std::string& message) {
    throw std::invalid_argument(std::string(op) + ": " + message);
}

// x * m / (1 - p) with one m ~ Bernoulli(1 - p) per (sample, channel), broadcast over pixels;
// grad_x = grad_out * m / (1 - p) (through mul, or mul_ written into x with inplace)
Tensor channel_dropout(const char* op, const Tensor& input, double p, bool training, bool inplace) {
    detail::check_probability(op, p);
    if (!input.defined() || (input.dim() != 3 && input.dim() != 4)) {
        fail(op, "expected a 4-d input [N, C, H, W] (or 3-d unbatched [C, H, W]), got " +
                     (input.defined() ? "shape " + shape_str(input.sizes())
                                      : std::string("an undefined tensor")));
    }
    if (!training || p == 0.0) return input;
    const bool batched = input.dim() == 4;
    const Tensor x = batched ? input : input.unsqueeze(0);
    Tensor mask = p == 1.0 ? zeros({x.size(0), x.size(1), 1, 1}, x.dtype())
                           : bernoulli({x.size(0), x.size(1), 1, 1}, 1.0 - p, x.dtype());
    if (p < 1.0) mask.mul_(1.0 / (1.0 - p));
    if (inplace) return input.mul_(batched ? mask : mask.squeeze(0));
    const Tensor y = x * mask;
    return batched ? y : y.squeeze(0);
}

// PyTorch's output size for interpolate: the given size, or floor(in * scale) per dim.
std::vector<int64_t> interp_size(const Tensor& x, const std::optional<std::vector<int64_t>>& size,
                                 const std::optional<std::vector<double>>& scale) {
    const char* op = "interpolate";
    if (size.has_value() == scale.has_value())
        fail(op, "give exactly one of size and scale_factor");
    std::vector<int64_t> out;
    if (size) {
        out = *size;
        if (out.size() == 1) out.push_back(out[0]);
        if (out.size() != 2) fail(op, "size must have 1 or 2 entries, got " + shape_str(*size));
        return out;
    }
    std::vector<double> s = *scale;
    if (s.size() == 1) s.push_back(s[0]);
    if (s.size() != 2) fail(op, "scale_factor must have 1 or 2 entries");
    for (int i = 0; i < 2; ++i) {
        if (!(s[i] > 0)) fail(op, "scale_factor must be positive");
        out.push_back(static_cast<int64_t>(std::floor(static_cast<double>(x.size(2 + i)) * s[i])));
    }
    return out;
}

Tensor interpolate_impl(const Tensor& input, const std::optional<std::vector<int64_t>>& size,
                        const std::optional<std::vector<double>>& scale_factor,
                        InterpolateMode mode, std::optional<bool> align_corners,
                        std::optional<bool> recompute_scale_factor) {
    const char* op = "interpolate";
    if (!input.defined() || input.dim() != 4) {
        fail(op, "supports 4-d input [N, C, H, W] (modes kNearest and kBilinear), got " +
                     (input.defined() ? "shape " + shape_str(input.sizes())
                                      : std::string("an undefined tensor")));
    }
    if (mode == kNearest && align_corners)
        fail(op, "align_corners can only be set with mode kBilinear");
    const std::vector<int64_t> out = interp_size(input, size, scale_factor);
    std::optional<double> sh, sw;  // the scales the kernels use, unless recomputed from sizes
    if (scale_factor && !recompute_scale_factor.value_or(false)) {
        sh = scale_factor->front();
        sw = scale_factor->back();
    }
    if (mode == kNearest) return upsample_nearest2d(input, out, sh, sw);
    return upsample_bilinear2d(input, out, align_corners.value_or(false), sh, sw);
}
}  // namespace

Tensor Dropout2dImpl::forward(const Tensor& input) {
    return channel_dropout("Dropout2d", input, options.p(), is_training(), options.inplace());
}

UnflattenImpl::UnflattenImpl(const UnflattenOptions& opts) : options(opts) {}

// [.., n, ..] -> [.., sizes..., ..] with n = prod(sizes) (a view)
Tensor UnflattenImpl::forward(const Tensor& input) {
    if (!input.defined() || input.dim() == 0)
        fail("Unflatten", "expected an input with at least one dim");
    const int64_t dim = options.dim() < 0 ? options.dim() + input.dim() : options.dim();
    if (dim < 0 || dim >= input.dim()) {
        fail("Unflatten", "dim " + std::to_string(options.dim()) + " is out of range for input " +
                              "of shape " + shape_str(input.sizes()));
    }
    int64_t known = 1, unknown = 0;
    for (int64_t s : options.sizes()) {
        if (s == -1)
            ++unknown;
        else
            known *= s;
    }
    const int64_t n = input.size(dim);
    if (options.sizes().empty() || unknown > 1 || (unknown == 0 && known != n) ||
        (unknown == 1 && (known == 0 || n % known != 0))) {
        fail("Unflatten", "sizes " + shape_str(options.sizes()) + " do not multiply to the size " +
                              std::to_string(n) + " of dim " + std::to_string(dim) + " of input " +
                              shape_str(input.sizes()));
    }
    std::vector<int64_t> shape(input.sizes().begin(), input.sizes().begin() + dim);
    shape.insert(shape.end(), options.sizes().begin(), options.sizes().end());
    shape.insert(shape.end(), input.sizes().begin() + dim + 1, input.sizes().end());
    return input.reshape(shape);
}

void UnflattenImpl::pretty_print(std::ostream& stream) const {
    stream << "Unflatten(dim=" << options.dim() << ", unflattened_size={";
    for (size_t i = 0; i < options.sizes().size(); ++i)
        stream << (i ? ", " : "") << options.sizes()[i];
    stream << "})";
}

UpsampleImpl::UpsampleImpl(const UpsampleOptions& opts) : options(opts) {}

Tensor UpsampleImpl::forward(const Tensor& input) {
    return interpolate_impl(input, options.size(), options.scale_factor(), options.mode(),
                            options.align_corners(), std::nullopt);
}

void UpsampleImpl::pretty_print(std::ostream& stream) const {
    stream << "Upsample(";
    if (options.scale_factor()) {
        stream << "scale_factor=[";
        for (size_t i = 0; i < options.scale_factor()->size(); ++i)
            stream << (i ? ", " : "") << (*options.scale_factor())[i];
        stream << "]";
    } else if (options.size()) {
        stream << "size=" << shape_str(*options.size());
    }
    stream << ", mode=" << (options.mode() == kNearest ? "kNearest" : "kBilinear") << ")";
}

Tensor PixelShuffleImpl::forward(const Tensor& input) {
    return pixel_shuffle(input, options.upscale_factor());
}
void PixelShuffleImpl::pretty_print(std::ostream& stream) const {
    stream << "PixelShuffle(upscale_factor=" << options.upscale_factor() << ")";
}
Tensor PixelUnshuffleImpl::forward(const Tensor& input) {
    return pixel_unshuffle(input, options.downscale_factor());
}
void PixelUnshuffleImpl::pretty_print(std::ostream& stream) const {
    stream << "PixelUnshuffle(downscale_factor=" << options.downscale_factor() << ")";
}

namespace detail {
template <class Derived>
Tensor Pad2dImpl<Derived>::forward(const Tensor& input) {
    if (input.defined() && input.dim() != 3 && input.dim() != 4) {
        throw std::invalid_argument(this->name() + ": expected a 4-d input [N, C, H, W] (or 3-d " +
                                    "unbatched), got shape " + shape_str(input.sizes()));
    }
    return tapegrad::pad(input, padding.vec(), mode, value);
}

template <class Derived>
void Pad2dImpl<Derived>::pretty_print(std::ostream& stream) const {
    stream << this->name() << "(padding=" << padding;
    if (std::is_same_v<Derived, ConstantPad2dImpl>) stream << ", value=" << value;
    stream << ")";
}

template class Pad2dImpl<ZeroPad2dImpl>;
template class Pad2dImpl<ConstantPad2dImpl>;
template class Pad2dImpl<ReflectionPad2dImpl>;
template class Pad2dImpl<ReplicationPad2dImpl>;
}  // namespace detail

namespace functional {

Tensor dropout2d(const Tensor& input, const Dropout2dFuncOptions& o) {
    return channel_dropout("dropout2d", input, o.p(), o.training(), o.inplace());
}

Tensor pad(const Tensor& input, const PadFuncOptions& o) {
    return tapegrad::pad(input, o.pad(), o.mode(), o.value());
}

Tensor interpolate(const Tensor& input, const InterpolateFuncOptions& o) {
    return interpolate_impl(input, o.size(), o.scale_factor(), o.mode(), o.align_corners(),
                            o.recompute_scale_factor());
}

Tensor pixel_shuffle(const Tensor& input, const PixelShuffleFuncOptions& o) {
    return tapegrad::pixel_shuffle(input, o.upscale_factor());
}
Tensor pixel_unshuffle(const Tensor& input, const PixelUnshuffleFuncOptions& o) {
    return tapegrad::pixel_unshuffle(input, o.downscale_factor());
}

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
