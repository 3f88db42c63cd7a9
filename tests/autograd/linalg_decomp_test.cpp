// tapegrad::linalg: values and gradients against PyTorch 1.13's (tests/golden/linalg_golden.txt,
// made by tests/golden/gen_linalg.py) in float64 and float32, finite-difference checks of every
// backward to first and second order, the identities each decomposition satisfies, and one
// case per error (singular, not positive-definite, repeated eigenvalues, shapes, dtypes).

#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "autograd/linalg.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace la = tapegrad::linalg;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

Tensor flat(std::initializer_list<Tensor> parts) {
    std::vector<Tensor> f;
    for (const Tensor& p : parts) f.push_back(p.reshape({-1}));
    return cat(f, 0);
}

// sign(x) as a constant (the normalizing signs below carry no gradient)
Tensor sign_of(const Tensor& x) {
    const Tensor d = x.detach();
    return (d > 0.0).to(x.dtype()) - (d < 0.0).to(x.dtype());
}

// The sign-normalized outputs of the generator (each column made positive where a fixed entry
// is): unique, so comparable with PyTorch's whatever signs LAPACK chose.
Tensor qr_normalized(const Tensor& a, const char* mode = "reduced") {
    const auto [Q, R] = la::qr(a, mode);
    const Tensor s = sign_of(R.diagonal(0, -2, -1));
    const int64_t k = s.size(-1);
    return flat({Q.narrow(-1, 0, k) * s.unsqueeze(-2), R.narrow(-2, 0, k) * s.unsqueeze(-1)});
}

Tensor eigh_normalized(const Tensor& a, const char* uplo = "L") {
    const auto [L, V] = la::eigh(a, uplo);
    return flat({L, V * sign_of(V.select(-2, 0)).unsqueeze(-2)});
}

Tensor svd_normalized(const Tensor& a, bool full) {
    const auto [U, S, Vh] = la::svd(a, full);
    const int64_t k = S.size(-1);
    const Tensor s = sign_of(U.select(-2, 0).narrow(-1, 0, k));
    return flat({U.narrow(-1, 0, k) * s.unsqueeze(-2), S, Vh.narrow(-2, 0, k) * s.unsqueeze(-1)});
}

const double kInf = std::numeric_limits<double>::infinity();

// The functions of the golden cases, by name (the same as gen_linalg.py computes).
std::map<std::string, Fn> golden_functions() {
    std::map<std::string, Fn> f = {
        {"inv", [](const std::vector<Tensor>& in) { return la::inv(in[0]); }},
        {"inv_batched", [](const std::vector<Tensor>& in) { return la::inv(in[0]); }},
        {"det", [](const std::vector<Tensor>& in) { return la::det(in[0]); }},
        {"det_batched", [](const std::vector<Tensor>& in) { return la::det(in[0]); }},
        {"det_singular", [](const std::vector<Tensor>& in) { return la::det(in[0]); }},
        {"slogdet",
         [](const std::vector<Tensor>& in) {
             const auto [sign, logabs] = la::slogdet(in[0]);
             return flat({sign, logabs});
         }},
        {"solve_broadcast", [](const std::vector<Tensor>& in) { return la::solve(in[0], in[1]); }},
        {"solve_vector", [](const std::vector<Tensor>& in) { return la::solve(in[0], in[1]); }},
        {"solve_batched_vectors",
         [](const std::vector<Tensor>& in) { return la::solve(in[0], in[1]); }},
        {"solve_right",
         [](const std::vector<Tensor>& in) { return la::solve(in[0], in[1], false); }},
        {"cholesky", [](const std::vector<Tensor>& in) { return la::cholesky(in[0]); }},
        {"cholesky_batched_upper",
         [](const std::vector<Tensor>& in) { return la::cholesky(in[0], true); }},
        {"qr_tall", [](const std::vector<Tensor>& in) { return qr_normalized(in[0]); }},
        {"qr_wide", [](const std::vector<Tensor>& in) { return qr_normalized(in[0]); }},
        {"qr_batched_complete",
         [](const std::vector<Tensor>& in) { return qr_normalized(in[0], "complete"); }},
        {"eigh", [](const std::vector<Tensor>& in) { return eigh_normalized(in[0]); }},
        {"eigh_batched", [](const std::vector<Tensor>& in) { return eigh_normalized(in[0]); }},
        {"eigh_upper_nonsymmetric",
         [](const std::vector<Tensor>& in) { return eigh_normalized(in[0], "U"); }},
        {"eigvalsh", [](const std::vector<Tensor>& in) { return la::eigvalsh(in[0]); }},
        {"svd_tall", [](const std::vector<Tensor>& in) { return svd_normalized(in[0], false); }},
        {"svd_wide", [](const std::vector<Tensor>& in) { return svd_normalized(in[0], false); }},
        {"svd_batched_full",
         [](const std::vector<Tensor>& in) { return svd_normalized(in[0], true); }},
        {"svdvals", [](const std::vector<Tensor>& in) { return la::svdvals(in[0]); }},
        {"lstsq_tall",
         [](const std::vector<Tensor>& in) { return std::get<0>(la::lstsq(in[0], in[1])); }},
        {"lstsq_wide_vector",
         [](const std::vector<Tensor>& in) { return std::get<0>(la::lstsq(in[0], in[1])); }},
        {"lstsq_broadcast",
         [](const std::vector<Tensor>& in) { return std::get<0>(la::lstsq(in[0], in[1])); }},
        {"lstsq_gelsd_outputs",
         [](const std::vector<Tensor>& in) {
             const auto [X, residuals, rank, S] = la::lstsq(in[0], in[1], std::nullopt, "gelsd");
             return flat({residuals, S});
         }},
        {"pinv_tall", [](const std::vector<Tensor>& in) { return la::pinv(in[0]); }},
        {"pinv_wide_batched", [](const std::vector<Tensor>& in) { return la::pinv(in[0]); }},
        {"pinv_hermitian",
         [](const std::vector<Tensor>& in) { return la::pinv(in[0], 1e-15, true); }},
        {"vector_norm_2", [](const std::vector<Tensor>& in) { return la::vector_norm(in[0]); }},
        {"vector_norm_1_dim",
         [](const std::vector<Tensor>& in) { return la::vector_norm(in[0], 1, 1); }},
        {"vector_norm_inf_keepdim",
         [](const std::vector<Tensor>& in) { return la::vector_norm(in[0], kInf, 0, true); }},
        {"vector_norm_neg_inf",
         [](const std::vector<Tensor>& in) { return la::vector_norm(in[0], -kInf); }},
        {"vector_norm_0", [](const std::vector<Tensor>&
                                 in) { return la::vector_norm(in[0], 0, IntArrayRef{0, 1}); }},
        {"vector_norm_3",
         [](const std::vector<Tensor>& in) { return la::vector_norm(in[0], 3, -1); }},
        {"vector_norm_half",
         [](const std::vector<Tensor>& in) { return la::vector_norm(in[0], 0.5, 0); }},
        {"vector_norm_1_5",
         [](const std::vector<Tensor>& in) { return la::vector_norm(in[0], 1.5); }},
        {"matrix_norm_fro",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], "fro"); }},
        {"matrix_norm_nuc",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], "nuc"); }},
        {"matrix_norm_1", [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], 1); }},
        {"matrix_norm_neg1",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], -1); }},
        {"matrix_norm_2", [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], 2); }},
        {"matrix_norm_neg2",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], -2); }},
        {"matrix_norm_inf",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], kInf); }},
        {"matrix_norm_neg_inf",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], -kInf); }},
        {"matrix_norm_dims_keepdim",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], 1, {2, 0}, true); }},
        {"matrix_norm_2_dims",
         [](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], -2, {0, 2}); }},
        {"norm_default", [](const std::vector<Tensor>& in) { return la::norm(in[0]); }},
        {"norm_matrix_inf", [](const std::vector<Tensor>& in) { return la::norm(in[0], kInf); }},
        {"norm_vector_dim", [](const std::vector<Tensor>& in) { return la::norm(in[0], 3, 1); }},
        {"norm_nuc_dims",
         [](const std::vector<Tensor>& in) { return la::norm(in[0], "nuc", IntArrayRef{1, 2}); }},
    };
    return f;
}

// Runs every golden case in `dtype`, comparing values and gradients with PyTorch's float64
// results to the given tolerances.
void check_golden(ScalarType dtype, double rtol, double atol) {
    const std::map<std::string, Fn> fns = golden_functions();
    const std::vector<GoldenCase> cases = read_golden(TAPEGRAD_GOLDEN_DIR "/linalg_golden.txt");
    REQUIRE(cases.size() == fns.size());
    for (const GoldenCase& c : cases) {
        INFO("golden case ", c.name, ": ", c.op, " in ", to_string(dtype));
        REQUIRE(fns.count(c.name) == 1);
        std::vector<Tensor> inputs;
        for (size_t i = 0; i < c.inputs.size(); ++i) {
            Tensor x = make_f64(c.inputs[i].values, c.inputs[i].shape).to(dtype);
            if (c.has_grad[i]) x.requires_grad_();
            inputs.push_back(x);
        }
        const Tensor out = fns.at(c.name)(inputs);
        CHECK(out.dtype() == dtype);
        CHECK(out.sizes() == c.out.shape);
        const std::string err = mismatch(out, c.out.values, rtol, atol);
        CHECK_MESSAGE(err.empty(), "value: " << err);
        if (!out.requires_grad()) continue;
        out.backward(make_f64(c.gout, c.out.shape).to(dtype));
        for (size_t i = 0; i < c.inputs.size(); ++i) {
            if (!c.has_grad[i]) continue;
            const std::string gerr = mismatch(inputs[i].grad(), c.grads[i], rtol, atol);
            CHECK_MESSAGE(gerr.empty(), "grad of input " << i << ": " << gerr);
        }
    }
}

// A well-conditioned square matrix from a random one (the identity keeps it invertible).
Tensor well_conditioned(const Tensor& x) {
    return x + 3.0 * eye(x.size(-1), TensorOptions(x.dtype()));
}
// A symmetric matrix made from any: what eigh and cholesky read, with the symmetric gradient
// they return flowing back correctly to both triangles.
Tensor symmetric(const Tensor& x) {
    return (x + x.transpose(-2, -1)) * 0.5;
}
Tensor positive_definite(const Tensor& x) {
    return x.matmul(x.transpose(-2, -1)) + 2.0 * eye(x.size(-1), TensorOptions(x.dtype()));
}
// Both gradient checks, first and second order.
void check_both(const Fn& f, const std::vector<Tensor>& inputs) {
    CHECK_GRADIENTS(f, inputs);
    CHECK_GRADGRADIENTS(f, inputs);
}

}  // namespace

TEST_SUITE("ops/linalg_decomp") {
    // ---- against PyTorch ------------------------------------------------------------------------

    TEST_CASE("linalg: values and gradients match PyTorch's in float64") {
        check_golden(kFloat64, 1e-9, 1e-10);
    }

    TEST_CASE(
        "linalg: float32 values and gradients match PyTorch's float64 ones to float32 precision") {
        check_golden(kFloat32, 2e-3, 2e-4);
    }

    // ---- inverses and determinants --------------------------------------------------------------

    TEST_CASE("inv: A^-1 A is the identity, for a batch and a transposed (strided) view") {
        manual_seed(1);
        const Tensor A = well_conditioned(randn({2, 3, 3}, kFloat64));
        const Tensor X = la::inv(A);
        CHECK(allclose(X.matmul(A), eye(3, kFloat64).expand({2, 3, 3}), 1e-12, 1e-12));
        const Tensor At = A[0].t();
        REQUIRE_FALSE(At.is_contiguous());
        CHECK(allclose(la::inv(At), la::inv(At.contiguous()), 1e-14, 1e-14));
        CHECK(la::inv(zeros({0, 0}, kFloat64)).sizes() == std::vector<int64_t>{0, 0});
    }

    TEST_CASE("inv: gradient and second derivative match finite differences") {
        manual_seed(2);
        check_both([](const std::vector<Tensor>& in) { return la::inv(well_conditioned(in[0])); },
                   {randn({2, 3, 3}, f64())});
    }

    TEST_CASE(
        "inv: a singular matrix raises LinAlgError naming the zero pivot and the batch element") {
        const Tensor singular = make_f64({1, 2, 2, 4}, {2, 2});
        CHECK_THROWS_CONTAINS(la::inv(singular), la::LinAlgError,
                              "linalg.inv: The diagonal element 2 is zero", "singular");
        const Tensor batch = stack({eye(2, kFloat64), singular});
        CHECK_THROWS_CONTAINS(la::inv(batch), la::LinAlgError,
                              "linalg.inv: (Batch element 1): ", "singular");
        CHECK_THROWS_AS(la::inv(singular), std::runtime_error);  // LinAlgError is a runtime_error
    }

    TEST_CASE("det: gradient and second derivative match finite differences") {
        manual_seed(3);
        check_both([](const std::vector<Tensor>& in) { return la::det(in[0]); },
                   {randn({2, 3, 3}, f64())});
    }

    TEST_CASE(
        "det: differentiable at a singular matrix (the cofactor matrix), alone and in a batch") {
        // rank 2: LibTorch 1.13's first-order backward gives 0 here, its create_graph path and
        // tapegrad the cofactor matrix, which finite differences confirm (det is a polynomial)
        const Tensor singular = make_f64({1, 2, 3, 2, 4, 6, 1, 0, 1}, {3, 3}, true);
        CHECK(la::det(singular).item<double>() == 0.0);
        auto f = [](const std::vector<Tensor>& in) { return la::det(in[0]); };
        CHECK_GRADIENTS(f, {singular});
        CHECK_GRADGRADIENTS(f, {singular});
        manual_seed(4);
        const Tensor mixed =
            stack({singular.detach(), well_conditioned(randn({3, 3}, kFloat64))}).requires_grad_();
        CHECK_GRADIENTS(f, {mixed});
        // a rank-1 matrix: cof(A) = 0 (every 2x2 minor vanishes)
        const Tensor rank1 = make_f64({1, 2, 3, 2, 4, 6, 3, 6, 9}, {3, 3}, true);
        la::det(rank1).backward();
        CHECK_VALUES(rank1.grad(), std::vector<double>(9, 0.0), 0, 1e-12);
    }

    TEST_CASE("slogdet: signs and log|det| of a batch; gradients of log|det| to second order") {
        const Tensor A = stack({make_f64({2, 0, 0, 3}, {2, 2}), make_f64({0, 1, 1, 0}, {2, 2})});
        const auto [sign, logabs] = la::slogdet(A);
        CHECK_VALUES(sign, {1, -1});
        CHECK_VALUES(logabs, {std::log(6.0), 0.0});
        manual_seed(5);
        check_both([](const std::vector<Tensor>& in) { return std::get<1>(la::slogdet(in[0])); },
                   {randn({2, 3, 3}, f64())});
    }

    TEST_CASE("slogdet: a singular matrix gives (0, -inf), and its gradient raises LinAlgError") {
        const Tensor A = make_f64({1, 2, 2, 4}, {2, 2}, true);
        const auto [sign, logabs] = la::slogdet(A);
        CHECK(sign.item<double>() == 0.0);
        CHECK(logabs.item<double>() == -kInf);
        CHECK_THROWS_CONTAINS(logabs.backward(), la::LinAlgError, "linalg.slogdet (backward)",
                              "singular");
    }

    // ---- linear systems -------------------------------------------------------------------------

    TEST_CASE(
        "solve: A X = B with broadcast batches, vectors and X A = B; gradients to second order") {
        manual_seed(6);
        const Tensor A = well_conditioned(randn({2, 3, 3}, kFloat64)), B = randn({3, 4}, kFloat64);
        const Tensor X = la::solve(A, B);
        CHECK(X.sizes() == std::vector<int64_t>{2, 3, 4});
        CHECK(allclose(A.matmul(X), B.expand({2, 3, 4}), 1e-12, 1e-12));
        const Tensor Xr = la::solve(A, randn({2, 5, 3}, kFloat64), /*left=*/false);
        CHECK(Xr.sizes() == std::vector<int64_t>{2, 5, 3});
        auto f = [](const std::vector<Tensor>& in) {
            return la::solve(well_conditioned(in[0]), in[1]);
        };
        check_both(
            f, {randn({2, 1, 3, 3}, f64()), randn({4, 3, 2}, f64())});  // batches [2, 1] and [4]
        check_both(f, {randn({2, 3, 3}, f64()), randn({3}, f64())});    // one vector for all
        check_both(
            [](const std::vector<Tensor>& in) {
                return la::solve(well_conditioned(in[0]), in[1], false);
            },
            {randn({3, 3}, f64()), randn({2, 3}, f64())});
    }

    TEST_CASE("solve: a singular matrix raises LinAlgError naming the batch element") {
        const Tensor A = stack({eye(2, kFloat64), make_f64({1, 2, 2, 4}, {2, 2})});
        CHECK_THROWS_CONTAINS(la::solve(A, ones({2, 2, 1}, kFloat64)), la::LinAlgError,
                              "linalg.solve: (Batch element 1): ", "singular");
    }

    TEST_CASE("solve: shapes that do not fit raise std::invalid_argument with both shapes") {
        const Tensor A = eye(3, kFloat64).expand({2, 3, 3});
        CHECK_THROWS_CONTAINS(la::solve(A, ones({4, 3, 1}, kFloat64)), std::invalid_argument,
                              "linalg.solve", "do not broadcast", "[2, 3, 3]", "[4, 3, 1]");
        CHECK_THROWS_CONTAINS(la::solve(A, ones({2, 4}, kFloat64)), std::invalid_argument,
                              "linalg.solve", "AX = B", "[2, 4]");
        CHECK_THROWS_CONTAINS(la::solve(A, ones({3}, kFloat64), false), std::invalid_argument,
                              "XA = B");
        CHECK_THROWS_CONTAINS(la::solve(ones({2, 3}, kFloat64), ones({2}, kFloat64)),
                              std::invalid_argument, "square matrices", "2 by 3");
        CHECK_THROWS_CONTAINS(la::solve(eye(2, kFloat32), ones({2}, kFloat64)),
                              std::invalid_argument, "same dtype", "float32", "float64");
    }

    TEST_CASE("cholesky: L L^T = A (lower) and U^T U = A (upper), the other triangle zero") {
        manual_seed(7);
        const Tensor A = positive_definite(randn({2, 3, 3}, kFloat64));
        const Tensor L = la::cholesky(A), U = la::cholesky(A, true);
        CHECK(allclose(L.matmul(L.transpose(1, 2)), A, 1e-12, 1e-12));
        CHECK(allclose(U.transpose(1, 2).matmul(U), A, 1e-12, 1e-12));
        CHECK_VALUES(L[0][0][1], {0.0});
        CHECK_VALUES(U[1][2][0], {0.0});
    }

    TEST_CASE("cholesky: gradient (symmetric) and second derivative match finite differences") {
        manual_seed(8);
        for (bool upper : {false, true}) {
            INFO("upper = ", upper);
            check_both(
                [upper](const std::vector<Tensor>& in) {
                    return la::cholesky(positive_definite(symmetric(in[0])), upper);
                },
                {randn({2, 3, 3}, f64())});
        }
    }

    TEST_CASE(
        "cholesky: a matrix that is not positive-definite raises LinAlgError with the minor's "
        "order") {
        const Tensor A = stack({eye(2, kFloat64), make_f64({1, 2, 2, 1}, {2, 2})});
        CHECK_THROWS_CONTAINS(la::cholesky(A), la::LinAlgError,
                              "linalg.cholesky: (Batch element 1): ", "not positive-definite",
                              "leading minor of order 2");
        CHECK_THROWS_CONTAINS(la::cholesky(-eye(2, kFloat64)), la::LinAlgError,
                              "linalg.cholesky: The factorization", "order 1");
        CHECK_THROWS_CONTAINS(la::cholesky(ones({2, 3}, kFloat64)), std::invalid_argument,
                              "linalg.cholesky", "2 by 3");
    }

    TEST_CASE(
        "lstsq: solutions, residuals, rank and singular values per driver, as LibTorch fills "
        "them") {
        manual_seed(9);
        const Tensor A = randn({5, 3}, kFloat64), B = randn({5, 2}, kFloat64);
        const auto [X, residuals, rank, S] =
            la::lstsq(A, B);  // gelsy: no residuals or singular values
        CHECK(X.sizes() == std::vector<int64_t>{3, 2});
        // the normal equations hold at the least-squares solution
        CHECK(allclose(A.t().matmul(A.matmul(X) - B), zeros({3, 2}, kFloat64), 1e-12, 1e-12));
        CHECK(residuals.numel() == 0);
        CHECK(rank.dtype() == kInt64);
        CHECK(rank.item<int64_t>() == 3);
        CHECK(S.numel() == 0);
        const auto [Xd, res_d, rank_d, S_d] = la::lstsq(A, B, std::nullopt, "gelsd");
        CHECK(allclose(Xd, X, 1e-12, 1e-12));
        CHECK(allclose(res_d, (A.matmul(X) - B).pow(2).sum(0), 1e-12, 1e-12));
        CHECK(S_d.sizes() == std::vector<int64_t>{3});
        const auto [Xg, res_g, rank_g, S_g] = la::lstsq(A, B, std::nullopt, "gels");
        CHECK(rank_g.numel() == 0);
        CHECK(res_g.sizes() == std::vector<int64_t>{2});
        // rank-deficient: rank 1, and the minimum-norm solution (no component in A's null space)
        const Tensor A1 = make_f64({1, 2, 2, 4, 3, 6}, {3, 2});
        const auto [X1, r1, rank1, S1] = la::lstsq(A1, make_f64({1, 2, 3}, {3}));
        CHECK(rank1.item<int64_t>() == 1);
        CHECK_VALUES(X1, {0.2, 0.4}, 1e-12, 1e-12);
        // a vector b: residuals keep a dim of 1, as LibTorch's
        const auto [Xv, res_v, rank_v, S_v] = la::lstsq(A, B.select(1, 0), std::nullopt, "gelsd");
        CHECK(Xv.sizes() == std::vector<int64_t>{3});
        CHECK(res_v.sizes() == std::vector<int64_t>{1});
        CHECK(allclose(res_v, res_d.narrow(0, 0, 1), 1e-12, 1e-12));
    }

    TEST_CASE("lstsq: gradients to second order, tall, wide (minimum norm), vector and broadcast") {
        manual_seed(10);
        auto f = [](const std::vector<Tensor>& in) { return std::get<0>(la::lstsq(in[0], in[1])); };
        check_both(f, {randn({5, 3}, f64()), randn({5, 2}, f64())});
        check_both(f, {randn({3, 5}, f64()), randn({3}, f64())});
        CHECK_GRADIENTS(f, {randn({2, 4, 3}, f64()), randn({1, 4, 2}, f64())});
    }

    TEST_CASE("lstsq: bad drivers, shapes and batches raise std::invalid_argument") {
        const Tensor A = ones({2, 4, 3}, kFloat64);
        CHECK_THROWS_CONTAINS(la::lstsq(A, ones({2, 4, 1}, kFloat64), std::nullopt, "gesvd"),
                              std::invalid_argument, "linalg.lstsq", "gels, gelsy, gelsd, gelss",
                              "gesvd");
        CHECK_THROWS_CONTAINS(la::lstsq(A, ones({2, 5, 1}, kFloat64)), std::invalid_argument,
                              "linalg.lstsq", "[2, 5, 1]");
        CHECK_THROWS_CONTAINS(la::lstsq(A, ones({3, 4, 1}, kFloat64)), std::invalid_argument,
                              "do not broadcast");
    }

    TEST_CASE(
        "pinv: the Penrose conditions for tall, wide and rank-deficient matrices; hermitian") {
        manual_seed(11);
        for (const Tensor& A : {randn({4, 3}, kFloat64), randn({2, 3, 5}, kFloat64),
                                make_f64({1, 2, 2, 4, 3, 6}, {3, 2})}) {
            const Tensor P = la::pinv(A);
            CHECK(allclose(matmul(matmul(A, P), A), A, 1e-10, 1e-10));
            CHECK(allclose(matmul(matmul(P, A), P), P, 1e-10, 1e-10));
        }
        const Tensor S = symmetric(randn({3, 3}, kFloat64));
        CHECK(allclose(la::pinv(S, 1e-15, true), la::inv(S), 1e-10, 1e-10));
        // a singular value below rcond * max is dropped
        CHECK_VALUES(la::pinv(make_f64({1, 0, 0, 1e-16}, {2, 2})), {1, 0, 0, 0});
    }

    TEST_CASE("pinv: gradient and second derivative match finite differences") {
        manual_seed(12);
        auto f = [](const std::vector<Tensor>& in) { return la::pinv(in[0]); };
        check_both(f, {randn({4, 3}, f64())});
        check_both(f, {randn({2, 3, 4}, f64())});
        check_both(
            [](const std::vector<Tensor>& in) { return la::pinv(symmetric(in[0]), 1e-15, true); },
            {randn({3, 3}, f64())});
    }

    // ---- decompositions -------------------------------------------------------------------------

    TEST_CASE("qr: Q R = A with orthonormal Q and upper-triangular R, in every mode and shape") {
        manual_seed(13);
        for (const std::vector<int64_t>& shape :
             std::vector<std::vector<int64_t>>{{4, 3}, {3, 5}, {2, 3, 3}}) {
            const Tensor A = randn(shape, kFloat64);
            const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
            for (const char* mode : {"reduced", "complete"}) {
                INFO("shape ", shape_str(shape), ", mode ", mode);
                const auto [Q, R] = la::qr(A, mode);
                const int64_t cols = std::string(mode) == "complete" ? m : k;
                CHECK(Q.size(-1) == cols);
                CHECK(R.size(-2) == cols);
                CHECK(allclose(matmul(Q, R), A, 1e-12, 1e-12));
                CHECK(allclose(matmul(Q.transpose(-2, -1), Q),
                               eye(cols, kFloat64).expand(matmul(Q.transpose(-2, -1), Q).sizes()),
                               1e-12, 1e-12));
                CHECK(allclose(
                    R, R * (arange(cols).unsqueeze(1) <= arange(n).unsqueeze(0)).to(kFloat64)));
            }
            const auto [Q0, R0] = la::qr(A, "r");
            CHECK(Q0.numel() == 0);
            CHECK(allclose(R0.abs(), std::get<1>(la::qr(A)).abs(), 1e-12, 1e-12));
        }
        CHECK_THROWS_CONTAINS(la::qr(ones({3, 3}), "full"), std::invalid_argument, "linalg.qr",
                              "full", "reduced");
    }

    TEST_CASE("qr: gradients of Q and R to second order, tall, wide, square and batched") {
        manual_seed(14);
        auto f = [](const std::vector<Tensor>& in) {
            const auto [Q, R] = la::qr(in[0]);
            return flat({Q, R});
        };
        check_both(f, {randn({4, 3}, f64())});
        check_both(f, {randn({3, 5}, f64())});
        check_both(f, {randn({2, 3, 3}, f64())});
        CHECK_GRADIENTS(
            [](const std::vector<Tensor>& in) { return std::get<0>(la::qr(in[0], "complete")); },
            {randn({3, 4}, f64())});
    }

    TEST_CASE(
        "qr: differentiating mode 'r', or 'complete' with more rows than columns, raises as "
        "LibTorch") {
        const Tensor A = randn({4, 3}, f64());
        CHECK_THROWS_CONTAINS(std::get<1>(la::qr(A, "r")).sum().backward(), std::logic_error,
                              "linalg.qr", "mode='r'");
        CHECK_THROWS_CONTAINS(std::get<0>(la::qr(A, "complete")).sum().backward(), std::logic_error,
                              "not differentiable when mode='complete' and nrows > ncols");
    }

    TEST_CASE("eigh: A V = V diag(L), L ascending, V orthonormal; reads the chosen triangle") {
        manual_seed(15);
        const Tensor A = symmetric(randn({2, 4, 4}, kFloat64));
        const auto [L, V] = la::eigh(A);
        CHECK(allclose(A.matmul(V), V * L.unsqueeze(1), 1e-12, 1e-12));
        CHECK(allclose(V.transpose(1, 2).matmul(V), eye(4, kFloat64).expand({2, 4, 4}), 1e-12,
                       1e-12));
        const std::vector<double> l = L.to_vector<double>();
        for (size_t i = 0; i + 1 < l.size(); ++i) CHECK((i % 4 == 3 || l[i] <= l[i + 1]));
        CHECK(allclose(la::eigvalsh(A), L, 1e-12, 1e-12));
        // only the lower (or upper) triangle is read
        const Tensor lower_only =
            A * (arange(4).unsqueeze(1) >= arange(4).unsqueeze(0)).to(kFloat64);
        CHECK(allclose(la::eigvalsh(lower_only), L, 1e-12, 1e-12));
        CHECK(allclose(la::eigvalsh(lower_only.transpose(1, 2), "U"), L, 1e-12, 1e-12));
        CHECK_THROWS_CONTAINS(la::eigh(A, "X"), std::invalid_argument, "linalg.eigh", "'L' or 'U'");
        CHECK_THROWS_CONTAINS(la::eigvalsh(ones({2, 3}, kFloat64)), std::invalid_argument,
                              "2 by 3");
    }

    TEST_CASE("eigh: gradients of eigenvalues and eigenvectors to second order") {
        manual_seed(16);
        auto f = [](const std::vector<Tensor>& in) {
            const auto [L, V] = la::eigh(symmetric(in[0]));
            return flat({L, V});
        };
        check_both(f, {randn({2, 3, 3}, f64())});
        check_both([](const std::vector<Tensor>& in) { return la::eigvalsh(symmetric(in[0])); },
                   {randn({3, 3}, f64())});
    }

    TEST_CASE(
        "eigh: repeated eigenvalues: the vectors' gradient raises, the values' gradient is "
        "defined") {
        // diag(1, 1, 2) rotated: two equal eigenvalues up to rounding
        const Tensor Q = std::get<0>(la::qr(make_f64({1, 2, 0, -1, 1, 3, 2, 0, 1}, {3, 3})));
        const Tensor A = Q.matmul(make_f64({1, 0, 0, 0, 1, 0, 0, 0, 2}, {3, 3}))
                             .matmul(Q.t())
                             .detach()
                             .requires_grad_();
        CHECK_THROWS_CONTAINS(std::get<1>(la::eigh(A)).sum().backward(), la::LinAlgError,
                              "linalg.eigh (backward)", "repeated eigenvalues");
        la::eigvalsh(A).sum().backward();  // d trace(A) / dA = I
        CHECK(allclose(A.grad(), eye(3, kFloat64), 1e-12, 1e-12));
        const Tensor batch =
            stack({symmetric(randn({3, 3}, kFloat64)), A.detach()}).requires_grad_();
        CHECK_THROWS_CONTAINS(std::get<1>(la::eigh(batch)).sum().backward(), la::LinAlgError,
                              "(Batch element 1)");
    }

    TEST_CASE("svd: U diag(S) Vh = A, S descending, orthonormal factors, full and reduced") {
        manual_seed(17);
        for (const std::vector<int64_t>& shape :
             std::vector<std::vector<int64_t>>{{5, 3}, {3, 5}, {2, 4, 4}}) {
            const Tensor A = randn(shape, kFloat64);
            const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
            for (bool full : {false, true}) {
                INFO("shape ", shape_str(shape), ", full_matrices ", full);
                const auto [U, S, Vh] = la::svd(A, full);
                CHECK(U.size(-1) == (full ? m : k));
                CHECK(Vh.size(-2) == (full ? n : k));
                CHECK(allclose(matmul(U.narrow(-1, 0, k) * S.unsqueeze(-2), Vh.narrow(-2, 0, k)), A,
                               1e-12, 1e-12));
                const Tensor UtU = matmul(U.transpose(-2, -1), U);
                CHECK(allclose(UtU, eye(U.size(-1), kFloat64).expand(UtU.sizes()), 1e-12, 1e-12));
                const Tensor VVt = matmul(Vh, Vh.transpose(-2, -1));
                CHECK(allclose(VVt, eye(Vh.size(-2), kFloat64).expand(VVt.sizes()), 1e-12, 1e-12));
                const std::vector<double> s = S.reshape({-1, k}).select(0, 0).to_vector<double>();
                for (size_t i = 0; i + 1 < s.size(); ++i) CHECK(s[i] >= s[i + 1]);
            }
            CHECK(allclose(la::svdvals(A), std::get<1>(la::svd(A)), 1e-12, 1e-12));
        }
        CHECK_THROWS_CONTAINS(la::svd(ones({2, 2}), true, "gesvdj"), std::invalid_argument,
                              "linalg.svd", "driver");
    }

    TEST_CASE("svd: gradients of U, S and Vh to second order, tall, wide and batched") {
        manual_seed(18);
        auto f = [](const std::vector<Tensor>& in) {
            const auto [U, S, Vh] = la::svd(in[0], false);
            return flat({U, S, Vh});
        };
        check_both(f, {randn({4, 3}, f64())});
        check_both(f, {randn({3, 4}, f64())});
        check_both(f, {randn({2, 3, 3}, f64())});
        check_both([](const std::vector<Tensor>& in) { return la::svdvals(in[0]); },
                   {randn({2, 3, 4}, f64())});
    }

    TEST_CASE(
        "svd: full_matrices ignores the gradient of the extra columns, as LibTorch documents") {
        manual_seed(19);
        const Tensor A = randn({4, 2}, f64());
        std::get<0>(la::svd(A, true)).narrow(-1, 2, 2).sum().backward();
        CHECK(allclose(A.grad(), zeros({4, 2}, kFloat64)));
    }

    TEST_CASE("svd: repeated singular values: the vectors' gradient raises, svdvals' is defined") {
        const Tensor A = make_f64({2, 0, 0, 0, 2, 0}, {2, 3}, true);
        CHECK_THROWS_CONTAINS(std::get<0>(la::svd(A, false)).sum().backward(), la::LinAlgError,
                              "linalg.svd (backward)", "repeated singular values");
        la::svdvals(A).sum().backward();  // the nuclear norm's gradient U Vh
        CHECK(allclose(A.grad(), make_f64({1, 0, 0, 0, 1, 0}, {2, 3}), 1e-12, 1e-12));
    }

    TEST_CASE(
        "linalg: outputs carry no graph unless an input requires grad; decompositions record one "
        "node") {
        manual_seed(20);
        const Tensor A = symmetric(randn({3, 3}, kFloat64));
        const auto [L, V] = la::eigh(A);
        CHECK_FALSE(L.requires_grad());
        CHECK_FALSE(V.requires_grad());
        const Tensor Ag = A.clone().requires_grad_();
        const auto [Lg, Vg] = la::eigh(Ag);
        REQUIRE(Lg.requires_grad());
        CHECK_FALSE(Lg.is_view());  // each output is its own tensor
        CHECK(Lg.is_contiguous());
        CHECK(allclose(Lg.detach(), L));
    }

    // ---- norms ----------------------------------------------------------------------------------

    TEST_CASE("vector_norm: gradients to second order for ord 2, 1, 3, 1.5, 0.5, inf and -inf") {
        manual_seed(21);
        for (double ord : {2.0, 1.0, 3.0, 1.5, 0.5, kInf, -kInf}) {
            INFO("ord ", ord);
            auto f = [ord](const std::vector<Tensor>& in) {
                return la::vector_norm(in[0], ord, 1);
            };
            CHECK_GRADIENTS(f, {randn({3, 4}, f64())});
            if (std::isfinite(ord) && ord != 1.0) CHECK_GRADGRADIENTS(f, {randn({3, 4}, f64())});
        }
    }

    TEST_CASE("vector_norm: at a zero vector the gradient is 0, not NaN (LibTorch's choice)") {
        const Tensor x = zeros({3}, f64());
        la::vector_norm(x).backward();
        CHECK_VALUES(x.grad(), {0, 0, 0});
        // ties of the inf norm share the gradient
        const Tensor y = make_f64({-2, 2, 1}, {3}, true);
        la::vector_norm(y, kInf).backward();
        CHECK_VALUES(y.grad(), {-0.5, 0.5, 0});
    }

    TEST_CASE(
        "vector_norm: dtype widens, integers and narrowing are refused, strings cannot become "
        "orders") {
        const Tensor x = make_f64({3, 4}, {2}).to(kFloat32);
        const Tensor n = la::vector_norm(x, 2, std::nullopt, false, kFloat64);
        CHECK(n.dtype() == kFloat64);
        CHECK_VALUES(n, {5.0});
        CHECK_THROWS_CONTAINS(la::vector_norm(ones({3}, kInt64)), std::invalid_argument,
                              "linalg.vector_norm", "floating point", "int64");
        CHECK_THROWS_CONTAINS(
            la::vector_norm(ones({3}, kFloat64), 2, std::nullopt, false, kFloat32),
            std::invalid_argument, "narrowing");
        const char* ord = "fro";  // a pointer converts to bool: refused at run time
        CHECK_THROWS_CONTAINS(la::vector_norm(ones({3}, kFloat64), ord), std::invalid_argument,
                              "matrix_norm");
        CHECK_THROWS_CONTAINS(la::vector_norm(zeros({0}, kFloat64), kInf), std::invalid_argument,
                              "empty");
        CHECK_THROWS_CONTAINS(la::vector_norm(ones({2, 2}, kFloat64), 2, IntArrayRef{0, 0}),
                              std::invalid_argument, "more than once");
    }

    TEST_CASE("matrix_norm: gradients to second order for every order, batched") {
        manual_seed(22);
        for (double ord : {1.0, -1.0, 2.0, -2.0, kInf, -kInf}) {
            INFO("ord ", ord);
            CHECK_GRADIENTS(
                [ord](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], ord); },
                {randn({2, 3, 4}, f64())});
        }
        for (const char* ord : {"fro", "nuc"}) {
            INFO("ord ", ord);
            check_both(
                [ord](const std::vector<Tensor>& in) {
                    return la::matrix_norm(in[0], std::string(ord));
                },
                {randn({2, 3, 4}, f64())});
        }
        check_both([](const std::vector<Tensor>& in) { return la::matrix_norm(in[0], 2); },
                   {randn({3, 4}, f64())});
    }

    TEST_CASE("matrix_norm and norm: bad orders, dims and ranks raise std::invalid_argument") {
        const Tensor A = ones({3, 3}, kFloat64);
        CHECK_THROWS_CONTAINS(la::matrix_norm(A, 3), std::invalid_argument, "linalg.matrix_norm",
                              "not supported");
        CHECK_THROWS_CONTAINS(la::matrix_norm(A, "foo"), std::invalid_argument,
                              "'foo' not supported");
        CHECK_THROWS_CONTAINS(la::matrix_norm(ones({3}, kFloat64)), std::invalid_argument,
                              "at least 2 dimensions");
        CHECK_THROWS_CONTAINS(la::matrix_norm(A, "fro", {0, 0}), std::invalid_argument,
                              "must be different");
        CHECK_THROWS_CONTAINS(la::matrix_norm(A, "fro", {0}), std::invalid_argument, "2-tuple");
        CHECK_THROWS_CONTAINS(la::norm(ones({2, 2, 2}, kFloat64), 2), std::invalid_argument,
                              "linalg.norm", "1-D or 2-D");
        CHECK_THROWS_CONTAINS(
            la::norm(ones({2, 2, 2}, kFloat64), std::nullopt, IntArrayRef{0, 1, 2}),
            std::invalid_argument, "1 or 2 dims");
        CHECK_THROWS_CONTAINS(la::matrix_norm(ones({2, 2}, kInt64)), std::invalid_argument,
                              "floating point");
    }

    TEST_CASE(
        "linalg: LibTorch 1.13's full argument lists compile and agree with the short forms") {
        manual_seed(23);
        const Tensor A = symmetric(randn({3, 3}, kFloat64)) + 4.0 * eye(3, kFloat64);
        CHECK(allclose(std::get<0>(la::eigh(A, "L")), std::get<0>(la::eigh(A))));
        CHECK(allclose(la::eigvalsh(A, "L"), la::eigvalsh(A)));
        CHECK(allclose(std::get<1>(la::svd(A, false, std::nullopt)), la::svdvals(A, std::nullopt)));
        CHECK(allclose(la::solve(A, A, true), eye(3, kFloat64), 1e-12, 1e-12));
        CHECK(allclose(std::get<0>(la::lstsq(A, A, std::nullopt, std::nullopt)), eye(3, kFloat64),
                       1e-10, 1e-10));
        CHECK(allclose(la::pinv(A, 1e-15, false), la::inv(A), 1e-10, 1e-10));
        CHECK(allclose(std::get<1>(la::qr(A, "reduced")), std::get<1>(la::qr(A))));
        CHECK(allclose(la::vector_norm(A, 2, {1}, false, std::nullopt), la::vector_norm(A, 2, 1)));
        CHECK(
            allclose(la::matrix_norm(A, "fro", {-2, -1}, false, std::nullopt), la::vector_norm(A)));
        CHECK(
            allclose(la::matrix_norm(A, 2, {-2, -1}, false, std::nullopt), la::matrix_norm(A, 2)));
        CHECK(allclose(la::norm(A, std::nullopt, std::nullopt, false, std::nullopt),
                       la::vector_norm(A)));
        CHECK(allclose(la::norm(A, "nuc", std::nullopt, false, std::nullopt),
                       la::matrix_norm(A, "nuc")));
        CHECK(allclose(la::cholesky(A), la::cholesky(A, false)));
    }

    TEST_CASE("linalg: ops that need square matrices refuse others, naming the op and both sizes") {
        const Tensor A = ones({2, 3, 4}, kFloat64);
        CHECK_THROWS_CONTAINS(la::inv(A), std::invalid_argument, "linalg.inv", "square matrices",
                              "3 by 4");
        CHECK_THROWS_CONTAINS(la::det(A), std::invalid_argument, "linalg.det", "3 by 4");
        CHECK_THROWS_CONTAINS(la::slogdet(A), std::invalid_argument, "linalg.slogdet", "3 by 4");
        CHECK_THROWS_CONTAINS(la::eigh(A), std::invalid_argument, "linalg.eigh", "3 by 4");
        CHECK_THROWS_CONTAINS(la::pinv(A, 1e-15, true), std::invalid_argument, "linalg.pinv",
                              "3 by 4");
        CHECK(la::pinv(A).sizes() == std::vector<int64_t>{2, 4, 3});  // not hermitian: any shape
    }

    TEST_CASE("linalg: empty matrices and empty batches give LibTorch's results") {
        CHECK_VALUES(la::det(zeros({0, 0}, kFloat64)), {1.0});  // the empty product
        CHECK(la::det(zeros({0, 2, 2}, kFloat64)).sizes() == std::vector<int64_t>{0});
        CHECK(std::get<1>(la::eigh(zeros({0, 0}, kFloat64))).sizes() == std::vector<int64_t>{0, 0});
        const auto [U, S, Vh] = la::svd(zeros({3, 0}, kFloat64));
        CHECK(allclose(U, eye(3, kFloat64)));
        CHECK(S.numel() == 0);
        CHECK(allclose(std::get<0>(la::qr(zeros({3, 0}, kFloat64), "complete")), eye(3, kFloat64)));
        CHECK(std::get<0>(la::qr(zeros({3, 0}, kFloat64))).sizes() == std::vector<int64_t>{3, 0});
        CHECK(la::pinv(zeros({3, 0}, kFloat64)).sizes() == std::vector<int64_t>{0, 3});
        CHECK(std::get<0>(la::lstsq(zeros({3, 0}, kFloat64), ones({3, 2}, kFloat64))).sizes() ==
              std::vector<int64_t>{0, 2});
    }

    TEST_CASE("svd and lstsq: a NaN or an infinity raises LinAlgError instead of reaching LAPACK") {
        const Tensor A = stack({eye(2, kFloat64), make_f64({1, std::nan(""), 0, 1}, {2, 2})});
        CHECK_THROWS_CONTAINS(la::svd(A), la::LinAlgError, "linalg.svd: (Batch element 1)",
                              "non-finite");
        CHECK_THROWS_CONTAINS(la::lstsq(A, ones({2, 2, 1}, kFloat64)), la::LinAlgError,
                              "linalg.lstsq", "non-finite");
        CHECK_THROWS_CONTAINS(la::lstsq(eye(2, kFloat64), make_f64({kInf, 1}, {2})),
                              la::LinAlgError, "non-finite");
    }

    TEST_CASE("linalg: integer inputs are refused naming the op and the dtype") {
        const Tensor I = ones({2, 2}, kInt64);
        CHECK_THROWS_CONTAINS(la::inv(I), std::invalid_argument, "linalg.inv", "floating point",
                              "int64");
        CHECK_THROWS_CONTAINS(la::det(I), std::invalid_argument, "linalg.det", "int64");
        CHECK_THROWS_CONTAINS(la::qr(I), std::invalid_argument, "linalg.qr", "int64");
        CHECK_THROWS_CONTAINS(la::svd(I), std::invalid_argument, "linalg.svd", "int64");
        CHECK_THROWS_CONTAINS(la::eigh(I), std::invalid_argument, "linalg.eigh", "int64");
        CHECK_THROWS_CONTAINS(la::det(ones({3}, kFloat64)), std::invalid_argument, "linalg.det",
                              "at least 2 dimensions");
    }

}  // TEST_SUITE
