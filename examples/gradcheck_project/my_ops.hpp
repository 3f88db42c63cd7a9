#pragma once
// A user's own differentiable op, written as a LibTorch user would write a custom autograd
// function, and a copy of it with a deliberately wrong backward.

#include <tapegrad.hpp>

namespace my_ops {

/// softplus(x) = log(1 + exp(x)) elementwise, with its backward written by hand.
tapegrad::Tensor softplus(const tapegrad::Tensor& x);

/// The same forward with a backward that forgets to divide by 1 + exp(x): wrong on purpose,
/// to show what a gradient check reports.
tapegrad::Tensor softplus_wrong(const tapegrad::Tensor& x);

}  // namespace my_ops
