#pragma once
// Transcendental element-wise loops over contiguous buffers, run through xtensor's XSIMD
// vector math where bench/kernels.cpp measured it faster than the scalar libm loop. No graph
// code here. Each loop is a template defined (and instantiated for float and double only) in
// math.cpp.

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// y[i] = exp(x[i]).
template <class T>
void exp(const T* x, T* y, int64_t n);
/// y[i] = log(x[i]).
template <class T>
void log(const T* x, T* y, int64_t n);
/// y[i] = sqrt(x[i]).
template <class T>
void sqrt(const T* x, T* y, int64_t n);
/// y[i] = 1 / (1 + exp(-x[i])), without overflow for large |x|.
template <class T>
void sigmoid(const T* x, T* y, int64_t n);

}  // namespace kernels
}  // namespace tapegrad
