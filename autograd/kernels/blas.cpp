#include "autograd/kernels/blas.hpp"

#include <cblas.h>

#include <algorithm>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "autograd/ops.hpp"
#include "autograd/parallel.hpp"

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
// An empty inner dimension leaves C = beta * C (BLAS rejects a leading dimension of 0); C is
// [m, n] with row stride ldc.
template <class T>
void scale(T* c, int64_t m, int64_t n, int64_t ldc, T beta) {
    for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < n; ++j) c[r * ldc + j] = beta == 0 ? T(0) : beta * c[r * ldc + j];
}

// Shapes where sgemm/dgemm waste passes over memory, handled first; false when none applies.
// - k = 1, beta = 0: C is an outer product. gemm would zero C, pack, then read and write it
//   again; one loop writes it once, with the same value alpha * (a_i * b_j).
// - m = 1 or n = 1: a matrix-vector product. gemm packs the whole matrix before using it once
//   (a batch-1 Linear); gemv reads it once. The summation order differs from gemm's.
// A is stored row-major as [m, k] (or [k, m] when trans_a) with row stride lda; B likewise; C is
// [m, n] with row stride ldc.
template <class T, class Gemv>
bool gemm_special(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc, Gemv gemv) {
    const auto i = [](int64_t v) { return static_cast<int>(v); };
    if (k == 1 && beta == 0) {
        const int64_t sa = trans_a ? 1 : lda, sb = trans_b ? ldb : 1;  // steps along m and n
        for (int64_t r = 0; r < m; ++r) {
            const T ar = a[r * sa];
            T* cr = c + r * ldc;
            for (int64_t j = 0; j < n; ++j) cr[j] = alpha * (ar * b[j * sb]);
        }
        return true;
    }
    if (m != 1 && n != 1) return false;
    if (beta == 0) {  // BLAS may read C when beta = 0 (0 * NaN); it is uninitialised here
        scale(c, m, n, ldc, T(0));
        beta = T(1);
    }
    if (m == 1) {  // c[n] = alpha * op(B)^T a + beta * c; a's k elements step by inc_a
        const int64_t inc_a = trans_a ? lda : 1;
        if (trans_b)
            gemv(CblasRowMajor, CblasNoTrans, i(n), i(k), alpha, b, i(ldb), a, i(inc_a), beta, c,
                 1);
        else
            gemv(CblasRowMajor, CblasTrans, i(k), i(n), alpha, b, i(ldb), a, i(inc_a), beta, c, 1);
    } else {  // n = 1: c[m] (step ldc) = alpha * op(A) b + beta * c; b's elements step by inc_b
        const int64_t inc_b = trans_b ? 1 : ldb;
        if (trans_a)
            gemv(CblasRowMajor, CblasTrans, i(k), i(m), alpha, a, i(lda), b, i(inc_b), beta, c,
                 i(ldc));
        else
            gemv(CblasRowMajor, CblasNoTrans, i(m), i(k), alpha, a, i(lda), b, i(inc_b), beta, c,
                 i(ldc));
    }
    return true;
}
}  // namespace

namespace {
// The float and double gemm, given CBLAS's routines of that precision (?gemm and ?gemv).
template <class T, class Gemm, class Gemv>
void gemm_with(Gemm cblas_gemm, Gemv cblas_gemv, bool trans_a, bool trans_b, int64_t m, int64_t n,
               int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
               int64_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) return scale(c, m, n, ldc, beta);
    if (gemm_special(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, cblas_gemv))
        return;
    cblas_gemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<int>(m),
               static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
               static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

// OpenBLAS's AVX-512 cores (SkylakeX, Cooperlake, SapphireRapids) run an sgemm with
// m * n * k <= 1e6 through a "small matrix" kernel that reads B where it lies, on the calling
// thread; a larger one first packs all of B. A few rows against a large B (a Linear at batch
// 16) then pay more for the packing than for the product. With AVX2 kernels
// (OPENBLAS_CORETYPE=Haswell) there is no such kernel, nor for A^T B^T.
constexpr int64_t kSmall = 1000000, kMaxCalls = 4;
bool small_kernel(bool trans_a, bool trans_b) {
    static const bool avx512 = [] {
        const std::string core = openblas_get_corename();
        return core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids";
    }();
    return avx512 && !(trans_a && trans_b);
}

// One thread: a float product of a few rows runs as up to 4 calls of fewer rows, each under
// the small-matrix limit. bench/gemm_rows.cpp, 1 thread: 16 x 256 x 784 (A B^T) 104 -> 62 us,
// 256 x 784 x 16 (A^T B) 63 -> 43 us; at 16 calls (64 x 256 x 784) it is 1.2x slower. Not when
// OpenBLAS alone was given more threads (OPENBLAS_NUM_THREADS without set_num_threads). Returns
// the rows per call, or 0 for one call.
int64_t sgemm_rows_per_call(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k) {
    if (!small_kernel(trans_a, trans_b) || n * k == 0 || n * k > kSmall ||
        openblas_get_num_threads() > 1)
        return 0;
    const int64_t rows = kSmall / (n * k);
    const int64_t calls = (m + rows - 1) / rows;
    return calls > 1 && calls <= kMaxCalls ? rows : 0;
}

// With set_num_threads(T > 1), OpenBLAS runs on one thread and tapegrad splits a product over
// its own pool, one single-threaded call per part. Why not OpenBLAS's threads: after each
// product they spin, yielding, for ~0.1 s (its THREAD_TIMEOUT), and on a 2-core machine that
// spinning takes the core the pool needs between products; the pool's workers sleep after
// 200 us. How it is cut:
// - along the operand that is largest, so each part reads or writes its own slice of it: the
//   columns of C when B is the largest (a Linear's forward, x W^T: each thread reads its own rows
//   of W), else the rows of C (its weight gradient g^T x: each thread writes its own rows of
//   .grad). The pool's first chunk is the caller's, so the same rows of a weight stay with the
//   same core through forward, backward and an optimizer split the same way (other cores would
//   first fetch them from this one's cache);
// - float on AVX-512 cores: into parts under the small-matrix limit (up to 4 per thread, a
//   multiple of 8 rows or columns where the limit allows: 9-row calls are 1.3x slower than 8);
// - otherwise, from an operand of kSplitElems elements (what the optimizer's update splits,
//   optim/detail.hpp), one part per thread: also a batch-1 forward (a matrix-vector product)
//   and its weight gradient (an outer product), so that a weight's rows stay with their core.
// bench_gemm_rows --threads 2, one call on OpenBLAS's 2 threads against the split (medians,
// quiet machine): 16 x 256 x 784 (x W^T) 61-106 -> 28-31 us, 256 x 784 x 16 (g^T x) 76-81 ->
// 35 us, 64 x 256 x 784 121-124 -> 106-111 us, W1's 64 x 128 x 784 83-84 -> 54-60 us. Values
// agree with one call to rounding, not bit for bit: the small-matrix kernel and the packed one
// add in different orders.
constexpr int64_t kSplitElems = 2 * kGrainSize, kMinPart = 16;
}  // namespace

bool split_product_run(int64_t m, int64_t n, int64_t k, bool small, ProductPartFn part,
                       const void* ctx) {
    const int threads = in_parallel_region() ? 1 : get_num_threads();  // the pool may be taken
    if (threads <= 1 || k == 0) return false;
    const bool cols = n * k > m * k && n * k >= m * n;  // B the largest operand
    const int64_t len = cols ? n : m, across = cols ? m : n;
    int64_t size = 0;
    if (small && across * k <= kSmall) {
        int64_t most = kSmall / (across * k);
        if (most >= 8) most -= most % 8;
        const int64_t parts = (len + most - 1) / most;
        if (parts >= 2 && parts <= kMaxCalls * threads) {
            size = (len + parts - 1) / parts;  // even parts, still <= most when rounded up to 8
            if (most >= 8) size = (size + 7) / 8 * 8;
        }
    }
    if (size == 0) {
        if (std::max({m * k, k * n, m * n}) < kSplitElems || len < 2 * kMinPart) return false;
        size = std::max(kMinPart, (len + threads - 1) / threads);
    }
    parallel_for(0, (len + size - 1) / size, 1, [&](int64_t first, int64_t last) {
        for (int64_t s = first * size; s < std::min(len, last * size); s += size)
            part(ctx, cols, s, std::min(size, len - s));
    });
    return true;
}

namespace {

template <class T, class Gemm, class Gemv>
bool gemm_split(Gemm cblas_gemm, Gemv cblas_gemv, bool trans_a, bool trans_b, int64_t m, int64_t n,
                int64_t k, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta,
                T* c) {
    const bool small = std::is_same<T, float>::value && small_kernel(trans_a, trans_b);
    return split_product(m, n, k, small, [&](bool cols, int64_t s, int64_t w) {
        if (cols)  // columns s.. of op(B) start at row s of B^T
            gemm_with(cblas_gemm, cblas_gemv, trans_a, trans_b, m, w, k, alpha, a, lda,
                      trans_b ? b + s * ldb : b + s, ldb, beta, c + s, n);
        else  // rows s.. of op(A) start at column s of A^T
            gemm_with(cblas_gemm, cblas_gemv, trans_a, trans_b, w, n, k, alpha,
                      trans_a ? a + s : a + s * lda, lda, b, ldb, beta, c + s * n, n);
    });
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c) {
    if (gemm_split(cblas_sgemm, cblas_sgemv, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
                   c))
        return;
    if (const int64_t rows = sgemm_rows_per_call(trans_a, trans_b, m, n, k)) {
        for (int64_t r = 0; r < m; r += rows) {  // rows r.. of op(A) start at column r of A^T
            gemm_with(cblas_sgemm, cblas_sgemv, trans_a, trans_b, std::min(rows, m - r), n, k,
                      alpha, trans_a ? a + r : a + r * lda, lda, b, ldb, beta, c + r * n, n);
        }
        return;
    }
    gemm_with(cblas_sgemm, cblas_sgemv, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
              n);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c) {
    if (gemm_split(cblas_dgemm, cblas_dgemv, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
                   c))
        return;
    gemm_with(cblas_dgemm, cblas_dgemv, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
              n);
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
// thread multiplies. OpenBLAS gets one thread: tapegrad's pool of n splits the products
// (gemm_split), so no OpenBLAS worker spins on a core the pool needs.
void set_blas_threads(int n) {
    if (n < 1) {
        throw std::invalid_argument("set_num_threads: expected at least 1 thread, got " +
                                    std::to_string(n));
    }
    openblas_set_num_threads(1);
}
int blas_threads() {
    return openblas_get_num_threads();
}

}  // namespace kernels
}  // namespace tapegrad
