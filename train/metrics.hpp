#pragma once
// Accuracy, as Keras reports it: argmax for multi-class outputs, a threshold for one output.

#include <cstdint>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace train {

/// The number of correct predictions in a batch, counted without recording a graph.
/// Outputs [N, C] with C > 1 predict argmax over dim 1, compared with int64 class targets [N]
/// or with the argmax of probability / one-hot targets [N, C]. Outputs [N] or [N, 1] (one
/// sigmoid unit) predict output > threshold, compared with targets [N] or [N, 1] of 0 and 1.
/// Throws std::invalid_argument naming both shapes when they do not fit together.
int64_t count_correct(const Tensor& output, const Tensor& target, double threshold = 0.5);

/// True when count_correct can score `output` against `target` (the shapes above). fit() and
/// evaluate() report accuracy only then, so a model with other outputs (a regression onto
/// [N, 2, 4], say) trains with its loss alone.
bool has_accuracy(const Tensor& output, const Tensor& target);

/// count_correct(output, target, threshold) / N.
double accuracy(const Tensor& output, const Tensor& target, double threshold = 0.5);

}  // namespace train
}  // namespace tapegrad
