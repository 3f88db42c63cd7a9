#pragma once
// Loss modules: `nn::CrossEntropyLoss criterion; auto loss = criterion(logits, labels);`.
// Each forwards to its function in nn::functional (see nn/functional/loss.hpp).

#include <iosfwd>

#include "autograd/tensor.hpp"
#include "nn/cloneable.hpp"
#include "nn/functional/loss.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

#define TAPEGRAD_LOSS_MODULE(Name, Options)                              \
    class Name##Impl : public Cloneable<Name##Impl> {                    \
    public:                                                              \
        explicit Name##Impl(const Options& opts = {}) : options(opts) {} \
        void reset() override {}                                         \
        Tensor forward(const Tensor& input, const Tensor& target);       \
        void pretty_print(std::ostream& stream) const override;          \
        Options options;                                                 \
    };                                                                   \
    TAPEGRAD_MODULE(Name)

/// Mean squared error: functional::mse_loss.
TAPEGRAD_LOSS_MODULE(MSELoss, MSELossOptions);
/// Mean absolute error: functional::l1_loss.
TAPEGRAD_LOSS_MODULE(L1Loss, L1LossOptions);
/// Binary cross entropy on probabilities: functional::binary_cross_entropy.
TAPEGRAD_LOSS_MODULE(BCELoss, BCELossOptions);
/// Binary cross entropy on logits: functional::binary_cross_entropy_with_logits.
TAPEGRAD_LOSS_MODULE(BCEWithLogitsLoss, BCEWithLogitsLossOptions);
/// Negative log likelihood on log-probabilities: functional::nll_loss.
TAPEGRAD_LOSS_MODULE(NLLLoss, NLLLossOptions);
/// Softmax cross entropy on logits: functional::cross_entropy.
TAPEGRAD_LOSS_MODULE(CrossEntropyLoss, CrossEntropyLossOptions);

#undef TAPEGRAD_LOSS_MODULE

}  // namespace nn
}  // namespace tapegrad
