// float32 -> bfloat16 conversion of dense buffers (by the CPU's own instruction where it has
// one), and the stand-ins for the bfloat16 product in a build without oneDNN.

#include "autograd/kernels/bf16.hpp"

#include <immintrin.h>

#include <algorithm>
#include <stdexcept>

namespace tapegrad {
namespace kernels {

namespace {

// 32 floats at a time by the AVX-512 BF16 instruction (vcvtne2ps2bf16: round to nearest even,
// NaN kept quiet; denormal inputs become zero), the last n % 32 under a mask.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void to_bfloat16_avx512(
    const float* src, BFloat16* dst, int64_t n) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512bh v =
            _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512(dst + i, reinterpret_cast<const __m512i&>(v));
    }
    for (; i < n; i += 16) {
        const __mmask16 m = static_cast<__mmask16>((1u << std::min<int64_t>(16, n - i)) - 1);
        const __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
        _mm256_mask_storeu_epi16(dst + i, m, reinterpret_cast<const __m256i&>(v));
    }
}

}  // namespace

void to_bfloat16(const float* src, BFloat16* dst, int64_t n) {
    static const bool native = __builtin_cpu_supports("avx512bf16");
    if (native) return to_bfloat16_avx512(src, dst, n);
    for (int64_t i = 0; i < n; ++i) dst[i] = BFloat16(src[i]);
}

#ifndef TAPEGRAD_HAVE_DNNL
bool bf16_gemm_available() {
    return false;
}

const char* bf16_gemm_implementation() {
    return "";
}

void gemm_bf16(bool, bool, int64_t, int64_t, int64_t, const BFloat16*, int64_t, const BFloat16*,
               int64_t, float, float*, int64_t) {
    throw std::logic_error("gemm_bf16: tapegrad was built without oneDNN (TAPEGRAD_WITH_DNNL)");
}
#endif

}  // namespace kernels
}  // namespace tapegrad
