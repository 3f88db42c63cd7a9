#include "autograd/kernels/blas.hpp"

#include <cblas.h>

namespace tapegrad {
namespace kernels {

namespace {
// Leading dimension of a row-major operand as stored (before the transpose flag applies).
int ld(bool trans, int64_t rows, int64_t cols) { return static_cast<int>(trans ? rows : cols); }
CBLAS_TRANSPOSE flag(bool trans) { return trans ? CblasTrans : CblasNoTrans; }
// An empty inner dimension leaves C = beta * C (BLAS rejects a leading dimension of 0).
template <class T>
void scale(T* c, int64_t n, T beta) {
    for (int64_t i = 0; i < n; ++i) c[i] = beta == 0 ? T(0) : beta * c[i];
}
}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, const float* b, float beta, float* c) {
    if (m == 0 || n == 0) return;
    if (k == 0) return scale(c, m * n, beta);
    cblas_sgemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), alpha, a, ld(trans_a, m, k), b,
                ld(trans_b, k, n), beta, c, static_cast<int>(n));
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, const double* b, double beta, double* c) {
    if (m == 0 || n == 0) return;
    if (k == 0) return scale(c, m * n, beta);
    cblas_dgemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<int>(m),
                static_cast<int>(n), static_cast<int>(k), alpha, a, ld(trans_a, m, k), b,
                ld(trans_b, k, n), beta, c, static_cast<int>(n));
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

void set_blas_threads(int n) { openblas_set_num_threads(n); }
int blas_threads() { return openblas_get_num_threads(); }

}  // namespace kernels
}  // namespace tapegrad
