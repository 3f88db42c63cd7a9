#pragma once
// Helpers shared by the optimizer and scheduler files. Internal: not part of the umbrella header.

#include <cstdint>
#include <stdexcept>
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

/// "parameter 2", or "parameter 2 of group 1" past the first group.
std::string param_label(size_t group, size_t index);

/// Adds `n` to a counter such as a step count; throws std::logic_error naming `optimizer` and
/// the counter instead of overflowing.
void add_count(const char* optimizer, const char* what, int64_t& counter, int64_t n = 1);

/// Calls `f(float{})` or `f(double{})` for the dtype of an optimized tensor.
template <class F>
void dispatch_float(ScalarType dtype, F&& f) {
    if (dtype == kFloat64)
        f(double{});
    else if (dtype == kFloat32)
        f(float{});
    else
        throw std::logic_error(std::string("optim: cannot update a tensor of dtype ") +
                               to_string(dtype));
}

}  // namespace detail
}  // namespace optim
}  // namespace tapegrad
