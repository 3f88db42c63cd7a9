#pragma once
// tapegrad::autograd::functional: PyTorch's torch.autograd.functional for C++ functions of one
// tensor: jacobian, hessian, vjp, jvp, hvp. Each evaluates `func` on a detached copy of the
// input that requires grad, so the input itself need not require grad. Results are detached
// unless create_graph, which records them so that they can be differentiated again. With
// strict, an output that does not depend on the input raises std::invalid_argument (without
// it, that part is zero), as PyTorch's.

#include <functional>
#include <utility>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autograd {
namespace functional {

using Func = std::function<Tensor(const Tensor&)>;

/// d func(x) / dx, of shape func(x).sizes() + x.sizes(): one backward per output element.
Tensor jacobian(const Func& func, const Tensor& x, bool create_graph = false, bool strict = false);
/// J[i][j] = d outputs[i] / d inputs[j] for a function of several tensors, each of shape
/// outputs[i].sizes() + inputs[j].sizes().
std::vector<tensor_list> jacobian(const std::function<tensor_list(const tensor_list&)>& func,
                                  const tensor_list& inputs, bool create_graph = false,
                                  bool strict = false);
/// The Hessian of a scalar func at x, of shape x.sizes() + x.sizes().
Tensor hessian(const Func& func, const Tensor& x, bool create_graph = false, bool strict = false);
/// (func(x), v^T J): v has func(x)'s shape (it may be undefined for a scalar output).
std::pair<Tensor, Tensor> vjp(const Func& func, const Tensor& x, const Tensor& v = Tensor(),
                              bool create_graph = false, bool strict = false);
/// (func(x), J v): v has x's shape (it may be undefined for a single-element x). Computed with
/// two backward passes (the double-backward trick), as PyTorch's.
std::pair<Tensor, Tensor> jvp(const Func& func, const Tensor& x, const Tensor& v = Tensor(),
                              bool create_graph = false, bool strict = false);
/// (func(x), H v) for a scalar func: v has x's shape.
std::pair<Tensor, Tensor> hvp(const Func& func, const Tensor& x, const Tensor& v = Tensor(),
                              bool create_graph = false, bool strict = false);

}  // namespace functional
}  // namespace autograd
}  // namespace tapegrad
