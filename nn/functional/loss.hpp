#pragma once
// Loss functions, in nn::functional and at the top level, as in LibTorch:
// `tapegrad::mse_loss(y, t)`, `tapegrad::nll_loss(logp, t, weight, kSum)` (ATen's order),
// `F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().label_smoothing(0.1))`.
//
// Keras names used by the classic material:
//   binary_crossentropy              -> binary_cross_entropy (on probabilities), or
//                                       binary_cross_entropy_with_logits (from_logits=True)
//   sparse_categorical_crossentropy  -> cross_entropy with int64 class targets [N] (on logits;
//                                       on probabilities use nll_loss(log(p), targets))
//   categorical_crossentropy         -> cross_entropy with float one-hot / probability
//                                       targets [N, C] (on logits)
//   mean_squared_error, mean_absolute_error -> mse_loss, l1_loss

#include <cstdint>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"

namespace tapegrad {

/// How a loss combines its per-element values: kNone keeps them, kMean averages (weighted
/// losses divide by the total weight), kSum adds them.
enum class Reduction { None, Mean, Sum };
constexpr Reduction kNone = Reduction::None;
constexpr Reduction kMean = Reduction::Mean;
constexpr Reduction kSum = Reduction::Sum;

/// kl_div's own reduction: the sum divided by the batch size (input.size(0)), KL divergence's
/// mathematical definition. Only KLDivLossOptions takes it.
struct BatchMeanReduction {};
constexpr BatchMeanReduction kBatchMean{};

/// A Reduction or kBatchMean: what KLDivLossOptions::reduction holds.
class KLDivReduction {
public:
    constexpr KLDivReduction(Reduction reduction) : reduction_(reduction) {}  // NOLINT: implicit
    constexpr KLDivReduction(BatchMeanReduction) : batch_mean_(true) {}       // NOLINT: implicit
    constexpr bool is_batch_mean() const { return batch_mean_; }
    /// The Reduction (kSum for kBatchMean, which divides the sum afterwards).
    constexpr Reduction reduction() const { return batch_mean_ ? kSum : reduction_; }

private:
    Reduction reduction_ = kMean;
    bool batch_mean_ = false;
};

namespace nn {

// The implicit constructor from a reduction that LibTorch gives loss options
// (`MSELossOptions(kSum)`), and the reduction option itself, defaulting to kMean.
#define TAPEGRAD_LOSS_REDUCTION(Options)                        \
public:                                                         \
    Options(Reduction reduction = kMean) /* NOLINT: implicit */ \
        : reduction_(reduction) {}                              \
    TAPEGRAD_ARG(Reduction, reduction)

/// Options of mse_loss / MSELoss: `MSELossOptions(kSum)` or `MSELossOptions().reduction(kSum)`.
struct MSELossOptions {
    TAPEGRAD_LOSS_REDUCTION(MSELossOptions);
};
/// Options of l1_loss / L1Loss.
struct L1LossOptions {
    TAPEGRAD_LOSS_REDUCTION(L1LossOptions);
};
/// Options of binary_cross_entropy / BCELoss.
struct BCELossOptions {
    TAPEGRAD_LOSS_REDUCTION(BCELossOptions);
    /// Per-element weight, broadcast to the input's shape.
    TAPEGRAD_ARG(Tensor, weight);
};
/// Options of binary_cross_entropy_with_logits / BCEWithLogitsLoss.
struct BCEWithLogitsLossOptions {
    TAPEGRAD_LOSS_REDUCTION(BCEWithLogitsLossOptions);
    TAPEGRAD_ARG(Tensor, weight);
    /// Weight of the positive term, broadcast over the last dim (one per class).
    TAPEGRAD_ARG(Tensor, pos_weight);
};
/// Options of nll_loss / NLLLoss.
struct NLLLossOptions {
    TAPEGRAD_LOSS_REDUCTION(NLLLossOptions);
    /// One weight per class, [C].
    TAPEGRAD_ARG(Tensor, weight);
    /// Samples with this target contribute nothing (and are not counted by kMean).
    TAPEGRAD_ARG(int64_t, ignore_index) = -100;
};
/// Options of cross_entropy / CrossEntropyLoss.
struct CrossEntropyLossOptions {
    TAPEGRAD_LOSS_REDUCTION(CrossEntropyLossOptions);
    TAPEGRAD_ARG(Tensor, weight);
    TAPEGRAD_ARG(int64_t, ignore_index) = -100;
    /// In [0, 1]: the target becomes (1 - s) * one_hot + s / C.
    TAPEGRAD_ARG(double, label_smoothing) = 0.0;
};
/// Options of smooth_l1_loss / SmoothL1Loss.
struct SmoothL1LossOptions {
    TAPEGRAD_LOSS_REDUCTION(SmoothL1LossOptions);
    /// Where the loss turns from quadratic to linear (>= 0; 0 gives l1_loss).
    TAPEGRAD_ARG(double, beta) = 1.0;
};
/// Options of huber_loss / HuberLoss.
struct HuberLossOptions {
    TAPEGRAD_LOSS_REDUCTION(HuberLossOptions);
    /// Where the loss turns from quadratic to linear (> 0).
    TAPEGRAD_ARG(double, delta) = 1.0;
};
/// Options of kl_div / KLDivLoss: `KLDivLossOptions(kBatchMean).log_target(true)`.
struct KLDivLossOptions {
    KLDivLossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT: implicit
    KLDivLossOptions(BatchMeanReduction) : reduction_(kBatchMean) {}          // NOLINT: implicit
    TAPEGRAD_ARG(KLDivReduction, reduction);
    /// Whether the target is given as log-probabilities too.
    TAPEGRAD_ARG(bool, log_target) = false;
};
/// Options of margin_ranking_loss / MarginRankingLoss.
struct MarginRankingLossOptions {
    TAPEGRAD_LOSS_REDUCTION(MarginRankingLossOptions);
    TAPEGRAD_ARG(double, margin) = 0.0;
};
/// Options of cosine_embedding_loss / CosineEmbeddingLoss.
struct CosineEmbeddingLossOptions {
    TAPEGRAD_LOSS_REDUCTION(CosineEmbeddingLossOptions);
    /// Dissimilar pairs are penalised for a cosine above margin (in [-1, 1]).
    TAPEGRAD_ARG(double, margin) = 0.0;
};
/// Options of triplet_margin_loss / TripletMarginLoss.
struct TripletMarginLossOptions {
    TAPEGRAD_LOSS_REDUCTION(TripletMarginLossOptions);
    TAPEGRAD_ARG(double, margin) = 1.0;
    /// The order of the distance norm.
    TAPEGRAD_ARG(double, p) = 2.0;
    /// Added to the difference before the norm, as PyTorch's pairwise_distance.
    TAPEGRAD_ARG(double, eps) = 1e-6;
    /// Use the smaller of d(anchor, negative) and d(positive, negative).
    TAPEGRAD_ARG(bool, swap) = false;
};
/// Options of poisson_nll_loss / PoissonNLLLoss.
struct PoissonNLLLossOptions {
    TAPEGRAD_LOSS_REDUCTION(PoissonNLLLossOptions);
    /// The input is log(rate) (loss exp(x) - t x) rather than the rate (x - t log(x + eps)).
    TAPEGRAD_ARG(bool, log_input) = true;
    /// Add Stirling's approximation of log(t!) (for t > 1).
    TAPEGRAD_ARG(bool, full) = false;
    TAPEGRAD_ARG(double, eps) = 1e-8;
};
/// Options of soft_margin_loss / SoftMarginLoss.
struct SoftMarginLossOptions {
    TAPEGRAD_LOSS_REDUCTION(SoftMarginLossOptions);
};
/// Options of multilabel_soft_margin_loss / MultiLabelSoftMarginLoss.
struct MultiLabelSoftMarginLossOptions {
    TAPEGRAD_LOSS_REDUCTION(MultiLabelSoftMarginLossOptions);
    /// One weight per class, [C].
    TAPEGRAD_ARG(Tensor, weight);
};

#undef TAPEGRAD_LOSS_REDUCTION

namespace functional {

using MSELossFuncOptions = MSELossOptions;
using L1LossFuncOptions = L1LossOptions;
using BinaryCrossEntropyFuncOptions = BCELossOptions;
using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;
using NLLLossFuncOptions = NLLLossOptions;
using CrossEntropyFuncOptions = CrossEntropyLossOptions;

/// (input - target)^2, reduced; input and target have the same shape.
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});
/// |input - target|, reduced.
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options = {});
/// -w (t log(x) + (1 - t) log(1 - x)) for probabilities x in [0, 1], logs clamped at -100 as
/// PyTorch; fused so that x = 0 or 1 gives finite gradients.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyFuncOptions& options = {});
/// binary_cross_entropy(sigmoid(x), t) computed stably from logits x:
/// (1 - t) x + (1 + (pos_weight - 1) t) log(1 + exp(-x)), the log via logsumexp.
Tensor binary_cross_entropy_with_logits(
    const Tensor& input, const Tensor& target,
    const BinaryCrossEntropyWithLogitsFuncOptions& options = {});
/// -w[t_i] input[i, t_i] for log-probabilities input [N, C] and int64 targets [N].
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = {});
/// log_softmax + nll_loss for logits [N, C]. With int64 class targets [N] it is one fused op
/// (backward: softmax - smoothed one-hot, scaled), finite for any finite logits. With float
/// targets [N, C] (class probabilities) it is -sum_c t_c log_softmax(x)_c.
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyFuncOptions& options = {});

using SmoothL1LossFuncOptions = SmoothL1LossOptions;
using HuberLossFuncOptions = HuberLossOptions;
using KLDivFuncOptions = KLDivLossOptions;
using MarginRankingLossFuncOptions = MarginRankingLossOptions;
using CosineEmbeddingLossFuncOptions = CosineEmbeddingLossOptions;
using TripletMarginLossFuncOptions = TripletMarginLossOptions;
using PoissonNLLLossFuncOptions = PoissonNLLLossOptions;
using SoftMarginLossFuncOptions = SoftMarginLossOptions;
using MultilabelSoftMarginLossFuncOptions = MultiLabelSoftMarginLossOptions;

// Losses of regression and of distributions (nn/functional/regression_loss.cpp). Each takes
// input and target of one shape: a target that would broadcast ([N] against [N, 1]) is
// refused, where LibTorch warns and broadcasts to [N, N].

/// 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, for d = input - target.
/// options.beta() is used (LibTorch 1.13's functional ignores it and reads only `beta`).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1LossFuncOptions& options = {});
/// LibTorch 1.13's form with beta as a fourth argument; a beta given both ways must agree.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1LossFuncOptions& options, double beta);
/// 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): delta * smooth_l1(beta = delta).
Tensor huber_loss(const Tensor& input, const Tensor& target,
                  const HuberLossFuncOptions& options = {});
/// target (log(target) - input) for log-probabilities `input` (0 where target is 0), or
/// exp(target) (target - input) with log_target; kBatchMean divides the sum by input.size(0).
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options = {});
/// exp(input) - target input (log_input), or input - target log(input + eps); with full,
/// plus target log(target) - target + 0.5 log(2 pi target) where target > 1.
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target,
                        const PoissonNLLLossFuncOptions& options = {});

// Margin and ranking losses (nn/functional/margin_loss.cpp).

/// max(0, -target (input1 - input2) + margin); all three of one shape, target +1 or -1.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options = {});
/// 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1, for
/// inputs [N, D] and target [N] (or [D] and a 0-d target); other target values are refused.
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingLossFuncOptions& options = {});
/// max(0, d(a, p) - d(a, n) + margin), d the p-norm distance of pairwise_distance over the
/// last dim; inputs [N, D] or [D], all of one shape.
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossFuncOptions& options = {});
/// log(1 + exp(-target input)), target +1 or -1, averaged over all elements.
Tensor soft_margin_loss(const Tensor& input, const Tensor& target,
                        const SoftMarginLossFuncOptions& options = {});
/// -(t log sigmoid(x) + (1 - t) log sigmoid(-x)), weighted per class, averaged over the
/// classes (last dim): one value per sample, then reduced.
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target,
                                   const MultilabelSoftMarginLossFuncOptions& options = {});

}  // namespace functional
}  // namespace nn

// The top level is LibTorch's torch:: namespace, whose losses are ATen's functions (reduction
// as an argument, in ATen's order). Their reduction has no default where a functional form
// (options as the third argument) shares the name, so that `loss(x, t)` is never ambiguous
// and `fit(model, tapegrad::smooth_l1_loss, ...)` can take the name.

using nn::functional::binary_cross_entropy_with_logits;
using nn::functional::cosine_embedding_loss;
using nn::functional::cross_entropy;
using nn::functional::huber_loss;
using nn::functional::kl_div;
using nn::functional::l1_loss;
using nn::functional::margin_ranking_loss;
using nn::functional::mse_loss;
using nn::functional::multilabel_soft_margin_loss;
using nn::functional::nll_loss;
using nn::functional::poisson_nll_loss;
using nn::functional::smooth_l1_loss;
using nn::functional::soft_margin_loss;
using nn::functional::triplet_margin_loss;

/// torch::binary_cross_entropy: as the functional form, except that input and target may
/// differ in size-1 dims (input [N, 1] against target [N] is element by element, the loss
/// shaped like the input), as ATen's function allows; nn::BCELoss and F:: refuse that, as
/// LibTorch's do.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const nn::BCELossOptions& options = {});
/// ATen's order: `binary_cross_entropy(x, t, weight, kSum)`.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction reduction = kMean);
/// ATen's order: `nll_loss(log_probs, targets, weight, kMean, ignore_index)`.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                Reduction reduction = kMean, int64_t ignore_index = -100);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction,
                      double beta = 1.0);
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction,
                  double delta = 1.0);
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction,
              bool log_target = false);
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           double margin, Reduction reduction = kMean);
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             double margin, Reduction reduction = kMean);
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           double margin, double p = 2.0, double eps = 1e-6, bool swap = false,
                           Reduction reduction = kMean);
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full,
                        double eps, Reduction reduction);
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction);

}  // namespace tapegrad
