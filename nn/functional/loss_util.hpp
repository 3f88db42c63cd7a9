#pragma once
// What the loss files share (internal): reductions, shape and option checks, softplus.

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/functional/loss.hpp"

namespace tapegrad {
namespace nn {
namespace detail {

/// loss as is (kNone), summed (kSum) or averaged over all its elements (kMean).
Tensor reduce_loss(const Tensor& loss, Reduction reduction);
/// Both defined, input floating, and the same shape; else "op: target shape [4] differs from
/// input shape [4, 1]".
void check_loss_shapes(const char* op, const Tensor& input, const Tensor& target);
/// True when a tensor of shape `from` broadcasts to exactly `to`.
bool broadcasts_to(const std::vector<int64_t>& from, const std::vector<int64_t>& to);
/// An undefined `weight`, or one that broadcasts to `shape`; else "op: what of shape ...".
void check_weight(const char* op, const char* what, const Tensor& weight,
                  const std::vector<int64_t>& shape);
/// Throws "op: what must be <requirement>, got <value>" unless ok (NaN fails every check).
void check_option(const char* op, const char* what, double value, bool ok, const char* requirement);
/// log(1 + exp(x)), stable for large |x| and smooth (as logsumexp of [0, x]).
Tensor softplus(const Tensor& x);

}  // namespace detail

namespace functional {
// the loss files' common vocabulary
using detail::check_loss_shapes;
using detail::check_option;
using detail::reduce_loss;
}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
