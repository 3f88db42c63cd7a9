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

namespace detail {

/// Throws std::invalid_argument "<op>: probability has to be between 0 and 1, got <p>" unless p
/// is in [0, 1].
void check_probability(const char* op, double p);

/// What Dropout and Dropout2d share (LibTorch's _DropoutNd): the options, checked by reset(),
/// and printing; each layer writes its forward.
template <class Derived>
class DropoutNdImpl : public Cloneable<Derived> {
public:
    explicit DropoutNdImpl(double p) : DropoutNdImpl(DropoutOptions(p)) {}
    explicit DropoutNdImpl(const DropoutOptions& options = {}) : options(options) { reset(); }
    /// Checks the options (there is nothing to register).
    void reset() override;
    void pretty_print(std::ostream& stream) const override;

    DropoutOptions options;
};

}  // namespace detail

/// Dropout while training, the identity in eval mode.
class DropoutImpl : public detail::DropoutNdImpl<DropoutImpl> {
public:
    using DropoutNdImpl::DropoutNdImpl;
    Tensor forward(const Tensor& input);
};
TAPEGRAD_MODULE(Dropout);

}  // namespace nn
}  // namespace tapegrad
