#pragma once
// Metrics that rank scores rather than count predicted classes: top-k accuracy for multi-class
// models and ROC AUC for binary ones (shapes as train/classification.hpp describes).

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace train {

/// The number of samples whose true class is among the k highest scores of output [N, C];
/// classes tied with the k-th score count as among them (as Keras's in_top_k). Targets are
/// int64 classes [N] or one-hot rows [N, C]; throws std::invalid_argument for other shapes or
/// k outside [1, C].
int64_t count_top_k(const Tensor& output, const Tensor& target, int64_t k);
/// count_top_k / N.
double top_k_accuracy(const Tensor& output, const Tensor& target, int64_t k);

/// The score and the 0/1 label of each sample of a binary model, for ROC AUC: outputs [N] or
/// [N, 1] are the scores; outputs [N, 2] score output[:, 1] - output[:, 0] (which orders the
/// samples as the softmax probability of class 1 does, for logits and probabilities alike).
/// Targets: values in [0, 1] (class 1 above 0.5), int64 classes 0/1, or one-hot [N, 2].
void binary_scores(const Tensor& output, const Tensor& target, std::vector<double>& scores,
                   std::vector<int64_t>& labels);
/// The area under the ROC curve of `scores` against 0/1 `labels`: the probability that a
/// random positive scores above a random negative, ties counting one half (Mann-Whitney U).
/// NaN when either class is missing.
double roc_auc(const std::vector<double>& scores, const std::vector<int64_t>& labels);
/// roc_auc of a binary model's outputs (shapes as binary_scores).
double roc_auc(const Tensor& output, const Tensor& target);

}  // namespace train
}  // namespace tapegrad
