#pragma once
// The op set as free functions, with LibTorch's names and argument orders.
// Each is defined next to its backward in autograd/ops/<family>.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "autograd/indexing.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {

// ---- element-wise (ops/elementwise.cpp) ------------------------------------------------------
/// a + alpha * b, with NumPy broadcasting.
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha = 1);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
/// sqrt(a^2 + b^2) element-wise, without overflow for large a or b.
Tensor hypot(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, Scalar b);
Tensor sub(const Tensor& a, Scalar b);
Tensor mul(const Tensor& a, Scalar b);
Tensor div(const Tensor& a, Scalar b);
/// b - a for a scalar b (LibTorch's rsub).
Tensor rsub(const Tensor& a, Scalar b);
/// b / a for a scalar b.
Tensor rdiv(const Tensor& a, Scalar b);
Tensor neg(const Tensor& a);
/// a^exponent element-wise, for a scalar exponent.
Tensor pow(const Tensor& a, Scalar exponent);
Tensor square(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
/// log(1 + a), accurate for small a (ops/unary_math.cpp).
Tensor log1p(const Tensor& a);
/// exp(a) - 1, accurate for small a (ops/unary_math.cpp).
Tensor expm1(const Tensor& a);
/// Clamps to [min, max]; the gradient passes only where the input was inside.
Tensor clamp(const Tensor& a, Scalar min, Scalar max);
Tensor clamp_min(const Tensor& a, Scalar min);
Tensor clamp_max(const Tensor& a, Scalar max);
/// Element-wise maximum / minimum of two tensors (ties send the gradient to a).
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
/// cond ? a : b element-wise; cond is int64 (non-zero means true).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& a);

// ---- comparisons: int64 results of 0 and 1, never recorded (ops/elementwise.cpp) ----------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, Scalar b);
Tensor ne(const Tensor& a, Scalar b);
Tensor gt(const Tensor& a, Scalar b);
Tensor lt(const Tensor& a, Scalar b);
Tensor ge(const Tensor& a, Scalar b);
Tensor le(const Tensor& a, Scalar b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, Scalar b);
Tensor operator!=(const Tensor& a, Scalar b);
Tensor operator>(const Tensor& a, Scalar b);
Tensor operator<(const Tensor& a, Scalar b);
Tensor operator>=(const Tensor& a, Scalar b);
Tensor operator<=(const Tensor& a, Scalar b);
/// True when both have the same shape and all elements are within atol + rtol * |b|.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);
/// True when both have the same shape and dtype and equal elements, as a.equal(b).
bool equal(const Tensor& a, const Tensor& b);

// ---- activations (ops/activation.cpp) ---------------------------------------------------------
Tensor relu(const Tensor& a);
Tensor leaky_relu(const Tensor& a, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& a);
Tensor tanh(const Tensor& a);
/// The exact (erf) GELU, as PyTorch's default.
Tensor gelu(const Tensor& a);
/// exp(a) / sum(exp(a)) along `dim`, computed after subtracting the max so it cannot overflow.
Tensor softmax(const Tensor& a, int64_t dim);
/// a - logsumexp(a) along `dim`, stable for large logits.
Tensor log_softmax(const Tensor& a, int64_t dim);
/// log(sum(exp(a))) along `dim`, stable.
Tensor logsumexp(const Tensor& a, int64_t dim, bool keepdim = false);

// ---- linear algebra (ops/linalg.cpp) ----------------------------------------------------------
/// Matrix product: 1-D x 1-D (dot), 1-D x 2-D, 2-D x 1-D, 2-D x 2-D, and batched 3-D x 2-D
/// or 3-D x 3-D. Calls OpenBLAS gemm.
Tensor matmul(const Tensor& a, const Tensor& b);
/// [n, k] x [k, m] -> [n, m].
Tensor mm(const Tensor& a, const Tensor& b);
/// Batched [B, n, k] x [B, k, m] -> [B, n, m].
Tensor bmm(const Tensor& a, const Tensor& b);
/// beta * self + alpha * (mat1 @ mat2): self broadcasts to [n, m]; with beta = 0, self is
/// ignored (its NaNs too), as in LibTorch.
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, Scalar beta = 1,
             Scalar alpha = 1);
/// beta * self + alpha * bmm(batch1, batch2): self broadcasts to [B, n, m].
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, Scalar beta = 1,
               Scalar alpha = 1);
/// x @ weight^T + bias, as nn::Linear computes it; x is [..., in], weight [out, in], bias
/// [out] or undefined. One gemm with the transpose passed as a flag.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

/// Sum of a * b over all elements, for 1-D tensors of the same length.
Tensor dot(const Tensor& a, const Tensor& b);
/// Threads, as torch::set_num_threads: OpenBLAS's and tapegrad's pool (autograd/parallel.hpp,
/// which also has parallel_for).
void set_num_threads(int n);
int get_num_threads();

// ---- shape (ops/shape.cpp) ---------------------------------------------------------------------
// Views (sharing a's storage, so writes through them reach a): reshape when a's strides
// allow it, view, flatten, squeeze, unsqueeze, t, transpose, permute, movedim, expand, slice,
// narrow, select, diagonal, unfold, as_strided, split, chunk, unbind.
/// a as `shape` (one -1 inferred): a view when a's strides allow it, else a copy.
Tensor reshape(const Tensor& a, IntArrayRef shape);
Tensor flatten(const Tensor& a, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor squeeze(const Tensor& a);
Tensor squeeze(const Tensor& a, int64_t dim);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor slice(const Tensor& a, int64_t dim = 0, int64_t start = 0, int64_t end = INT64_MAX,
             int64_t step = 1);
Tensor select(const Tensor& a, int64_t dim, int64_t index);
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length);
/// 2-D transpose (1-D and 0-D tensors unchanged).
Tensor t(const Tensor& a);
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);
/// a's dims in the order `dims`.
Tensor permute(const Tensor& a, IntArrayRef dims);
/// Dims `source` moved to `destination`, the others keeping their order.
Tensor movedim(const Tensor& a, std::vector<int64_t> source, std::vector<int64_t> destination);
Tensor movedim(const Tensor& a, int64_t source, int64_t destination);
/// The diagonal over dim1 and dim2 (offset > 0: above it), as a new last dim.
Tensor diagonal(const Tensor& a, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
/// Windows of `size` every `step` along dim, as a new last dim.
Tensor unfold(const Tensor& a, int64_t dim, int64_t size, int64_t step);
/// The elements at `size`/`stride` from `storage_offset` (default: a's own) of a's storage;
/// the view must stay within a's span of it.
Tensor as_strided(const Tensor& a, std::vector<int64_t> size, std::vector<int64_t> stride,
                  std::optional<int64_t> storage_offset = std::nullopt);
/// Pieces of `split_size` along dim (the last may be shorter).
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split_with_sizes(const Tensor& a, const std::vector<int64_t>& split_sizes,
                                     int64_t dim = 0);
/// `chunks` near-equal pieces along dim.
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim = 0);
/// The slices along dim.
std::vector<Tensor> unbind(const Tensor& a, int64_t dim = 0);
/// Rows (or slices along `dim`) picked by an int64 index; repeated indices sum their gradients.
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// Broadcasts `a` to `sizes` (-1 keeps a size): a view with stride 0 where a is repeated
/// (write into it only after clone()).
Tensor expand(const Tensor& a, IntArrayRef sizes);
/// Sums `a` down to `sizes`, the reverse of broadcasting; the backward of every broadcast.
Tensor sum_to(const Tensor& a, const std::vector<int64_t>& sizes);
/// Picks a[i, index[i]] along `dim` (index has a's shape except along dim).
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index);
/// The shape two operands broadcast to; throws naming `op` when they do not.
std::vector<int64_t> broadcast_shapes(const char* op, const std::vector<int64_t>& a,
                                      const std::vector<int64_t>& b);

// ---- indexing and ordering (ops/indexing.cpp, mask.cpp, scatter.cpp, sort.cpp, scan.cpp,
//      rearrange.cpp, einsum.cpp)
//      -------------------------------------------------------------------
// Positions are int64 (any integer type is accepted); masks are bool (uint8 too, as LibTorch's
// deprecated form). Where LibTorch accepts negative positions (index, index_put_, take) they
// count from the end; an index out of range raises std::invalid_argument naming the op, the
// index and the size. Tensor methods of the same names are in tensor.hpp.
/// Advanced indexing, one optional tensor per leading dim (nullopt: the whole dim): the
/// positions broadcast together; a copy.
Tensor index(const Tensor& self, const std::vector<std::optional<Tensor>>& indices);
/// self with `values` (broadcast) written at the positions, or added with `accumulate` (then
/// repeated positions sum; without it, the last write of a repeated position wins, where
/// LibTorch leaves the order undefined). index_put_ writes into self.
Tensor index_put(const Tensor& self, const std::vector<std::optional<Tensor>>& indices,
                 const Tensor& values, bool accumulate = false);
Tensor& index_put_(const Tensor& self, const std::vector<std::optional<Tensor>>& indices,
                   const Tensor& values, bool accumulate = false);
/// self with `value` where mask (broadcast) is true.
Tensor masked_fill(const Tensor& self, const Tensor& mask, Scalar value);
/// The same with a 0-d tensor value (differentiable in value).
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);
/// The elements of self where mask is true (both broadcast), as a 1-D tensor in row-major order.
Tensor masked_select(const Tensor& self, const Tensor& mask);
/// self with alpha * source[j] added at position index[j] along dim (repeats add up).
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                 Scalar alpha = 1);
/// self with source[j] written at position index[j] along dim (a repeat: the last one wins).
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
/// self with `value` at positions `index` along dim.
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
/// self with y[..., index[i, j, k], ...] = src[i, j, k] along dim, over index's shape (which
/// fits in src's and, except along dim, in self's); a repeated position keeps the last write.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
/// As scatter, adding: repeated positions sum.
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
/// self seen as 1-D, picked at `index` (any shape; negative counts from the end).
Tensor take(const Tensor& self, const Tensor& index);
/// The positions of the non-zero elements: int64 [count, self.dim()], in row-major order.
Tensor nonzero(const Tensor& self);
Tensor argwhere(const Tensor& self);
/// Values and int64 positions sorted along dim; stable (equal values keep their order), NaN
/// last (first when descending), as LibTorch's CPU sort.
std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim = -1, bool descending = false);
std::tuple<Tensor, Tensor> sort(const Tensor& self, std::optional<bool> stable, int64_t dim = -1,
                                bool descending = false);
Tensor argsort(const Tensor& self, int64_t dim = -1, bool descending = false);
/// The k largest (or smallest) values along dim and their positions, sorted; among equal
/// values the first positions (LibTorch leaves that choice unspecified).
std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim = -1,
                                bool largest = true, bool sorted = true);
/// The k-th smallest value along dim (k from 1) and its position (among equal values, the one
/// a stable sort puts k-th).
std::tuple<Tensor, Tensor> kthvalue(const Tensor& self, int64_t k, int64_t dim = -1,
                                    bool keepdim = false);
/// Running sum / product along dim; integer and bool inputs give int64 unless `dtype` says.
Tensor cumsum(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
Tensor cumprod(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
/// A copy with the order of the elements reversed along each of dims.
Tensor flip(const Tensor& self, IntArrayRef dims);
/// Elements shifted by shifts[i] along dims[i], wrapping around; with no dims, over the
/// flattened tensor.
Tensor roll(const Tensor& self, IntArrayRef shifts, IntArrayRef dims = {});
/// Each element repeated `repeats` times along dim (flattened when dim is none).
Tensor repeat_interleave(const Tensor& self, int64_t repeats,
                         std::optional<int64_t> dim = std::nullopt);
/// Element i repeated repeats[i] times (repeats: int64, 1-D, or one count for all).
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats,
                         std::optional<int64_t> dim = std::nullopt);
/// i repeated repeats[i] times, for i in [0, repeats.numel()).
Tensor repeat_interleave(const Tensor& repeats);
/// The lower (upper) triangle of the last two dims, from `diagonal` (> 0: above the main one);
/// the rest is zero.
Tensor tril(const Tensor& self, int64_t diagonal = 0);
Tensor triu(const Tensor& self, int64_t diagonal = 0);
/// True when any (all) elements are non-zero: bool (uint8 for a uint8 input, as LibTorch's).
Tensor any(const Tensor& self);
Tensor any(const Tensor& self, int64_t dim, bool keepdim = false);
Tensor all(const Tensor& self);
Tensor all(const Tensor& self, int64_t dim, bool keepdim = false);
/// Einstein summation, e.g. "ij,jk->ik", "bij,bjk->bik", "ii->", "i,j->ij", "...ij->...ji":
/// repeated labels of one operand take its diagonal, labels absent from the output are
/// summed, and each pair of operands is contracted with one bmm after permute/reshape.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& tensors);

// ---- reductions (ops/reduce.cpp) ---------------------------------------------------------------
Tensor sum(const Tensor& a);
Tensor sum(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor sum(const Tensor& a, std::vector<int64_t> dims, bool keepdim = false);
Tensor mean(const Tensor& a);
Tensor mean(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& a, std::vector<int64_t> dims, bool keepdim = false);
/// Largest element; the gradient goes to the first maximal element.
Tensor max(const Tensor& a);
/// Values and int64 indices of the maxima along `dim`.
std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor min(const Tensor& a);
std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim = false);
/// Flat index of the largest element (int64).
Tensor argmax(const Tensor& a);
Tensor argmax(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& a);
Tensor argmin(const Tensor& a, int64_t dim, bool keepdim = false);
/// Euclidean norm of all elements.
Tensor norm(const Tensor& a);
/// The p-norm of all elements, or over `dim` (as linalg::vector_norm).
Tensor norm(const Tensor& a, Scalar p);
Tensor norm(const Tensor& a, Scalar p, IntArrayRef dim, bool keepdim = false);
/// Variance: sum((a - mean)^2) / (N - correction) over `dim` (all elements without one);
/// `unbiased` is correction 1 (Bessel's), else 0. N - correction <= 0 gives inf or NaN, as in
/// LibTorch. As there, var(a, 1) reduces dim 1: only a bool is the unbiased flag.
Tensor var(const Tensor& a, std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
           bool keepdim = false);
Tensor var(const Tensor& a, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
inline Tensor var(const Tensor& a) {
    return a.var();
}
template <class B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
Tensor var(const Tensor& a, B unbiased) {
    return a.var(unbiased);
}
/// Standard deviation: sqrt(var) with the same arguments.
Tensor std(const Tensor& a, std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
           bool keepdim = false);
Tensor std(const Tensor& a, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
inline Tensor std(const Tensor& a) {
    return a.std();
}
template <class B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
Tensor std(const Tensor& a, B unbiased) {
    return a.std(unbiased);
}

// ---- factories (factories.cpp) -----------------------------------------------------------------
/// Nested initializer lists or vectors of numbers, as accepted by tensor(): integers give
/// int64 unless the options say otherwise, any floating value gives float32.
class TensorData {
public:
    TensorData(double v) : values_{v}, floating_(true) {}
    TensorData(float v) : values_{v}, floating_(true) {}
    TensorData(int v) : values_{static_cast<double>(v)} {}
    TensorData(long v) : values_{static_cast<double>(v)} {}
    TensorData(long long v) : values_{static_cast<double>(v)} {}
    TensorData(std::initializer_list<TensorData> list);
    TensorData(const std::vector<double>& v);
    TensorData(const std::vector<float>& v);
    TensorData(const std::vector<int>& v);
    TensorData(const std::vector<int64_t>& v);

    const std::vector<double>& values() const { return values_; }
    const std::vector<int64_t>& sizes() const { return sizes_; }
    bool is_floating() const { return floating_; }

private:
    std::vector<double> values_;
    std::vector<int64_t> sizes_;
    bool floating_ = false;
};

Tensor tensor(const TensorData& data, TensorOptions options = {});
Tensor empty(IntArrayRef sizes, TensorOptions options = {});
Tensor zeros(IntArrayRef sizes, TensorOptions options = {});
Tensor ones(IntArrayRef sizes, TensorOptions options = {});
Tensor full(IntArrayRef sizes, Scalar value, TensorOptions options = {});
Tensor empty_like(const Tensor& t, TensorOptions options = {});
Tensor zeros_like(const Tensor& t, TensorOptions options = {});
Tensor ones_like(const Tensor& t, TensorOptions options = {});
Tensor full_like(const Tensor& t, Scalar value, TensorOptions options = {});
/// [0, end) with step 1; int64 when every argument is an integer, float32 otherwise.
Tensor arange(Scalar end, TensorOptions options = {});
Tensor arange(Scalar start, Scalar end, TensorOptions options = {});
Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions options = {});
/// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});
/// Copies `sizes` elements of dtype options.dtype() from `data` (LibTorch's aliases them).
Tensor from_blob(const void* data, IntArrayRef sizes, TensorOptions options = {});

// ---- random numbers (random.cpp) ---------------------------------------------------------------
/// Seeds the generator behind every random draw, so that runs repeat exactly.
void manual_seed(uint64_t seed);
/// Uniform on [0, 1).
Tensor rand(IntArrayRef sizes, TensorOptions options = {});
/// Standard normal.
Tensor randn(IntArrayRef sizes, TensorOptions options = {});
/// Integers uniform on [low, high); int64 unless the options say otherwise.
Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions options = {});
Tensor randint(int64_t high, IntArrayRef sizes, TensorOptions options = {});
/// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, TensorOptions options = {});
Tensor rand_like(const Tensor& t);
Tensor randn_like(const Tensor& t);
/// 0/1 draws with probability p of 1, in the dtype of the options.
Tensor bernoulli(IntArrayRef sizes, double p, TensorOptions options = {});

}  // namespace tapegrad
