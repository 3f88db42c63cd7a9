#pragma once
// bfloat16 kernels: float32 <-> bfloat16 conversion of dense buffers, and the bfloat16 matrix
// product with float32 accumulation that autocast runs (through oneDNN, in bf16_gemm.cpp, when
// the build has it). No graph code here.

#include <cstdint>

#include "autograd/scalar_type.hpp"

namespace tapegrad {
namespace kernels {

/// dst[i] = src[i] rounded to the nearest bfloat16 (ties to even), for n floats, as autocast
/// converts its operands: on a CPU with AVX-512 BF16 by its instruction, which also flushes
/// float32 denormals (below 1.2e-38) to zero; elsewhere exactly as BFloat16(float).
void to_bfloat16(const float* src, BFloat16* dst, int64_t n);

/// True when this build has oneDNN and this CPU computes in bfloat16 natively (AVX-512 BF16),
/// so that gemm_bf16 may be called. Detected once, at the first call.
bool bf16_gemm_available();
/// The oneDNN implementation the last gemm_bf16 of this shape used (e.g.
/// "brg:avx512_core_amx"), or "" when none ran; for the benchmark's report.
const char* bf16_gemm_implementation();

/// C[m, n] = op(A) @ op(B) + beta * C with A, B bfloat16 and C float32, accumulated in float32;
/// op transposes when asked; lda, ldb, ldc are the row strides as stored. beta is 0 or 1.
/// Raises std::logic_error unless bf16_gemm_available().
void gemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const BFloat16* a,
               int64_t lda, const BFloat16* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace kernels
}  // namespace tapegrad
