// Helpers shared by the tapegrad::linalg op files (see linalg_util.hpp).

#include "autograd/ops/linalg_util.hpp"

#include <stdexcept>
#include <utility>

#include "autograd/grad_mode.hpp"

namespace tapegrad {
namespace linalg {
namespace detail {

using tapegrad::detail::fail;

void check_matrix_input(const char* op, const Tensor& A, const char* name) {
    tapegrad::detail::check_defined(op, A, name);
    if (!A.is_floating_point()) {
        fail(op, std::string("expected a floating point tensor as ") + name + ", got " +
                     to_string(A.dtype()) + " (convert it with .to(kFloat64) or .to(kFloat32))");
    }
    if (A.dim() < 2) {
        fail(op, std::string("the input tensor ") + name +
                     " must have at least 2 dimensions, got shape " + shape_str(A.sizes()));
    }
}

void check_square(const char* op, const Tensor& A) {
    check_matrix_input(op, A);
    if (A.size(-1) != A.size(-2)) {
        fail(op, "A must be batches of square matrices, but they are " +
                     std::to_string(A.size(-2)) + " by " + std::to_string(A.size(-1)) +
                     " matrices (shape " + shape_str(A.sizes()) + ")");
    }
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype()) {
        fail(op, std::string("expected A and B to have the same dtype, but A is ") +
                     to_string(a.dtype()) + " and B is " + to_string(b.dtype()));
    }
}

std::vector<int64_t> batch_sizes(const Tensor& A) {
    return std::vector<int64_t>(A.sizes().begin(), A.sizes().end() - 2);
}

int64_t batch_count(const Tensor& A) {
    return tapegrad::detail::numel_of(batch_sizes(A));
}

std::vector<int64_t> with_batch(std::vector<int64_t> batch, std::initializer_list<int64_t> tail) {
    batch.insert(batch.end(), tail.begin(), tail.end());
    return batch;
}

std::vector<int64_t> broadcast_batch(const char* op, const Tensor& A, const Tensor& B) {
    try {
        return broadcast_shapes(op, batch_sizes(A), batch_sizes(B));
    } catch (const std::invalid_argument&) {
        fail(op, "the batch dims of A and B do not broadcast: A is " + shape_str(A.sizes()) +
                     ", B is " + shape_str(B.sizes()));
    }
}

void linalg_error(const char* op, int64_t item, const std::string& what) {
    std::string message = std::string(op) + ": ";
    if (item >= 0) message += "(Batch element " + std::to_string(item) + "): ";
    throw LinAlgError(message + what);
}

void check_status(const char* op, const Tensor& A, const kernels::LapackStatus& status,
                  const std::function<std::string(int64_t)>& what) {
    if (status.ok()) return;
    linalg_error(op, A.dim() > 2 ? status.item : -1,
                 status.non_finite
                     ? "The input matrix contains non-finite values (NaN or infinity)."
                     : what(status.info));
}

int64_t first_flagged(const Tensor& flags) {
    if (flags.numel() == 0) return -1;
    NoGradGuard no_grad;
    const std::vector<int64_t> any =
        flags.reshape({-1, flags.size(-1)}).to(kInt64).sum(1).to_vector<int64_t>();
    for (size_t i = 0; i < any.size(); ++i)
        if (any[i] > 0) return static_cast<int64_t>(i);
    return -1;
}

Tensor mT(const Tensor& a) {
    return a.transpose(-2, -1);
}

Tensor batched_mm(const Tensor& a, const Tensor& b) {
    if (a.dim() == 2 && b.dim() == 2) return matmul(a, b);
    const std::vector<int64_t> batch = batch_sizes(a.dim() >= b.dim() ? a : b);
    const int64_t count = tapegrad::detail::numel_of(batch);
    // fold the batch dims into one, as the 3-D product takes them
    auto fold = [&](const Tensor& t) {
        const Tensor full = t.dim() == 2 ? t.expand(with_batch(batch, {t.size(0), t.size(1)})) : t;
        return full.reshape({count, t.size(-2), t.size(-1)});
    };
    return matmul(fold(a), fold(b)).reshape(with_batch(batch, {a.size(-2), b.size(-1)}));
}

Tensor diag_embed(const Tensor& v) {
    return v.unsqueeze(-1) * eye_of(v.size(-1), v.dtype());
}

Tensor eye_of(int64_t n, ScalarType dtype) {
    return eye(n, TensorOptions(dtype));
}

namespace {

// 1 where column - row >= k (upper) or <= k (lower), else 0.
Tensor triangle_mask(int64_t rows, int64_t cols, int64_t k, bool upper, ScalarType dtype) {
    Tensor mask = tapegrad::detail::make_tensor({rows, cols}, kFloat64);
    double* p = mask.data_ptr<double>();
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
            p[i * cols + j] = (upper ? j - i >= k : j - i <= k) ? 1.0 : 0.0;
    return mask.to(dtype);
}

}  // namespace

Tensor tril(const Tensor& a, int64_t k) {
    return a * triangle_mask(a.size(-2), a.size(-1), k, false, a.dtype());
}

Tensor triu(const Tensor& a, int64_t k) {
    return a * triangle_mask(a.size(-2), a.size(-1), k, true, a.dtype());
}

double max_abs(const Tensor& x) {
    if (x.numel() == 0) return 0.0;
    NoGradGuard no_grad;
    return x.detach().abs().max().item<double>();
}

Tensor sign_of(const Tensor& x) {
    NoGradGuard no_grad;
    const Tensor d = x.detach();
    return (d > 0.0).to(x.dtype()) - (d < 0.0).to(x.dtype());
}

bool needs_grad(std::initializer_list<Tensor> inputs) {
    if (!GradMode::is_enabled()) return false;
    for (const Tensor& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

std::vector<Tensor> record_outputs(const char* op, const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& outputs, int64_t batch_dims,
                                   MultiBackward backward, const char* rule) {
    bool any = false;
    for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
    if (!any || !GradMode::is_enabled()) return outputs;

    const std::vector<int64_t> batch(outputs[0].sizes().begin(),
                                     outputs[0].sizes().begin() + batch_dims);
    std::vector<std::vector<int64_t>> shapes;
    std::vector<int64_t> lengths;
    std::vector<Tensor> flat;
    for (const Tensor& o : outputs) {
        shapes.push_back(o.sizes());
        lengths.push_back(tapegrad::detail::numel_of(
            std::vector<int64_t>(o.sizes().begin() + batch_dims, o.sizes().end())));
        std::vector<int64_t> flat_shape = batch;
        flat_shape.push_back(lengths.back());
        flat.push_back(o.reshape(flat_shape));
    }
    // each output's part of the packed tensor, in its own shape (views)
    auto unpack = [shapes, lengths](const Tensor& packed) {
        std::vector<Tensor> parts;
        int64_t offset = 0;
        for (size_t i = 0; i < shapes.size(); ++i) {
            parts.push_back(packed.narrow(-1, offset, lengths[i]).reshape(shapes[i]));
            offset += lengths[i];
        }
        return parts;
    };
    Tensor packed = cat(flat, -1);
    packed = autograd::record(
        op, packed, inputs,
        [unpack, backward = std::move(backward)](const Tensor& grad_out, const Tensor& out) {
            return backward(unpack(grad_out), unpack(out));
        },
        rule, autograd::kSavesNone);
    std::vector<Tensor> parts = unpack(packed);
    for (Tensor& p : parts) p = p.clone();
    return parts;
}

}  // namespace detail
}  // namespace linalg
}  // namespace tapegrad
