#pragma once
// Finite-difference gradient checks: the tool for testing a backward rule.

#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autograd {

struct GradcheckOptions {
    double eps = 1e-6;   // central-difference step
    double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;
    uint64_t seed = 0;   // for the random projection of a non-scalar output
};

/// The outcome of a check: converts to bool, and says which element is wrong and by how much.
struct GradcheckResult {
    bool ok = true;
    std::string message;  // empty when ok
    explicit operator bool() const { return ok; }
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

/// Compares the analytic gradient of fn at `inputs` with central differences, in float64.
/// A non-scalar output y is reduced as sum(y * r) with a fixed random r, so a gradient that is
/// wrong but sums to the right total still fails. Inputs must be float64 (float32 is refused:
/// its rounding swamps the differences); those that require grad are checked.
GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

/// The same check one order up: the gradient of (d sum(fn * r) / d inputs) . v against central
/// differences of the first derivative. Needs backward rules that are themselves
/// differentiable (create_graph).
GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace autograd
}  // namespace tapegrad
