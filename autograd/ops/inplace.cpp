// In-place ops. With recording off (NoGradGuard, or nothing requires grad) they write the
// tensor's elements directly, through any strides: optimizer updates and initialisation run
// here. With recording on, each runs as its out-of-place twin and the result is written back,
// giving the tensor (or, through a view, its base) the twin's history: see autograd/view.hpp.

#include <algorithm>
#include <cstring>
#include <cmath>

#include "autograd/grad_mode.hpp"
#include "autograd/kernels/strided.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/view.hpp"

namespace tapegrad {

namespace {

// The in-place skeleton: `direct` writes self's elements (recording off); `twin` computes the
// new value out of place from self's current value (recording on). `twin_reads_self`: the
// twin's backward reads self's old value, which is then copied first.
template <class Direct, class Twin>
Tensor& run_inplace(const char* op, const Tensor& self, std::initializer_list<Tensor> others,
                    bool twin_reads_self, Direct direct, Twin twin) {
    if (!detail::inplace_is_recorded(self, others)) {
        detail::begin_inplace(op, self);
        direct();
    } else {
        detail::finish_inplace(op, self, twin(detail::inplace_input(self, twin_reads_self)));
    }
    return const_cast<Tensor&>(self);  // a handle: the data changed, not the handle
}

// `other` brought to self's dtype and checked to broadcast to self's shape; a copy when it
// shares memory with self in another layout (x.add_(x.t()) would read what it just wrote).
Tensor operand_for(const char* op, const Tensor& self, const Tensor& other) {
    detail::check_defined(op, self, "self");
    detail::check_defined(op, other, "other");
    const std::vector<int64_t> shape = broadcast_shapes(op, self.sizes(), other.sizes());
    if (shape != self.sizes()) {
        detail::fail(op, "cannot write the broadcast of self " + shape_str(self.sizes()) +
                             " and other " + shape_str(other.sizes()) + " into self in place");
    }
    if (!self.is_floating_point() && other.is_floating_point()) {
        detail::fail(op, std::string("cannot write a ") + to_string(other.dtype()) +
                             " result into a " + to_string(self.dtype()) + " tensor in place");
    }
    Tensor o = other.detach();
    const bool same_layout = o.storage_offset() == self.storage_offset() &&
                             o.sizes() == self.sizes() && o.strides() == self.strides();
    if (o.is_alias_of(self) && !same_layout) o = o.clone();
    if (o.dtype() != detail::compute_type(self.dtype()))
        o = o.to(detail::compute_type(self.dtype()));
    return o;
}

// self[i] = f(self[i], other[i]) over self's elements, other broadcast, in self's compute type
// (integer types other than int64 are computed in int64 and written back).
template <class F>
void write_binary(const Tensor& self, const Tensor& other, F f) {
    const ScalarType ct = detail::compute_type(self.dtype());
    if (ct != self.dtype()) {  // a small integer type: compute in int64, copy back
        Tensor tmp = self.detach().to(ct, false, true);
        write_binary(tmp, other, f);
        detail::copy_into(self, tmp);
        return;
    }
    const TensorImpl& s = detail::impl(self);
    const std::vector<int64_t> os = detail::expanded_strides(other, s.sizes);
    detail::dispatch(ct, [&](auto zero) {
        using T = decltype(zero);
        T* p = static_cast<T*>(self.raw_data());
        kernels::binary_loop(s.sizes, p, s.strides.data(), p, s.strides.data(),
                             static_cast<const T*>(other.raw_data()), os.data(),
                             [&](T u, T v) { return static_cast<T>(f(u, v)); });
    });
}

// self[i] = f(self[i]) over self's elements.
template <class F>
void write_unary(const Tensor& self, F f) {
    const ScalarType ct = detail::compute_type(self.dtype());
    if (ct != self.dtype()) {
        Tensor tmp = self.detach().to(ct, false, true);
        write_unary(tmp, f);
        detail::copy_into(self, tmp);
        return;
    }
    const TensorImpl& s = detail::impl(self);
    detail::dispatch(ct, [&](auto zero) {
        using T = decltype(zero);
        T* p = static_cast<T*>(self.raw_data());
        kernels::unary_loop(s.sizes, p, s.strides.data(), p, s.strides.data(),
                            [&](T x) { return static_cast<T>(f(x)); });
    });
}

// self's elements as floating values: the unary math in place needs a floating tensor.
void check_floating_self(const char* op, const Tensor& self) {
    detail::check_defined(op, self, "self");
    if (!self.is_floating_point()) {
        detail::fail(op,
                     std::string("needs a floating-point tensor, got ") + to_string(self.dtype()));
    }
}

// self = f(self, other) for a scalar other (add_, sub_, mul_): a floating self takes other as its
// own type, an integer self only an integral other (the refusal names the op's words otherwise).
template <class F, class Twin>
Tensor& scalar_inplace(const char* op, const Tensor& self, Scalar other, const char* refusal, F f,
                       Twin twin) {
    detail::check_defined(op, self, "self");
    if (!self.is_floating_point() && !other.is_integral()) detail::fail(op, refusal);
    const double v = other.to_double();
    const int64_t iv = other.to_long();
    return run_inplace(
        op, self, {}, false,
        [&] {
            if (self.is_floating_point())
                write_unary(self, [f, v](auto x) { return f(x, decltype(x)(v)); });
            else
                write_unary(self, [f, iv](auto x) { return f(x, decltype(x)(iv)); });
        },
        twin);
}

// A unary math op in place, for floating self: direct loop, or the out-of-place twin.
template <class F, class Twin>
Tensor& unary_inplace(const char* op, const Tensor& self, F f, Twin twin, bool twin_reads_self) {
    check_floating_self(op, self);
    return run_inplace(
        op, self, {}, twin_reads_self, [&] { write_unary(self, f); }, twin);
}

}  // namespace

namespace {
// Writes v into every element of t (any dtype, any strides).
void write_constant(const Tensor& t, const Scalar& value) {
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        // integers from the integer itself: a double cannot hold every large int64
        const T v = value.is_integral() ? T(value.to_long()) : T(value.to_double());
        T* p = static_cast<T*>(t.raw_data());
        if (t.is_contiguous()) {
            // zeros (zero_grad's 64 MiB in W4) by memset: its non-temporal stores skip reading
            // the lines first, 7 ms a W4 step less than this fill loop (perf, 1 thread)
            const T zero_bits{};
            if (std::memcmp(&v, &zero_bits, sizeof(T)) == 0)
                std::memset(p, 0, static_cast<size_t>(t.numel()) * sizeof(T));
            else
                std::fill(p, p + t.numel(), v);
            return;
        }
        const TensorImpl& ti = detail::impl(t);
        kernels::unary_loop(ti.sizes, p, ti.strides.data(), p, ti.strides.data(),
                            [v](T) { return v; });
    });
}
}  // namespace

// self = 0 everywhere;  grad_self = 0
Tensor& Tensor::zero_() const {
    detail::check_defined("zero_", *this, "self");
    return run_inplace(
        "zero_", *this, {}, false, [&] { write_constant(*this, 0); },
        [&](const Tensor&) { return zeros(sizes(), dtype()); });
}

// self = v everywhere;  grad_self = 0
Tensor& Tensor::fill_(Scalar value) const {
    detail::check_defined("fill_", *this, "self");
    return run_inplace(
        "fill_", *this, {}, false, [&] { write_constant(*this, value); },
        [&](const Tensor&) { return full(sizes(), value, dtype()); });
}

// self = src (broadcast, converted);  grad_self = 0, grad_src = sum_to(grad_out)
Tensor& Tensor::copy_(const Tensor& src) const {
    detail::check_defined("copy_", *this, "self");
    detail::check_defined("copy_", src, "src");
    const std::vector<int64_t> shape = broadcast_shapes("copy_", sizes(), src.sizes());
    if (shape != sizes()) {
        detail::fail("copy_", "cannot copy a tensor of shape " + shape_str(src.sizes()) +
                                  " into one of shape " + shape_str(sizes()));
    }
    return run_inplace(
        "copy_", *this, {src}, false,
        [&] {
            const bool same_layout = src.storage_offset() == storage_offset() &&
                                     src.sizes() == sizes() && src.strides() == strides();
            detail::copy_into(*this, src.is_alias_of(*this) && !same_layout ? src.clone() : src);
        },
        [&](const Tensor&) {
            Tensor v = src.dtype() == dtype() ? src : src.to(dtype());
            return v.sizes() == sizes() ? v.clone() : tapegrad::expand(v, sizes()).contiguous();
        });
}

// self += alpha * other;  twin: add
Tensor& Tensor::add_(const Tensor& other, Scalar alpha) const {
    const Tensor o = operand_for("add_", *this, other);
    const double a = alpha.to_double();
    return run_inplace(
        "add_", *this, {other}, false,
        [&] {
            if (a == 1)
                write_binary(*this, o, [](auto u, auto v) { return u + v; });
            else
                write_binary(*this, o, [a](auto u, auto v) { return u + decltype(u)(a) * v; });
        },
        [&](const Tensor& v) { return tapegrad::add(v, other, alpha); });
}

// self -= alpha * other;  twin: sub
Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) const {
    const Tensor o = operand_for("sub_", *this, other);
    const double a = alpha.to_double();
    return run_inplace(
        "sub_", *this, {other}, false,
        [&] { write_binary(*this, o, [a](auto u, auto v) { return u - decltype(u)(a) * v; }); },
        [&](const Tensor& v) { return tapegrad::sub(v, other, alpha); });
}

// self *= other;  twin: mul (its backward reads self's old value)
Tensor& Tensor::mul_(const Tensor& other) const {
    const Tensor o = operand_for("mul_", *this, other);
    return run_inplace(
        "mul_", *this, {other}, true,
        [&] { write_binary(*this, o, [](auto u, auto v) { return u * v; }); },
        [&](const Tensor& v) { return tapegrad::mul(v, other); });
}

// self /= other;  twin: div
Tensor& Tensor::div_(const Tensor& other) const {
    if (!is_floating_point())
        detail::fail("div_", "true division cannot be written into a " +
                                 std::string(to_string(dtype())) + " tensor");
    const Tensor o = operand_for("div_", *this, other);
    return run_inplace(
        "div_", *this, {other}, true,
        [&] { write_binary(*this, o, [](auto u, auto v) { return u / v; }); },
        [&](const Tensor& v) { return tapegrad::div(v, other); });
}

Tensor& Tensor::add_(Scalar other) const {
    return scalar_inplace(
        "add_", *this, other, "cannot add a floating value to an integer tensor in place",
        [](auto x, auto s) { return x + s; },
        [&](const Tensor& s) { return tapegrad::add(s, other); });
}

Tensor& Tensor::sub_(Scalar other) const {
    return scalar_inplace(
        "sub_", *this, other, "cannot subtract a floating value from an integer tensor in place",
        [](auto x, auto s) { return x - s; },
        [&](const Tensor& s) { return tapegrad::sub(s, other); });
}

Tensor& Tensor::mul_(Scalar other) const {
    return scalar_inplace(
        "mul_", *this, other, "cannot multiply an integer tensor by a floating value in place",
        [](auto x, auto s) { return x * s; },
        [&](const Tensor& s) { return tapegrad::mul(s, other); });
}

Tensor& Tensor::div_(Scalar other) const {
    check_floating_self("div_", *this);
    const double v = other.to_double();
    return run_inplace(
        "div_", *this, {}, false,
        [&] { write_unary(*this, [v](auto x) { return x / decltype(x)(v); }); },
        [&](const Tensor& s) { return tapegrad::div(s, other); });
}

// self += value * a * b
Tensor& Tensor::addcmul_(const Tensor& a, const Tensor& b, Scalar value) const {
    if (!detail::inplace_is_recorded(*this, {a, b}))
        return add_(tapegrad::mul(a.detach(), b.detach()), value);
    return add_(tapegrad::mul(a, b), value);
}

// self += value * a / b
Tensor& Tensor::addcdiv_(const Tensor& a, const Tensor& b, Scalar value) const {
    if (!detail::inplace_is_recorded(*this, {a, b}))
        return add_(tapegrad::div(a.detach(), b.detach()), value);
    return add_(tapegrad::div(a, b), value);
}

Tensor& Tensor::clamp_(Scalar min, Scalar max) const {
    const double lo = min.to_double(), hi = max.to_double();
    if (lo > hi) detail::fail("clamp_", "min is greater than max");
    detail::check_defined("clamp_", *this, "self");
    return run_inplace(
        "clamp_", *this, {}, true,
        [&] {
            write_unary(*this, [lo, hi](auto x) {
                using T = decltype(x);
                if (x != x) return x;  // NaN stays NaN, as LibTorch
                return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x);
            });
        },
        [&](const Tensor& s) { return tapegrad::clamp(s, min, max); });
}

Tensor& Tensor::clamp_min_(Scalar min) const {
    return clamp_(min, INFINITY);
}
Tensor& Tensor::clamp_max_(Scalar max) const {
    return clamp_(-INFINITY, max);
}

Tensor& Tensor::neg_() const {
    detail::check_defined("neg_", *this, "self");
    return run_inplace(
        "neg_", *this, {}, false, [&] { write_unary(*this, [](auto x) { return -x; }); },
        [](const Tensor& s) { return tapegrad::neg(s); });
}

Tensor& Tensor::pow_(Scalar e) const {
    const double ev = e.to_double();
    return unary_inplace(
        "pow_", *this, [ev](auto x) { return std::pow(x, decltype(x)(ev)); },
        [&](const Tensor& s) { return tapegrad::pow(s, e); }, true);
}

Tensor& Tensor::sqrt_() const {
    return unary_inplace(
        "sqrt_", *this, [](auto x) { return std::sqrt(x); },
        [](const Tensor& s) { return tapegrad::sqrt(s); }, true);
}

Tensor& Tensor::exp_() const {
    return unary_inplace(
        "exp_", *this, [](auto x) { return std::exp(x); },
        [](const Tensor& s) { return tapegrad::exp(s); }, false);
}

Tensor& Tensor::log_() const {
    return unary_inplace(
        "log_", *this, [](auto x) { return std::log(x); },
        [](const Tensor& s) { return tapegrad::log(s); }, true);
}

Tensor& Tensor::abs_() const {
    return unary_inplace(
        "abs_", *this, [](auto x) { return x < 0 ? -x : x; },
        [](const Tensor& s) { return tapegrad::abs(s); }, true);
}

Tensor& Tensor::relu_() const {
    return unary_inplace(
        "relu_", *this, [](auto x) { return x < 0 ? decltype(x)(0) : x; },
        [](const Tensor& s) { return tapegrad::relu(s); }, true);
}

Tensor& Tensor::sigmoid_() const {
    return unary_inplace(
        "sigmoid_", *this, [](auto x) { return decltype(x)(1) / (decltype(x)(1) + std::exp(-x)); },
        [](const Tensor& s) { return tapegrad::sigmoid(s); }, false);
}

Tensor& Tensor::tanh_() const {
    return unary_inplace(
        "tanh_", *this, [](auto x) { return std::tanh(x); },
        [](const Tensor& s) { return tapegrad::tanh(s); }, false);
}

// x[i] = y: writes into the elements the temporary shows
// ---- comparisons in place: self = (self OP other) as 0 / 1 in self's dtype ------------------
// grad_self = 0: copy_ of a comparison, which is a constant

namespace {
// Checks that `other` broadcasts to self's shape (the result is written into self), then
// writes the comparison computed by `compare`.
template <class Compare>
Tensor& compare_inplace(const char* op, const Tensor& self, const Tensor& other, Compare compare) {
    detail::check_defined(op, self, "self");
    detail::check_defined(op, other, "other");
    if (broadcast_shapes(op, self.sizes(), other.sizes()) != self.sizes()) {
        detail::fail(op, "output with shape " + shape_str(self.sizes()) +
                             " doesn't match the broadcast shape " +
                             shape_str(broadcast_shapes(op, self.sizes(), other.sizes())));
    }
    return self.copy_(compare(self, other));
}
template <class Compare>
Tensor& compare_inplace(const char* op, const Tensor& self, const Scalar& other, Compare compare) {
    detail::check_defined(op, self, "self");
    return self.copy_(compare(self, other));
}
}  // namespace

Tensor& Tensor::eq_(const Tensor& o) const {
    return compare_inplace("eq_", *this, o, [](auto& a, auto& b) { return a.eq(b); });
}
Tensor& Tensor::ne_(const Tensor& o) const {
    return compare_inplace("ne_", *this, o, [](auto& a, auto& b) { return a.ne(b); });
}
Tensor& Tensor::gt_(const Tensor& o) const {
    return compare_inplace("gt_", *this, o, [](auto& a, auto& b) { return a.gt(b); });
}
Tensor& Tensor::lt_(const Tensor& o) const {
    return compare_inplace("lt_", *this, o, [](auto& a, auto& b) { return a.lt(b); });
}
Tensor& Tensor::ge_(const Tensor& o) const {
    return compare_inplace("ge_", *this, o, [](auto& a, auto& b) { return a.ge(b); });
}
Tensor& Tensor::le_(const Tensor& o) const {
    return compare_inplace("le_", *this, o, [](auto& a, auto& b) { return a.le(b); });
}
Tensor& Tensor::eq_(Scalar o) const {
    return compare_inplace("eq_", *this, o, [](auto& a, auto& b) { return a.eq(b); });
}
Tensor& Tensor::ne_(Scalar o) const {
    return compare_inplace("ne_", *this, o, [](auto& a, auto& b) { return a.ne(b); });
}
Tensor& Tensor::gt_(Scalar o) const {
    return compare_inplace("gt_", *this, o, [](auto& a, auto& b) { return a.gt(b); });
}
Tensor& Tensor::lt_(Scalar o) const {
    return compare_inplace("lt_", *this, o, [](auto& a, auto& b) { return a.lt(b); });
}
Tensor& Tensor::ge_(Scalar o) const {
    return compare_inplace("ge_", *this, o, [](auto& a, auto& b) { return a.ge(b); });
}
Tensor& Tensor::le_(Scalar o) const {
    return compare_inplace("le_", *this, o, [](auto& a, auto& b) { return a.le(b); });
}

Tensor& Tensor::operator=(const Tensor& src) && {
    return copy_(src);
}
Tensor& Tensor::operator=(Tensor&& src) && {
    return copy_(src);
}
Tensor& Tensor::operator=(Scalar v) && {
    return fill_(v);
}

}  // namespace tapegrad
