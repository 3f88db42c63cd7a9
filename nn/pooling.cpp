#include "nn/pooling.hpp"

#include <array>
#include <ostream>
#include <stdexcept>
#include <string>

namespace tapegrad {
namespace nn {

namespace {

using Pair = std::array<int64_t, 2>;

// A size as the pair the ops take: a 1-d size goes second, over a height of 1 (`fill`).
template <size_t D>
Pair pair(const ExpandingArray<D>& a, int64_t fill) {
    if constexpr (D == 1)
        return {fill, a[0]};
    else
        return *a;
}

// `op` names the caller in errors: the layers pass "MaxPool2d", the functions "max_pool2d".
template <size_t D>
std::tuple<Tensor, Tensor> max_pool_with_indices(const char* op, const Tensor& x,
                                                 const MaxPoolOptions<D>& o) {
    return tapegrad::detail::max_pool_nd(op, D, x, pair(o.kernel_size(), 1), pair(o.stride(), 1),
                                         pair(o.padding(), 0), pair(o.dilation(), 1),
                                         o.ceil_mode());
}

template <size_t D>
Tensor avg_pool(const char* op, const Tensor& x, const AvgPoolOptions<D>& o) {
    if (D == 1 && o.divisor_override())
        throw std::invalid_argument(std::string(op) + ": divisor_override is for 2-d pooling only");
    return tapegrad::detail::avg_pool_nd(op, D, x, pair(o.kernel_size(), 1), pair(o.stride(), 1),
                                         pair(o.padding(), 0), o.ceil_mode(), o.count_include_pad(),
                                         o.divisor_override());
}

template <size_t D>
Tensor adaptive_avg(const char* op, const Tensor& x, const ExpandingArray<D>& size) {
    return tapegrad::detail::adaptive_avg_pool_nd(op, D, x, pair(size, 1));
}

template <size_t D>
std::tuple<Tensor, Tensor> adaptive_max(const char* op, const Tensor& x,
                                        const ExpandingArray<D>& size) {
    return tapegrad::detail::adaptive_max_pool_nd(op, D, x, pair(size, 1));
}

// The unpooled size: given (spatial sizes, or with batch and channels), or by default
// (in - 1) * stride - 2 * padding + kernel_size, the size the max pool came from.
template <size_t D>
Tensor max_unpool(const char* op, const Tensor& x, const Tensor& indices,
                  const ExpandingArray<D>& kernel, const ExpandingArray<D>& stride,
                  const ExpandingArray<D>& padding,
                  const std::optional<std::vector<int64_t>>& output_size) {
    if (!x.defined() || x.dim() < static_cast<int64_t>(D) + 1) {
        throw std::invalid_argument(std::string(op) + ": expected a " + std::to_string(D + 2) +
                                    "-d input (or " + std::to_string(D + 1) + "-d unbatched)" +
                                    (x.defined() ? ", got shape " + shape_str(x.sizes()) : ""));
    }
    std::vector<int64_t> size;
    if (output_size) {
        size = *output_size;
        if (size.size() > D) size.erase(size.begin(), size.end() - static_cast<int64_t>(D));
        if (size.size() != D || output_size->size() > D + 2) {
            throw std::invalid_argument(std::string(op) + ": output_size " +
                                        shape_str(*output_size) + " does not fit input of shape " +
                                        shape_str(x.sizes()));
        }
    } else {
        for (size_t d = 0; d < D; ++d) {
            const int64_t in = x.size(x.dim() - static_cast<int64_t>(D) + d);
            size.push_back((in - 1) * stride[d] - 2 * padding[d] + kernel[d]);
        }
    }
    return tapegrad::detail::max_unpool_nd(op, D, x, indices, pair(ExpandingArray<D>(size), 1));
}

}  // namespace

namespace detail {

// The layer's name in errors and pretty_print: "MaxPool2d", "AdaptiveAvgPool1d".
template <PoolKind K, size_t D>
std::string pool_name() {
    const char* kinds[] = {"MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool"};
    return kinds[static_cast<int>(K)] + std::to_string(D) + "d";
}

template <size_t D, class Derived, PoolKind K>
std::tuple<Tensor, Tensor> PoolNdImpl<D, Derived, K>::pool(const Tensor& input) const {
    static const std::string name = pool_name<K, D>();
    if constexpr (K == PoolKind::Max)
        return max_pool_with_indices<D>(name.c_str(), input, options);
    else if constexpr (K == PoolKind::Avg)
        return {avg_pool<D>(name.c_str(), input, options), Tensor()};
    else if constexpr (K == PoolKind::AdaptiveAvg)
        return {adaptive_avg<D>(name.c_str(), input, options.output_size()), Tensor()};
    else
        return adaptive_max<D>(name.c_str(), input, options.output_size());
}

template <size_t D, class Derived, PoolKind K>
void PoolNdImpl<D, Derived, K>::pretty_print(std::ostream& s) const {
    s << pool_name<K, D>() << "(";
    if constexpr (K == PoolKind::AdaptiveAvg || K == PoolKind::AdaptiveMax) {
        s << "output_size=" << options.output_size();
    } else {
        s << "kernel_size=" << options.kernel_size() << ", stride=" << options.stride()
          << ", padding=" << options.padding();
    }
    if constexpr (K == PoolKind::Max) {
        s << ", dilation=" << options.dilation()
          << ", ceil_mode=" << (options.ceil_mode() ? "true" : "false");
    }
    s << ")";
}

template <size_t D, class Derived>
Tensor MaxUnpoolNdImpl<D, Derived>::forward(
    const Tensor& input, const Tensor& indices,
    const std::optional<std::vector<int64_t>>& output_size) {
    return max_unpool<D>(D == 1 ? "MaxUnpool1d" : "MaxUnpool2d", input, indices,
                         options.kernel_size(), options.stride(), options.padding(), output_size);
}
template <size_t D, class Derived>
void MaxUnpoolNdImpl<D, Derived>::pretty_print(std::ostream& s) const {
    s << "MaxUnpool" << D << "d(kernel_size=" << options.kernel_size()
      << ", stride=" << options.stride() << ", padding=" << options.padding() << ")";
}

template class PoolNdImpl<1, MaxPool1dImpl, PoolKind::Max>;
template class PoolNdImpl<2, MaxPool2dImpl, PoolKind::Max>;
template class PoolNdImpl<1, AvgPool1dImpl, PoolKind::Avg>;
template class PoolNdImpl<2, AvgPool2dImpl, PoolKind::Avg>;
template class PoolNdImpl<1, AdaptiveAvgPool1dImpl, PoolKind::AdaptiveAvg>;
template class PoolNdImpl<2, AdaptiveAvgPool2dImpl, PoolKind::AdaptiveAvg>;
template class PoolNdImpl<1, AdaptiveMaxPool1dImpl, PoolKind::AdaptiveMax>;
template class PoolNdImpl<2, AdaptiveMaxPool2dImpl, PoolKind::AdaptiveMax>;
template class MaxUnpoolNdImpl<1, MaxUnpool1dImpl>;
template class MaxUnpoolNdImpl<2, MaxUnpool2dImpl>;

}  // namespace detail

namespace functional {

Tensor max_pool1d(const Tensor& input, const MaxPool1dFuncOptions& o) {
    return std::get<0>(max_pool_with_indices<1>("max_pool1d", input, o));
}
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
    return std::get<0>(max_pool_with_indices<2>("max_pool2d", input, o));
}
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input,
                                                   const MaxPool1dFuncOptions& o) {
    return max_pool_with_indices<1>("max_pool1d_with_indices", input, o);
}
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                   const MaxPool2dFuncOptions& o) {
    return max_pool_with_indices<2>("max_pool2d_with_indices", input, o);
}
Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& o) {
    return avg_pool<1>("avg_pool1d", input, o);
}
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& o) {
    return avg_pool<2>("avg_pool2d", input, o);
}
Tensor adaptive_avg_pool1d(const Tensor& input, const AdaptiveAvgPool1dFuncOptions& o) {
    return adaptive_avg<1>("adaptive_avg_pool1d", input, o.output_size());
}
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& o) {
    return adaptive_avg<2>("adaptive_avg_pool2d", input, o.output_size());
}
Tensor adaptive_max_pool1d(const Tensor& input, const AdaptiveMaxPool1dFuncOptions& o) {
    return std::get<0>(adaptive_max<1>("adaptive_max_pool1d", input, o.output_size()));
}
Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& o) {
    return std::get<0>(adaptive_max<2>("adaptive_max_pool2d", input, o.output_size()));
}
std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool1dFuncOptions& o) {
    return adaptive_max<1>("adaptive_max_pool1d_with_indices", input, o.output_size());
}
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool2dFuncOptions& o) {
    return adaptive_max<2>("adaptive_max_pool2d_with_indices", input, o.output_size());
}
Tensor max_unpool1d(const Tensor& input, const Tensor& indices, const MaxUnpool1dFuncOptions& o) {
    return max_unpool<1>("max_unpool1d", input, indices, o.kernel_size(), o.stride(), o.padding(),
                         o.output_size());
}
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, const MaxUnpool2dFuncOptions& o) {
    return max_unpool<2>("max_unpool2d", input, indices, o.kernel_size(), o.stride(), o.padding(),
                         o.output_size());
}

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
