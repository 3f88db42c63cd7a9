#pragma once
// The input side of the floating-point ops of one tensor (elementwise.cpp, activation.cpp,
// unary_math.cpp). Internal.

#include "autograd/ops/elementwise.hpp"

namespace tapegrad {
namespace detail {

/// `a` as the op computes on it: checked to be defined, then integer and Bool inputs in float32
/// (as LibTorch's unary float ops do); the tensor the op records as its input.
/// Without a new handle when `a` is floating already (see converted).
inline const Tensor& floating_input(const char* op, const Tensor& a, Tensor& keep) {
    check_defined(op, a);
    return as_floating(a, keep);
}
inline Tensor floating_input(const char* op, const Tensor& a) {
    Tensor keep;
    return floating_input(op, a, keep);
}

}  // namespace detail
}  // namespace tapegrad
