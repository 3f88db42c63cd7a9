#pragma once
// Dropout: zeroes each element with probability p while training, scaling the survivors by
// 1 / (1 - p) so the expected value is unchanged; the identity in eval mode.

#include <iosfwd>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {

/// x * mask / (1 - p) with mask ~ Bernoulli(1 - p) when train is true, x otherwise. The mask
/// is drawn from the manual_seed generator.
Tensor dropout(const Tensor& input, double p, bool train);

namespace nn {

/// Options of Dropout: `DropoutOptions(0.5)` or `DropoutOptions().p(0.2)`.
struct DropoutOptions {
    DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit, as LibTorch
    /// Probability of zeroing an element, in [0, 1].
    TAPEGRAD_ARG(double, p);
    /// Write the result into the input (when it is not part of a graph; see nn::ReLUOptions).
    TAPEGRAD_ARG(bool, inplace) = false;
};

/// Dropout while training, the identity in eval mode.
class DropoutImpl : public Cloneable<DropoutImpl> {
public:
    explicit DropoutImpl(double p) : DropoutImpl(DropoutOptions(p)) {}
    explicit DropoutImpl(const DropoutOptions& options = {});
    /// Checks the options (there is nothing to register).
    void reset() override;
    Tensor forward(const Tensor& input);
    void pretty_print(std::ostream& stream) const override;

    DropoutOptions options;
};
TAPEGRAD_MODULE(Dropout);

}  // namespace nn
}  // namespace tapegrad
