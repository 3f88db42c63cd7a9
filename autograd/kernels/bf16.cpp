// float32 -> bfloat16 conversion of dense buffers (plain loops the compiler vectorises), and
// the stand-ins for the bfloat16 product in a build without oneDNN.

#include "autograd/kernels/bf16.hpp"

#include <algorithm>
#include <stdexcept>

namespace tapegrad {
namespace kernels {

void to_bfloat16(const float* src, BFloat16* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) dst[i] = BFloat16(src[i]);
}

void to_bfloat16_transposed(const float* src, int64_t rows, int64_t cols, int64_t ld_src,
                            BFloat16* dst) {
    // in square tiles, so that both the rows read and the rows written stay in cache
    constexpr int64_t kTile = 32;
    for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
        const int64_t r1 = std::min(rows, r0 + kTile);
        for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
            const int64_t c1 = std::min(cols, c0 + kTile);
            for (int64_t c = c0; c < c1; ++c)
                for (int64_t r = r0; r < r1; ++r) dst[c * rows + r] = BFloat16(src[r * ld_src + c]);
        }
    }
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
