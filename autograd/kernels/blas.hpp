#pragma once
// Matrix products through OpenBLAS. Kept in its own file: <cblas.h> clashes with other headers.

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// C[m, n] = alpha * op(A) @ op(B) + beta * C for row-major buffers; op transposes when asked.
/// A is [m, k] (or [k, m] when trans_a), B is [k, n] (or [n, k] when trans_b).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          const float* b, float beta, float* c);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, const double* b, double beta, double* c);
/// The same with explicit leading dimensions (the row stride of A and B as stored, >= their
/// stored width), so that a row-sliced or transposed view goes to BLAS without a copy.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c);
/// Integer product by plain loops (BLAS has none).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t alpha,
          const int64_t* a, const int64_t* b, int64_t beta, int64_t* c);

/// split_product's untyped side: fn(ctx, cols, s, w) for each part.
using ProductPartFn = void (*)(const void* ctx, bool cols, int64_t s, int64_t w);
bool split_product_run(int64_t m, int64_t n, int64_t k, bool small, ProductPartFn fn,
                       const void* ctx);

/// Cuts a product C[m, n] = op(A) @ op(B) (inner dimension k) over tapegrad's pool when
/// set_num_threads gave it more than one thread and the product is large enough (the rule is in
/// blas.cpp): part(cols, s, w) then runs on the pool for the columns (cols) or else the rows
/// s .. s + w of C, and split_product returns true; false, having run nothing, when the product
/// should stay one call. small: the float small-matrix kernel applies, so parts may be smaller.
/// A template over `part`, as parallel_for: no std::function to build (and allocate) per product.
template <class F>
bool split_product(int64_t m, int64_t n, int64_t k, bool small, const F& part) {
    return split_product_run(
        m, n, k, small,
        [](const void* ctx, bool cols, int64_t s, int64_t w) {
            (*static_cast<const F*>(ctx))(cols, s, w);
        },
        &part);
}

/// What set_num_threads(n) does to OpenBLAS: checks n >= 1 and gives OpenBLAS one thread, for
/// tapegrad's pool of n threads splits the products itself (see gemm_split in blas.cpp).
void set_blas_threads(int n);
int blas_threads();

}  // namespace kernels
}  // namespace tapegrad
