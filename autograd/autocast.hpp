#pragma once
// Autocast on the CPU, in LibTorch's spirit (at::autocast): inside an enabled scope, matrix
// products of float32 tensors (matmul, mm, addmm, linear, so nn::Linear) run in bfloat16 with
// float32 accumulation, and everything else stays float32. Master weights stay float32 and
// their gradients arrive in float32.
//
// Differences from LibTorch, documented in the README: the products return float32 (LibTorch
// returns bfloat16; tapegrad's element-wise ops have no bfloat16 path), and on a CPU without
// AVX-512 BF16, or a build without oneDNN, autocast is a no-op (is_available() says so).
//
//     {
//         tapegrad::autocast::AutocastGuard autocast;   // products in bfloat16 from here
//         auto loss = cross_entropy(model->forward(x), y);
//         loss.backward();                              // the products' backward too
//     }                                                 // the bf16 weight copies are freed

#include "autograd/scalar_type.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autocast {

/// True when autocast computes in bfloat16 here: tapegrad was built with oneDNN and this CPU
/// has AVX-512 BF16 (checked at run time). When false, an enabled autocast changes nothing.
bool is_available();

/// Whether autocast is on in this thread (at::autocast::is_cpu_enabled).
bool is_cpu_enabled();
/// Turns autocast on or off in this thread (at::autocast::set_cpu_enabled); prefer
/// AutocastGuard, which also restores the setting and frees the cached weight copies.
void set_cpu_enabled(bool enabled);
/// The dtype autocast's products compute in: kBFloat16.
ScalarType get_autocast_cpu_dtype();
/// Sets that dtype; only kBFloat16 is accepted (LibTorch's CPU autocast has no other).
void set_autocast_cpu_dtype(ScalarType dtype);
/// Frees the bfloat16 copies of weights made in this thread's autocast scope.
void clear_cache();
/// Enters one level of autocast scope; returns the new depth (at::autocast::increment_nesting).
int increment_nesting();
/// Leaves one level; returns the new depth. The guard clears the cache when it reaches 0.
int decrement_nesting();

/// Autocast on (or off, with `enabled = false`) for its lifetime, in this thread: restores the
/// previous setting on exit and, leaving the outermost scope, frees the cached weight copies.
class AutocastGuard {
public:
    explicit AutocastGuard(bool enabled = true);
    ~AutocastGuard();
    AutocastGuard(const AutocastGuard&) = delete;
    AutocastGuard& operator=(const AutocastGuard&) = delete;

private:
    bool prev_;
};

namespace detail {
/// a @ b for 2-D (or 3-D by 2-D) float32 operands as a bfloat16 product, recorded with its
/// backward; an undefined tensor when autocast does not apply (off, unavailable, other
/// dtypes or ranks), so that the caller computes in float32. Shapes are checked by the caller.
Tensor matmul(const Tensor& a, const Tensor& b);
/// x @ weight^T + bias as matmul does; x is [..., in], weight [out, in], bias [out] or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
}  // namespace detail

}  // namespace autocast
}  // namespace tapegrad
