#include "nn/conv.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tapegrad {
namespace nn {

namespace {

// A 1-d size as the 2-d pair the ops take ({1, k} or {0, p}); a 2-d size as itself.
template <size_t D>
std::array<int64_t, 2> as_pair(const ExpandingArray<D>& a, int64_t fill) {
    if constexpr (D == 1)
        return {fill, a[0]};
    else
        return *a;
}

template <size_t D>
std::string layer_name(bool transposed) {
    return std::string(transposed ? "ConvTranspose" : "Conv") + std::to_string(D) + "d";
}

[[noreturn]] void fail(const std::string& layer, const std::string& message) {
    throw std::invalid_argument(layer + ": " + message);
}

void check_channels(const std::string& layer, int64_t in, int64_t out, int64_t groups) {
    if (in <= 0 || out <= 0 || groups <= 0) {
        fail(layer, "in_channels (" + std::to_string(in) + "), out_channels (" +
                        std::to_string(out) + ") and groups (" + std::to_string(groups) +
                        ") must be positive");
    }
    if (in % groups != 0 || out % groups != 0) {
        fail(layer, "groups " + std::to_string(groups) + " must divide in_channels (" +
                        std::to_string(in) + ") and out_channels (" + std::to_string(out) + ")");
    }
}

template <size_t D>
void check_sizes(const std::string& layer, const ExpandingArray<D>& kernel,
                 const ExpandingArray<D>& stride, const ExpandingArray<D>& dilation) {
    for (size_t i = 0; i < D; ++i) {
        if (kernel[i] <= 0 || stride[i] <= 0 || dilation[i] <= 0) {
            std::ostringstream os;
            os << "kernel_size " << kernel << ", stride " << stride << " and dilation " << dilation
               << " must be positive";
            fail(layer, os.str());
        }
    }
}

// PyTorch's default init of a convolution: weight Kaiming-uniform with a = sqrt(5), i.e.
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void default_init(const Tensor& weight, const Tensor& bias) {
    init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (bias.defined()) {
        const int64_t fan_in = std::get<0>(init::_calculate_fan_in_and_fan_out(weight));
        const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
        init::uniform_(bias, -bound, bound);
    }
}

// The padding a convolution accepts: kSame only without stride; any padding_mode but kConstant.
template <size_t D>
void check_padding(const std::string& layer, const ConvOptions<D>& o) {
    const ConvPadding<D>& p = o.padding();
    if (p.is_named() && p.kind() == kSame) {
        for (size_t i = 0; i < D; ++i) {
            if (o.stride()[i] != 1)
                fail(layer, "padding kSame is not supported for strided convolutions");
        }
    }
    if (o.padding_mode() == kConstant)
        fail(layer, "padding_mode must be kZeros, kReflect, kReplicate or kCircular");
}

// A transposed convolution pads with zeros only, as LibTorch's.
template <size_t D>
void check_padding(const std::string& layer, const ConvTransposeOptions<D>& o) {
    if (o.padding_mode() != kZeros)
        fail(layer, std::string("only padding_mode kZeros is supported, got ") +
                        to_string(o.padding_mode()));
}

}  // namespace

namespace detail {

template <size_t D, class Derived, class Options>
void ConvImplBase<D, Derived, Options>::reset() {
    constexpr bool transposed = std::is_same_v<Options, ConvTransposeOptions<D>>;
    const std::string layer = layer_name<D>(transposed);
    const int64_t in = options.in_channels(), out = options.out_channels();
    check_channels(layer, in, out, options.groups());
    check_sizes<D>(layer, options.kernel_size(), options.stride(), options.dilation());
    check_padding(layer, options);
    // weight [out, in / groups, k...]; a transposed convolution's is [in, out / groups, k...]
    std::vector<int64_t> shape{transposed ? in : out, (transposed ? out : in) / options.groups()};
    for (size_t i = 0; i < D; ++i) shape.push_back(options.kernel_size()[i]);
    weight = this->register_parameter("weight", tapegrad::empty(shape));
    if (options.bias()) bias = this->register_parameter("bias", empty({out}));
    reset_parameters();
}

template <size_t D, class Derived, class Options>
void ConvImplBase<D, Derived, Options>::reset_parameters() {
    default_init(weight, bias);
}

// y = conv(x, weight) + bias; with padding_mode other than kZeros the input is padded first
// (reflect, replicate or circular) and convolved without padding, as LibTorch does.
template <size_t D, class Derived>
Tensor ConvNdImpl<D, Derived>::forward(const Tensor& input) {
    static const std::string layer = layer_name<D>(false);
    const auto stride = as_pair(options.stride(), 1);
    const auto dilation = as_pair(options.dilation(), 1);
    const ConvPadding<D>& p = options.padding();
    if (options.padding_mode() == kZeros) {
        const ConvPadding<2> pad2 =
            p.is_named() ? ConvPadding<2>(p.kind()) : ConvPadding<2>(as_pair(p.sizes(), 0));
        return tapegrad::detail::convolution(layer.c_str(), D, input, weight, bias, stride, pad2,
                                             dilation, options.groups());
    }
    if (input.defined() && input.dim() != D + 1 && input.dim() != D + 2) {
        fail(layer, "expected a " + std::to_string(D + 2) + "-d input (or " +
                        std::to_string(D + 1) + "-d unbatched), got shape " +
                        shape_str(input.sizes()));
    }
    // {left, right} of the last dim first, as pad() takes them
    std::vector<int64_t> pads;
    for (size_t i = D; i-- > 0;) {
        int64_t left = 0, right = 0;
        if (!p.is_named()) {
            left = right = p.sizes()[i];
        } else if (p.kind() == kSame) {
            const int64_t total = options.dilation()[i] * (options.kernel_size()[i] - 1);
            left = total / 2;
            right = total - left;
        }
        pads.push_back(left);
        pads.push_back(right);
    }
    return tapegrad::detail::convolution(layer.c_str(), D, pad(input, pads, options.padding_mode()),
                                         weight, bias, stride, ConvPadding<2>(0), dilation,
                                         options.groups());
}

template <size_t D, class Derived>
void ConvNdImpl<D, Derived>::pretty_print(std::ostream& stream) const {
    stream << layer_name<D>(false) << "(" << options.in_channels() << ", " << options.out_channels()
           << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride();
    const ConvPadding<D>& p = options.padding();
    if (p.is_named())
        stream << ", padding=" << (p.kind() == kSame ? "'same'" : "'valid'");
    else if (p.sizes() != ExpandingArray<D>(0))
        stream << ", padding=" << p.sizes();
    if (options.dilation() != ExpandingArray<D>(1)) stream << ", dilation=" << options.dilation();
    if (options.groups() != 1) stream << ", groups=" << options.groups();
    if (!options.bias()) stream << ", bias=false";
    if (options.padding_mode() != kZeros) {
        // LibTorch prints the enum's name: kReflect
        const std::string mode = to_string(options.padding_mode());
        stream << ", padding_mode=k" << static_cast<char>(std::toupper(mode[0])) << mode.substr(1);
    }
    stream << ")";
}

// The output_padding that makes the output output_size: each size must lie in [min, min +
// stride - 1], min = (in - 1) stride - 2 padding + dilation (k - 1) + 1.
template <size_t D, class Derived>
Tensor ConvTransposeNdImpl<D, Derived>::forward(
    const Tensor& input, const std::optional<std::vector<int64_t>>& output_size) {
    static const std::string layer = layer_name<D>(true);
    ExpandingArray<D> output_padding = options.output_padding();
    if (output_size && input.defined()) {
        std::vector<int64_t> size = *output_size;
        if (size.size() == D + 2) size.erase(size.begin(), size.begin() + 2);
        if (size.size() != D || input.dim() < static_cast<int64_t>(D)) {
            fail(layer, "output_size must have " + std::to_string(D) + " or " +
                            std::to_string(D + 2) + " entries, got " + shape_str(*output_size));
        }
        std::vector<int64_t> lo, hi;
        for (size_t d = 0; d < D; ++d) {
            const int64_t in = input.size(input.dim() - static_cast<int64_t>(D) + d);
            const int64_t s = options.stride()[d];
            lo.push_back((in - 1) * s - 2 * options.padding()[d] +
                         options.dilation()[d] * (options.kernel_size()[d] - 1) + 1);
            hi.push_back(lo.back() + s - 1);
        }
        for (size_t d = 0; d < D; ++d) {
            if (size[d] < lo[d] || size[d] > hi[d]) {
                fail(layer, "requested an output size of " + shape_str(size) +
                                ", but the valid sizes for an input of shape " +
                                shape_str(input.sizes()) + " range from " + shape_str(lo) + " to " +
                                shape_str(hi));
            }
            (*output_padding)[d] = size[d] - lo[d];
        }
    }
    return tapegrad::detail::convolution_transpose(
        layer.c_str(), D, input, weight, bias, as_pair(options.stride(), 1),
        as_pair(options.padding(), 0), as_pair(output_padding, 0), options.groups(),
        as_pair(options.dilation(), 1));
}

template <size_t D, class Derived>
void ConvTransposeNdImpl<D, Derived>::pretty_print(std::ostream& stream) const {
    stream << layer_name<D>(true) << "(" << options.in_channels() << ", " << options.out_channels()
           << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride();
    if (options.padding() != ExpandingArray<D>(0)) stream << ", padding=" << options.padding();
    if (options.output_padding() != ExpandingArray<D>(0))
        stream << ", output_padding=" << options.output_padding();
    if (options.dilation() != ExpandingArray<D>(1)) stream << ", dilation=" << options.dilation();
    if (options.groups() != 1) stream << ", groups=" << options.groups();
    if (!options.bias()) stream << ", bias=false";
    stream << ")";
}

template class ConvImplBase<1, Conv1dImpl, ConvOptions<1>>;
template class ConvImplBase<2, Conv2dImpl, ConvOptions<2>>;
template class ConvImplBase<1, ConvTranspose1dImpl, ConvTransposeOptions<1>>;
template class ConvImplBase<2, ConvTranspose2dImpl, ConvTransposeOptions<2>>;
template class ConvNdImpl<1, Conv1dImpl>;
template class ConvNdImpl<2, Conv2dImpl>;
template class ConvTransposeNdImpl<1, ConvTranspose1dImpl>;
template class ConvTransposeNdImpl<2, ConvTranspose2dImpl>;

}  // namespace detail

namespace functional {

Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& o) {
    return tapegrad::conv1d(input, weight, o.bias(), o.stride(), o.padding(), o.dilation(),
                            o.groups());
}
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& o) {
    return tapegrad::conv2d(input, weight, o.bias(), o.stride(), o.padding(), o.dilation(),
                            o.groups());
}
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight,
                        const ConvTranspose1dFuncOptions& o) {
    return tapegrad::conv_transpose1d(input, weight, o.bias(), o.stride(), o.padding(),
                                      o.output_padding(), o.groups(), o.dilation());
}
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight,
                        const ConvTranspose2dFuncOptions& o) {
    return tapegrad::conv_transpose2d(input, weight, o.bias(), o.stride(), o.padding(),
                                      o.output_padding(), o.groups(), o.dilation());
}

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
