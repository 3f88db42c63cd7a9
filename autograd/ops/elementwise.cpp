// Element-wise arithmetic and math with NumPy broadcasting, and comparisons.

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/unary.hpp"

#include "autograd/kernels/math.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// Brings a and b to the dtype a binary op on them computes in (differentiably): their
// promoted type, or int64 for the narrower integer types and Bool.
std::pair<Tensor, Tensor> promoted(const char* op, const Tensor& a, const Tensor& b) {
    detail::check_defined(op, a, "a");
    detail::check_defined(op, b, "b");
    const ScalarType dt = detail::compute_type(detail::promote(a.dtype(), b.dtype()));
    return {detail::cast(a, dt), detail::cast(b, dt)};
}

// The result in the dtype LibTorch gives a binary op on a and b (int32 + int32 is int32),
// when it was computed in a wider one.
Tensor result_type_of(const Tensor& y, const Tensor& a, const Tensor& b) {
    const ScalarType dt = detail::promote(a.dtype(), b.dtype());
    return y.dtype() == dt || y.is_floating_point() ? y : y.to(dt);
}

// Checks that a and b broadcast, with the op's name in the message.
void check_broadcast(const char* op, const Tensor& a, const Tensor& b) {
    broadcast_shapes(op, a.sizes(), b.sizes());
}

// The tensor in the dtype an op with a scalar computes in: floating for a floating scalar,
// int64 for the narrower integer types and Bool, float32 for an integer one when `floating`
// (div, pow). `a` itself when it has that dtype, else its conversion kept in `keep`.
const Tensor& for_scalar(const char* op, const Tensor& a, const Scalar& s, Tensor& keep,
                         bool floating = false) {
    detail::check_defined(op, a);
    ScalarType dt = detail::compute_type(detail::promote(a.dtype(), s));
    if (floating && !is_floating_point(dt)) dt = kFloat32;
    return detail::converted(a, dt, keep);
}

// y[i] = f(x[i]) for float, double or int64 x (neg, abs, scalar arithmetic keep int64).
template <class F>
Tensor map_any(const Tensor& x, F f) {
    Tensor y = detail::make_tensor(x.sizes(), x.dtype());
    detail::dispatch(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const TensorImpl& xi = detail::impl(x);
        T* py = static_cast<T*>(y.raw_data());
        const T* px = static_cast<const T*>(x.raw_data());
        if (xi.contiguous) {
            for (int64_t i = 0, n = xi.numel; i < n; ++i) py[i] = f(px[i]);
        } else {
            kernels::unary_loop(xi.sizes, py, detail::impl(y).strides.data(), px, xi.strides.data(),
                                f);
        }
    });
    return y;
}

// y[i] = f(a[i], s), s in a's type: converted from an int64 for an int64 tensor (through a
// double it would lose the digits past 2^53), else from a double.
template <class F>
Tensor map_scalar(const Tensor& a, const Scalar& s, F f) {
    const double v = s.to_double();
    const int64_t iv = s.to_long();
    return a.dtype() == kInt64 ? map_any(a, [iv, f](auto x) { return f(x, decltype(x)(iv)); })
                               : map_any(a, [v, f](auto x) { return f(x, decltype(x)(v)); });
}

// A constant 0/1 mask (in x's dtype) where pred(x) holds; its own derivative is zero.
template <class P>
Tensor mask_where(const Tensor& x, P pred) {
    return detail::map_floating(x,
                                [&](auto v) { return pred(v) ? decltype(v)(1) : decltype(v)(0); });
}

}  // namespace

std::vector<int64_t> broadcast_shapes(const char* op, const std::vector<int64_t>& a,
                                      const std::vector<int64_t>& b) {
    const size_t nd = std::max(a.size(), b.size());
    std::vector<int64_t> out(nd);
    for (size_t i = 0; i < nd; ++i) {
        const int64_t sa = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
        const int64_t sb = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
        if (sa != sb && sa != 1 && sb != 1) {
            detail::fail(
                op, "shapes do not broadcast: a is " + shape_str(a) + ", b is " + shape_str(b));
        }
        out[i] = sa == 1 ? sb : sa;
    }
    return out;
}

// ---- binary arithmetic ---------------------------------------------------------------------

// y = a + alpha * b
// grad_a = sum_to(grad_out, a.shape)   grad_b = sum_to(alpha * grad_out, b.shape)
namespace {
Tensor add_scaled(const char* op, const Tensor& a_in, const Tensor& b_in, Scalar alpha) {
    check_broadcast(op, a_in, b_in);
    auto [a, b] = promoted(op, a_in, b_in);
    const double al = alpha.to_double();
    Tensor y =
        al == 1  // the common case, kept free of the multiply
            ? detail::map_binary(a, b, [](auto u, auto v) { return u + v; })
            : detail::map_binary(a, b, [al](auto u, auto v) { return u + decltype(u)(al) * v; });
    y = result_type_of(y, a_in, b_in);
    return record(
        op, y, {a, b},
        [sa = a.sizes(), sb = b.sizes(), al](const Tensor& grad_out) {
            return Grads{sum_to(grad_out, sa), sum_to(al == 1 ? grad_out : grad_out * al, sb)};
        },
        "grad_a = sum_to(grad_out), grad_b = sum_to(alpha * grad_out)", autograd::kSavesNone);
}
}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
    return add_scaled("add", a, b, alpha);
}

// y = a - alpha * b: add with -alpha, recorded under its own name
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
    if (alpha.is_integral()) return add_scaled("sub", a, b, -alpha.to_long());
    return add_scaled("sub", a, b, -alpha.to_double());
}

// y = a * b
// grad_a = sum_to(grad_out * b)   grad_b = sum_to(grad_out * a)
Tensor mul(const Tensor& a_in, const Tensor& b_in) {
    check_broadcast("mul", a_in, b_in);
    // named tensors, not a structured binding: C++17 lets no lambda capture one (clang 14,
    // which the fuzz build uses, refuses it)
    Tensor a, b;
    std::tie(a, b) = promoted("mul", a_in, b_in);
    Tensor y = detail::map_binary(a, b, [](auto u, auto v) { return u * v; });
    y = result_type_of(y, a_in, b_in);
    return record(
        "mul", y, {a, b},
        [a, b](const Tensor& grad_out) {
            return Grads{a.requires_grad() ? sum_to(grad_out * b, a.sizes()) : Tensor(),
                         b.requires_grad() ? sum_to(grad_out * a, b.sizes()) : Tensor()};
        },
        "grad_a = sum_to(grad_out * b), grad_b = sum_to(grad_out * a)");
}

// y = a / b (true division: int64 operands give float32)
// grad_a = sum_to(grad_out / b)   grad_b = sum_to(-grad_out * a / b^2)
Tensor div(const Tensor& a_in, const Tensor& b_in) {
    check_broadcast("div", a_in, b_in);
    // not a structured binding: the backward lambda captures a and b (see mul)
    Tensor a, b;
    std::tie(a, b) = promoted("div", a_in, b_in);
    if (!a.is_floating_point()) return div(a.to(kFloat32), b.to(kFloat32));
    Tensor y = detail::map_binary(a, b, [](auto u, auto v) { return u / v; });
    return record(
        "div", y, {a, b},
        [a, b](const Tensor& grad_out) {
            return Grads{a.requires_grad() ? sum_to(grad_out / b, a.sizes()) : Tensor(),
                         b.requires_grad() ? sum_to(-grad_out * a / (b * b), b.sizes()) : Tensor()};
        },
        "grad_a = sum_to(grad_out / b), grad_b = sum_to(-grad_out * a / b^2)");
}

// y = sqrt(a^2 + b^2)
// grad_a = sum_to(grad_out * a / y)   grad_b = sum_to(grad_out * b / y)
Tensor hypot(const Tensor& a_in, const Tensor& b_in) {
    check_broadcast("hypot", a_in, b_in);
    Tensor a, b;
    std::tie(a, b) = promoted("hypot", a_in, b_in);
    if (!a.is_floating_point()) return hypot(a.to(kFloat32), b.to(kFloat32));
    Tensor y = detail::map_binary(a, b, [](auto u, auto v) { return std::hypot(u, v); });
    return record(
        "hypot", y, {a, b},
        [a, b](const Tensor& grad_out, const Tensor& out) {
            return Grads{sum_to(grad_out * a / out, a.sizes()),
                         sum_to(grad_out * b / out, b.sizes())};
        },
        "grad_a = grad_out * a / y, grad_b = grad_out * b / y");
}

// ---- arithmetic with a scalar ----------------------------------------------------------------

// y = a + s;  grad_a = grad_out
Tensor add(const Tensor& a_in, Scalar s) {
    Tensor keep;
    const Tensor& a = for_scalar("add", a_in, s, keep);
    Tensor y = map_scalar(a, s, [](auto x, auto s) { return x + s; });
    return record(
        "add", y, {a}, [](const Tensor& grad_out) { return Grads{grad_out}; }, "grad_a = grad_out",
        autograd::kSavesNone);
}

// y = a - s;  grad_a = grad_out
Tensor sub(const Tensor& a_in, Scalar s) {
    Tensor keep;
    const Tensor& a = for_scalar("sub", a_in, s, keep);
    Tensor y = map_scalar(a, s, [](auto x, auto s) { return x - s; });
    return record(
        "sub", y, {a}, [](const Tensor& grad_out) { return Grads{grad_out}; }, "grad_a = grad_out",
        autograd::kSavesNone);
}

// y = a * s;  grad_a = grad_out * s
Tensor mul(const Tensor& a_in, Scalar s) {
    Tensor keep;
    const Tensor& a = for_scalar("mul", a_in, s, keep);
    Tensor y = map_scalar(a, s, [](auto x, auto s) { return x * s; });
    return record(
        "mul", y, {a}, [s](const Tensor& grad_out) { return Grads{grad_out * s}; },
        "grad_a = grad_out * s", autograd::kSavesNone);
}

// y = a / s;  grad_a = grad_out / s
Tensor div(const Tensor& a_in, Scalar s) {
    Tensor keep;
    const Tensor& a = for_scalar("div", a_in, s, keep, true);
    Tensor y = map_scalar(a, s, [](auto x, auto s) { return x / s; });
    return record(
        "div", y, {a}, [s](const Tensor& grad_out) { return Grads{grad_out / s}; },
        "grad_a = grad_out / s", autograd::kSavesNone);
}

// y = s - a;  grad_a = -grad_out
Tensor rsub(const Tensor& a_in, Scalar s) {
    Tensor keep;
    const Tensor& a = for_scalar("rsub", a_in, s, keep);
    Tensor y = map_scalar(a, s, [](auto x, auto s) { return s - x; });
    return record(
        "rsub", y, {a}, [](const Tensor& grad_out) { return Grads{-grad_out}; },
        "grad_a = -grad_out", autograd::kSavesNone);
}

// y = s / a;  grad_a = -grad_out * s / a^2
Tensor rdiv(const Tensor& a_in, Scalar s) {
    Tensor keep;
    const Tensor& a = for_scalar("rdiv", a_in, s, keep, true);
    Tensor y = map_scalar(a, s, [](auto x, auto s) { return s / x; });
    return record(
        "rdiv", y, {a}, [a, s](const Tensor& grad_out) { return Grads{-grad_out * s / (a * a)}; },
        "grad_a = -grad_out * s / a^2");
}

// y = -a;  grad_a = -grad_out
Tensor neg(const Tensor& a_in) {
    detail::check_defined("neg", a_in);
    if (a_in.dtype() == kBool)
        detail::fail("neg", "negation of a bool tensor is not defined (use logical_not)");
    const Tensor a = detail::cast(a_in, detail::compute_type(a_in.dtype()));
    Tensor y = map_any(a, [](auto x) { return -x; });
    if (y.dtype() != a_in.dtype()) y = y.to(a_in.dtype());
    return record(
        "neg", y, {a}, [](const Tensor& grad_out) { return Grads{-grad_out}; },
        "grad_a = -grad_out", autograd::kSavesNone);
}

// ---- math ------------------------------------------------------------------------------------

// y = a^e;  grad_a = grad_out * e * a^(e-1)
Tensor pow(const Tensor& a_in, Scalar exponent) {
    Tensor keep;
    const Tensor& a = for_scalar("pow", a_in, exponent, keep, true);
    const double e = exponent.to_double();
    Tensor y = detail::map_floating(a, [e](auto x) {
        using T = decltype(x);
        if (e == 2) return x * x;
        return static_cast<T>(std::pow(x, static_cast<T>(e)));
    });
    return record(
        "pow", y, {a},
        [a, e](const Tensor& grad_out) {
            if (e == 0) return Grads{zeros_like(a)};
            if (e == 1) return Grads{grad_out};
            if (e == 2) return Grads{grad_out * a * 2.0};
            return Grads{grad_out * pow(a, e - 1) * e};
        },
        "grad_a = grad_out * e * a^(e-1)");
}

// y = a^2;  grad_a = 2 * a * grad_out
Tensor square(const Tensor& a) {
    return pow(a, 2.0);
}

// y = exp(a);  grad_a = grad_out * y
Tensor exp(const Tensor& a_in) {
    const Tensor a = detail::floating_input("exp", a_in);
    Tensor y = detail::map_kernel(a, [](auto... args) { kernels::exp(args...); });
    return record(
        "exp", y, {a},
        [](const Tensor& grad_out, const Tensor& out) { return Grads{grad_out * out}; },
        "grad_a = grad_out * exp(a)");
}

// y = log(a);  grad_a = grad_out / a
Tensor log(const Tensor& a_in) {
    const Tensor a = detail::floating_input("log", a_in);
    Tensor y = detail::map_kernel(a, [](auto... args) { kernels::log(args...); });
    return record(
        "log", y, {a}, [a](const Tensor& grad_out) { return Grads{grad_out / a}; },
        "grad_a = grad_out / a");
}

// y = sqrt(a);  grad_a = grad_out / (2 * y)
Tensor sqrt(const Tensor& a_in) {
    const Tensor a = detail::floating_input("sqrt", a_in);
    Tensor y = detail::map_kernel(a, [](auto... args) { kernels::sqrt(args...); });
    return record(
        "sqrt", y, {a},
        [](const Tensor& grad_out, const Tensor& out) { return Grads{grad_out / (out * 2.0)}; },
        "grad_a = grad_out / (2 * sqrt(a))");
}

// y = |a|;  grad_a = grad_out * sign(a)  (sign(0) = 0)
Tensor abs(const Tensor& a_in) {
    detail::check_defined("abs", a_in);
    const Tensor a = detail::cast(a_in, detail::compute_type(a_in.dtype()));
    Tensor y = map_any(a, [](auto x) { return x < 0 ? -x : x; });
    return record(
        "abs", y, {a},
        [a](const Tensor& grad_out) {
            Tensor sign = detail::map_floating(a, [](auto x) {
                using T = decltype(x);
                return x > 0 ? T(1) : (x < 0 ? T(-1) : T(0));
            });
            return Grads{grad_out * sign};
        },
        "grad_a = grad_out * sign(a)");
}

// y = sin(a);  grad_a = grad_out * cos(a)
Tensor sin(const Tensor& a_in) {
    const Tensor a = detail::floating_input("sin", a_in);
    Tensor y = detail::map_floating(a, [](auto x) { return std::sin(x); });
    return record(
        "sin", y, {a}, [a](const Tensor& grad_out) { return Grads{grad_out * cos(a)}; },
        "grad_a = grad_out * cos(a)");
}

// y = cos(a);  grad_a = -grad_out * sin(a)
Tensor cos(const Tensor& a_in) {
    const Tensor a = detail::floating_input("cos", a_in);
    Tensor y = detail::map_floating(a, [](auto x) { return std::cos(x); });
    return record(
        "cos", y, {a}, [a](const Tensor& grad_out) { return Grads{-grad_out * sin(a)}; },
        "grad_a = -grad_out * sin(a)");
}

// y = min(max(a, lo), hi);  grad_a = grad_out where lo <= a <= hi, else 0
Tensor clamp(const Tensor& a_in, Scalar min, Scalar max) {
    detail::check_defined("clamp", a_in);
    const double lo = min.to_double(), hi = max.to_double();
    if (lo > hi) {
        detail::fail("clamp", "min (" + std::to_string(lo) + ") is greater than max (" +
                                  std::to_string(hi) + ")");
    }
    if (!a_in.is_floating_point() && min.is_integral() && max.is_integral()) {
        // integer bounds keep an integer tensor's dtype, as LibTorch (nothing to record)
        const int64_t ilo = min.to_long(), ihi = max.to_long();
        const Tensor a = detail::cast(a_in, kInt64);
        Tensor y = map_any(a, [ilo, ihi](auto x) { return x < ilo ? ilo : (x > ihi ? ihi : x); });
        return y.dtype() == a_in.dtype() ? y : y.to(a_in.dtype());
    }
    const Tensor a = detail::as_floating(a_in);
    Tensor y = detail::map_floating(a, [lo, hi](auto x) {
        using T = decltype(x);
        if (x != x) return x;  // NaN stays NaN, as LibTorch
        return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x);
    });
    return record(
        "clamp", y, {a},
        [a, lo, hi](const Tensor& grad_out) {
            return Grads{grad_out * mask_where(a, [lo, hi](auto x) {
                             return x >= decltype(x)(lo) && x <= decltype(x)(hi);
                         })};
        },
        "grad_a = grad_out * (lo <= a <= hi)");
}

Tensor clamp_min(const Tensor& a, Scalar min) {
    return clamp(a, min, INFINITY);
}
Tensor clamp_max(const Tensor& a, Scalar max) {
    return clamp(a, -INFINITY, max);
}

// y = max(a, b);  grad_a = sum_to(grad_out * (a >= b)), grad_b = sum_to(grad_out * (a < b))
Tensor maximum(const Tensor& a_in, const Tensor& b_in) {
    check_broadcast("maximum", a_in, b_in);
    // not a structured binding: the backward lambda captures a and b (see mul)
    Tensor a, b;
    std::tie(a, b) = promoted("maximum", a_in, b_in);
    // a NaN in either operand propagates, as in LibTorch (u != u is true for a NaN u)
    Tensor y = detail::map_binary(a, b, [](auto u, auto v) { return (u != u || u >= v) ? u : v; });
    return record(
        "maximum", y, {a, b},
        [a, b](const Tensor& grad_out) {
            Tensor pick_a = ge(a, b).to(grad_out.dtype());
            return Grads{sum_to(grad_out * pick_a, a.sizes()),
                         sum_to(grad_out * (1.0 - pick_a), b.sizes())};
        },
        "grad_a = sum_to(grad_out * (a >= b)), grad_b = sum_to(grad_out * (a < b))");
}

// y = min(a, b);  grad_a = sum_to(grad_out * (a <= b)), grad_b = sum_to(grad_out * (a > b))
Tensor minimum(const Tensor& a_in, const Tensor& b_in) {
    check_broadcast("minimum", a_in, b_in);
    // not a structured binding: the backward lambda captures a and b (see mul)
    Tensor a, b;
    std::tie(a, b) = promoted("minimum", a_in, b_in);
    Tensor y = detail::map_binary(a, b, [](auto u, auto v) { return (u != u || u <= v) ? u : v; });
    return record(
        "minimum", y, {a, b},
        [a, b](const Tensor& grad_out) {
            Tensor pick_a = le(a, b).to(grad_out.dtype());
            return Grads{sum_to(grad_out * pick_a, a.sizes()),
                         sum_to(grad_out * (1.0 - pick_a), b.sizes())};
        },
        "grad_a = sum_to(grad_out * (a <= b)), grad_b = sum_to(grad_out * (a > b))");
}

// y = cond ? a : b;  grad_a = sum_to(cond ? grad_out : 0), grad_b = sum_to(cond ? 0 : grad_out)
Tensor where(const Tensor& cond_in, const Tensor& a_in, const Tensor& b_in) {
    detail::check_defined("where", cond_in, "cond");
    if (cond_in.is_floating_point()) {
        detail::fail("where", std::string("cond must be bool (as comparisons return) or an integer "
                                          "type, got ") +
                                  to_string(cond_in.dtype()));
    }
    const Tensor cond = cond_in.dtype() == kBool ? cond_in : ne(cond_in, 0);
    check_broadcast("where", a_in, b_in);
    auto [a, b] = promoted("where", a_in, b_in);
    const std::vector<int64_t> ab = broadcast_shapes("where", a.sizes(), b.sizes());
    const std::vector<int64_t> shape = broadcast_shapes("where", cond.sizes(), ab);
    const Tensor c = expand(cond, shape).contiguous(), ea = expand(a.detach(), shape).contiguous(),
                 eb = expand(b.detach(), shape).contiguous();
    Tensor y = detail::make_tensor(shape, a.dtype());
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const bool* pc = c.data_ptr<bool>();
        const T *pa = ea.data_ptr<T>(), *pb = eb.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for (int64_t i = 0, n = y.numel(); i < n; ++i) py[i] = pc[i] ? pa[i] : pb[i];
    });
    y = result_type_of(y, a_in, b_in);
    return record(
        "where", y, {a, b},
        [cond, sa = a.sizes(), sb = b.sizes()](const Tensor& grad_out) {
            const Tensor zero = zeros({}, grad_out.dtype());
            return Grads{sum_to(where(cond, grad_out, zero), sa),
                         sum_to(where(cond, zero, grad_out), sb)};
        },
        "grad_a = sum_to(cond ? grad_out : 0), grad_b = sum_to(cond ? 0 : grad_out)",
        autograd::kSavesNone);
}

// ---- comparisons (bool results, never recorded) --------------------------------------------

namespace {
template <class Cmp>
Tensor compare(const char* op, const Tensor& a_in, const Tensor& b_in, Cmp cmp) {
    check_broadcast(op, a_in, b_in);
    auto [a, b] = promoted(op, a_in.detach(), b_in.detach());
    return detail::map_binary<true>(a, b, [cmp](auto u, auto v) { return cmp(u, v); });
}
Tensor scalar_like(const Tensor& a, Scalar s) {
    const ScalarType dt = detail::compute_type(detail::promote(a.dtype(), s));
    return is_floating_point(dt) ? full({}, s.to_double(), dt) : full({}, s.to_long(), dt);
}
}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) {
    return compare("eq", a, b, [](auto u, auto v) { return u == v; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
    return compare("ne", a, b, [](auto u, auto v) { return u != v; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
    return compare("gt", a, b, [](auto u, auto v) { return u > v; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
    return compare("lt", a, b, [](auto u, auto v) { return u < v; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
    return compare("ge", a, b, [](auto u, auto v) { return u >= v; });
}
Tensor le(const Tensor& a, const Tensor& b) {
    return compare("le", a, b, [](auto u, auto v) { return u <= v; });
}
Tensor eq(const Tensor& a, Scalar b) {
    return eq(a, scalar_like(a, b));
}
Tensor ne(const Tensor& a, Scalar b) {
    return ne(a, scalar_like(a, b));
}
Tensor gt(const Tensor& a, Scalar b) {
    return gt(a, scalar_like(a, b));
}
Tensor lt(const Tensor& a, Scalar b) {
    return lt(a, scalar_like(a, b));
}
Tensor ge(const Tensor& a, Scalar b) {
    return ge(a, scalar_like(a, b));
}
Tensor le(const Tensor& a, Scalar b) {
    return le(a, scalar_like(a, b));
}

// ---- operators and methods ---------------------------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) {
    return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
    return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
    return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
    return div(a, b);
}
Tensor operator+(const Tensor& a, Scalar b) {
    return add(a, b);
}
Tensor operator-(const Tensor& a, Scalar b) {
    return sub(a, b);
}
Tensor operator*(const Tensor& a, Scalar b) {
    return mul(a, b);
}
Tensor operator/(const Tensor& a, Scalar b) {
    return div(a, b);
}
Tensor operator+(Scalar a, const Tensor& b) {
    return add(b, a);
}
Tensor operator-(Scalar a, const Tensor& b) {
    return rsub(b, a);
}
Tensor operator*(Scalar a, const Tensor& b) {
    return mul(b, a);
}
Tensor operator/(Scalar a, const Tensor& b) {
    return rdiv(b, a);
}
Tensor operator-(const Tensor& a) {
    return neg(a);
}
Tensor operator==(const Tensor& a, const Tensor& b) {
    return eq(a, b);
}
Tensor operator!=(const Tensor& a, const Tensor& b) {
    return ne(a, b);
}
Tensor operator>(const Tensor& a, const Tensor& b) {
    return gt(a, b);
}
Tensor operator<(const Tensor& a, const Tensor& b) {
    return lt(a, b);
}
Tensor operator>=(const Tensor& a, const Tensor& b) {
    return ge(a, b);
}
Tensor operator<=(const Tensor& a, const Tensor& b) {
    return le(a, b);
}
Tensor operator==(const Tensor& a, Scalar b) {
    return eq(a, b);
}
Tensor operator!=(const Tensor& a, Scalar b) {
    return ne(a, b);
}
Tensor operator>(const Tensor& a, Scalar b) {
    return gt(a, b);
}
Tensor operator<(const Tensor& a, Scalar b) {
    return lt(a, b);
}
Tensor operator>=(const Tensor& a, Scalar b) {
    return ge(a, b);
}
Tensor operator<=(const Tensor& a, Scalar b) {
    return le(a, b);
}

Tensor Tensor::add(const Tensor& o, Scalar alpha) const {
    return tapegrad::add(*this, o, alpha);
}
Tensor Tensor::sub(const Tensor& o, Scalar alpha) const {
    return tapegrad::sub(*this, o, alpha);
}
Tensor Tensor::mul(const Tensor& o) const {
    return tapegrad::mul(*this, o);
}
Tensor Tensor::div(const Tensor& o) const {
    return tapegrad::div(*this, o);
}
Tensor Tensor::add(Scalar o) const {
    return tapegrad::add(*this, o);
}
Tensor Tensor::sub(Scalar o) const {
    return tapegrad::sub(*this, o);
}
Tensor Tensor::mul(Scalar o) const {
    return tapegrad::mul(*this, o);
}
Tensor Tensor::div(Scalar o) const {
    return tapegrad::div(*this, o);
}
Tensor Tensor::neg() const {
    return tapegrad::neg(*this);
}
Tensor Tensor::pow(Scalar e) const {
    return tapegrad::pow(*this, e);
}
Tensor Tensor::exp() const {
    return tapegrad::exp(*this);
}
Tensor Tensor::log() const {
    return tapegrad::log(*this);
}
Tensor Tensor::sqrt() const {
    return tapegrad::sqrt(*this);
}
Tensor Tensor::abs() const {
    return tapegrad::abs(*this);
}
Tensor Tensor::sin() const {
    return tapegrad::sin(*this);
}
Tensor Tensor::cos() const {
    return tapegrad::cos(*this);
}
Tensor Tensor::square() const {
    return tapegrad::square(*this);
}
Tensor Tensor::clamp(Scalar lo, Scalar hi) const {
    return tapegrad::clamp(*this, lo, hi);
}
Tensor Tensor::clamp_min(Scalar lo) const {
    return tapegrad::clamp_min(*this, lo);
}
Tensor Tensor::clamp_max(Scalar hi) const {
    return tapegrad::clamp_max(*this, hi);
}
Tensor Tensor::eq(const Tensor& o) const {
    return tapegrad::eq(*this, o);
}
Tensor Tensor::ne(const Tensor& o) const {
    return tapegrad::ne(*this, o);
}
Tensor Tensor::gt(const Tensor& o) const {
    return tapegrad::gt(*this, o);
}
Tensor Tensor::lt(const Tensor& o) const {
    return tapegrad::lt(*this, o);
}
Tensor Tensor::ge(const Tensor& o) const {
    return tapegrad::ge(*this, o);
}
Tensor Tensor::le(const Tensor& o) const {
    return tapegrad::le(*this, o);
}
Tensor Tensor::eq(Scalar o) const {
    return tapegrad::eq(*this, o);
}
Tensor Tensor::ne(Scalar o) const {
    return tapegrad::ne(*this, o);
}
Tensor Tensor::gt(Scalar o) const {
    return tapegrad::gt(*this, o);
}
Tensor Tensor::lt(Scalar o) const {
    return tapegrad::lt(*this, o);
}
Tensor Tensor::ge(Scalar o) const {
    return tapegrad::ge(*this, o);
}
Tensor Tensor::le(Scalar o) const {
    return tapegrad::le(*this, o);
}

}  // namespace tapegrad
