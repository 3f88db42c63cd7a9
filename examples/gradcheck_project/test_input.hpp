#pragma once
// What both test files check my_ops at.

#include "my_ops.hpp"

namespace my_ops {

/// A fixed [2, 3] input: gradient checks need float64 tensors that require grad.
inline tapegrad::Tensor input() {
    tapegrad::manual_seed(0);
    return tapegrad::randn({2, 3},
                           tapegrad::TensorOptions().dtype(tapegrad::kFloat64).requires_grad(true));
}

}  // namespace my_ops
