#pragma once
// Helpers shared by the optimizer and scheduler files: option checks and number formatting.
// Internal: not part of the umbrella header.

#include <cstdint>
#include <string>

#include "autograd/tensor.hpp"

// The update loops are memory- and sqrt/div-bound: on x86-64 GCC/clang also build an AVX2 copy of
// each and pick it at load time when the CPU has AVX2. Without FMA the AVX2 copy computes exactly
// the same values as the baseline (SSE2) one. Not in sanitizer builds: the load-time chooser (an
// IFUNC resolver) runs during relocation, before ThreadSanitizer's runtime is up, and crashes.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__) && !defined(TAPEGRAD_SANITIZED)
#define TAPEGRAD_UPDATE_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define TAPEGRAD_UPDATE_LOOP
#endif

namespace tapegrad {
namespace optim {
namespace detail {

/// The shortest decimal form of `v` that reads back as `v`: "0.1", "-1e-08", "0.999".
std::string format_number(double v);

/// Throws std::invalid_argument "<optimizer>: <what> must be >= 0, got <value>" when value < 0
/// (or is NaN).
void check_non_negative(const char* optimizer, const char* what, double value);

/// Throws "<optimizer>: betas must be in [0, 1), got (b1, b2)" unless both are in [0, 1).
void check_betas(const char* optimizer, double beta1, double beta2);

/// Adam's update of one parameter, shared by Adam and AdamW (decoupled = true: weight decay
/// shrinks p directly instead of entering the gradient). `max_exp_avg_sq` is null unless
/// amsgrad; `step` counts this update.
void adam_update(const Tensor& p, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor* max_exp_avg_sq, int64_t step, double lr,
                 double beta1, double beta2, double eps, double weight_decay, bool decoupled);

}  // namespace detail
}  // namespace optim
}  // namespace tapegrad
