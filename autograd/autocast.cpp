// Autocast: the thread's switch, the cache of bfloat16 weight copies, and the bfloat16 products
// that matmul, mm and linear hand over to inside an enabled scope (autograd/ops/linalg.cpp).

#include "autograd/autocast.hpp"

#include <string>
#include <unordered_map>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/kernels/bf16.hpp"

namespace tapegrad {
namespace autocast {

namespace {

// A weight's bfloat16 copy, valid while the weight's version is the one it was made from.
struct CachedCast {
    Tensor source;  // kept alive, so its address cannot be reused by another tensor meanwhile
    uint64_t version;
    Tensor copy;
};

// Autocast is per thread, as LibTorch's (a thread-local dispatch key there).
struct State {
    bool enabled = false;
    int nesting = 0;
    std::unordered_map<const void*, CachedCast> cache;
};

State& state() {
    thread_local State s;
    return s;
}

// x (float32, any layout) as a dense bfloat16 tensor, outside the graph.
Tensor to_bf16(const Tensor& x) {
    const Tensor xd = tapegrad::detail::dense(x);
    Tensor y = tapegrad::detail::make_tensor(x.sizes(), kBFloat16);
    kernels::to_bfloat16(static_cast<const float*>(xd.raw_data()),
                         static_cast<BFloat16*>(y.raw_data()), x.numel());
    return y;
}

// x in bfloat16. A weight (a leaf that requires grad) used while recording is converted once
// and its copy reused, as LibTorch's cached_cast: a weight used twice in a forward is converted
// once. Unlike LibTorch's, an entry lasts one forward only: the first backward that reads it
// drops it (forget), and a weight changed in place (a new version) is converted again; so an
// optimizer step inside the scope, which writes the weights' memory directly, is never missed.
Tensor cast(const Tensor& x) {
    if (!x.is_leaf() || !x.requires_grad() || !GradMode::is_enabled()) return to_bf16(x);
    auto& cache = state().cache;
    const void* key = x.unsafeGetTensorImpl();
    auto it = cache.find(key);
    if (it != cache.end() && it->second.version == x._version()) return it->second.copy;
    Tensor copy = to_bf16(x);
    cache[key] = CachedCast{x, x._version(), copy};
    return copy;
}

// Drops x's cached copy if it is `copy`: the forward that used it is over.
void forget(const Tensor& x, const Tensor& copy) {
    auto& cache = state().cache;
    auto it = cache.find(x.unsafeGetTensorImpl());
    if (it != cache.end() && it->second.copy.is_same(copy)) cache.erase(it);
}

// op(a) @ op(b) as a new float32 [m, n] tensor, for dense 2-D bfloat16 operands.
Tensor product(const Tensor& a, bool ta, const Tensor& b, bool tb) {
    const int64_t m = a.size(ta ? 1 : 0), k = a.size(ta ? 0 : 1), n = b.size(tb ? 0 : 1);
    Tensor y = tapegrad::detail::make_tensor({m, n}, kFloat32);
    kernels::gemm_bf16(ta, tb, m, n, k, a.data_ptr<BFloat16>(), a.size(1), b.data_ptr<BFloat16>(),
                       b.size(1), 0.0f, y.data_ptr<float>(), n);
    return y;
}

bool applies(const Tensor& a, const Tensor& b) {
    return state().enabled && a.dtype() == kFloat32 && b.dtype() == kFloat32 && is_available();
}

}  // namespace

bool is_available() {
    return kernels::bf16_gemm_available();
}

bool is_cpu_enabled() {
    return state().enabled;
}

void set_cpu_enabled(bool enabled) {
    state().enabled = enabled;
}

ScalarType get_autocast_cpu_dtype() {
    return kBFloat16;
}

void set_autocast_cpu_dtype(ScalarType dtype) {
    if (dtype != kBFloat16) {
        throw std::invalid_argument(
            std::string("set_autocast_cpu_dtype: autocast on the CPU computes in bfloat16 only, "
                        "got ") +
            to_string(dtype));
    }
}

void clear_cache() {
    state().cache.clear();
}

int increment_nesting() {
    return ++state().nesting;
}

int decrement_nesting() {
    State& s = state();
    if (s.nesting == 0) {
        throw std::logic_error("decrement_nesting: not inside an autocast scope");
    }
    return --s.nesting;
}

AutocastGuard::AutocastGuard(bool enabled) : prev_(is_cpu_enabled()) {
    set_cpu_enabled(enabled);
    increment_nesting();
}

AutocastGuard::~AutocastGuard() {
    State& s = state();
    if (s.nesting > 0 && --s.nesting == 0) s.cache.clear();
    s.enabled = prev_;
}

namespace detail {

// y = a @ b with bfloat16 operands and float32 accumulation      a: [n, k], b: [k, m] -> [n, m]
// grad_a = grad_out @ b^T, grad_b = a^T @ grad_out: bfloat16 products of the saved copies
Tensor matmul(const Tensor& a, const Tensor& b) {
    if (!applies(a, b) || b.dim() != 2 || (a.dim() != 2 && a.dim() != 3)) return Tensor();
    if (a.dim() == 3) {  // fold the batch into rows: one product
        const int64_t batch = a.size(0), n = a.size(1);
        return autocast::detail::matmul(a.reshape({batch * n, a.size(2)}), b)
            .reshape({batch, n, b.size(1)});
    }
    const Tensor a16 = cast(a), b16 = cast(b);
    Tensor y = product(a16, false, b16, false);
    return autograd::record(
        "matmul", y, {a, b},
        [a, b, a16, b16](const Tensor& g) {
            forget(a, a16);
            forget(b, b16);
            if (GradMode::is_enabled()) {  // create_graph: recorded ops, differentiable again
                return autograd::Grads{a.requires_grad() ? tapegrad::matmul(g, b.t()) : Tensor(),
                                       b.requires_grad() ? tapegrad::matmul(a.t(), g) : Tensor()};
            }
            const Tensor g16 = to_bf16(g);
            return autograd::Grads{a.requires_grad() ? product(g16, false, b16, true) : Tensor(),
                                   b.requires_grad() ? product(a16, true, g16, false) : Tensor()};
        },
        "grad_a = grad_out @ b^T, grad_b = a^T @ grad_out (bfloat16 products)");
}

// y = x @ w^T + bias with bfloat16 operands and float32 accumulation   x: [rows, in], w: [out, in]
// grad_x = grad_out @ w, grad_w = grad_out^T @ x (bfloat16 products), grad_bias = sum(grad_out, 0)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    if (!applies(x, weight) || (bias.defined() && bias.dtype() != kFloat32)) return Tensor();
    const int64_t in = weight.size(1), out = weight.size(0);
    const Tensor x2 = x.dim() == 2 ? x : x.reshape({-1, in});
    const int64_t rows = x2.size(0);
    const Tensor x16 = cast(x2), w16 = cast(weight);
    Tensor y = tapegrad::detail::make_tensor({rows, out}, kFloat32);
    float* py = y.data_ptr<float>();
    if (bias.defined()) {  // start from the bias and let the product add to it
        const Tensor bc = bias.contiguous();
        const float* pb = bc.data_ptr<float>();
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t o = 0; o < out; ++o) py[r * out + o] = pb[o];
    }
    kernels::gemm_bf16(false, true, rows, out, in, x16.data_ptr<BFloat16>(), in,
                       w16.data_ptr<BFloat16>(), in, bias.defined() ? 1.0f : 0.0f, py, out);
    y = autograd::record(
        "linear", y, {x2, weight, bias},
        [x2, weight, x16, w16, need_b = bias.defined() && bias.requires_grad()](const Tensor& g) {
            forget(x2, x16);
            forget(weight, w16);
            autograd::Grads grads(3);
            if (need_b) grads[2] = g.sum(0);
            if (GradMode::is_enabled()) {  // create_graph: recorded ops, differentiable again
                if (x2.requires_grad()) grads[0] = tapegrad::matmul(g, weight);
                if (weight.requires_grad()) grads[1] = tapegrad::matmul(g.t(), x2);
                return grads;
            }
            const Tensor g16 = to_bf16(g);
            if (x2.requires_grad()) grads[0] = product(g16, false, w16, false);
            if (weight.requires_grad()) grads[1] = product(g16, true, x16, false);
            return grads;
        },
        "grad_x = grad_out @ w, grad_w = grad_out^T @ x (bfloat16 products), grad_bias = "
        "sum(grad_out, 0)");
    if (x.dim() == 2) return y;
    std::vector<int64_t> shape = x.sizes();
    shape.back() = out;
    return y.reshape(shape);
}

}  // namespace detail

}  // namespace autocast
}  // namespace tapegrad
