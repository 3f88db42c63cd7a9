#pragma once
// Linear (y = x W^T + b), Identity and Flatten.

#include <cstdint>
#include <iosfwd>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// Options of Linear: `LinearOptions(784, 128).bias(false)`.
struct LinearOptions {
    LinearOptions(int64_t in_features, int64_t out_features)
        : in_features_(in_features), out_features_(out_features) {}
    TAPEGRAD_ARG(int64_t, in_features);
    TAPEGRAD_ARG(int64_t, out_features);
    /// Whether the layer adds a learned bias.
    TAPEGRAD_ARG(bool, bias) = true;
};

/// y = x W^T + b for x of shape [..., in_features]; W is [out_features, in_features], b is
/// [out_features]. Initialised as PyTorch: W ~ U(-1/sqrt(in), 1/sqrt(in)) (Kaiming-uniform
/// with a = sqrt(5)), b ~ U(-1/sqrt(in), 1/sqrt(in)).
class LinearImpl : public Cloneable<LinearImpl> {
public:
    LinearImpl(int64_t in_features, int64_t out_features)
        : LinearImpl(LinearOptions(in_features, out_features)) {}
    explicit LinearImpl(const LinearOptions& options);

    /// Registers the weight and bias, and initialises them.
    void reset() override;
    /// Re-draws the weight and bias with the default initialisation.
    void reset_parameters();
    /// [..., in_features] -> [..., out_features].
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    LinearOptions options;
    Tensor weight;
    /// Undefined when options.bias() is false.
    Tensor bias;

protected:
    bool describes_parameters() const override { return true; }
};
TAPEGRAD_MODULE(Linear);

/// Returns its input unchanged (a placeholder, e.g. for a layer switched off).
class IdentityImpl : public Cloneable<IdentityImpl> {
public:
    void reset() override {}
    Tensor forward(const Tensor& input) { return input; }
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(Identity);

/// Options of Flatten: the dims start_dim..end_dim are merged into one.
struct FlattenOptions {
    TAPEGRAD_ARG(int64_t, start_dim) = 1;
    TAPEGRAD_ARG(int64_t, end_dim) = -1;
};

/// Merges dims start_dim..end_dim (by default all but the batch dim): [N, 1, 28, 28] ->
/// [N, 784]. A view: no copy.
class FlattenImpl : public Cloneable<FlattenImpl> {
public:
    explicit FlattenImpl(const FlattenOptions& options = {});
    void reset() override {}
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    FlattenOptions options;
};
TAPEGRAD_MODULE(Flatten);

}  // namespace nn
}  // namespace tapegrad
