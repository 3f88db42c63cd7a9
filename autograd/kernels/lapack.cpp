// LAPACK through xtensor-blas. Each matrix of a batch is copied into an xtensor container in
// column-major layout (what LAPACK reads), factorized by xtensor-blas's wrappers
// (xt::lapack::getrf, gesv, potr, syevd, gesdd, gelsd, and xt::linalg::qr), and the results
// are copied back row-major. The copies cost O(n^2) against the O(n^3) factorization.

#include "autograd/kernels/lapack.hpp"

// xt.hpp comes before any xtensor header: it sets their allocator
// clang-format off
#include "autograd/kernels/xt.hpp"
#include <xtensor/xtensor.hpp>
#include <xtensor-blas/xlinalg.hpp>
// clang-format on

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace tapegrad {
namespace kernels {

namespace {

template <class T>
using ColMatrix = xt::xtensor<T, 2, xt::layout_type::column_major>;
template <class T>
using ColVector = xt::xtensor<T, 1, xt::layout_type::column_major>;

std::array<std::size_t, 2> shape2(int64_t rows, int64_t cols) {
    return {static_cast<std::size_t>(rows), static_cast<std::size_t>(cols)};
}

// LAPACK indexes with 32-bit ints (xt::blas_index_t): larger matrices are refused, not wrapped.
void check_lapack_dims(const char* what, std::initializer_list<int64_t> dims) {
    for (int64_t d : dims) {
        if (d > INT_MAX) {
            throw std::invalid_argument(std::string(what) + ": a matrix dimension of " +
                                        std::to_string(d) + " exceeds LAPACK's 32-bit index");
        }
    }
}

// The row-major [rows, cols] matrix at p, copied into the column-major layout LAPACK reads.
template <class T>
ColMatrix<T> load(const T* p, int64_t rows, int64_t cols) {
    return ColMatrix<T>(xt::adapt(p, static_cast<std::size_t>(rows * cols), xt::no_ownership(),
                                  shape2(rows, cols)));
}

// Copies m (any layout) into the row-major [rows, cols] matrix at p.
template <class T, class E>
void store(const E& m, T* p, int64_t rows, int64_t cols) {
    auto out =
        xt::adapt(p, static_cast<std::size_t>(rows * cols), xt::no_ownership(), shape2(rows, cols));
    out = m;
}

// True when one of the n values at p is a NaN or an infinity: the SVD-based routines are not
// given those (gelsd's scaling reports them as illegal arguments on stdout).
template <class T>
bool has_non_finite(const T* p, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) return true;
    return false;
}

// Identity matrices (the orthogonal factor of an empty matrix).
template <class T>
void set_identity(T* p, int64_t batch, int64_t n) {
    std::fill(p, p + batch * n * n, T(0));
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 0; i < n; ++i) p[b * n * n + i * n + i] = T(1);
}

}  // namespace

template <class T>
LapackStatus lu_inverse(const T* a, T* inv, int64_t batch, int64_t n) {
    check_lapack_dims("lu_inverse", {n});
    if (n == 0) return {};
    for (int64_t b = 0; b < batch; ++b) {
        ColMatrix<T> m = load(a + b * n * n, n, n);
        xt::uvector<xt::blas_index_t> piv(static_cast<std::size_t>(n));
        int info = xt::lapack::getrf(m, piv);
        if (info == 0) info = xt::lapack::getri(m, piv);
        if (info != 0) return {b, info};
        store(m, inv + b * n * n, n, n);
    }
    return {};
}

template <class T>
void lu_slogdet(const T* a, T* sign, T* logabs, T* det, int64_t batch, int64_t n) {
    check_lapack_dims("lu_slogdet", {n});
    for (int64_t b = 0; b < batch; ++b) {
        if (n == 0) {  // the empty product
            sign[b] = T(1);
            logabs[b] = T(0);
        } else {
            // LU: det = (-1)^(row swaps) * prod(diag U)
            ColMatrix<T> m = load(a + b * n * n, n, n);
            xt::uvector<xt::blas_index_t> piv(static_cast<std::size_t>(n));
            const bool singular = xt::lapack::getrf(m, piv) > 0;  // a zero on U's diagonal
            bool negative = false;
            T log_sum = T(0);
            for (int64_t i = 0; i < n && !singular; ++i) {
                const T u = m(static_cast<std::size_t>(i), static_cast<std::size_t>(i));
                if (piv[static_cast<std::size_t>(i)] != i + 1) negative = !negative;
                if (u < T(0)) negative = !negative;
                log_sum += std::log(std::abs(u));
            }
            sign[b] = singular ? T(0) : (negative ? T(-1) : T(1));
            logabs[b] = singular ? -std::numeric_limits<T>::infinity() : log_sum;
        }
        if (det) det[b] = sign[b] == T(0) ? T(0) : sign[b] * std::exp(logabs[b]);
    }
}

template <class T>
LapackStatus lu_solve(const T* a, const T* rhs, T* x, int64_t batch, int64_t n, int64_t k) {
    check_lapack_dims("lu_solve", {n, k});
    if (n == 0 || k == 0) return {};
    for (int64_t b = 0; b < batch; ++b) {
        ColMatrix<T> m = load(a + b * n * n, n, n);
        ColMatrix<T> r = load(rhs + b * n * k, n, k);
        const int info = xt::lapack::gesv(m, r);
        if (info != 0) return {b, info};
        store(r, x + b * n * k, n, k);
    }
    return {};
}

template <class T>
LapackStatus cholesky(const T* a, T* out, int64_t batch, int64_t n, bool upper) {
    check_lapack_dims("cholesky", {n});
    for (int64_t b = 0; b < batch; ++b) {
        ColMatrix<T> m = load(a + b * n * n, n, n);
        const int info = xt::lapack::potr(m, upper ? 'U' : 'L');
        if (info != 0) return {b, info};
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)  // zero the unread triangle
            for (std::size_t j = 0; j < i; ++j) (upper ? m(i, j) : m(j, i)) = T(0);
        store(m, out + b * n * n, n, n);
    }
    return {};
}

template <class T>
void qr(const T* a, T* q, T* r, int64_t batch, int64_t m, int64_t n, QrMode mode) {
    check_lapack_dims("qr", {m, n});
    const int64_t k = std::min(m, n);
    const int64_t qcols = mode == QrMode::complete ? m : k;
    const int64_t rrows = mode == QrMode::complete ? m : k;
    if (k == 0) {  // an empty matrix: Q is the identity (complete) or has no columns, R is empty
        if (mode == QrMode::complete) set_identity(q, batch, m);
        std::fill(r, r + batch * rrows * n, T(0));
        return;
    }
    const xt::linalg::qrmode xmode = mode == QrMode::reduced    ? xt::linalg::qrmode::reduced
                                     : mode == QrMode::complete ? xt::linalg::qrmode::complete
                                                                : xt::linalg::qrmode::r;
    for (int64_t b = 0; b < batch; ++b) {
        const ColMatrix<T> in = load(a + b * m * n, m, n);
        const auto qr_pair = xt::linalg::qr(in, xmode);  // (Q, R) as column-major xarrays
        if (mode != QrMode::r_only) store(std::get<0>(qr_pair), q + b * m * qcols, m, qcols);
        store(std::get<1>(qr_pair), r + b * rrows * n, rrows, n);
    }
}

template <class T>
LapackStatus eigh(const T* a, T* w, T* v, int64_t batch, int64_t n, bool upper) {
    check_lapack_dims("eigh", {n});
    if (n == 0) return {};
    for (int64_t b = 0; b < batch; ++b) {
        ColMatrix<T> m = load(a + b * n * n, n, n);
        ColVector<T> values = ColVector<T>::from_shape({static_cast<std::size_t>(n)});
        const int info = xt::lapack::syevd(m, v ? 'V' : 'N', upper ? 'U' : 'L', values);
        if (info != 0) return {b, info};
        std::copy(values.begin(), values.end(), w + b * n);
        if (v) store(m, v + b * n * n, n, n);  // syevd leaves the eigenvectors in m's columns
    }
    return {};
}

template <class T>
LapackStatus svd(const T* a, T* u, T* s, T* vh, int64_t batch, int64_t m, int64_t n, bool full) {
    check_lapack_dims("svd", {m, n});
    const int64_t k = std::min(m, n);
    const bool vectors = u != nullptr;
    const int64_t ucols = full ? m : k, vrows = full ? n : k;
    if (k == 0) {  // no singular values; the full orthogonal factors are identities
        if (vectors && full) {
            set_identity(u, batch, m);
            set_identity(vh, batch, n);
        }
        return {};
    }
    const char job = !vectors ? 'N' : (full ? 'A' : 'S');
    for (int64_t b = 0; b < batch; ++b) {
        if (has_non_finite(a + b * m * n, m * n)) return {b, 0, true};
        ColMatrix<T> in = load(a + b * m * n, m, n);
        const auto result = xt::lapack::gesdd(in, job);  // (info, U, S, Vt)
        if (std::get<0>(result) != 0) return {b, std::get<0>(result)};
        const auto& values = std::get<2>(result);
        std::copy(values.begin(), values.begin() + k, s + b * k);
        if (vectors) {
            store(std::get<1>(result), u + b * m * ucols, m, ucols);
            store(std::get<3>(result), vh + b * vrows * n, vrows, n);
        }
    }
    return {};
}

template <class T>
LapackStatus lstsq(const T* a, const T* rhs, T* x, T* s, int64_t* rank, T* res, int64_t batch,
                   int64_t m, int64_t n, int64_t k, double rcond) {
    check_lapack_dims("lstsq", {m, n, k});
    const int64_t rows = std::max(m, n), p = std::min(m, n);
    for (int64_t b = 0; b < batch; ++b) {
        T* xb = x + b * n * k;
        if (p == 0 || k == 0) {  // nothing to fit: the minimum-norm solution is zero
            std::fill(xb, xb + n * k, T(0));
            rank[b] = 0;
            for (int64_t j = 0; m > n && j < k; ++j) {
                T sum = T(0);
                for (int64_t i = 0; i < m; ++i)
                    sum += rhs[b * m * k + i * k + j] * rhs[b * m * k + i * k + j];
                res[b * k + j] = sum;
            }
            continue;
        }
        if (has_non_finite(a + b * m * n, m * n) || has_non_finite(rhs + b * m * k, m * k))
            return {b, 0, true};
        ColMatrix<T> am = load(a + b * m * n, m, n);
        // gelsd reads b from the first m rows and returns x in the first n: room for both
        ColMatrix<T> bm = ColMatrix<T>::from_shape(shape2(rows, k));
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < k; ++j)
                bm(static_cast<std::size_t>(i), static_cast<std::size_t>(j)) =
                    rhs[b * m * k + i * k + j];
        ColVector<T> sv = ColVector<T>::from_shape({static_cast<std::size_t>(p)});
        xt::blas_index_t r = 0;
        const int info = xt::lapack::gelsd(am, bm, sv, r, rcond);
        if (info != 0) return {b, info};
        rank[b] = r;
        std::copy(sv.begin(), sv.end(), s + b * p);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < k; ++j)
                xb[i * k + j] = bm(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
        for (int64_t j = 0; m > n && j < k; ++j) {  // rows n..m of b hold the residual parts
            T sum = T(0);
            for (int64_t i = n; i < m; ++i) {
                const T e = bm(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
                sum += e * e;
            }
            res[b * k + j] = sum;
        }
    }
    return {};
}

#define TAPEGRAD_LAPACK_INSTANTIATE(T)                                                         \
    template LapackStatus lu_inverse<T>(const T*, T*, int64_t, int64_t);                       \
    template void lu_slogdet<T>(const T*, T*, T*, T*, int64_t, int64_t);                       \
    template LapackStatus lu_solve<T>(const T*, const T*, T*, int64_t, int64_t, int64_t);      \
    template LapackStatus cholesky<T>(const T*, T*, int64_t, int64_t, bool);                   \
    template void qr<T>(const T*, T*, T*, int64_t, int64_t, int64_t, QrMode);                  \
    template LapackStatus eigh<T>(const T*, T*, T*, int64_t, int64_t, bool);                   \
    template LapackStatus svd<T>(const T*, T*, T*, T*, int64_t, int64_t, int64_t, bool);       \
    template LapackStatus lstsq<T>(const T*, const T*, T*, T*, int64_t*, T*, int64_t, int64_t, \
                                   int64_t, int64_t, double);
TAPEGRAD_LAPACK_INSTANTIATE(float)
TAPEGRAD_LAPACK_INSTANTIATE(double)
#undef TAPEGRAD_LAPACK_INSTANTIATE

}  // namespace kernels
}  // namespace tapegrad
