// Inverses, determinants and linear systems: linalg::inv, det, slogdet, solve, cholesky,
// lstsq, pinv. Each forward calls LAPACK (kernels/lapack.cpp) on [..., m, n] batches; each
// backward is written with tapegrad ops, so that it can be differentiated again.

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/linalg.hpp"
#include "autograd/ops/linalg_util.hpp"

namespace tapegrad {
namespace linalg {

namespace {

// dtype's machine epsilon, the unit of LibTorch's default tolerances
double eps_of(ScalarType dtype) {
    return dtype == kFloat64 ? std::numeric_limits<double>::epsilon()
                             : static_cast<double>(std::numeric_limits<float>::epsilon());
}

// A new tensor of A's shape holding kernel(a, out, batch, n) over A's square matrices, a
// failure raised as LinAlgError (detail::check_status with `what`).
template <class Kernel>
Tensor per_matrix(const char* op, const Tensor& A, Kernel kernel,
                  const std::function<std::string(int64_t)>& what) {
    const Tensor a = dense(A);
    Tensor out = make_tensor(A.sizes(), A.dtype());
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        detail::check_status(
            op, A, kernel(a.data_ptr<T>(), out.data_ptr<T>(), detail::batch_count(A), A.size(-1)),
            what);
    });
    return out;
}

std::string singular_pivot(int64_t info) {
    return "The diagonal element " + std::to_string(info) +
           " is zero, the inversion could not be completed because the input matrix is singular.";
}

// X = A^-1 B                                    A: [..., n, n], B: [..., n, k], same batch dims
// grad_B = A^-T grad_out, grad_A = -grad_B X^T
Tensor solve_same_batch(const Tensor& A, const Tensor& B) {
    const int64_t n = A.size(-1), k = B.size(-1);
    const Tensor a = dense(A), b = dense(B);
    Tensor X = make_tensor(B.sizes(), B.dtype());
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        const kernels::LapackStatus status = kernels::lu_solve(
            a.data_ptr<T>(), b.data_ptr<T>(), X.data_ptr<T>(), detail::batch_count(A), n, k);
        detail::check_status("linalg.solve", A, status, [](int64_t) {
            return std::string("The solver failed because the input matrix is singular.");
        });
    });
    return autograd::record(
        "linalg_solve", X, {A, B},
        [A](const Tensor& grad_out, const Tensor& X) {
            const Tensor grad_B = solve_same_batch(mT(A), grad_out);
            return Grads{A.requires_grad() ? -batched_mm(grad_B, mT(X)) : Tensor(), grad_B};
        },
        "grad_B = A^-T grad_out, grad_A = -grad_B X^T", /*saved: A*/ 1u);
}

// A X = B for A [..., n, n] and B [..., n, k] whose batch dims broadcast
Tensor solve_broadcast(const Tensor& A, const Tensor& B) {
    const std::vector<int64_t> batch = detail::broadcast_batch("linalg.solve", A, B);
    const int64_t n = A.size(-1);
    return solve_same_batch(A.expand(detail::with_batch(batch, {n, n})),
                            B.expand(detail::with_batch(batch, {n, B.size(-1)})));
}

// The cofactor matrix cof(A) = d det(A) / dA, defined for singular A too, from the SVD
// A = U diag(s) Vh: cof(A) = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh.
Tensor cofactor(const Tensor& A) {
    const auto [U, S, Vh] = svd(A, /*full_matrices=*/false);
    Tensor signs;  // det(U) det(Vh) is +-1: piecewise constant, no gradient
    {
        NoGradGuard no_grad;
        signs = det(U.detach()) * det(Vh.detach());
    }
    const int64_t n = S.size(-1);
    std::vector<Tensor> products;  // prod_{j != i} s_j for each i, without dividing by s_i = 0
    for (int64_t i = 0; i < n; ++i) {
        Tensor p = ones_like(S.select(-1, 0));
        for (int64_t j = 0; j < n; ++j)
            if (j != i) p = p * S.select(-1, j);
        products.push_back(p);
    }
    const Tensor scale = stack(products, -1) * signs.unsqueeze(-1);  // [..., n]
    return batched_mm(U * scale.unsqueeze(-2), Vh);
}

// d det(A) / dA scaled by grad_out: grad_out d A^-T where d != 0, grad_out cof(A) where A is
// singular (exactly 0 determinant: a mask per batch element).
Tensor det_backward(const Tensor& grad_out, const Tensor& d, const Tensor& A) {
    const Tensor singular = eq(d.detach(), 0.0).unsqueeze(-1).unsqueeze(-1);
    const int64_t count = singular.to(kInt64).sum().item<int64_t>();
    const Tensor g = grad_out.unsqueeze(-1).unsqueeze(-1);
    if (count == 0) return g * d.unsqueeze(-1).unsqueeze(-1) * mT(inv(A));
    const Tensor from_cofactor = g * cofactor(A);
    if (count == singular.numel()) return from_cofactor;
    // invert only the invertible ones (the identity stands in for the others)
    const Tensor A_safe = where(singular, detail::eye_of(A.size(-1), A.dtype()), A);
    return where(singular, from_cofactor, g * d.unsqueeze(-1).unsqueeze(-1) * mT(inv(A_safe)));
}

// The gradient of P = A^+ (constant rank), from d(A^+) = -P dA P + P P^T dA^T (I - A P)
// + (I - P A) dA^T P^T P:
// grad_A = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)
Tensor pinv_backward(const Tensor& G, const Tensor& P, const Tensor& A) {
    const Tensor Pt = mT(P), Gt = mT(G);
    const Tensor first = -batched_mm(batched_mm(Pt, G), Pt);
    const Tensor GtPPt = batched_mm(Gt, batched_mm(P, Pt));
    const Tensor second = GtPPt - batched_mm(A, batched_mm(P, GtPPt));
    const Tensor PtPGt = batched_mm(batched_mm(Pt, P), Gt);
    const Tensor third = PtPGt - batched_mm(batched_mm(PtPGt, P), A);
    return first + second + third;
}

}  // namespace

// X = A^-1                                      A: [..., n, n]
// grad_A = -X^T grad_out X^T
Tensor inv(const Tensor& A) {
    detail::check_square("linalg.inv", A);
    const Tensor X = per_matrix(
        "linalg.inv", A,
        [](auto* a, auto* x, int64_t batch, int64_t n) {
            return kernels::lu_inverse(a, x, batch, n);
        },
        singular_pivot);
    return autograd::record(
        "linalg_inv", X, {A},
        [](const Tensor& grad_out, const Tensor& X) {
            const Tensor Xt = mT(X);
            return Grads{-batched_mm(batched_mm(Xt, grad_out), Xt)};
        },
        "grad_A = -X^T grad_out X^T (X = A^-1)", autograd::kSavesNone);
}

// d = det(A) = sign exp(log|det A|) from the LU factors      A: [..., n, n] -> [...]
// grad_A = grad_out d A^-T, or grad_out cof(A) for a singular A
Tensor det(const Tensor& A) {
    detail::check_square("linalg.det", A);
    const std::vector<int64_t> batch = detail::batch_sizes(A);
    const Tensor a = dense(A);
    Tensor sign = make_tensor(batch, A.dtype()), logabs = make_tensor(batch, A.dtype());
    Tensor d = make_tensor(batch, A.dtype());
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        kernels::lu_slogdet(a.data_ptr<T>(), sign.data_ptr<T>(), logabs.data_ptr<T>(),
                            d.data_ptr<T>(), detail::batch_count(A), A.size(-1));
    });
    return autograd::record(
        "linalg_det", d, {A},
        [A](const Tensor& grad_out, const Tensor& d) {
            return Grads{det_backward(grad_out, d, A)};
        },
        "grad_A = grad_out det(A) A^-T (grad_out cof(A) where A is singular)");
}

// (sign, l) with det(A) = sign exp(l)             A: [..., n, n] -> [...], [...]
// grad_A = grad_l A^-T (the sign is piecewise constant: no gradient)
std::tuple<Tensor, Tensor> slogdet(const Tensor& A) {
    detail::check_square("linalg.slogdet", A);
    const std::vector<int64_t> batch = detail::batch_sizes(A);
    const Tensor a = dense(A);
    Tensor sign = make_tensor(batch, A.dtype()), logabs = make_tensor(batch, A.dtype());
    int64_t first_singular = -1;
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        const int64_t count = detail::batch_count(A);
        kernels::lu_slogdet(a.data_ptr<T>(), sign.data_ptr<T>(), logabs.data_ptr<T>(),
                            static_cast<T*>(nullptr), count, A.size(-1));
        for (int64_t i = 0; i < count && first_singular < 0; ++i)
            if (sign.data_ptr<T>()[i] == T(0)) first_singular = i;
    });
    logabs = autograd::record(
        "linalg_slogdet", logabs, {A},
        [A, first_singular](const Tensor& grad_out) {
            // log|det| is -inf at a singular matrix: its gradient does not exist
            detail::check_status("linalg.slogdet (backward)", A, {first_singular, 0}, [](int64_t) {
                return std::string(
                    "the matrix is singular (log|det A| = -inf), so the gradient "
                    "of log|det A| is not defined.");
            });
            return Grads{grad_out.unsqueeze(-1).unsqueeze(-1) * mT(inv(A))};
        },
        "grad_A = grad_logabsdet A^-T");
    return {sign, logabs};
}

Tensor solve(const Tensor& A, const Tensor& B, bool left) {
    detail::check_square("linalg.solve", A);
    tapegrad::detail::check_defined("linalg.solve", B, "B");
    detail::check_same_dtype("linalg.solve", A, B);
    const int64_t n = A.size(-1);
    // B is a batch of vectors when it is 1-D or has A's shape without the last dim
    const std::vector<int64_t> a_rows(A.sizes().begin(), A.sizes().end() - 1);
    const bool vector_case = B.dim() == 1 || (B.dim() == A.dim() - 1 && B.sizes() == a_rows);
    const Tensor B2 = vector_case ? B.unsqueeze(-1) : B;
    const bool fits =
        B2.dim() >= 2 && (left ? B2.size(-2) == n : (!vector_case && B2.size(-1) == n));
    if (!fits) {
        fail("linalg.solve", std::string("incompatible shapes of A and B for the equation ") +
                                 (left ? "AX = B" : "XA = B") + ": A is " + shape_str(A.sizes()) +
                                 ", B is " + shape_str(B.sizes()) +
                                 (left ? "" : " (X A = B needs B [..., k, n], not a vector)"));
    }
    // X A = B is A^T X^T = B^T
    if (!left) return mT(solve_broadcast(mT(A), mT(B2)));
    const Tensor X = solve_broadcast(A, B2);
    return vector_case ? X.squeeze(-1) : X;
}

// A = L L^T, L lower (or A = U^T U, U upper)      A: [..., n, n] symmetric positive-definite
// with P = tril(L^T grad_L): grad_A = L^-T (P + tril(P, -1)^T) / 2 L^-1 (symmetric)
Tensor cholesky(const Tensor& A, bool upper) {
    detail::check_square("linalg.cholesky", A);
    auto factor = [upper](auto* a, auto* f, int64_t batch, int64_t n) {
        return kernels::cholesky(a, f, batch, n, upper);
    };
    const Tensor F = per_matrix("linalg.cholesky", A, factor, [](int64_t info) {
        return "The factorization could not be completed because the input is not "
               "positive-definite (the leading minor of order " +
               std::to_string(info) + " is not positive-definite).";
    });
    return autograd::record(
        "linalg_cholesky", F, {A},
        [upper](const Tensor& grad_out, const Tensor& F) {
            const Tensor L = upper ? mT(F) : F, grad_L = upper ? mT(grad_out) : grad_out;
            const Tensor P = detail::tril(batched_mm(mT(L), grad_L));
            const Tensor middle = (P + mT(detail::tril(P, -1))) * 0.5;
            // L^-T middle L^-1 as two triangular solves
            return Grads{solve(L, solve(mT(L), middle), /*left=*/false)};
        },
        "P = tril(L^T grad_L); grad_A = L^-T (P + tril(P, -1)^T) / 2 L^-1", autograd::kSavesNone);
}

// P = A^+ = V diag(1/s) U^T from A = U diag(s) Vh, s <= rcond * max(s) dropped
// grad_A = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)
Tensor pinv(const Tensor& A, double rcond, bool hermitian) {
    if (hermitian)
        detail::check_square("linalg.pinv", A);
    else
        detail::check_matrix_input("linalg.pinv", A);
    const int64_t m = A.size(-2), n = A.size(-1);
    Tensor P;
    if (A.numel() == 0) {
        P = zeros(detail::with_batch(detail::batch_sizes(A), {n, m}), A.dtype());
    } else {
        NoGradGuard no_grad;
        const Tensor a = A.detach();
        // 1 / s for the values kept, 0 for the others
        auto invert_kept = [rcond](const Tensor& s, const Tensor& s_max) {
            const Tensor kept = gt(s.abs(), s_max * rcond);
            return where(kept, 1.0 / where(kept, s, ones_like(s)), zeros_like(s));
        };
        if (hermitian) {  // A = V diag(l) V^T: A^+ = V diag(1/l) V^T
            const auto [l, V] = eigh(a);
            const Tensor l_max = std::get<0>(l.abs().max(-1, /*keepdim=*/true));
            P = batched_mm(V * invert_kept(l, l_max).unsqueeze(-2), mT(V));
        } else {
            const auto [U, s, Vh] = svd(a, /*full_matrices=*/false);
            const Tensor s_max = s.narrow(-1, 0, 1);  // descending: the first is the largest
            P = batched_mm(mT(Vh) * invert_kept(s, s_max).unsqueeze(-2), mT(U));
        }
    }
    return autograd::record(
        "linalg_pinv", P, {A},
        [A](const Tensor& grad_out, const Tensor& P) {
            return Grads{pinv_backward(grad_out, P, A)};
        },
        "grad_A = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)");
}

// X = argmin ||A X - B|| (minimum norm) = A^+ B   A: [..., m, n], B: [..., m, k] -> [..., n, k]
// grad_B = (A^+)^T grad_X, grad_A = pinv's backward for G = grad_X B^T
std::tuple<Tensor, Tensor, Tensor, Tensor> lstsq(const Tensor& A, const Tensor& B,
                                                 std::optional<double> rcond,
                                                 std::optional<std::string_view> driver) {
    detail::check_matrix_input("linalg.lstsq", A);
    tapegrad::detail::check_defined("linalg.lstsq", B, "B");
    detail::check_same_dtype("linalg.lstsq", A, B);
    const std::string drv(driver.value_or("gelsy"));
    if (drv != "gels" && drv != "gelsy" && drv != "gelsd" && drv != "gelss") {
        fail("linalg.lstsq",
             "parameter `driver` should be one of (gels, gelsy, gelsd, gelss), got '" + drv + "'");
    }
    const int64_t m = A.size(-2), n = A.size(-1);
    // B is a batch of vectors when it has one dim less than A
    const int64_t dim_diff = A.dim() - B.dim();
    if ((dim_diff != 0 && dim_diff != 1) || (dim_diff == 0 && B.size(-2) != m) ||
        (dim_diff == 1 && B.size(-1) != m)) {
        fail("linalg.lstsq", "B must be [..., m, k] or [..., m] for A [..., m, n]: A is " +
                                 shape_str(A.sizes()) + ", B is " + shape_str(B.sizes()));
    }
    const bool vector_case = dim_diff == 1;
    const Tensor B2 = vector_case ? B.unsqueeze(-1) : B;
    const int64_t k = B2.size(-1), p = std::min(m, n);
    const std::vector<int64_t> batch = detail::broadcast_batch("linalg.lstsq", A, B2);
    const Tensor A_b = A.expand(detail::with_batch(batch, {m, n}));
    const Tensor B_b = B2.expand(detail::with_batch(batch, {m, k}));
    const double tol = rcond.value_or(eps_of(A.dtype()) * static_cast<double>(std::max(m, n)));

    const Tensor a = dense(A_b), b = dense(B_b);
    Tensor X = make_tensor(detail::with_batch(batch, {n, k}), A.dtype());
    Tensor S = make_tensor(detail::with_batch(batch, {p}), A.dtype());
    Tensor rank = make_tensor(batch, kInt64);
    Tensor residuals = zeros(detail::with_batch(batch, {k}), A.dtype());
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        const kernels::LapackStatus status =
            kernels::lstsq(a.data_ptr<T>(), b.data_ptr<T>(), X.data_ptr<T>(), S.data_ptr<T>(),
                           rank.data_ptr<int64_t>(), residuals.data_ptr<T>(),
                           detail::batch_count(A_b), m, n, k, tol);
        detail::check_status("linalg.lstsq", A_b, status, [](int64_t info) {
            return "The SVD did not converge (error code: " + std::to_string(info) + ").";
        });
    });
    X = autograd::record(
        "linalg_lstsq", X, {A_b, B_b},
        [A_b, B_b, m, n](const Tensor& grad_out) {
            const Tensor P = pinv(A_b, eps_of(A_b.dtype()) * static_cast<double>(std::max(m, n)));
            const Tensor grad_B = batched_mm(mT(P), grad_out);
            const Tensor grad_A = A_b.requires_grad()
                                      ? pinv_backward(batched_mm(grad_out, mT(B_b)), P, A_b)
                                      : Tensor();
            return Grads{grad_A, grad_B};
        },
        "X = A^+ B: grad_B = (A^+)^T grad_X, grad_A = pinv backward of grad_X B^T");

    // which outputs the driver fills, as LibTorch: residuals when m > n and A has full rank
    // (never for gelsy), the rank except for gels, the singular values for gelsd and gelss
    const Tensor empty_values = zeros({0}, A.dtype());
    bool full_rank = true;
    for (int64_t r : rank.to_vector<int64_t>()) full_rank = full_rank && r == n;
    const bool with_residuals = drv != "gelsy" && m > n && (drv == "gels" || full_rank);
    return {vector_case ? X.squeeze(-1) : X,
            with_residuals ? residuals : empty_values,  // [..., 1] for vectors, as LibTorch
            drv == "gels" ? zeros({0}, kInt64) : rank,
            drv == "gelsd" || drv == "gelss" ? S : empty_values};
}

}  // namespace linalg
}  // namespace tapegrad
