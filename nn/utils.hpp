#pragma once
// nn::utils: gradient clipping, flattening parameters to one vector and back, and the L1/L2
// penalties to add to a loss. (Decoupled weight decay lives in the optimizers.)

#include <initializer_list>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace nn {
namespace utils {

/// Scales all gradients together so that their joint norm of order norm_type (INFINITY for
/// the max-norm) is at most max_norm; returns the norm before clipping. Parameters without a
/// gradient are skipped. With error_if_nonfinite a NaN or infinite norm throws; a NaN or
/// negative max_norm or norm_type throws std::invalid_argument.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);
double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm,
                       double norm_type = 2.0, bool error_if_nonfinite = false);
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element to [-clip_value, clip_value]; a NaN or negative clip_value
/// throws std::invalid_argument.
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

/// All parameters flattened and concatenated into one 1-D tensor (differentiable).
Tensor parameters_to_vector(const std::vector<Tensor>& parameters);
/// Copies consecutive slices of the 1-D `vec` into the parameters, in place.
void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters);

/// sum over parameters of sum |p|, a scalar to add to the loss (times a coefficient).
Tensor l1_penalty(const std::vector<Tensor>& parameters);
/// sum over parameters of sum p^2, a scalar to add to the loss: lambda * l2_penalty(params)
/// is the classic L2 regularisation term (its gradient is 2 lambda p).
Tensor l2_penalty(const std::vector<Tensor>& parameters);

}  // namespace utils
}  // namespace nn
}  // namespace tapegrad
