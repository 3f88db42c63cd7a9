// Norms: linalg::vector_norm, matrix_norm, norm. The vector norm is one op with LibTorch's
// backward (which is 0, not NaN, at a zero vector); the matrix norms are composed of it, of a
// max/min whose gradient is shared among ties, and of the singular values.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "autograd/grad_mode.hpp"
#include "autograd/linalg.hpp"
#include "autograd/ops/linalg_util.hpp"

namespace tapegrad {
namespace linalg {

namespace {

// Dims to reduce, wrapped and checked: all of them when `dim` is absent or empty.
std::vector<int64_t> reduced_dims(const char* op, const Tensor& x,
                                  const std::optional<IntArrayRef>& dim) {
    std::vector<int64_t> dims;
    if (dim && !dim->empty()) {
        for (int64_t d : *dim) {
            const int64_t w = tapegrad::detail::wrap_dim(op, d, x.dim());
            if (std::find(dims.begin(), dims.end(), w) != dims.end()) {
                fail(op,
                     "dim " + std::to_string(d) + " appears more than once in the list of dims");
            }
            dims.push_back(w);
        }
    } else {
        for (int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
    }
    return dims;
}

// x's sizes with the reduced dims set to 1 (keepdim), for broadcasting a result back.
std::vector<int64_t> kept_sizes(const Tensor& x, const std::vector<int64_t>& dims) {
    std::vector<int64_t> sizes = x.sizes();
    for (int64_t d : dims) sizes[static_cast<size_t>(d)] = 1;
    return sizes;
}

// x converted to `dtype` when given (a floating type at least as wide as x's), refusing
// integer inputs as LibTorch does.
Tensor in_dtype(const char* op, const Tensor& x, std::optional<ScalarType> dtype) {
    tapegrad::detail::check_defined(op, x);
    if (!x.is_floating_point()) {
        fail(op, std::string("expected a floating point tensor as input, got ") +
                     to_string(x.dtype()) + " (convert it with .to(kFloat64) or .to(kFloat32))");
    }
    if (!dtype || *dtype == x.dtype()) return x;
    if (*dtype != kFloat64) {
        fail(op, std::string("the dtype of the input (") + to_string(x.dtype()) +
                     ") should be convertible without narrowing to the specified dtype (" +
                     to_string(*dtype) + ")");
    }
    return x.to(*dtype);
}

// The largest (or smallest) element along `dim`; its gradient is shared evenly among the
// elements that reach it (LibTorch's amax / amin).
// grad_x = grad_out * [x == y] / count(x == y)
Tensor extreme(const Tensor& x, int64_t dim, bool keepdim, bool largest) {
    if (x.size(dim) == 0) {
        fail("linalg.matrix_norm", "cannot reduce an empty dim " + std::to_string(dim) +
                                       " of a tensor of shape " + shape_str(x.sizes()) +
                                       " (the max has no identity)");
    }
    Tensor y;
    {
        NoGradGuard no_grad;
        y = std::get<0>(largest ? x.detach().max(dim, true) : x.detach().min(dim, true));
    }
    y = autograd::record(
        largest ? "amax" : "amin", y, {x},
        [x, dim](const Tensor& grad_out, const Tensor& y) {
            const Tensor hit = eq(x.detach(), y.detach()).to(x.dtype());
            return Grads{grad_out * hit / hit.sum(dim, true)};
        },
        "grad_x = grad_out * [x == y] / count(x == y)", autograd::kSavesNone);
    return keepdim ? y : y.squeeze(dim);
}

// The two dims of a matrix norm, wrapped; A must have them.
std::pair<int64_t, int64_t> matrix_dims(const char* op, const Tensor& A, const IntArrayRef& dim) {
    if (A.dim() < 2) {
        fail(op, "the input tensor A must have at least 2 dimensions, got shape " +
                     shape_str(A.sizes()));
    }
    if (dim.size() != 2)
        fail(op, "dim must be a 2-tuple, got " + std::to_string(dim.size()) + " dims");
    const int64_t d0 = tapegrad::detail::wrap_dim(op, dim[0], A.dim());
    const int64_t d1 = tapegrad::detail::wrap_dim(op, dim[1], A.dim());
    if (d0 == d1) {
        fail(op, "dims must be different, got (" + std::to_string(dim[0]) + ", " +
                     std::to_string(dim[1]) + ")");
    }
    return {d0, d1};
}

// Puts back the two reduced dims as size 1 (keepdim) on a result over the other dims.
Tensor keep_matrix_dims(Tensor y, int64_t d0, int64_t d1, bool keepdim) {
    if (!keepdim) return y;
    for (int64_t d : {std::min(d0, d1), std::max(d0, d1)}) y = y.unsqueeze(d);
    return y;
}

// Removes the (kept, size-1) dims `dims` unless keepdim.
Tensor drop_dims(Tensor t, std::vector<int64_t> dims, bool keepdim) {
    if (keepdim) return t;
    std::sort(dims.rbegin(), dims.rend());
    for (int64_t d : dims) t = t.squeeze(d);
    return t;
}

}  // namespace

// y = (sum |x|^p)^(1/p) over dims (p = ord); inf: max |x|, -inf: min |x|, 0: count(x != 0)
// grad_x = grad_out * sign(x) |x|^(p-1) / y^(p-1) (0 where y = 0); for inf / -inf, grad_out
// * sign(x) shared among the elements with |x| = y
Tensor vector_norm(const Tensor& x_in, Scalar ord, std::optional<IntArrayRef> dim, bool keepdim,
                   std::optional<ScalarType> dtype) {
    const char* op = "linalg.vector_norm";
    if (ord.is_bool()) {
        fail(op,
             "ord must be a number, got a bool (a string order converts to bool: \"fro\" and "
             "\"nuc\" are matrix norms, see matrix_norm)");
    }
    const Tensor x = in_dtype(op, x_in, dtype);
    const std::vector<int64_t> dims = reduced_dims(op, x, dim);
    const double p = ord.to_double();
    const bool infinite = std::isinf(p);
    const std::vector<int64_t> kept = kept_sizes(x, dims);
    int64_t reduced = 1;
    for (int64_t d : dims) reduced *= x.size(d);
    if (infinite && reduced == 0) {
        fail(op, "cannot compute the " + std::string(p > 0 ? "inf" : "-inf") +
                     " norm on an empty tensor because the operation does not have an identity");
    }

    Tensor y;  // [kept sizes]
    {
        NoGradGuard no_grad;
        const Tensor a = x.detach().abs();
        if (infinite) {  // max (min) of |x| one dim at a time
            y = a;
            for (int64_t d : dims) y = std::get<0>(p > 0 ? y.max(d, true) : y.min(d, true));
        } else if (p == 0) {
            y = ne(a, 0.0).to(x.dtype()).sum(dims, true);
        } else if (p == 1) {
            y = a.sum(dims, true);
        } else if (p == 2) {
            y = (a * a).sum(dims, true).sqrt();
        } else {
            y = a.pow(p).sum(dims, true).pow(1.0 / p);
        }
    }
    y = autograd::record(
        "linalg_vector_norm", y, {x},
        [x, p, infinite, dims](const Tensor& grad_out, const Tensor& y) {
            if (p == 0) return Grads{zeros_like(x)};
            const Tensor sign = detail::sign_of(x);
            if (infinite) {
                const Tensor hit = eq(x.detach().abs(), y.detach()).to(x.dtype());
                return Grads{sign * hit * (grad_out / hit.sum(dims, true))};
            }
            if (p == 1) return Grads{sign * grad_out};
            // grad_out / y^(p-1), 0 where the norm is 0 (LibTorch's choice at the zero vector)
            const Tensor zero_norm = eq(y.detach(), 0.0);
            const Tensor y_safe = where(zero_norm, ones_like(y), y);
            const Tensor scale =
                where(zero_norm, zeros_like(y), grad_out / (p == 2 ? y_safe : y_safe.pow(p - 1)));
            if (p == 2) return Grads{x * scale};
            // |x|^(p-1) is infinite at x = 0 for p < 1: LibTorch takes 0 there
            const Tensor zero_x = eq(x.detach(), 0.0);
            const Tensor magnitude =
                where(zero_x, zeros_like(x), where(zero_x, ones_like(x), x.abs()).pow(p - 1));
            if (p < 1) return Grads{sign * magnitude * grad_out * y.pow(1 - p)};
            return Grads{sign * magnitude * scale};
        },
        "grad_x = grad_out * sign(x) |x|^(p-1) / y^(p-1) (0 where y = 0)", autograd::kSavesAll);
    return drop_dims(y, dims, keepdim);
}

Tensor matrix_norm(const Tensor& A_in, const Scalar& ord, IntArrayRef dim, bool keepdim,
                   std::optional<ScalarType> dtype) {
    const char* op = "linalg.matrix_norm";
    if (ord.is_bool()) fail(op, "ord must be a number or a string (\"fro\", \"nuc\"), got a bool");
    const Tensor A = in_dtype(op, A_in, dtype);
    const auto [d0, d1] = matrix_dims(op, A, dim);
    const double p = ord.to_double();
    const bool infinite = std::isinf(p);
    if (std::abs(p) == 2) {  // the largest / smallest singular value
        const Tensor s = svdvals(movedim(A, {d0, d1}, {-2, -1}));
        return keep_matrix_dims(extreme(s, -1, false, p > 0), d0, d1, keepdim);
    }
    if (std::abs(p) != 1 && !infinite)
        fail(op, "order " + std::to_string(p) +
                     " not supported (use 1, -1, 2, -2, inf, -inf, \"fro\" or \"nuc\")");
    // ord +-1: max/min over columns (d1) of the sums over rows (d0); inf: the other way round
    const int64_t sum_dim = infinite ? d1 : d0, pick_dim = infinite ? d0 : d1;
    const Tensor sums = vector_norm(A, 1, IntArrayRef{sum_dim}, /*keepdim=*/true);
    return drop_dims(extreme(sums, pick_dim, true, p > 0), {d0, d1}, keepdim);
}

Tensor matrix_norm(const Tensor& A_in, std::string ord, IntArrayRef dim, bool keepdim,
                   std::optional<ScalarType> dtype) {
    const char* op = "linalg.matrix_norm";
    if (ord != "fro" && ord != "nuc")
        fail(op, "order '" + ord + "' not supported (use \"fro\", \"nuc\" or a number)");
    const Tensor A = in_dtype(op, A_in, dtype);
    const auto [d0, d1] = matrix_dims(op, A, dim);
    if (ord == "fro") return vector_norm(A, 2, IntArrayRef{d0, d1}, keepdim);
    // nuclear: the sum of the singular values
    return keep_matrix_dims(svdvals(movedim(A, {d0, d1}, {-2, -1})).sum(-1), d0, d1, keepdim);
}

Tensor norm(const Tensor& x, const std::optional<Scalar>& ord, std::optional<IntArrayRef> dim,
            bool keepdim, std::optional<ScalarType> dtype) {
    const char* op = "linalg.norm";
    tapegrad::detail::check_defined(op, x);
    if (dim && dim->size() != 1 && dim->size() != 2) {
        fail(op, "if dim is given, it must have 1 or 2 dims, got " + std::to_string(dim->size()));
    }
    if (!ord) {  // the 2-norm of the elements, or Frobenius over two dims
        if (dim && dim->size() == 2)
            return matrix_norm(x, std::string("fro"), *dim, keepdim, dtype);
        return vector_norm(x, 2, dim, keepdim, dtype);
    }
    if (dim) {
        if (dim->size() == 1) return vector_norm(x, *ord, dim, keepdim, dtype);
        return matrix_norm(x, *ord, *dim, keepdim, dtype);
    }
    if (x.dim() == 1) return vector_norm(x, *ord, std::nullopt, keepdim, dtype);
    if (x.dim() == 2) return matrix_norm(x, *ord, {-2, -1}, keepdim, dtype);
    fail(op, "if dim is not given but ord is, the input must be 1-D or 2-D, got shape " +
                 shape_str(x.sizes()));
}

Tensor norm(const Tensor& x, std::string ord, std::optional<IntArrayRef> dim, bool keepdim,
            std::optional<ScalarType> dtype) {
    const char* op = "linalg.norm";
    tapegrad::detail::check_defined(op, x);
    if (dim) return matrix_norm(x, ord, *dim, keepdim, dtype);
    if (x.dim() > 2)
        fail(op, "if dim is not given but ord is, the input must be 1-D or 2-D, got shape " +
                     shape_str(x.sizes()));
    return matrix_norm(x, ord, {-2, -1}, keepdim, dtype);
}

}  // namespace linalg
}  // namespace tapegrad
