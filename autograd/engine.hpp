#pragma once
// The engine's public API: backward over several outputs, and grad() for higher-order use.

#include <optional>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autograd {

/// Backpropagates from `outputs` (seeded with `grad_outputs`, or ones for scalars) into the
/// .grad() of every leaf that requires grad, or, when `inputs` is not empty, into the .grad()
/// of those tensors only (leaves or not). retain_graph defaults to create_graph.
void backward(const tensor_list& outputs, const tensor_list& grad_outputs = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const tensor_list& inputs = {});

/// d(outputs)/d(inputs) contracted with grad_outputs, returned instead of accumulated into
/// .grad(). With create_graph the result is itself differentiable (Hessian-vector products).
/// An input that the outputs do not depend on raises unless allow_unused, which gives an
/// undefined tensor for it.
tensor_list grad(const tensor_list& outputs, const tensor_list& inputs,
                 const tensor_list& grad_outputs = {},
                 std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                 bool allow_unused = false);

}  // namespace autograd
}  // namespace tapegrad
