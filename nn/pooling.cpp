#include "nn/pooling.hpp"

#include <ostream>
#include <stdexcept>
#include <string>

namespace tapegrad {
namespace nn {

namespace {

// The 1-d and 2-d ops under one name, so the layers are written once for both.
template <size_t D>
std::tuple<Tensor, Tensor> max_pool_with_indices(const Tensor& x, const MaxPoolOptions<D>& o) {
    if constexpr (D == 1) {
        return tapegrad::max_pool1d_with_indices(x, o.kernel_size(), o.stride(), o.padding(),
                                                 o.dilation(), o.ceil_mode());
    } else {
        return tapegrad::max_pool2d_with_indices(x, o.kernel_size(), o.stride(), o.padding(),
                                                 o.dilation(), o.ceil_mode());
    }
}

template <size_t D>
Tensor avg_pool(const Tensor& x, const AvgPoolOptions<D>& o) {
    if constexpr (D == 1) {
        if (o.divisor_override())
            throw std::invalid_argument("avg_pool1d: divisor_override is for 2-d pooling only");
        return tapegrad::avg_pool1d(x, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(),
                                    o.count_include_pad());
    } else {
        return tapegrad::avg_pool2d(x, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(),
                                    o.count_include_pad(), o.divisor_override());
    }
}

template <size_t D>
Tensor adaptive_avg(const Tensor& x, const ExpandingArray<D>& size) {
    if constexpr (D == 1) return tapegrad::adaptive_avg_pool1d(x, size);
    else return tapegrad::adaptive_avg_pool2d(x, size);
}

template <size_t D>
std::tuple<Tensor, Tensor> adaptive_max(const Tensor& x, const ExpandingArray<D>& size) {
    if constexpr (D == 1) return tapegrad::adaptive_max_pool1d(x, size);
    else return tapegrad::adaptive_max_pool2d(x, size);
}

// The unpooled size: given (spatial sizes, or with batch and channels), or by default
// (in - 1) * stride - 2 * padding + kernel_size, the size the max pool came from.
template <size_t D>
Tensor max_unpool(const Tensor& x, const Tensor& indices, const ExpandingArray<D>& kernel,
                  const ExpandingArray<D>& stride, const ExpandingArray<D>& padding,
                  const std::optional<std::vector<int64_t>>& output_size) {
    const char* op = D == 1 ? "max_unpool1d" : "max_unpool2d";
    if (!x.defined() || x.dim() < static_cast<int64_t>(D) + 1) {
        throw std::invalid_argument(std::string(op) + ": expected a " + std::to_string(D + 2) +
                                    "-d input (or " + std::to_string(D + 1) + "-d unbatched)" +
                                    (x.defined() ? ", got shape " + shape_str(x.sizes()) : ""));
    }
    ExpandingArray<D> size;
    if (output_size) {
        std::vector<int64_t> s = *output_size;
        if (s.size() == D + 2 || (s.size() == D + 1 && x.dim() == static_cast<int64_t>(D) + 1))
            s.erase(s.begin(), s.end() - static_cast<int64_t>(D));
        if (s.size() != D) {
            throw std::invalid_argument(std::string(op) + ": output_size " + shape_str(*output_size) +
                                        " does not fit input of shape " + shape_str(x.sizes()));
        }
        size = ExpandingArray<D>(s);
    } else {
        std::vector<int64_t> s;
        for (size_t d = 0; d < D; ++d) {
            const int64_t in = x.size(x.dim() - static_cast<int64_t>(D) + d);
            s.push_back((in - 1) * stride[d] - 2 * padding[d] + kernel[d]);
        }
        size = ExpandingArray<D>(s);
    }
    if constexpr (D == 1) return tapegrad::max_unpool1d(x, indices, size);
    else return tapegrad::max_unpool2d(x, indices, size);
}

}  // namespace

namespace detail {

template <size_t D>
Tensor MaxPoolNdImpl<D>::forward(const Tensor& input) {
    return std::get<0>(max_pool_with_indices<D>(input, options));
}
template <size_t D>
std::tuple<Tensor, Tensor> MaxPoolNdImpl<D>::forward_with_indices(const Tensor& input) {
    return max_pool_with_indices<D>(input, options);
}
template <size_t D>
void MaxPoolNdImpl<D>::pretty_print(std::ostream& s) const {
    s << "MaxPool" << D << "d(kernel_size=" << options.kernel_size()
      << ", stride=" << options.stride() << ", padding=" << options.padding()
      << ", dilation=" << options.dilation()
      << ", ceil_mode=" << (options.ceil_mode() ? "true" : "false") << ")";
}

template <size_t D>
Tensor AvgPoolNdImpl<D>::forward(const Tensor& input) {
    return avg_pool<D>(input, options);
}
template <size_t D>
void AvgPoolNdImpl<D>::pretty_print(std::ostream& s) const {
    s << "AvgPool" << D << "d(kernel_size=" << options.kernel_size()
      << ", stride=" << options.stride() << ", padding=" << options.padding() << ")";
}

template <size_t D>
Tensor AdaptiveAvgPoolNdImpl<D>::forward(const Tensor& input) {
    return adaptive_avg<D>(input, options.output_size());
}
template <size_t D>
void AdaptiveAvgPoolNdImpl<D>::pretty_print(std::ostream& s) const {
    s << "AdaptiveAvgPool" << D << "d(output_size=" << options.output_size() << ")";
}

template <size_t D>
Tensor AdaptiveMaxPoolNdImpl<D>::forward(const Tensor& input) {
    return std::get<0>(adaptive_max<D>(input, options.output_size()));
}
template <size_t D>
std::tuple<Tensor, Tensor> AdaptiveMaxPoolNdImpl<D>::forward_with_indices(const Tensor& input) {
    return adaptive_max<D>(input, options.output_size());
}
template <size_t D>
void AdaptiveMaxPoolNdImpl<D>::pretty_print(std::ostream& s) const {
    s << "AdaptiveMaxPool" << D << "d(output_size=" << options.output_size() << ")";
}

template <size_t D>
Tensor MaxUnpoolNdImpl<D>::forward(const Tensor& input, const Tensor& indices,
                                   const std::optional<std::vector<int64_t>>& output_size) {
    return max_unpool<D>(input, indices, options.kernel_size(), options.stride(),
                         options.padding(), output_size);
}
template <size_t D>
void MaxUnpoolNdImpl<D>::pretty_print(std::ostream& s) const {
    s << "MaxUnpool" << D << "d(kernel_size=" << options.kernel_size()
      << ", stride=" << options.stride() << ", padding=" << options.padding() << ")";
}

template class MaxPoolNdImpl<1>;
template class MaxPoolNdImpl<2>;
template class AvgPoolNdImpl<1>;
template class AvgPoolNdImpl<2>;
template class AdaptiveAvgPoolNdImpl<1>;
template class AdaptiveAvgPoolNdImpl<2>;
template class AdaptiveMaxPoolNdImpl<1>;
template class AdaptiveMaxPoolNdImpl<2>;
template class MaxUnpoolNdImpl<1>;
template class MaxUnpoolNdImpl<2>;

}  // namespace detail

namespace functional {

Tensor max_pool1d(const Tensor& input, const MaxPool1dFuncOptions& o) {
    return std::get<0>(max_pool_with_indices<1>(input, o));
}
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
    return std::get<0>(max_pool_with_indices<2>(input, o));
}
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input,
                                                   const MaxPool1dFuncOptions& o) {
    return max_pool_with_indices<1>(input, o);
}
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                   const MaxPool2dFuncOptions& o) {
    return max_pool_with_indices<2>(input, o);
}
Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& o) {
    return avg_pool<1>(input, o);
}
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& o) {
    return avg_pool<2>(input, o);
}
Tensor adaptive_avg_pool1d(const Tensor& input, const AdaptiveAvgPool1dFuncOptions& o) {
    return adaptive_avg<1>(input, o.output_size());
}
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& o) {
    return adaptive_avg<2>(input, o.output_size());
}
Tensor adaptive_max_pool1d(const Tensor& input, const AdaptiveMaxPool1dFuncOptions& o) {
    return std::get<0>(adaptive_max<1>(input, o.output_size()));
}
Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& o) {
    return std::get<0>(adaptive_max<2>(input, o.output_size()));
}
std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(
    const Tensor& input, const AdaptiveMaxPool1dFuncOptions& o) {
    return adaptive_max<1>(input, o.output_size());
}
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(
    const Tensor& input, const AdaptiveMaxPool2dFuncOptions& o) {
    return adaptive_max<2>(input, o.output_size());
}
Tensor max_unpool1d(const Tensor& input, const Tensor& indices, const MaxUnpool1dFuncOptions& o) {
    return max_unpool<1>(input, indices, o.kernel_size(), o.stride(), o.padding(),
                         o.output_size());
}
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, const MaxUnpool2dFuncOptions& o) {
    return max_unpool<2>(input, indices, o.kernel_size(), o.stride(), o.padding(),
                         o.output_size());
}

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
