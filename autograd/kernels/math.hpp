#pragma once
// Transcendental element-wise loops over contiguous buffers, run through xtensor's XSIMD
// vector math where bench/kernels.cpp measured it faster than the scalar libm loop. No graph
// code here.

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// y[i] = exp(x[i]).
void exp(const float* x, float* y, int64_t n);
void exp(const double* x, double* y, int64_t n);
/// y[i] = log(x[i]).
void log(const float* x, float* y, int64_t n);
void log(const double* x, double* y, int64_t n);
/// y[i] = sqrt(x[i]).
void sqrt(const float* x, float* y, int64_t n);
void sqrt(const double* x, double* y, int64_t n);
/// y[i] = 1 / (1 + exp(-x[i])), without overflow for large |x|.
void sigmoid(const float* x, float* y, int64_t n);
void sigmoid(const double* x, double* y, int64_t n);

}  // namespace kernels
}  // namespace tapegrad
