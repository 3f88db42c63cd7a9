#pragma once
// Finite-difference gradient checks: the tool for testing a backward rule, in the library's
// own tests and in users' (autograd/gradcheck_doctest.hpp and gradcheck_gtest.hpp hold
// assertion macros for doctest and GoogleTest).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autograd {

/// What gradcheck compares, and how closely. The defaults are PyTorch's, except
/// check_batched_grad (see there).
struct GradcheckOptions {
    /// Central-difference step.
    double eps = 1e-6;
    /// An entry passes when |analytic - numeric| <= atol + rtol * |numeric|.
    double atol = 1e-5;
    double rtol = 1e-3;
    /// false (PyTorch's default): the full Jacobian, every input element perturbed and every
    /// output element's gradient compared, at the cost of 2 forwards per input element and one
    /// backward per output element. true: the outputs are reduced as sum(y * r) with a fixed
    /// random r, so one backward and one row of numeric differences suffice.
    bool fast_mode = false;
    /// Zero gradients for the outputs must give zero (or no) gradients for the inputs, for all
    /// outputs together and for each alone (PyTorch's check that undefined output gradients are
    /// treated as zeros: tapegrad's engine never passes an undefined gradient into a backward,
    /// so zeros are what a backward sees).
    bool check_undefined_grad = true;
    /// Backward must be linear in the output gradient, b(2 v1 - 3 v2) = 2 b(v1) - 3 b(v2) for
    /// random v1, v2, which is what batching output gradients relies on (PyTorch checks its
    /// vmap rules here; tapegrad has no vmap). On by default, unlike PyTorch: it costs three
    /// backwards, and the full Jacobian's unit-vector rows alone would pass a backward that
    /// uses, say, |grad_out|.
    bool check_batched_grad = true;
    /// Two backwards with the same output gradient may differ by this much (0: bit for bit).
    double nondet_tol = 0.0;
    /// Seed of the random projections (fixed, independent of manual_seed).
    uint64_t seed = 0;
};

/// The outcome of a check: converts to bool; on failure `message` says what is wrong, and for
/// a Jacobian mismatch the fields name the worst entry.
struct GradcheckResult {
    bool ok = true;
    /// Empty when ok. Otherwise one line naming the check, the input, the input element, the
    /// output element, both values and the error, followed for small Jacobians by both of them.
    std::string message;
    /// The check that failed: "jacobian", "undefined_grad", "batched_grad" or "reentrant".
    std::string check;
    /// The worst entry: input index (in the inputs given), flat element of that input, output
    /// index and flat element of that output (-1 in fast mode, where outputs are projected).
    int64_t input = -1;
    int64_t input_element = -1;
    int64_t output = -1;
    int64_t output_element = -1;
    double analytic = 0.0;
    double numeric = 0.0;
    /// |analytic - numeric|, and the tolerance it exceeded.
    double error = 0.0;
    double allowed = 0.0;
    /// How many entries differ.
    int64_t mismatches = 0;
    explicit operator bool() const { return ok; }
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;
using GradcheckMultiFn = std::function<tensor_list(const std::vector<Tensor>& inputs)>;

/// Compares the analytic gradients of fn at `inputs` (those that require grad) with central
/// differences, in float64; float32 inputs and outputs are refused (their rounding swamps the
/// differences). fn is called with copies of the inputs whose elements are perturbed, so it
/// must compute from the tensors it is given; the inputs' values and .grad() are left as they
/// were. Floating outputs that do not require grad must have a zero numeric Jacobian;
/// integer outputs are not differentiable and are skipped.
GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});
GradcheckResult gradcheck(const GradcheckMultiFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

/// The same checks one order up: the first derivatives g_k = d sum(fn * r) / d input_k (r a
/// fixed random tensor per output) are differentiated by gradcheck with the same options, so
/// the full mode compares every entry of the Hessian-vector products d g_k / d input_j. Needs
/// backward rules that are themselves differentiable (create_graph).
GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});
GradcheckResult gradgradcheck(const GradcheckMultiFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace autograd
}  // namespace tapegrad
