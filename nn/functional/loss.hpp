#pragma once
// Loss functions, in nn::functional and (the plain forms) at the top level, as in LibTorch:
// `tapegrad::mse_loss(y, t)`, `F::cross_entropy(logits, labels,
// F::CrossEntropyFuncOptions().label_smoothing(0.1))`.
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

namespace nn {

/// Options of mse_loss / MSELoss: `MSELossOptions(kSum)` or `MSELossOptions().reduction(kSum)`.
struct MSELossOptions {
    MSELossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT: implicit
    TAPEGRAD_ARG(Reduction, reduction);
};
/// Options of l1_loss / L1Loss.
struct L1LossOptions {
    L1LossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT: implicit
    TAPEGRAD_ARG(Reduction, reduction);
};
/// Options of binary_cross_entropy / BCELoss.
struct BCELossOptions {
    BCELossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT: implicit
    /// Per-element weight, broadcast to the input's shape.
    TAPEGRAD_ARG(Tensor, weight);
    TAPEGRAD_ARG(Reduction, reduction);
};
/// Options of binary_cross_entropy_with_logits / BCEWithLogitsLoss.
struct BCEWithLogitsLossOptions {
    BCEWithLogitsLossOptions(Reduction reduction = kMean)  // NOLINT: implicit
        : reduction_(reduction) {}
    TAPEGRAD_ARG(Tensor, weight);
    /// Weight of the positive term, broadcast over the last dim (one per class).
    TAPEGRAD_ARG(Tensor, pos_weight);
    TAPEGRAD_ARG(Reduction, reduction);
};
/// Options of nll_loss / NLLLoss.
struct NLLLossOptions {
    NLLLossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT: implicit
    /// One weight per class, [C].
    TAPEGRAD_ARG(Tensor, weight);
    /// Samples with this target contribute nothing (and are not counted by kMean).
    TAPEGRAD_ARG(int64_t, ignore_index) = -100;
    TAPEGRAD_ARG(Reduction, reduction);
};
/// Options of cross_entropy / CrossEntropyLoss.
struct CrossEntropyLossOptions {
    CrossEntropyLossOptions(Reduction reduction = kMean)  // NOLINT: implicit
        : reduction_(reduction) {}
    TAPEGRAD_ARG(Tensor, weight);
    TAPEGRAD_ARG(int64_t, ignore_index) = -100;
    TAPEGRAD_ARG(Reduction, reduction);
    /// In [0, 1]: the target becomes (1 - s) * one_hot + s / C.
    TAPEGRAD_ARG(double, label_smoothing) = 0.0;
};

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

}  // namespace functional
}  // namespace nn

using nn::functional::binary_cross_entropy;
using nn::functional::binary_cross_entropy_with_logits;
using nn::functional::cross_entropy;
using nn::functional::l1_loss;
using nn::functional::mse_loss;
using nn::functional::nll_loss;

}  // namespace tapegrad
