#pragma once
// tapegrad::linalg: LibTorch's torch::linalg for float32 and float64 matrices, batched over
// leading dims ([..., m, n]), each op differentiable (twice, where LibTorch is). Computed by
// LAPACK through xtensor-blas (autograd/kernels/lapack.cpp); the forward, backward and math of
// each op are in autograd/ops/linalg_solve.cpp, linalg_decomp.cpp and linalg_norm.cpp.
//
// Where LibTorch 1.13's C++ functions take every argument, these give Python's defaults, so
// calls written for LibTorch compile unchanged and shorter calls work too. Strings are
// LibTorch's: qr modes "reduced", "complete", "r"; eigh's uplo "L" or "U"; matrix norms "fro",
// "nuc". Integer inputs are refused (std::invalid_argument), as in LibTorch.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace linalg {

/// Raised when a matrix cannot be factorized (singular for inv and solve, not
/// positive-definite for cholesky, no convergence), naming the op and the batch element; LibTorch's
/// torch::linalg::LinAlgError. Bad shapes and dtypes raise std::invalid_argument instead.
class LinAlgError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// ---- inverses and systems (ops/linalg_solve.cpp) -----------------------------------------------
/// A^-1 for A [..., n, n]; raises LinAlgError for a singular matrix.
Tensor inv(const Tensor& A);
/// det(A) for A [..., n, n] -> [...]; differentiable at singular matrices too.
Tensor det(const Tensor& A);
/// (sign, log|det A|) for A [..., n, n], each [...]; a singular A gives (0, -inf).
std::tuple<Tensor, Tensor> slogdet(const Tensor& A);
/// X with A X = B (left) or X A = B; A [..., n, n], B [..., n, k] or a batch of vectors
/// [..., n] (B's dims are then A's minus the last), batch dims broadcast.
Tensor solve(const Tensor& A, const Tensor& B, bool left = true);
/// The Cholesky factor of a symmetric positive-definite A [..., n, n]: lower L with A = L L^T,
/// or upper U with A = U^T U; reads one triangle of A. Raises LinAlgError when A is not
/// positive-definite.
Tensor cholesky(const Tensor& A, bool upper = false);
/// (solution [..., n, k], residuals, rank, singular_values) of min ||A X - B|| for
/// A [..., m, n], B [..., m, k] (or [..., m]), batch dims broadcast; the minimum-norm solution
/// when A is rank-deficient, singular values <= rcond * max counting as zero (rcond default:
/// eps * max(m, n)). The driver ("gelsy", the default, "gelsd", "gelss", "gels") chooses which
/// outputs are filled, as in LibTorch: residuals [..., k] (the squared norms of A X - B's
/// columns) when m > n and A has full rank, except for gelsy; rank (int64) except for gels;
/// singular values for gelsd and gelss; the others are empty. Every driver computes with
/// LAPACK's gelsd. Only the solution is differentiable.
std::tuple<Tensor, Tensor, Tensor, Tensor> lstsq(
    const Tensor& A, const Tensor& B, std::optional<double> rcond = std::nullopt,
    std::optional<std::string_view> driver = std::nullopt);
/// The Moore-Penrose pseudo-inverse [..., n, m] of A [..., m, n], from its SVD (or, when
/// `hermitian`, from eigh of its lower triangle); singular values <= rcond * max are dropped.
Tensor pinv(const Tensor& A, double rcond = 1e-15, bool hermitian = false);

// ---- decompositions (ops/linalg_decomp.cpp) ----------------------------------------------------
/// (Q, R) with A = Q R for A [..., m, n]: "reduced" Q [..., m, k], R [..., k, n] (k = min(m, n));
/// "complete" Q [..., m, m], R [..., m, n]; "r" an empty Q and R [..., k, n].
std::tuple<Tensor, Tensor> qr(const Tensor& A, std::string_view mode = "reduced");
/// (eigenvalues [..., n] ascending, eigenvectors [..., n, n] as columns) of the symmetric matrix
/// whose lower ("L") or upper ("U") triangle A holds.
std::tuple<Tensor, Tensor> eigh(const Tensor& A, std::string_view uplo = "L");
/// The eigenvalues of eigh, [..., n].
Tensor eigvalsh(const Tensor& A, std::string_view uplo = "L");
/// (U, S, Vh) with A = U diag(S) Vh for A [..., m, n], S [..., k] descending (k = min(m, n));
/// U [..., m, m] and Vh [..., n, n] when full_matrices, else [..., m, k] and [..., k, n]. The
/// driver is for CUDA in LibTorch: only std::nullopt is accepted.
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool full_matrices = true,
                                       std::optional<std::string_view> driver = std::nullopt);
/// The singular values of svd, [..., k].
Tensor svdvals(const Tensor& A, std::optional<std::string_view> driver = std::nullopt);

// ---- norms (ops/linalg_norm.cpp) ----------------------------------------------------------------
/// (sum |x|^ord)^(1/ord) over `dim` (all dims when absent or empty): ord inf is max |x|, -inf
/// min |x|, 0 the count of non-zeros. `dtype` computes in a wider floating type.
Tensor vector_norm(const Tensor& x, Scalar ord = 2, std::optional<IntArrayRef> dim = std::nullopt,
                   bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
/// A string order is a matrix norm: use matrix_norm (refused here so that "fro" cannot turn
/// into a number).
template <std::size_t N>
Tensor vector_norm(const Tensor& x, const char (&ord)[N],
                   std::optional<IntArrayRef> dim = std::nullopt, bool keepdim = false,
                   std::optional<ScalarType> dtype = std::nullopt) = delete;
/// The matrix norm of A over dims `dim` (default the last two): ord 1 / -1 the max / min column
/// sum of |a_ij|, inf / -inf the max / min row sum, 2 / -2 the largest / smallest singular value.
Tensor matrix_norm(const Tensor& A, const Scalar& ord, IntArrayRef dim = {-2, -1},
                   bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
/// "fro" (Frobenius) or "nuc" (the sum of the singular values).
Tensor matrix_norm(const Tensor& A, std::string ord = "fro", IntArrayRef dim = {-2, -1},
                   bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
template <std::size_t N>
Tensor matrix_norm(const Tensor& A, const char (&ord)[N], IntArrayRef dim = {-2, -1},
                   bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt) {
    return matrix_norm(A, std::string(ord), dim, keepdim, dtype);
}
/// LibTorch's linalg.norm: a vector norm over one dim, a matrix norm over two; without `dim`,
/// the 2-norm of all elements (no `ord`) or the vector / matrix norm of a 1-D / 2-D input.
Tensor norm(const Tensor& x, const std::optional<Scalar>& ord = std::nullopt,
            std::optional<IntArrayRef> dim = std::nullopt, bool keepdim = false,
            std::optional<ScalarType> dtype = std::nullopt);
/// A matrix norm named by a string ("fro", "nuc") over the two dims `dim`.
Tensor norm(const Tensor& x, std::string ord, std::optional<IntArrayRef> dim = std::nullopt,
            bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
template <std::size_t N>
Tensor norm(const Tensor& x, const char (&ord)[N], std::optional<IntArrayRef> dim = std::nullopt,
            bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt) {
    return norm(x, std::string(ord), dim, keepdim, dtype);
}

}  // namespace linalg
}  // namespace tapegrad
