#pragma once
// AdamW: Adam with decoupled weight decay, as torch.optim.AdamW: each step first shrinks the
// weights, p *= 1 - lr * weight_decay, then takes Adam's step with the plain gradient. The code
// is Adam's (adam.hpp, adam.cpp); only the names and the default weight_decay (1e-2) differ.

#include "optim/adam.hpp"

namespace tapegrad {
namespace optim {

/// AdamW's hyperparameters: `AdamWOptions(1e-3).weight_decay(1e-2)`.
using AdamWOptions = AdamOptionsT<true>;
/// AdamW's per-parameter state: Adam's.
using AdamWParamState = AdamParamState;
/// torch.optim.AdamW.
using AdamW = AdamT<true>;

}  // namespace optim
}  // namespace tapegrad
