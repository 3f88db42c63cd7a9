// Decompositions: linalg::qr, eigh, eigvalsh, svd, svdvals. Each forward calls LAPACK
// (kernels/lapack.cpp) on [..., m, n] batches. The outputs are unique only up to the signs of
// columns (Q's with R's rows, eigenvectors, pairs of singular vectors); the backward rules
// below are LibTorch's, which hold for every such choice (a loss that depends on the signs
// has no well-defined gradient). An op's outputs are recorded together as one node
// (detail::record_outputs), whose backward sees all their gradients at once.

#include <limits>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/linalg.hpp"
#include "autograd/ops/linalg_util.hpp"

namespace tapegrad {
namespace linalg {

namespace {

// The flat batch index for messages: -1 (none) for a single matrix.
int64_t batch_item(const Tensor& A, int64_t item) {
    return A.dim() > 2 ? item : -1;
}

// Raises LinAlgError when two neighbours of the sorted `values` [..., k] of A are equal to
// within rounding (k eps max|value|): the gradients of eigenvectors and singular vectors divide
// by their differences and are not defined there (LibTorch returns inf or NaN instead).
void check_distinct(const char* op, const Tensor& A, const Tensor& values, const char* what) {
    const int64_t k = values.size(-1);
    if (k < 2) return;
    NoGradGuard no_grad;
    const Tensor v = values.detach();
    const double eps = v.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                             : std::numeric_limits<float>::epsilon();
    const Tensor gaps = (v.narrow(-1, 1, k - 1) - v.narrow(-1, 0, k - 1)).abs();
    const Tensor scale =
        std::get<0>(v.abs().max(-1, /*keepdim=*/true)) * (eps * static_cast<double>(k));
    const int64_t item = detail::first_flagged(le(gaps, scale));
    if (item >= 0) {
        detail::linalg_error(op, batch_item(A, item),
                             std::string("the input has repeated ") + what +
                                 ", where the gradient of the vectors is not defined.");
    }
}

// A = Q R with A [..., m, n], m >= n: Q [..., m, n], R [..., n, n] (invertible).
// With M = grad_R R^T - Q^T grad_Q, symmetrized from its upper triangle (sym_upper):
// grad_A = (grad_Q + Q sym_upper(M)) R^-T
Tensor qr_backward_tall(const Tensor& grad_Q, const Tensor& grad_R, const Tensor& Q,
                        const Tensor& R) {
    const int64_t item = detail::first_flagged(eq(R.detach().diagonal(0, -2, -1), 0.0));
    if (item >= 0) {
        detail::linalg_error("linalg.qr (backward)", batch_item(R, item),
                             "R has a zero on its diagonal (A does not have full rank), so the "
                             "gradient is not defined.");
    }
    const Tensor M = batched_mm(grad_R, mT(R)) - batched_mm(mT(Q), grad_Q);
    const Tensor sym_upper = detail::triu(M) + mT(detail::triu(M, 1));
    return solve(mT(R), grad_Q + batched_mm(Q, sym_upper), /*left=*/false);  // (...) R^-T
}

// A = Q R for any m, n (reduced). For m < n, A = [X | Y] with X = Q U square and Y = Q V:
// (Q, U) is the QR of X and V = Q^T Y, so grad_Y = Q grad_V and X takes the tall rule with
// grad_Q + Y grad_V^T.
Tensor qr_backward(const Tensor& grad_Q, const Tensor& grad_R, const Tensor& Q, const Tensor& R) {
    const int64_t m = Q.size(-2), n = R.size(-1);
    if (m >= n) return qr_backward_tall(grad_Q, grad_R, Q, R);
    const Tensor U = R.narrow(-1, 0, m), V = R.narrow(-1, m, n - m);
    const Tensor grad_U = grad_R.narrow(-1, 0, m), grad_V = grad_R.narrow(-1, m, n - m);
    const Tensor Y = batched_mm(Q, V);
    const Tensor grad_X = qr_backward_tall(grad_Q + batched_mm(Y, mT(grad_V)), grad_U, Q, U);
    return cat({grad_X, batched_mm(Q, grad_V)}, -1);
}

// A = V diag(L) V^T, A symmetric                  A: [..., n, n]
// grad_A = V (diag(grad_L) + skew(V^T grad_V) / E) V^T,
//   skew(X) = (X - X^T) / 2, E_ij = L_j - L_i (the division skips the diagonal)
Tensor eigh_backward(const Tensor& grad_L, const Tensor& grad_V, const Tensor& L, const Tensor& V) {
    Tensor inner = detail::diag_embed(grad_L);
    if (detail::max_abs(grad_V) > 0) {  // only the vectors' gradient needs distinct eigenvalues
        check_distinct("linalg.eigh (backward)", V, L, "eigenvalues");
        const Tensor VtgV = batched_mm(mT(V), grad_V);
        const Tensor E = L.unsqueeze(-2) - L.unsqueeze(-1) + detail::eye_of(L.size(-1), L.dtype());
        inner = inner + (VtgV - mT(VtgV)) * 0.5 / E;
    }
    return batched_mm(batched_mm(V, inner), mT(V));
}

// A = U diag(S) Vh (thin: U [..., m, k], Vh [..., k, n], k = min(m, n))
// grad_A = U [diag(grad_S) + (J_U S + S J_V) / E] Vh
//          + (I - U U^T) grad_U S^-1 Vh      (m > n)
//          + U S^-1 grad_Vh (I - V V^T)      (m < n)
//   J_U = U^T grad_U - grad_U^T U, J_V = Vh grad_Vh^T - grad_Vh Vh^T, E_ij = s_j^2 - s_i^2
Tensor svd_backward(const Tensor& grad_U, const Tensor& grad_S, const Tensor& grad_Vh,
                    const Tensor& U, const Tensor& S, const Tensor& Vh) {
    const int64_t m = U.size(-2), n = Vh.size(-1), k = S.size(-1);
    const bool with_U = detail::max_abs(grad_U) > 0, with_V = detail::max_abs(grad_Vh) > 0;
    Tensor inner = detail::diag_embed(grad_S);
    if (with_U || with_V) {  // only the vectors' gradients need distinct singular values
        check_distinct("linalg.svd (backward)", U, S, "singular values");
        const Tensor S2 = S * S;
        const Tensor E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + detail::eye_of(k, S.dtype());
        Tensor J;
        if (with_U) {
            const Tensor UtgU = batched_mm(mT(U), grad_U);
            J = (UtgU - mT(UtgU)) * S.unsqueeze(-2);
        }
        if (with_V) {
            const Tensor VhgVt = batched_mm(Vh, mT(grad_Vh));
            const Tensor part = S.unsqueeze(-1) * (VhgVt - mT(VhgVt));
            J = J.defined() ? J + part : part;
        }
        inner = inner + J / E;
    }
    Tensor grad_A = batched_mm(batched_mm(U, inner), Vh);
    const bool tall = m > n && with_U, wide = m < n && with_V;
    if (tall || wide) {  // the parts outside the span of U (or V) divide by the singular values
        const int64_t item = detail::first_flagged(eq(S.detach(), 0.0));
        if (item >= 0) {
            detail::linalg_error("linalg.svd (backward)", batch_item(U, item),
                                 "A is not of full rank (a zero singular value), so the gradient "
                                 "of its singular vectors is not defined.");
        }
    }
    if (tall) {
        const Tensor gUS = grad_U / S.unsqueeze(-2);
        grad_A = grad_A + batched_mm(gUS - batched_mm(U, batched_mm(mT(U), gUS)), Vh);
    }
    if (wide) {
        const Tensor SgV = grad_Vh / S.unsqueeze(-1);
        grad_A = grad_A + batched_mm(U, SgV - batched_mm(batched_mm(SgV, mT(Vh)), Vh));
    }
    return grad_A;
}

std::string no_convergence(const char* what, int64_t info) {
    return std::string(
               "The algorithm failed to converge because the input matrix is "
               "ill-conditioned or has too many repeated ") +
           what + " (error code: " + std::to_string(info) + ").";
}

}  // namespace

// A = Q R (Householder)      A: [..., m, n] -> Q [..., m, k or m], R [..., k or m, n]
// grad_A = (grad_Q + Q sym_upper(grad_R R^T - Q^T grad_Q)) R^-T (qr_backward above)
std::tuple<Tensor, Tensor> qr(const Tensor& A, std::string_view mode) {
    detail::check_matrix_input("linalg.qr", A);
    kernels::QrMode kmode;
    if (mode == "reduced")
        kmode = kernels::QrMode::reduced;
    else if (mode == "complete")
        kmode = kernels::QrMode::complete;
    else if (mode == "r")
        kmode = kernels::QrMode::r_only;
    else
        fail("linalg.qr", "unrecognized mode '" + std::string(mode) +
                              "', expected one of 'reduced' (the default), 'r' or 'complete'");
    const std::vector<int64_t> batch = detail::batch_sizes(A);
    const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
    const int64_t q_cols = kmode == kernels::QrMode::complete ? m : k;
    const int64_t r_rows = kmode == kernels::QrMode::complete ? m : k;
    const Tensor a = dense(A);
    Tensor Q = kmode == kernels::QrMode::r_only
                   ? zeros({0}, A.dtype())
                   : make_tensor(detail::with_batch(batch, {m, q_cols}), A.dtype());
    Tensor R = make_tensor(detail::with_batch(batch, {r_rows, n}), A.dtype());
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        kernels::qr(a.data_ptr<T>(), kmode == kernels::QrMode::r_only ? nullptr : Q.data_ptr<T>(),
                    R.data_ptr<T>(), detail::batch_count(A), m, n, kmode);
    });
    // LibTorch records these too and refuses only when a gradient reaches them
    const char* refusal =
        kmode == kernels::QrMode::r_only
            ? "The derivative of linalg.qr depends on Q, which is not computed when "
              "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
              "differentiate through linalg.qr."
        : kmode == kernels::QrMode::complete && m > n
            ? "The QR decomposition is not differentiable when mode='complete' and "
              "nrows > ncols."
            : nullptr;
    if (kmode == kernels::QrMode::r_only) {
        R = autograd::record(
            "linalg_qr", R, {A},
            [refusal](const Tensor&) -> Grads {
                throw std::logic_error(std::string("linalg.qr: ") + refusal);
            },
            "not differentiable (mode='r')", autograd::kSavesNone);
        return {Q, R};
    }
    const std::vector<Tensor> out = detail::record_outputs(
        "linalg_qr", {A}, {Q, R}, static_cast<int64_t>(batch.size()),
        [refusal](const std::vector<Tensor>& grads, const std::vector<Tensor>& outs) -> Grads {
            if (refusal) throw std::logic_error(std::string("linalg.qr: ") + refusal);
            return {qr_backward(grads[0], grads[1], outs[0], outs[1])};
        },
        "M = grad_R R^T - Q^T grad_Q; grad_A = (grad_Q + Q sym_upper(M)) R^-T (m >= n)");
    return {out[0], out[1]};
}

namespace {

bool upper_from(const char* op, std::string_view uplo) {
    if (uplo != "L" && uplo != "U" && uplo != "l" && uplo != "u") {
        fail(op, "expected uplo to be 'L' or 'U', but got '" + std::string(uplo) + "'");
    }
    return uplo == "U" || uplo == "u";
}

// Eigenvalues [..., n] and (when wanted) eigenvectors [..., n, n], no graph.
std::tuple<Tensor, Tensor> eigh_values(const char* op, const Tensor& A, bool upper, bool vectors) {
    detail::check_square(op, A);
    const std::vector<int64_t> batch = detail::batch_sizes(A);
    const int64_t n = A.size(-1);
    const Tensor a = dense(A);
    Tensor L = make_tensor(detail::with_batch(batch, {n}), A.dtype());
    Tensor V = vectors ? make_tensor(A.sizes(), A.dtype()) : Tensor();
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        const kernels::LapackStatus status =
            kernels::eigh(a.data_ptr<T>(), L.data_ptr<T>(), vectors ? V.data_ptr<T>() : nullptr,
                          detail::batch_count(A), n, upper);
        detail::check_status(op, A, status,
                             [](int64_t info) { return no_convergence("eigenvalues", info); });
    });
    return {L, V};
}

// Singular values [..., k] and (when wanted) vectors, no graph.
std::tuple<Tensor, Tensor, Tensor> svd_values(const char* op, const Tensor& A, bool full,
                                              bool vectors,
                                              std::optional<std::string_view> driver) {
    detail::check_matrix_input(op, A);
    if (driver) {
        fail(op,
             "keyword argument `driver=` is only supported on CUDA inputs with the cuSOLVER "
             "backend; pass std::nullopt");
    }
    const std::vector<int64_t> batch = detail::batch_sizes(A);
    const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
    const Tensor a = dense(A);
    Tensor S = make_tensor(detail::with_batch(batch, {k}), A.dtype());
    Tensor U =
        vectors ? make_tensor(detail::with_batch(batch, {m, full ? m : k}), A.dtype()) : Tensor();
    Tensor Vh =
        vectors ? make_tensor(detail::with_batch(batch, {full ? n : k, n}), A.dtype()) : Tensor();
    detail::dispatch(A, [&](auto zero) {
        using T = decltype(zero);
        const kernels::LapackStatus status =
            kernels::svd(a.data_ptr<T>(), vectors ? U.data_ptr<T>() : nullptr, S.data_ptr<T>(),
                         vectors ? Vh.data_ptr<T>() : nullptr, detail::batch_count(A), m, n, full);
        detail::check_status(op, A, status,
                             [](int64_t info) { return no_convergence("singular values", info); });
    });
    return {U, S, Vh};
}

}  // namespace

// A = V diag(L) V^T          A: [..., n, n] -> L [..., n], V [..., n, n]
// grad_A = V (diag(grad_L) + skew(V^T grad_V) / (L_j - L_i)) V^T (eigh_backward above)
std::tuple<Tensor, Tensor> eigh(const Tensor& A, std::string_view uplo) {
    const auto [L, V] = eigh_values("linalg.eigh", A, upper_from("linalg.eigh", uplo), true);
    const std::vector<Tensor> out = detail::record_outputs(
        "linalg_eigh", {A}, {L, V}, A.dim() - 2,
        [](const std::vector<Tensor>& grads, const std::vector<Tensor>& outs) {
            return Grads{eigh_backward(grads[0], grads[1], outs[0], outs[1])};
        },
        "grad_A = V (diag(grad_L) + skew(V^T grad_V) / (L_j - L_i)) V^T");
    return {out[0], out[1]};
}

// L of eigh                  A: [..., n, n] -> [..., n]
// grad_A = V diag(grad_L) V^T
Tensor eigvalsh(const Tensor& A, std::string_view uplo) {
    const bool upper = upper_from("linalg.eigvalsh", uplo);
    // the backward needs the eigenvectors
    if (detail::needs_grad({A})) return std::get<0>(eigh(A, uplo));
    return std::get<0>(eigh_values("linalg.eigvalsh", A, upper, false));
}

// A = U diag(S) Vh           A: [..., m, n] -> U [..., m, k or m], S [..., k], Vh [..., k or n, n]
// grad_A = U [diag(grad_S) + (J_U S + S J_V) / (s_j^2 - s_i^2)] Vh + ... (svd_backward above)
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& A, bool full_matrices,
                                       std::optional<std::string_view> driver) {
    const auto [U, S, Vh] = svd_values("linalg.svd", A, full_matrices, true, driver);
    const int64_t k = S.size(-1);
    const std::vector<Tensor> out = detail::record_outputs(
        "linalg_svd", {A}, {U, S, Vh}, A.dim() - 2,
        [full_matrices, k](const std::vector<Tensor>& g, const std::vector<Tensor>& o) {
            if (!full_matrices) return Grads{svd_backward(g[0], g[1], g[2], o[0], o[1], o[2])};
            // the columns past k of a full U (rows of Vh) are any basis of the complement:
            // their gradients are ignored, as LibTorch documents
            return Grads{svd_backward(g[0].narrow(-1, 0, k), g[1], g[2].narrow(-2, 0, k),
                                      o[0].narrow(-1, 0, k), o[1], o[2].narrow(-2, 0, k))};
        },
        "grad_A = U [diag(grad_S) + (J_U S + S J_V) / (s_j^2 - s_i^2)] Vh (+ the parts outside "
        "span U, V)");
    return {out[0], out[1], out[2]};
}

// S of svd                   A: [..., m, n] -> [..., k]
// grad_A = U diag(grad_S) Vh
Tensor svdvals(const Tensor& A, std::optional<std::string_view> driver) {
    // the backward needs the vectors
    if (detail::needs_grad({A})) return std::get<1>(svd(A, /*full_matrices=*/false, driver));
    return std::get<1>(svd_values("linalg.svdvals", A, false, false, driver));
}

}  // namespace linalg
}  // namespace tapegrad
