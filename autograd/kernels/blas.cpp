#include "autograd/kernels/blas.hpp"

#include <cblas.h>

#include <algorithm>

#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace kernels {

namespace {
// Leading dimension of a row-major operand as stored (before the transpose flag applies).
int64_t ld(bool trans, int64_t rows, int64_t cols) {
    return std::max<int64_t>(1, trans ? rows : cols);
}
CBLAS_TRANSPOSE flag(bool trans) {
    return trans ? CblasTrans : CblasNoTrans;
}
// An empty inner dimension leaves C = beta * C (BLAS rejects a leading dimension of 0).
template <class T>
void scale(T* c, int64_t n, T beta) {
    for (int64_t i = 0; i < n; ++i) c[i] = beta == 0 ? T(0) : beta * c[i];
}

// Shapes where sgemm/dgemm waste passes over memory, handled first; false when none applies.
// - k = 1, beta = 0: C is an outer product. gemm would zero C, pack, then read and write it
//   again; one loop writes it once, with the same value alpha * (a_i * b_j).
// - m = 1 or n = 1: a matrix-vector product. gemm packs the whole matrix before using it once
//   (a batch-1 Linear); gemv reads it once. The summation order differs from gemm's.
// A is stored row-major as [m, k] (or [k, m] when trans_a) with row stride lda; B likewise.
template <class T, class Gemv>
bool gemm_special(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t lda, const T* b, int64_t ldb, T beta, T* c, Gemv gemv) {
    const auto i = [](int64_t v) { return static_cast<int>(v); };
    if (k == 1 && beta == 0) {
        const int64_t sa = trans_a ? 1 : lda, sb = trans_b ? ldb : 1;  // steps along m and n
        for (int64_t r = 0; r < m; ++r) {
            const T ar = a[r * sa];
            T* cr = c + r * n;
            for (int64_t j = 0; j < n; ++j) cr[j] = alpha * (ar * b[j * sb]);
        }
        return true;
    }
    if (m != 1 && n != 1) return false;
    if (beta == 0) {  // BLAS may read C when beta = 0 (0 * NaN); it is uninitialised here
        for (int64_t r = 0; r < m * n; ++r) c[r] = T(0);
        beta = T(1);
    }
    if (m == 1) {  // c[n] = alpha * op(B)^T a + beta * c; a's k elements step by inc_a
        const int64_t inc_a = trans_a ? lda : 1;
        if (trans_b)
            gemv(CblasRowMajor, CblasNoTrans, i(n), i(k), alpha, b, i(ldb), a, i(inc_a), beta, c,
                 1);
        else
            gemv(CblasRowMajor, CblasTrans, i(k), i(n), alpha, b, i(ldb), a, i(inc_a), beta, c, 1);
    } else {  // n = 1: c[m] = alpha * op(A) b + beta * c; b's k elements step by inc_b
        const int64_t inc_b = trans_b ? 1 : ldb;
        if (trans_a)
            gemv(CblasRowMajor, CblasTrans, i(k), i(m), alpha, a, i(lda), b, i(inc_b), beta, c, 1);
        else
            gemv(CblasRowMajor, CblasNoTrans, i(m), i(k), alpha, a, i(lda), b, i(inc_b), beta, c,
                 1);
    }
    return true;
}
}  // namespace

namespace {
// The float and double gemm, given CBLAS's routines of that precision (?gemm and ?gemv).
template <class T, class Gemm, class Gemv>
void gemm_with(Gemm cblas_gemm, Gemv cblas_gemv, bool trans_a, bool trans_b, int64_t m, int64_t n,
               int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c) {
    if (m == 0 || n == 0) return;
    if (k == 0) return scale(c, m * n, beta);
    if (gemm_special(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, cblas_gemv)) return;
    cblas_gemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<int>(m),
               static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
               static_cast<int>(ldb), beta, c, static_cast<int>(n));
}
}  // namespace

namespace {
// OpenBLAS's AVX-512 cores (SkylakeX, Cooperlake, SapphireRapids) run an sgemm with
// m * n * k <= 1e6 through a "small matrix" kernel that reads B where it lies; a larger one
// first packs all of B. A few rows against a large B (a Linear at batch 16) then pay more for
// the packing than for the product, so such a product runs as up to 4 calls of fewer rows, each
// under the limit. bench/gemm_rows.cpp, 1 thread: 16 x 256 x 784 (A B^T) 104 -> 62 us,
// 256 x 784 x 16 (A^T B) 63 -> 43 us; at 16 calls (64 x 256 x 784) it is 1.2x slower, and with
// AVX2 kernels (OPENBLAS_CORETYPE=Haswell) there is no such kernel: no split there; nor with
// more than one BLAS thread (the small kernel runs on one). Returns the rows per call, or 0 for
// one call.
int64_t sgemm_rows_per_call(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k) {
    static const bool small_kernel = [] {
        const std::string core = openblas_get_corename();
        return core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids";
    }();
    constexpr int64_t kSmall = 1000000, kMaxCalls = 4;
    if (!small_kernel || (trans_a && trans_b) || n * k == 0 || n * k > kSmall ||
        openblas_get_num_threads() > 1)
        return 0;
    const int64_t rows = kSmall / (n * k);
    const int64_t calls = (m + rows - 1) / rows;
    return calls > 1 && calls <= kMaxCalls ? rows : 0;
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c) {
    if (const int64_t rows = sgemm_rows_per_call(trans_a, trans_b, m, n, k)) {
        for (int64_t r = 0; r < m; r += rows) {  // rows r.. of op(A) start at column r of A^T
            gemm_with(cblas_sgemm, cblas_sgemv, trans_a, trans_b, std::min(rows, m - r), n, k,
                      alpha, trans_a ? a + r : a + r * lda, lda, b, ldb, beta, c + r * n);
        }
        return;
    }
    gemm_with(cblas_sgemm, cblas_sgemv, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c) {
    gemm_with(cblas_dgemm, cblas_dgemv, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          const float* b, float beta, float* c) {
    gemm(trans_a, trans_b, m, n, k, alpha, a, ld(trans_a, m, k), b, ld(trans_b, k, n), beta, c);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, const double* b, double beta, double* c) {
    gemm(trans_a, trans_b, m, n, k, alpha, a, ld(trans_a, m, k), b, ld(trans_b, k, n), beta, c);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t alpha,
          const int64_t* a, const int64_t* b, int64_t beta, int64_t* c) {
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            int64_t s = 0;
            for (int64_t p = 0; p < k; ++p) {
                const int64_t x = trans_a ? a[p * m + i] : a[i * k + p];
                const int64_t y = trans_b ? b[j * k + p] : b[p * n + j];
                s += x * y;
            }
            c[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]);
        }
    }
}

// The one place tapegrad changes OpenBLAS's (process-wide) thread count: when asked, once
// (set_num_threads), never per product: openblas_set_num_threads is not safe while another
// thread multiplies.
void set_blas_threads(int n) {
    if (n < 1) {
        throw std::invalid_argument("set_num_threads: expected at least 1 thread, got " +
                                    std::to_string(n));
    }
    openblas_set_num_threads(n);
}
int blas_threads() {
    return openblas_get_num_threads();
}

}  // namespace kernels
}  // namespace tapegrad
