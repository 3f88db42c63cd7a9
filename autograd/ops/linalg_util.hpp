#pragma once
// Helpers shared by the tapegrad::linalg op files (internal): input checks, batched products
// over any number of batch dims, triangle masks, errors that name the batch element, and the
// recording of an op with several differentiable outputs.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/detail.hpp"
#include "autograd/kernels/lapack.hpp"
#include "autograd/linalg.hpp"

namespace tapegrad {
namespace linalg {
namespace detail {

using tapegrad::detail::Grads;

/// Checks that A is defined, floating (float32 or float64) and at least 2-D, naming `op`.
void check_matrix_input(const char* op, const Tensor& A, const char* name = "A");
/// check_matrix_input, and that A's last two dims are equal.
void check_square(const char* op, const Tensor& A);
/// Raises unless a and b have the same dtype.
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);

/// The batch dims of a [..., m, n] tensor, and how many matrices they hold.
std::vector<int64_t> batch_sizes(const Tensor& A);
int64_t batch_count(const Tensor& A);
/// `batch` followed by `tail`: the shape of a result per batch element.
std::vector<int64_t> with_batch(std::vector<int64_t> batch, std::initializer_list<int64_t> tail);

/// The broadcast of A's and B's batch dims (all but the last two); raises naming `op` and both
/// shapes when they do not broadcast.
std::vector<int64_t> broadcast_batch(const char* op, const Tensor& A, const Tensor& B);

/// Raises LinAlgError "op: (Batch element i): what", or "op: what" for item < 0 (one matrix).
[[noreturn]] void linalg_error(const char* op, int64_t item, const std::string& what);
/// Raises linalg_error when `status` reports a failure on a matrix of A (the batch element is
/// named when A has batch dims); `what(info)` describes it (or the status says the matrix held
/// a NaN or an infinity).
void check_status(const char* op, const Tensor& A, const kernels::LapackStatus& status,
                  const std::function<std::string(int64_t info)>& what);
/// The first batch element (flat index over the batch dims of flags [..., k]) where some flag
/// is true, or -1.
int64_t first_flagged(const Tensor& flags);

/// The transpose of the last two dims (a view).
Tensor mT(const Tensor& a);
/// a @ b over equal batch dims: [..., n, k] x [..., k, m] -> [..., n, m] (a 2-D operand is
/// broadcast over the other's batch).
Tensor batched_mm(const Tensor& a, const Tensor& b);
/// The [..., n, n] matrices with v [..., n] on their diagonal.
Tensor diag_embed(const Tensor& v);
/// The [n, n] identity in `dtype`.
Tensor eye_of(int64_t n, ScalarType dtype);
/// The lower (k <= 0: from the k-th diagonal down) or upper triangle of the last two dims, the
/// rest zeroed; differentiable (a multiplication by a 0/1 mask).
Tensor tril(const Tensor& a, int64_t k = 0);
Tensor triu(const Tensor& a, int64_t k = 0);
/// The largest |x| of a tensor, as a double (0 for an empty tensor); a check, never recorded.
double max_abs(const Tensor& x);
/// d |x| / dx as LibTorch defines it: -1, 0 or 1 (a constant of the graph).
Tensor sign_of(const Tensor& x);

/// The backward of an op with several outputs: gradients and the outputs (both in output
/// order; a gradient is zeros where that output was not used) -> one gradient per input.
using MultiBackward =
    std::function<Grads(const std::vector<Tensor>& grads, const std::vector<Tensor>& outputs)>;

/// Records an op whose outputs (sharing `batch_dims` leading dims) are all differentiable, as
/// one node: the outputs are laid side by side in one tensor [batch..., total], that tensor is
/// recorded with `backward`, and each output returned is a copy of its part, so the node
/// receives the gradients of all of them at once. The backward reads only the outputs (the
/// inputs are not watched for in-place changes). Returns the outputs unchanged when no input
/// requires grad (or grad mode is off).
std::vector<Tensor> record_outputs(const char* op, const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& outputs, int64_t batch_dims,
                                   MultiBackward backward, const char* rule);

/// True when an op on `inputs` is recorded (grad mode on and one of them requires grad).
bool needs_grad(std::initializer_list<Tensor> inputs);

/// Calls f(T{}) with T float or double for A's dtype (checked floating already).
template <class F>
decltype(auto) dispatch(const Tensor& A, F&& f) {
    return tapegrad::detail::dispatch_floating(A.dtype(), std::forward<F>(f));
}

}  // namespace detail

// the short names every linalg op file uses
using detail::batched_mm;
using detail::Grads;
using detail::mT;
using tapegrad::detail::dense;
using tapegrad::detail::fail;
using tapegrad::detail::make_tensor;

}  // namespace linalg
}  // namespace tapegrad
