#pragma once
// LAPACK through xtensor-blas: the factorizations behind tapegrad::linalg. No graph code here.
//
// Every function takes `batch` row-major matrices stored back to back (a contiguous
// [batch, rows, cols] buffer) and writes its results the same way. xtensor-blas copies each
// matrix into the column-major layout LAPACK reads; lapack.cpp is the only file that includes
// it (its headers clash with <cblas.h>, see TOOLCHAIN.md).

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// How a batched LAPACK call went: `item` is the index of the first matrix LAPACK refused (-1
/// when none did) and `info` LAPACK's code for it (e.g. the 1-based index of a zero pivot).
struct LapackStatus {
    int64_t item = -1;
    int64_t info = 0;
    bool non_finite = false;  // refused before LAPACK: the matrix holds a NaN or an infinity
    bool ok() const { return item < 0; }
};

/// inv[b] = a[b]^-1 for [n, n] matrices (LU with partial pivoting: getrf + getri). Fails where
/// U has an exact zero on its diagonal (info: its 1-based index).
template <class T>
LapackStatus lu_inverse(const T* a, T* inv, int64_t batch, int64_t n);

/// sign[b] and logabs[b] such that det(a[b]) = sign * exp(logabs); a singular matrix gives
/// sign 0 and logabs -inf. det[b] itself when `det` is not null.
template <class T>
void lu_slogdet(const T* a, T* sign, T* logabs, T* det, int64_t batch, int64_t n);

/// x[b] = a[b]^-1 b[b] for a: [n, n], b and x: [n, k] (gesv). Fails on a singular a[b].
template <class T>
LapackStatus lu_solve(const T* a, const T* b, T* x, int64_t batch, int64_t n, int64_t k);

/// The Cholesky factor of a: [n, n] reading one triangle (potrf): lower L with a = L L^T, or
/// upper U with a = U^T U; the other triangle is zeroed. Fails when a leading minor is not
/// positive-definite (info: its order).
template <class T>
LapackStatus cholesky(const T* a, T* out, int64_t batch, int64_t n, bool upper);

/// What qr returns: `reduced` Q [m, k], R [k, n]; `complete` Q [m, m], R [m, n]; `r_only`
/// R [k, n] and no Q (k = min(m, n)).
enum class QrMode { reduced, complete, r_only };

/// a = Q R with Q's columns orthonormal and R upper triangular (geqrf + orgqr, Householder).
/// `q` is not written for r_only.
template <class T>
void qr(const T* a, T* q, T* r, int64_t batch, int64_t m, int64_t n, QrMode mode);

/// Eigenvalues w [n] (ascending) and, when v is not null, orthonormal eigenvectors v [n, n]
/// (columns) of the symmetric matrix whose `upper` or lower triangle is stored in a (syevd).
/// Fails when the algorithm does not converge.
template <class T>
LapackStatus eigh(const T* a, T* w, T* v, int64_t batch, int64_t n, bool upper);

/// a = u diag(s) vh with s [k] descending (gesdd). With `full`, u is [m, m] and vh [n, n],
/// else [m, k] and [k, n]; u and vh null: singular values only. Fails without convergence, or
/// (non_finite) on a matrix holding a NaN or an infinity.
template <class T>
LapackStatus svd(const T* a, T* u, T* s, T* vh, int64_t batch, int64_t m, int64_t n, bool full);

/// Minimum-norm least-squares solutions x [n, k] of a [m, n] x = b [m, k] through the SVD
/// (gelsd), singular values below rcond * s_max counting as zero: rank[b], the singular values
/// s [min(m, n)], and for m > n the residual sums of squares res [k] (else untouched).
/// Fails when the SVD does not converge, or (non_finite) on a NaN or an infinity in a or b.
template <class T>
LapackStatus lstsq(const T* a, const T* b, T* x, T* s, int64_t* rank, T* res, int64_t batch,
                   int64_t m, int64_t n, int64_t k, double rcond);

}  // namespace kernels
}  // namespace tapegrad
