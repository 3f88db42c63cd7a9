#pragma once
// Activation modules: thin wrappers over the core ops, for use in Sequential.

#include <cstdint>
#include <functional>
#include <iosfwd>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// max(x, 0), element-wise.
class ReLUImpl : public Module {
public:
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(ReLU);

/// Options of LeakyReLU: `LeakyReLUOptions().negative_slope(0.2)`.
struct LeakyReLUOptions {
    TAPEGRAD_ARG(double, negative_slope) = 0.01;
};

/// x for x > 0, negative_slope * x otherwise.
class LeakyReLUImpl : public Module {
public:
    explicit LeakyReLUImpl(const LeakyReLUOptions& options = {});
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    LeakyReLUOptions options;
};
TAPEGRAD_MODULE(LeakyReLU);

/// 1 / (1 + exp(-x)), element-wise.
class SigmoidImpl : public Module {
public:
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(Sigmoid);

/// tanh(x), element-wise.
class TanhImpl : public Module {
public:
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(Tanh);

/// The exact (erf) GELU, x * Phi(x).
class GELUImpl : public Module {
public:
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(GELU);

/// Options of Softmax and LogSoftmax: the dim that sums to one.
struct SoftmaxOptions {
    SoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT: implicit, as LibTorch
    TAPEGRAD_ARG(int64_t, dim);
};
using LogSoftmaxOptions = SoftmaxOptions;

/// exp(x) / sum(exp(x)) along options.dim().
class SoftmaxImpl : public Module {
public:
    explicit SoftmaxImpl(int64_t dim) : SoftmaxImpl(SoftmaxOptions(dim)) {}
    explicit SoftmaxImpl(const SoftmaxOptions& options);
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    SoftmaxOptions options;
};
TAPEGRAD_MODULE(Softmax);

/// x - logsumexp(x) along options.dim(); feed it to nll_loss.
class LogSoftmaxImpl : public Module {
public:
    explicit LogSoftmaxImpl(int64_t dim) : LogSoftmaxImpl(LogSoftmaxOptions(dim)) {}
    explicit LogSoftmaxImpl(const LogSoftmaxOptions& options);
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    LogSoftmaxOptions options;
};
TAPEGRAD_MODULE(LogSoftmax);

/// Wraps a function of one tensor as a module, e.g. `nn::Functional(tapegrad::relu)`.
class FunctionalImpl : public Module {
public:
    using Function = std::function<Tensor(const Tensor&)>;
    explicit FunctionalImpl(Function function);
    Tensor forward(const Tensor& input);

private:
    Function function_;
};
TAPEGRAD_MODULE(Functional);

}  // namespace nn
}  // namespace tapegrad
