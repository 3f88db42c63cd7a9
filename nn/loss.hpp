#pragma once
// Loss modules: `nn::CrossEntropyLoss criterion; auto loss = criterion(logits, labels);`.
// Each forwards to its function in nn::functional (see nn/functional/loss.hpp) with its
// options, and prints as "Name()".

#include <iosfwd>
#include <ostream>

#include "autograd/tensor.hpp"
#include "nn/cloneable.hpp"
#include "nn/functional/loss.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

// A loss module `Name` calling functional::function(<the forward's arguments>, options).
#define TAPEGRAD_LOSS_MODULE_(Name, Options, function, params, args)                     \
    class Name##Impl : public Cloneable<Name##Impl> {                                    \
    public:                                                                              \
        explicit Name##Impl(const Options& options = {}) : options(options) {}           \
        void reset() override {}                                                         \
        Tensor forward params { return functional::function args; }                      \
        void pretty_print(std::ostream& stream) const override { stream << #Name "()"; } \
        Options options;                                                                 \
    };                                                                                   \
    TAPEGRAD_MODULE(Name)
#define TAPEGRAD_LOSS_MODULE(Name, Options, function)                                           \
    TAPEGRAD_LOSS_MODULE_(Name, Options, function, (const Tensor& input, const Tensor& target), \
                          (input, target, options))
#define TAPEGRAD_LOSS_MODULE3(Name, Options, function, a, b, c) \
    TAPEGRAD_LOSS_MODULE_(Name, Options, function,              \
                          (const Tensor& a, const Tensor& b, const Tensor& c), (a, b, c, options))

/// Mean squared error: functional::mse_loss.
TAPEGRAD_LOSS_MODULE(MSELoss, MSELossOptions, mse_loss);
/// Mean absolute error: functional::l1_loss.
TAPEGRAD_LOSS_MODULE(L1Loss, L1LossOptions, l1_loss);
/// Binary cross entropy on probabilities: functional::binary_cross_entropy.
TAPEGRAD_LOSS_MODULE(BCELoss, BCELossOptions, binary_cross_entropy);
/// Binary cross entropy on logits: functional::binary_cross_entropy_with_logits.
TAPEGRAD_LOSS_MODULE(BCEWithLogitsLoss, BCEWithLogitsLossOptions, binary_cross_entropy_with_logits);
/// Negative log likelihood on log-probabilities: functional::nll_loss.
TAPEGRAD_LOSS_MODULE(NLLLoss, NLLLossOptions, nll_loss);
/// Softmax cross entropy on logits: functional::cross_entropy.
TAPEGRAD_LOSS_MODULE(CrossEntropyLoss, CrossEntropyLossOptions, cross_entropy);
/// Quadratic below beta, linear above: functional::smooth_l1_loss.
TAPEGRAD_LOSS_MODULE(SmoothL1Loss, SmoothL1LossOptions, smooth_l1_loss);
/// Quadratic below delta, linear above: functional::huber_loss.
TAPEGRAD_LOSS_MODULE(HuberLoss, HuberLossOptions, huber_loss);
/// Kullback-Leibler divergence of log-probabilities: functional::kl_div.
TAPEGRAD_LOSS_MODULE(KLDivLoss, KLDivLossOptions, kl_div);
/// Poisson negative log likelihood: functional::poisson_nll_loss.
TAPEGRAD_LOSS_MODULE(PoissonNLLLoss, PoissonNLLLossOptions, poisson_nll_loss);
/// Logistic loss of +1/-1 targets: functional::soft_margin_loss.
TAPEGRAD_LOSS_MODULE(SoftMarginLoss, SoftMarginLossOptions, soft_margin_loss);
/// One-versus-all logistic loss over classes: functional::multilabel_soft_margin_loss.
TAPEGRAD_LOSS_MODULE(MultiLabelSoftMarginLoss, MultiLabelSoftMarginLossOptions,
                     multilabel_soft_margin_loss);
/// Ranking of two inputs by a +1/-1 target: functional::margin_ranking_loss.
TAPEGRAD_LOSS_MODULE3(MarginRankingLoss, MarginRankingLossOptions, margin_ranking_loss, input1,
                      input2, target);
/// Similarity of two inputs by a +1/-1 target: functional::cosine_embedding_loss.
TAPEGRAD_LOSS_MODULE3(CosineEmbeddingLoss, CosineEmbeddingLossOptions, cosine_embedding_loss,
                      input1, input2, target);
/// Anchor closer to positive than to negative by a margin: functional::triplet_margin_loss.
TAPEGRAD_LOSS_MODULE3(TripletMarginLoss, TripletMarginLossOptions, triplet_margin_loss, anchor,
                      positive, negative);

#undef TAPEGRAD_LOSS_MODULE3
#undef TAPEGRAD_LOSS_MODULE
#undef TAPEGRAD_LOSS_MODULE_

}  // namespace nn
}  // namespace tapegrad
