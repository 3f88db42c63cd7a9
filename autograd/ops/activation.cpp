// Activations and the softmax family. Softmax-like ops subtract the max along `dim` first:
// exp() overflows for logits above ~88 in float32.

#include <cmath>

#include "autograd/grad_mode.hpp"
#include "autograd/kernels/activation.hpp"
#include "autograd/kernels/math.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/unary.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {
// grad_a of an activation whose derivative is a function of its output y. When grad mode is off
// (the backward is not itself recorded: create_graph = false) and grad_out has y's dtype and
// shape (the engine passes exactly that), one kernel over (grad_out, y) instead of three
// allocating ops; otherwise `composed()`, written with tapegrad's ops so that the gradient can be
// differentiated again.
template <class Kernel, class Composed>
Grads output_backward(const Tensor& grad_out, const Tensor& y, Kernel kernel, Composed composed) {
    if (GradMode::is_enabled() || grad_out.dtype() != y.dtype() || grad_out.sizes() != y.sizes())
        return Grads{composed()};
    Tensor grad_a = detail::make_tensor(y.sizes(), y.dtype());
    const Tensor g = detail::dense(grad_out), yd = detail::dense(y);  // e.g. an expanded grad_out
    detail::dispatch_floating(y.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernel(g.data_ptr<T>(), yd.data_ptr<T>(), grad_a.data_ptr<T>(), y.numel());
    });
    return Grads{grad_a};
}

// An activation y = f(a) computed by `kernel` whose derivative is a function of y (sigmoid,
// tanh): the backward saves only y, and is `backward_kernel` (through output_backward) or
// composed(grad_out, y).
template <class Kernel, class BackwardKernel, class Composed>
Tensor output_activation(const char* op, const Tensor& a_in, Kernel kernel,
                         BackwardKernel backward_kernel, Composed composed, const char* rule) {
    Tensor keep;
    const Tensor& a = detail::floating_input(op, a_in, keep);
    return record(
        op, detail::map_kernel(a, kernel), {a},
        [backward_kernel, composed](const Tensor& grad_out, const Tensor& out) {
            return output_backward(grad_out, out, backward_kernel,
                                   [&] { return composed(grad_out, out); });
        },
        rule);
}
}  // namespace

// y = max(a, 0), NaN staying NaN as in LibTorch;  grad_a = grad_out * (y > 0)
Tensor relu(const Tensor& a_in) {
    const Tensor a = detail::floating_input("relu", a_in);
    Tensor y = detail::map_floating(a, [](auto x) { return x <= 0 ? decltype(x)(0) : x; });
    return record(
        "relu", y, {a},
        [](const Tensor& grad_out, const Tensor& out) {
            return output_backward(
                grad_out, out, [](auto... args) { kernels::relu_backward(args...); },
                [&] {
                    return grad_out * detail::map_floating(out, [](auto v) {
                               return v > 0 ? decltype(v)(1) : decltype(v)(0);
                           });
                });
        },
        "grad_a = grad_out * (a > 0)");
}

// y = a > 0 ? a : slope * a;  grad_a = grad_out * (a > 0 ? 1 : slope)
Tensor leaky_relu(const Tensor& a_in, double slope) {
    const Tensor a = detail::floating_input("leaky_relu", a_in);
    Tensor y =
        detail::map_floating(a, [slope](auto x) { return x > 0 ? x : decltype(x)(slope) * x; });
    return record(
        "leaky_relu", y, {a},
        [a, slope](const Tensor& grad_out) {
            return Grads{grad_out * detail::map_floating(a, [slope](auto v) {
                             return v > 0 ? decltype(v)(1) : decltype(v)(slope);
                         })};
        },
        "grad_a = grad_out * (a > 0 ? 1 : slope)");
}

// y = 1 / (1 + exp(-a));  grad_a = grad_out * y * (1 - y)
Tensor sigmoid(const Tensor& a) {
    return output_activation(
        "sigmoid", a, [](auto... args) { kernels::sigmoid(args...); },
        [](auto... args) { kernels::sigmoid_backward(args...); },
        [](const Tensor& grad_out, const Tensor& y) { return grad_out * y * (1.0 - y); },
        "grad_a = grad_out * y * (1 - y)");
}

// y = tanh(a);  grad_a = grad_out * (1 - y^2)
Tensor tanh(const Tensor& a) {
    return output_activation(
        "tanh", a, [](auto... args) { kernels::tanh(args...); },
        [](auto... args) { kernels::tanh_backward(args...); },
        [](const Tensor& grad_out, const Tensor& y) { return grad_out * (1.0 - y * y); },
        "grad_a = grad_out * (1 - y^2)");
}

namespace {
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// d gelu / dx = Phi(x) + x * phi(x), with Phi the normal CDF and phi its density.
// grad_g = gg * gelu'(x)   grad_x = gg * g * phi(x) * (2 - x^2)
Tensor gelu_backward(const Tensor& grad_out, const Tensor& a) {
    Tensor d = detail::map_floating(a, [](auto x) {
        using T = decltype(x);
        const T cdf = T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2)));
        return cdf + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
    });
    Tensor y = grad_out.detach() * d;
    return record(
        "gelu_backward", y, {grad_out, a},
        [grad_out, a, d](const Tensor& gg) {
            Tensor d2 = detail::map_floating(a, [](auto x) {
                using T = decltype(x);
                return T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x) * (T(2) - x * x);
            });
            return Grads{gg * d, gg * grad_out * d2};
        },
        "grad_g = gg * gelu'(a), grad_a = gg * g * gelu''(a)");
}
}  // namespace

// y = a * Phi(a) (exact, erf form);  grad_a = grad_out * (Phi(a) + a * phi(a))
Tensor gelu(const Tensor& a_in) {
    const Tensor a = detail::floating_input("gelu", a_in);
    Tensor y = detail::map_floating(a, [](auto x) {
        using T = decltype(x);
        return T(0.5) * x * (T(1) + std::erf(x * T(kInvSqrt2)));
    });
    return record(
        "gelu", y, {a}, [a](const Tensor& grad_out) { return Grads{gelu_backward(grad_out, a)}; },
        "grad_a = grad_out * (Phi(a) + a * phi(a))");
}

// ---- softmax family --------------------------------------------------------------------------

namespace {
enum class SoftKind { Softmax, LogSoftmax, LogSumExp };

// The three stable kernels over [outer, n, inner]; LogSumExp writes one value per row.
Tensor softmax_kernel(const Tensor& a_in, int64_t dim, SoftKind kind) {
    const Tensor a = detail::dense(a_in);
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    std::vector<int64_t> out_sizes = a.sizes();
    if (kind == SoftKind::LogSumExp && !out_sizes.empty()) out_sizes[dim] = 1;
    Tensor y = detail::make_tensor(out_sizes, a.dtype());
    detail::dispatch_floating(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = a.data_ptr<T>();
        T* py = y.data_ptr<T>();
        s.for_each_line([&](int64_t start, int64_t line) {
            const T* x = px + start;
            T m = -INFINITY;
            for (int64_t k = 0; k < s.n; ++k) m = std::max(m, x[k * s.inner]);
            if (std::isinf(m)) m = 0;  // all -inf (or +inf): keep the arithmetic defined
            T sum = 0;
            for (int64_t k = 0; k < s.n; ++k) sum += std::exp(x[k * s.inner] - m);
            const T lse = m + std::log(sum);
            if (kind == SoftKind::LogSumExp) {
                py[line] = lse;
                return;
            }
            T* out = py + start;
            for (int64_t k = 0; k < s.n; ++k) {
                const T v = x[k * s.inner] - lse;
                out[k * s.inner] = kind == SoftKind::LogSoftmax ? v : std::exp(v);
            }
        });
    });
    return y;
}

// What the three share before their backward: a checked floating input, dim wrapped (in
// place), and the kernel's output.
struct SoftForward {
    Tensor a, y;
};
SoftForward soft_forward(const char* op, const Tensor& a_in, int64_t& dim, SoftKind kind) {
    detail::check_defined(op, a_in);
    const Tensor a = detail::as_floating(a_in);
    dim = detail::wrap_dim(op, dim, a.dim());
    return {a, softmax_kernel(a, dim, kind)};
}
}  // namespace

// y = exp(a - max) / sum(exp(a - max));  grad_a = y * (grad_out - sum(grad_out * y, dim))
Tensor softmax(const Tensor& a_in, int64_t dim) {
    const SoftForward f = soft_forward("softmax", a_in, dim, SoftKind::Softmax);
    return record(
        "softmax", f.y, {f.a},
        [dim](const Tensor& grad_out, const Tensor& out) {
            return Grads{out * (grad_out - (grad_out * out).sum(dim, true))};
        },
        "grad_a = y * (grad_out - sum(grad_out * y, dim))");
}

// y = a - logsumexp(a);  grad_a = grad_out - exp(y) * sum(grad_out, dim)
Tensor log_softmax(const Tensor& a_in, int64_t dim) {
    const SoftForward f = soft_forward("log_softmax", a_in, dim, SoftKind::LogSoftmax);
    return record(
        "log_softmax", f.y, {f.a},
        [dim](const Tensor& grad_out, const Tensor& out) {
            return Grads{grad_out - exp(out) * grad_out.sum(dim, true)};
        },
        "grad_a = grad_out - softmax(a) * sum(grad_out, dim)");
}

// y = log(sum(exp(a), dim));  grad_a = grad_out * exp(a - y)
Tensor logsumexp(const Tensor& a_in, int64_t dim, bool keepdim) {
    const SoftForward f = soft_forward("logsumexp", a_in, dim, SoftKind::LogSumExp);
    const Tensor& a = f.a;
    Tensor y = record(
        "logsumexp", f.y, {a},
        [a](const Tensor& grad_out, const Tensor& out) { return Grads{grad_out * exp(a - out)}; },
        "grad_a = grad_out * softmax(a)");
    return keepdim || a.dim() == 0 ? y : y.squeeze(dim);
}

Tensor Tensor::relu() const {
    return tapegrad::relu(*this);
}
Tensor Tensor::sigmoid() const {
    return tapegrad::sigmoid(*this);
}
Tensor Tensor::tanh() const {
    return tapegrad::tanh(*this);
}
Tensor Tensor::softmax(int64_t dim) const {
    return tapegrad::softmax(*this, dim);
}
Tensor Tensor::log_softmax(int64_t dim) const {
    return tapegrad::log_softmax(*this, dim);
}

}  // namespace tapegrad
