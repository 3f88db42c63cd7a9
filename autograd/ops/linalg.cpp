// Matrix products. Every product is one OpenBLAS gemm call (per batch item); transposed and
// row-sliced operands are passed to gemm as flags and leading dimensions, never copied.

#include "autograd/autocast.hpp"
#include "autograd/detail.hpp"
#include "autograd/kernels/blas.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// How BLAS reads a 2-D (or, per batch item, 3-D) operand where it lies: row-major with a
// row stride, or column-major (a transposed view), which is row-major with the transpose
// flag flipped. Anything else (a gap between elements of a row, an expand) is copied first.
struct BlasOperand {
    Tensor t;       // the tensor to read (x itself, or a contiguous copy)
    bool trans;     // flag for gemm
    int64_t ld;     // leading dimension as stored
    int64_t batch;  // stride between batch items (3-D)
};

BlasOperand blas_operand(const Tensor& x, bool trans) {
    const int64_t r = x.size(-2), c = x.size(-1), sr = x.stride(-2), sc = x.stride(-1);
    const int64_t batch = x.dim() == 3 ? x.stride(0) : 0;
    if (x.dim() == 2 || x.size(0) == 1 || batch > 0) {
        if ((sc == 1 || c == 1) && (r == 1 || sr >= std::max<int64_t>(c, 1)))
            return {x, trans, r == 1 ? std::max<int64_t>(c, 1) : sr, batch};
        if ((sr == 1 || r == 1) && (c == 1 || sc >= std::max<int64_t>(r, 1)))
            return {x, !trans, c == 1 ? std::max<int64_t>(r, 1) : sc, batch};
    }
    const Tensor cx = x.contiguous();
    return {cx, trans, std::max<int64_t>(c, 1), x.dim() == 3 ? r * c : 0};
}

// True for a 2-D matrix stored column by column (a transposed view of a row-major one), with
// more than one row and column: its gradient is best written in that layout too.
bool column_major(const Tensor& x) {
    return x.dim() == 2 && x.size(0) > 1 && x.size(1) > 1 && x.stride(0) == 1 &&
           x.stride(1) >= x.size(0);
}

// y = op(a) @ op(b), or y += op(a) @ op(b) with `accumulate` (gemm's beta = 1), into a
// contiguous y of the product's shape, for 2-D operands or batch-wise for 3-D ones; op
// transposes the last two dims when its flag is set. Operands that are transposed or
// row-sliced views go to gemm as they lie. No graph: gemm_op records.
void gemm_into(Tensor& y, bool accumulate, const Tensor& a, bool ta, const Tensor& b, bool tb) {
    const bool batched = a.dim() == 3;
    const int64_t batch = batched ? a.size(0) : 1;
    const int64_t ar = a.size(-2), ac = a.size(-1), br = b.size(-2), bc = b.size(-1);
    const int64_t m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
    const std::vector<int64_t> shape =
        batched ? std::vector<int64_t>{batch, m, n} : std::vector<int64_t>{m, n};
    if (y.sizes() != shape || !y.is_contiguous() || y.dtype() != a.dtype()) {
        throw std::logic_error("matmul: cannot write a product of shape " + shape_str(shape) +
                               " into a tensor of shape " + shape_str(y.sizes()));
    }
    const BlasOperand oa = blas_operand(a, ta), ob = blas_operand(b, tb);
    detail::dispatch_floating(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pa = static_cast<const T*>(oa.t.raw_data());
        const T* pb = static_cast<const T*>(ob.t.raw_data());
        T* py = static_cast<T*>(y.raw_data());
        for (int64_t i = 0; i < batch; ++i) {
            kernels::gemm(oa.trans, ob.trans, m, n, k, T(1), pa + i * oa.batch, oa.ld,
                          pb + i * ob.batch, ob.ld, accumulate ? T(1) : T(0), py + i * m * n);
        }
    });
}

// op(a) @ op(b), recorded. The four flag combinations are closed under differentiation:
//   y = a b      grad_a = g b^T        grad_b = a^T g
//   y = a b^T    grad_a = g b          grad_b = g^T a
//   y = a^T b    grad_a = b g^T        grad_b = a g
//   y = a^T b^T  grad_a = b^T g^T      grad_b = g^T a^T
Tensor gemm_op(const Tensor& a, bool ta, const Tensor& b, bool tb) {
    const int64_t m = ta ? a.size(-1) : a.size(-2), n = tb ? b.size(-2) : b.size(-1);
    Tensor y = detail::make_tensor(
        a.dim() == 3 ? std::vector<int64_t>{a.size(0), m, n} : std::vector<int64_t>{m, n},
        a.dtype());
    gemm_into(y, false, a, ta, b, tb);
    return record(
        "matmul", y, {a, b},
        [a, b, ta, tb](const Tensor& g, autograd::GradSink& sink) {
            // A gradient takes its input's layout, as in LibTorch: for a transposed view
            // (x.t().matmul(w)) gemm writes grad_a^T, whose .t() is then a view that the
            // transpose's backward turns back into x's row-major layout, so it reaches x.grad
            // without a strided copy or add. A leaf's gradient may go straight into its .grad.
            Tensor ga, gb;
            if (a.requires_grad() && !sink.write(0, [&](Tensor& dest, bool acc) {
                    ta ? gemm_into(dest, acc, b, tb, g, true)
                       : gemm_into(dest, acc, g, false, b, !tb);
                })) {
                ga = column_major(a)
                         ? (ta ? gemm_op(g, false, b, !tb) : gemm_op(b, tb, g, true)).t()
                         : (ta ? gemm_op(b, tb, g, true) : gemm_op(g, false, b, !tb));
            }
            if (b.requires_grad() && !sink.write(1, [&](Tensor& dest, bool acc) {
                    tb ? gemm_into(dest, acc, g, true, a, ta)
                       : gemm_into(dest, acc, a, !ta, g, false);
                })) {
                gb = column_major(b)
                         ? (tb ? gemm_op(a, !ta, g, false) : gemm_op(g, true, a, ta)).t()
                         : (tb ? gemm_op(g, true, a, ta) : gemm_op(a, !ta, g, false));
            }
            return Grads{ga, gb};
        },
        "grad_a = grad_out @ b^T, grad_b = a^T @ grad_out (transposes as gemm flags)");
}

// dest = sum(g, 0), or dest += sum(g, 0) with `accumulate`: a bias's gradient, row by row.
void sum_rows_into(Tensor& dest, bool accumulate, const Tensor& g) {
    const Tensor gc = g.contiguous();
    const int64_t rows = gc.size(0), cols = gc.size(1);
    detail::dispatch_floating(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* d = dest.data_ptr<T>();
        const T* p = gc.data_ptr<T>();
        if (!accumulate) std::fill(d, d + cols, T(0));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) d[c] += p[r * cols + c];
    });
}

void check_float_pair(const char* op, const Tensor& a, const Tensor& b) {
    detail::check_defined(op, a, "a");
    detail::check_defined(op, b, "b");
    if (a.dtype() != b.dtype()) {
        detail::fail(op, std::string("dtypes differ: a is ") + to_string(a.dtype()) + ", b is " +
                             to_string(b.dtype()));
    }
}

[[noreturn]] void inner_mismatch(const char* op, const Tensor& a, const Tensor& b) {
    detail::fail(op, "inner dimensions differ: a is " + shape_str(a.sizes()) + ", b is " +
                         shape_str(b.sizes()));
}

}  // namespace

// y = a @ b for [n, k] x [k, m];  grad_a = grad_out @ b^T, grad_b = a^T @ grad_out
Tensor mm(const Tensor& a, const Tensor& b) {
    check_float_pair("mm", a, b);
    if (a.dim() != 2 || b.dim() != 2) {
        detail::fail("mm", "expected 2-D operands, got a of shape " + shape_str(a.sizes()) +
                               " and b of shape " + shape_str(b.sizes()));
    }
    if (a.size(1) != b.size(0)) inner_mismatch("mm", a, b);
    if (Tensor y = autocast::detail::matmul(a, b); y.defined()) return y;  // bfloat16 in scope
    return gemm_op(a, false, b, false);
}

// y[i] = a[i] @ b[i] for [B, n, k] x [B, k, m]
Tensor bmm(const Tensor& a, const Tensor& b) {
    check_float_pair("bmm", a, b);
    if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0)) {
        detail::fail("bmm", "expected 3-D operands with the same batch size, got a of shape " +
                                shape_str(a.sizes()) + " and b of shape " + shape_str(b.sizes()));
    }
    if (a.size(2) != b.size(1)) inner_mismatch("bmm", a, b);
    return gemm_op(a, false, b, false);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
    check_float_pair("matmul", a, b);
    const int64_t da = a.dim(), db = b.dim();
    if (da == 0 || db == 0 || da > 3 || db > 3) {
        detail::fail("matmul", "supports 1-D, 2-D and 3-D operands, got a of shape " +
                                   shape_str(a.sizes()) + " and b of shape " +
                                   shape_str(b.sizes()));
    }
    if (a.size(-1) != b.size(db == 1 ? 0 : -2)) inner_mismatch("matmul", a, b);
    if (Tensor y = autocast::detail::matmul(a, b); y.defined()) return y;  // bfloat16 in scope
    if (da == 1 && db == 1) return dot(a, b);
    if (da == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
    if (db == 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
    if (da == 2 && db == 2) return gemm_op(a, false, b, false);
    if (da == 3 && db == 2) {  // fold the batch into rows: one gemm, no copy
        const int64_t batch = a.size(0), n = a.size(1);
        return gemm_op(a.reshape({batch * n, a.size(2)}), false, b, false)
            .reshape({batch, n, b.size(1)});
    }
    if (da == 3 && db == 3) {
        if (a.size(0) != b.size(0)) {
            detail::fail("matmul", "batch sizes differ: a is " + shape_str(a.sizes()) + ", b is " +
                                       shape_str(b.sizes()));
        }
        return bmm(a, b);
    }
    detail::fail("matmul", "a 2-D times 3-D product is not supported: a is " +
                               shape_str(a.sizes()) + ", b is " + shape_str(b.sizes()));
}

// y = x @ w^T + bias for x [..., in], w [out, in], bias [out]
// grad_x = grad_out @ w, grad_w = grad_out^T @ x, grad_bias = sum(grad_out, 0)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    check_float_pair("linear", x, weight);
    if (weight.dim() != 2 || x.dim() == 0 || x.size(-1) != weight.size(1)) {
        detail::fail("linear", "input of shape " + shape_str(x.sizes()) +
                                   " does not fit weight of shape " + shape_str(weight.sizes()) +
                                   " (expected [..., in] and [out, in])");
    }
    const int64_t in = weight.size(1), out = weight.size(0);
    if (bias.defined() && (bias.dim() != 1 || bias.size(0) != out || bias.dtype() != x.dtype())) {
        detail::fail("linear", "bias of shape " + shape_str(bias.sizes()) + " and dtype " +
                                   to_string(bias.dtype()) + " does not fit weight of shape " +
                                   shape_str(weight.sizes()));
    }
    if (Tensor y = autocast::detail::linear(x, weight, bias); y.defined()) return y;  // bfloat16
    const Tensor x2 = x.dim() == 2 ? x : x.reshape({-1, in});
    const int64_t rows = x2.size(0);
    Tensor y = detail::make_tensor({rows, out}, x.dtype());
    const BlasOperand ox = blas_operand(x2, false), ow = blas_operand(weight, true);
    const Tensor bc = bias.defined() ? bias.contiguous() : bias;
    detail::dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* py = y.data_ptr<T>();
        if (bias.defined()) {  // start from the bias and let gemm add to it (beta = 1)
            const T* pb = bc.data_ptr<T>();
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t o = 0; o < out; ++o) py[r * out + o] = pb[o];
        }
        kernels::gemm(
            ox.trans, ow.trans, rows, out, in, T(1), static_cast<const T*>(ox.t.raw_data()), ox.ld,
            static_cast<const T*>(ow.t.raw_data()), ow.ld, bias.defined() ? T(1) : T(0), py);
    });
    y = record(
        "linear", y, {x2, weight, bias},
        [x2, weight, need_b = bias.defined() && bias.requires_grad()](const Tensor& g,
                                                                      autograd::GradSink& sink) {
            // the weight's and bias's gradients go straight into their .grad when allowed
            Tensor gx, gw, gb;
            if (x2.requires_grad()) gx = gemm_op(g, false, weight, false);
            if (weight.requires_grad() && !sink.write(1, [&](Tensor& dest, bool acc) {
                    gemm_into(dest, acc, g, true, x2, false);
                }))
                gw = gemm_op(g, true, x2, false);
            if (need_b &&
                !sink.write(2, [&](Tensor& dest, bool acc) { sum_rows_into(dest, acc, g); }))
                gb = g.sum(0);
            return Grads{gx, gw, gb};
        },
        "grad_x = grad_out @ w, grad_w = grad_out^T @ x, grad_bias = sum(grad_out, 0)");
    if (x.dim() == 2) return y;
    std::vector<int64_t> shape = x.sizes();
    shape.back() = out;
    return y.reshape(shape);
}

// y = sum_i a_i b_i;  grad_a = grad_out * b, grad_b = grad_out * a
Tensor dot(const Tensor& a, const Tensor& b) {
    check_float_pair("dot", a, b);
    if (a.dim() != 1 || b.dim() != 1 || a.numel() != b.numel()) {
        detail::fail("dot", "expected 1-D tensors of the same length, got a of shape " +
                                shape_str(a.sizes()) + " and b of shape " + shape_str(b.sizes()));
    }
    Tensor y = detail::make_tensor({}, a.dtype());
    detail::dispatch_floating(a.dtype(), [&](auto zero) {
        using T = decltype(zero);  // [1, n] x [n, 1]: one gemm, so the sum is BLAS's
        const int64_t n = a.numel();
        // a's elements step by lda as the [n, 1] transposed row, b's by ldb as a column
        // (BLAS wants steps of at least 1: an expanded vector is copied first)
        const Tensor ac = n > 1 && a.stride(0) == 0 ? a.contiguous() : a;
        const Tensor bc = n > 1 && b.stride(0) == 0 ? b.contiguous() : b;
        kernels::gemm(true, false, 1, 1, n, T(1), ac.data_ptr<T>(), n > 1 ? ac.stride(0) : 1,
                      bc.data_ptr<T>(), n > 1 ? bc.stride(0) : 1, T(0), y.data_ptr<T>());
    });
    return record(
        "dot", y, {a, b},
        [a, b](const Tensor& g) {
            return Grads{a.requires_grad() ? g * b : Tensor(),
                         b.requires_grad() ? g * a : Tensor()};
        },
        "grad_a = grad_out * b, grad_b = grad_out * a");
}

// ---- products added to a tensor, composed of the ops above (so their backward is too) -----

namespace {
// beta * self + alpha * product, with self broadcast to the product's shape. beta = 0 drops
// self (its NaNs too), as LibTorch does.
Tensor scaled_sum_with(const char* op, const Tensor& self, const Tensor& product, Scalar beta,
                       Scalar alpha) {
    detail::check_defined(op, self, "self");
    bool fits = self.dim() <= product.dim();
    for (int64_t d = 1; fits && d <= self.dim(); ++d)
        fits = self.size(-d) == 1 || self.size(-d) == product.size(-d);
    if (!fits) {
        detail::fail(op, "self of shape " + shape_str(self.sizes()) +
                             " does not broadcast to the product's shape " +
                             shape_str(product.sizes()));
    }
    const Tensor scaled = alpha.to_double() == 1.0 ? product : product * alpha;
    if (beta.to_double() == 0.0) return scaled;
    return (beta.to_double() == 1.0 ? self : self * beta) + scaled;
}
}  // namespace

// y = beta * self + alpha * (mat1 @ mat2)     mat1: [n, k], mat2: [k, m], self broadcasts to [n, m]
// grad_self = sum_to(beta * grad_out)   grad_mat1 = alpha * grad_out @ mat2^T   (by composition)
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, Scalar beta,
             Scalar alpha) {
    check_float_pair("addmm", mat1, mat2);
    if (mat1.dim() != 2 || mat2.dim() != 2) {
        detail::fail("addmm", "mat1 and mat2 must be matrices, got mat1 of shape " +
                                  shape_str(mat1.sizes()) + " and mat2 of shape " +
                                  shape_str(mat2.sizes()));
    }
    if (mat1.size(1) != mat2.size(0)) {
        detail::fail("addmm", "mat1 and mat2 shapes cannot be multiplied: mat1 is " +
                                  shape_str(mat1.sizes()) + ", mat2 is " + shape_str(mat2.sizes()));
    }
    return scaled_sum_with("addmm", self, mm(mat1, mat2), beta, alpha);
}

// y = beta * self + alpha * bmm(batch1, batch2)   batch1: [B, n, k], batch2: [B, k, m]
// grad_batch1 = alpha * grad_out @ batch2^T per batch item (by composition)
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, Scalar beta,
               Scalar alpha) {
    check_float_pair("baddbmm", batch1, batch2);
    if (batch1.dim() != 3 || batch2.dim() != 3 || batch1.size(0) != batch2.size(0) ||
        batch1.size(2) != batch2.size(1)) {
        detail::fail("baddbmm",
                     "expected batch1 [B, n, k] and batch2 [B, k, m], got batch1 of shape " +
                         shape_str(batch1.sizes()) + " and batch2 of shape " +
                         shape_str(batch2.sizes()));
    }
    return scaled_sum_with("baddbmm", self, bmm(batch1, batch2), beta, alpha);
}

Tensor Tensor::addmm(const Tensor& mat1, const Tensor& mat2, Scalar beta, Scalar alpha) const {
    return tapegrad::addmm(*this, mat1, mat2, beta, alpha);
}
Tensor Tensor::baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta,
                       Scalar alpha) const {
    return tapegrad::baddbmm(*this, batch1, batch2, beta, alpha);
}
Tensor Tensor::matmul(const Tensor& o) const {
    return tapegrad::matmul(*this, o);
}
Tensor Tensor::mm(const Tensor& o) const {
    return tapegrad::mm(*this, o);
}

}  // namespace tapegrad
