#pragma once
// Activation modules: thin wrappers over the core ops, for use in Sequential; and Functional,
// which wraps any function of a tensor as a module.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <tuple>
#include <utility>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// Options of ReLU: `ReLUOptions().inplace(true)`.
struct ReLUOptions {
    ReLUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT: implicit, as LibTorch
    TAPEGRAD_ARG(bool, inplace);
};

/// Options of LeakyReLU: `LeakyReLUOptions().negative_slope(0.2)`.
struct LeakyReLUOptions {
    TAPEGRAD_ARG(double, negative_slope) = 0.01;
    TAPEGRAD_ARG(bool, inplace) = false;
};

/// Options of GELU: approximate is "none" (the exact erf form) or "tanh".
struct GELUOptions {
    TAPEGRAD_ARG(std::string, approximate) = "none";
};

/// Options of Softmax and LogSoftmax: the dim that sums to one.
struct SoftmaxOptions {
    SoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch
    TAPEGRAD_ARG(int64_t, dim);
};
using LogSoftmaxOptions = SoftmaxOptions;

// A module with no options: forward and pretty_print are defined in activation.cpp.
#define TAPEGRAD_PLAIN_MODULE(Name)                             \
    class Name##Impl : public Cloneable<Name##Impl> {           \
    public:                                                     \
        void reset() override {}                                \
        Tensor forward(const Tensor& input);                    \
        void pretty_print(std::ostream& stream) const override; \
    };                                                          \
    TAPEGRAD_MODULE(Name)

// A module configured by `Options` (`Default` is "= {}" when the options have defaults).
#define TAPEGRAD_OPTIONS_MODULE(Name, Options, Default)                                     \
    class Name##Impl : public Cloneable<Name##Impl> {                                       \
    public:                                                                                 \
        explicit Name##Impl(const Options& options Default) : options(options) { reset(); } \
        void reset() override;                                                              \
        Tensor forward(const Tensor& input);                                                \
        void pretty_print(std::ostream& stream) const override;                             \
        Options options;                                                                    \
    };                                                                                      \
    TAPEGRAD_MODULE(Name)

/// max(x, 0), element-wise.
TAPEGRAD_OPTIONS_MODULE(ReLU, ReLUOptions, = {});
/// x for x > 0, negative_slope * x otherwise.
TAPEGRAD_OPTIONS_MODULE(LeakyReLU, LeakyReLUOptions, = {});
/// 1 / (1 + exp(-x)), element-wise.
TAPEGRAD_PLAIN_MODULE(Sigmoid);
/// tanh(x), element-wise.
TAPEGRAD_PLAIN_MODULE(Tanh);
/// x * Phi(x) (the exact erf form), or its tanh approximation with approximate("tanh").
TAPEGRAD_OPTIONS_MODULE(GELU, GELUOptions, = {});
/// exp(x) / sum(exp(x)) along options.dim().
TAPEGRAD_OPTIONS_MODULE(Softmax, SoftmaxOptions, );
/// x - logsumexp(x) along options.dim(); feed it to nll_loss.
TAPEGRAD_OPTIONS_MODULE(LogSoftmax, LogSoftmaxOptions, );

#undef TAPEGRAD_PLAIN_MODULE
#undef TAPEGRAD_OPTIONS_MODULE

/// Wraps a function of one tensor as a module: `nn::Functional(tapegrad::relu)`, or with
/// arguments bound after the input, `nn::Functional(tapegrad::leaky_relu, 0.2)`.
class FunctionalImpl : public Cloneable<FunctionalImpl> {
public:
    using Function = std::function<Tensor(Tensor)>;
    explicit FunctionalImpl(Function function);
    /// `function(input, args...)`.
    template <class SomeFunction, class... Args, class = std::enable_if_t<(sizeof...(Args) > 0)>>
    explicit FunctionalImpl(SomeFunction function, Args&&... args)
        : FunctionalImpl(Function(
              [function, bound = std::make_tuple(std::forward<Args>(args)...)](Tensor input) {
                  return std::apply([&](const auto&... a) { return function(input, a...); }, bound);
              })) {}
    void reset() override {}
    Tensor forward(Tensor input);
    Tensor operator()(Tensor input) { return forward(std::move(input)); }
    void pretty_print(std::ostream& stream) const override;

private:
    Function function_;
};
TAPEGRAD_MODULE(Functional);

}  // namespace nn
}  // namespace tapegrad
