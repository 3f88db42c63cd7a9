#pragma once
// Pooling layers, 1-d and 2-d: MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool, MaxUnpool,
// and their functional forms (F::max_pool2d, F::avg_pool2d, ...).

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <tuple>
#include <type_traits>
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

/// The window every pool (and unpool) has: a kernel, a stride that defaults to the kernel, and
/// padding on both sides. The setters return the Derived options.
template <size_t D, class Derived>
struct WindowOptionsBase {
    WindowOptionsBase(ExpandingArray<D> kernel_size)  // NOLINT: implicit, as LibTorch
        : kernel_size_(kernel_size), stride_(kernel_size) {}
    TAPEGRAD_BASE_ARG(ExpandingArray<D>, kernel_size);
    TAPEGRAD_BASE_ARG(ExpandingArray<D>, stride);
    /// Implicit padding on both sides (-inf for a max pool), at most half the kernel.
    TAPEGRAD_BASE_ARG(ExpandingArray<D>, padding) = 0;
};

}  // namespace detail

/// Options of MaxPool1d/2d: `MaxPool2dOptions(3).stride(2).padding(1)`; the stride defaults to
/// the kernel size.
template <size_t D>
struct MaxPoolOptions : public detail::WindowOptionsBase<D, MaxPoolOptions<D>> {
    using detail::WindowOptionsBase<D, MaxPoolOptions<D>>::WindowOptionsBase;
    TAPEGRAD_ARG(ExpandingArray<D>, dilation) = 1;
    /// Round the output size up (the last window may hang over the edge).
    TAPEGRAD_ARG(bool, ceil_mode) = false;
};
using MaxPool1dOptions = MaxPoolOptions<1>;
using MaxPool2dOptions = MaxPoolOptions<2>;

/// Options of AvgPool1d/2d: `AvgPool2dOptions(2).count_include_pad(false)`.
template <size_t D>
struct AvgPoolOptions : public detail::WindowOptionsBase<D, AvgPoolOptions<D>> {
    using detail::WindowOptionsBase<D, AvgPoolOptions<D>>::WindowOptionsBase;
    TAPEGRAD_ARG(bool, ceil_mode) = false;
    /// Count the padded zeros in each window's divisor.
    TAPEGRAD_ARG(bool, count_include_pad) = true;
    /// Divide every window by this instead (2-d only).
    TAPEGRAD_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;
};
using AvgPool1dOptions = AvgPoolOptions<1>;
using AvgPool2dOptions = AvgPoolOptions<2>;

/// Options of the adaptive pools: the output size, `AdaptiveAvgPool2dOptions({1, 1})`.
template <size_t D>
struct AdaptivePoolOptions {
    AdaptivePoolOptions(ExpandingArray<D> output_size)  // NOLINT: implicit, as LibTorch
        : output_size_(output_size) {}
    TAPEGRAD_ARG(ExpandingArray<D>, output_size);
};
using AdaptiveAvgPool1dOptions = AdaptivePoolOptions<1>;
using AdaptiveAvgPool2dOptions = AdaptivePoolOptions<2>;
using AdaptiveMaxPool1dOptions = AdaptivePoolOptions<1>;
using AdaptiveMaxPool2dOptions = AdaptivePoolOptions<2>;

/// Options of MaxUnpool1d/2d: the kernel, stride and padding of the max pool it inverts.
template <size_t D>
struct MaxUnpoolOptions : public detail::WindowOptionsBase<D, MaxUnpoolOptions<D>> {
    using detail::WindowOptionsBase<D, MaxUnpoolOptions<D>>::WindowOptionsBase;
};
using MaxUnpool1dOptions = MaxUnpoolOptions<1>;
using MaxUnpool2dOptions = MaxUnpoolOptions<2>;

namespace detail {

/// The pools that share one body: a layer of kind K reads PoolOptions<K, D> and calls its op.
enum class PoolKind { Max, Avg, AdaptiveAvg, AdaptiveMax };

template <PoolKind K, size_t D>
using PoolOptions = std::conditional_t<
    K == PoolKind::Max, MaxPoolOptions<D>,
    std::conditional_t<K == PoolKind::Avg, AvgPoolOptions<D>, AdaptivePoolOptions<D>>>;

/// MaxPool, AvgPool, AdaptiveAvgPool and AdaptiveMaxPool over D spatial dims: the options,
/// nothing to register.
template <size_t D, class Derived, PoolKind K>
class PoolNdImpl : public Cloneable<Derived> {
public:
    explicit PoolNdImpl(const PoolOptions<K, D>& options) : options(options) {}
    /// Nothing to register.
    void reset() override {}
    Tensor forward(const Tensor& input) { return std::get<0>(pool(input)); }
    /// The max pools only: the output and the int64 position of each max within its plane (for
    /// MaxUnpool).
    template <PoolKind k = K,
              std::enable_if_t<k == PoolKind::Max || k == PoolKind::AdaptiveMax, int> = 0>
    std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input) {
        return pool(input);
    }
    void pretty_print(std::ostream& stream) const override;
    PoolOptions<K, D> options;

private:
    /// The output, and the indices of the maxima (undefined for the average pools).
    std::tuple<Tensor, Tensor> pool(const Tensor& input) const;
};
template <size_t D, class Derived>
using MaxPoolNdImpl = PoolNdImpl<D, Derived, PoolKind::Max>;
template <size_t D, class Derived>
using AvgPoolNdImpl = PoolNdImpl<D, Derived, PoolKind::Avg>;
template <size_t D, class Derived>
using AdaptiveAvgPoolNdImpl = PoolNdImpl<D, Derived, PoolKind::AdaptiveAvg>;
template <size_t D, class Derived>
using AdaptiveMaxPoolNdImpl = PoolNdImpl<D, Derived, PoolKind::AdaptiveMax>;

template <size_t D, class Derived>
class MaxUnpoolNdImpl : public Cloneable<Derived> {
public:
    explicit MaxUnpoolNdImpl(const MaxUnpoolOptions<D>& options) : options(options) {}
    /// Nothing to register.
    void reset() override {}
    /// Places each value at its index in a zero image of output_size (spatial sizes, or with
    /// batch and channels); by default (in - 1) * stride - 2 * padding + kernel_size.
    Tensor forward(const Tensor& input, const Tensor& indices,
                   const std::optional<std::vector<int64_t>>& output_size = std::nullopt);
    void pretty_print(std::ostream& stream) const override;
    TAPEGRAD_FORWARD_HAS_DEFAULT_ARGS({2, AnyValue(std::optional<std::vector<int64_t>>())})
    MaxUnpoolOptions<D> options;
};

}  // namespace detail

// Each layer is the shared body above under LibTorch's name; the constructors take the options
// or just the kernel (output) size.
#define TAPEGRAD_POOL_LAYER(Name, Base, D, Options)                                              \
    class Name##Impl : public detail::Base<D, Name##Impl> {                                      \
    public:                                                                                      \
        Name##Impl(ExpandingArray<D> size) /* NOLINT: implicit, as LibTorch */                   \
            : detail::Base<D, Name##Impl>(Options<D>(size)) {}                                   \
        explicit Name##Impl(const Options<D>& options) : detail::Base<D, Name##Impl>(options) {} \
    };                                                                                           \
    TAPEGRAD_MODULE(Name)

/// Max over windows of [N, C, L]: `nn::MaxPool1d(2)`.
TAPEGRAD_POOL_LAYER(MaxPool1d, MaxPoolNdImpl, 1, MaxPoolOptions);
/// Max over windows of [N, C, H, W]: `nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2))`.
TAPEGRAD_POOL_LAYER(MaxPool2d, MaxPoolNdImpl, 2, MaxPoolOptions);
/// Mean over windows of [N, C, L].
TAPEGRAD_POOL_LAYER(AvgPool1d, AvgPoolNdImpl, 1, AvgPoolOptions);
/// Mean over windows of [N, C, H, W].
TAPEGRAD_POOL_LAYER(AvgPool2d, AvgPoolNdImpl, 2, AvgPoolOptions);
/// Mean over an output_size grid of windows that tile [N, C, L].
TAPEGRAD_POOL_LAYER(AdaptiveAvgPool1d, AdaptiveAvgPoolNdImpl, 1, AdaptivePoolOptions);
/// Mean over an output_size grid of windows that tile [N, C, H, W]; (1, 1) is global pooling.
TAPEGRAD_POOL_LAYER(AdaptiveAvgPool2d, AdaptiveAvgPoolNdImpl, 2, AdaptivePoolOptions);
/// Max over an output_size grid of windows.
TAPEGRAD_POOL_LAYER(AdaptiveMaxPool1d, AdaptiveMaxPoolNdImpl, 1, AdaptivePoolOptions);
TAPEGRAD_POOL_LAYER(AdaptiveMaxPool2d, AdaptiveMaxPoolNdImpl, 2, AdaptivePoolOptions);
/// The partial inverse of MaxPool: values back at their indices, zeros elsewhere.
TAPEGRAD_POOL_LAYER(MaxUnpool1d, MaxUnpoolNdImpl, 1, MaxUnpoolOptions);
TAPEGRAD_POOL_LAYER(MaxUnpool2d, MaxUnpoolNdImpl, 2, MaxUnpoolOptions);

#undef TAPEGRAD_POOL_LAYER

namespace functional {

using MaxPool1dFuncOptions = MaxPool1dOptions;
using MaxPool2dFuncOptions = MaxPool2dOptions;
using AvgPool1dFuncOptions = AvgPool1dOptions;
using AvgPool2dFuncOptions = AvgPool2dOptions;
using AdaptiveAvgPool1dFuncOptions = AdaptiveAvgPool1dOptions;
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
using AdaptiveMaxPool1dFuncOptions = AdaptiveMaxPool1dOptions;
using AdaptiveMaxPool2dFuncOptions = AdaptiveMaxPool2dOptions;

/// Options of F::max_unpool1d/2d: MaxUnpoolOptions plus the output size.
template <size_t D>
struct MaxUnpoolFuncOptions : public nn::detail::WindowOptionsBase<D, MaxUnpoolFuncOptions<D>> {
    using nn::detail::WindowOptionsBase<D, MaxUnpoolFuncOptions<D>>::WindowOptionsBase;
    TAPEGRAD_ARG(std::optional<std::vector<int64_t>>, output_size) = std::nullopt;
};
using MaxUnpool1dFuncOptions = MaxUnpoolFuncOptions<1>;
using MaxUnpool2dFuncOptions = MaxUnpoolFuncOptions<2>;

Tensor max_pool1d(const Tensor& input, const MaxPool1dFuncOptions& options);
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input,
                                                   const MaxPool1dFuncOptions& options);
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                   const MaxPool2dFuncOptions& options);
Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& options);
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);
Tensor adaptive_avg_pool1d(const Tensor& input, const AdaptiveAvgPool1dFuncOptions& options);
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options);
Tensor adaptive_max_pool1d(const Tensor& input, const AdaptiveMaxPool1dFuncOptions& options);
Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& options);
std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(
    const Tensor& input, const AdaptiveMaxPool1dFuncOptions& options);
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(
    const Tensor& input, const AdaptiveMaxPool2dFuncOptions& options);
Tensor max_unpool1d(const Tensor& input, const Tensor& indices,
                    const MaxUnpool1dFuncOptions& options);
Tensor max_unpool2d(const Tensor& input, const Tensor& indices,
                    const MaxUnpool2dFuncOptions& options);

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
