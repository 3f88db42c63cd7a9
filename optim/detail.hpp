#pragma once
// Helpers shared by the optimizer and scheduler files. Internal: not part of the umbrella header.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "autograd/parallel.hpp"
#include "autograd/tensor.hpp"

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

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

/// While alive, float results too small to be normal (|x| < 1.2e-38; 2.2e-308 in double) are
/// written as zero on this thread (x86's flush-to-zero), and the previous mode comes back at the
/// end. The update loops run under it (update_loop): momentum and moment buffers of weights
/// whose gradient stays zero (dead ReLU units) decay geometrically into the subnormal range,
/// where every multiply takes a ~100-cycle microcode assist. W2 at batch 1 spent 86% of its
/// step there (468 -> 99 us per step). The parameters come out bit-identical: p + lr * d with
/// |lr * d| < 1.2e-38 rounds back to p for any |p| > 2e-31. Inputs are read as they are (no
/// denormals-are-zero). A no-op where the CPU has no such mode.
class FlushSubnormals {
public:
    FlushSubnormals(const FlushSubnormals&) = delete;
    FlushSubnormals& operator=(const FlushSubnormals&) = delete;
#if defined(__SSE__) || defined(__x86_64__)
    FlushSubnormals() : saved_(_mm_getcsr()) {
        _mm_setcsr(saved_ | kFlushToZero);
    }
    ~FlushSubnormals() {
        _mm_setcsr(saved_);
    }

private:
    static constexpr unsigned kFlushToZero = 0x8000;  // MXCSR.FTZ
    unsigned saved_;
#else
    FlushSubnormals() = default;
#endif
};

/// The shortest decimal form of `v` that reads back as `v`: "0.1", "-1e-08", "0.999".
std::string format_number(double v);

/// "parameter 2", or "parameter 2 of group 1" past the first group.
std::string param_label(size_t group, size_t index);

/// Adds `n` to a counter such as a step count; throws std::logic_error naming `optimizer` and
/// the counter instead of overflowing.
void add_count(const char* optimizer, const char* what, int64_t& counter, int64_t n = 1);

/// Runs an optimizer's update loop, `f(T{}, begin, end)` for elements [begin, end) with T the
/// dtype of the tensors (float or double), over [0, n) in blocks on the intra-op pool (each
/// element's update is independent of the others, so the split changes no result) and under
/// FlushSubnormals on every thread. The caller takes the first block range, as it takes the
/// first rows of the weight in the products (kernels/blas.cpp, gemm_split): each core updates
/// the rows it computed with, already in its cache.
template <class F>
void update_loop(ScalarType dtype, int64_t n, F&& f) {
    const auto run = [&](auto zero) {
        tapegrad::detail::parallel_for_blocks(n, [&](int64_t begin, int64_t end) {
            const FlushSubnormals flush;
            f(zero, begin, end);
        });
    };
    if (dtype == kFloat64)
        run(double{});
    else if (dtype == kFloat32)
        run(float{});
    else
        throw std::logic_error(std::string("optim: cannot update a tensor of dtype ") +
                               to_string(dtype));
}

}  // namespace detail
}  // namespace optim
}  // namespace tapegrad
