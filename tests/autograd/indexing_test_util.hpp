#pragma once
// Small helpers of the indexing suites (indexing_test.cpp, ordering_test.cpp).

#include <string>
#include <vector>

#include "tests/autograd/test_util.hpp"

namespace tapegrad {
namespace testing {

/// An int64 tensor of the given (nested) values: positions.
inline Tensor ints(const TensorData& v) {
    return tensor(v, kInt64);
}
/// A bool tensor of the given 0/1 values: a mask.
inline Tensor bools(const TensorData& v) {
    return tensor(v, kBool);
}
/// 0, 1, 2, ... in float64, in `shape`.
inline Tensor iota(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return arange(n, kFloat64).reshape(shape);
}

/// First and second derivatives of fn at inputs against finite differences.
inline void check_derivatives(const std::string& what, const autograd::GradcheckFn& fn,
                              const std::vector<Tensor>& inputs) {
    INFO("op: ", what);
    CHECK_GRADIENTS(fn, inputs);
    CHECK_GRADGRADIENTS(fn, inputs);
}

}  // namespace testing
}  // namespace tapegrad
