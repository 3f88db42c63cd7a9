// In-place ops, for optimizer updates, initialisation and gradient bookkeeping. They are not
// recorded: on a tensor that requires grad they are allowed only under NoGradGuard.

#include <cmath>
#include <cstring>

#include "autograd/grad_mode.hpp"
#include "autograd/ops/elementwise.hpp"

namespace tapegrad {

namespace detail {

// Refuses an in-place change that the graph would not see, and bumps the version counter
// so that saved tensors notice the change.
void begin_inplace(const char* op, const Tensor& self) {
    check_defined(op, self, "self");
    if (self.requires_grad() && GradMode::is_enabled()) {
        if (self.is_leaf()) {
            throw std::logic_error(std::string(op) +
                                   ": a leaf tensor that requires grad cannot be modified in place "
                                   "while grad mode is on; wrap the update in NoGradGuard");
        }
        throw std::logic_error(std::string(op) + ": in-place ops on a tensor that is part of a "
                               "graph (made by " + self.grad_fn()->name() +
                               ") are not recorded; use the out-of-place op instead");
    }
    Storage& s = *detail::impl(self).storage;
    s.version++;
    s.last_inplace = op;
}

}  // namespace detail

namespace {

// self[i] = f(self[i], other[i]) with `other` broadcast to self's shape and cast to its dtype.
template <class F>
void apply_inplace(const char* op, const Tensor& self, const Tensor& other_in, F f) {
    detail::check_defined(op, other_in, "other");
    const std::vector<int64_t> shape = broadcast_shapes(op, self.sizes(), other_in.sizes());
    if (shape != self.sizes()) {
        detail::fail(op, "cannot write the broadcast of self " + shape_str(self.sizes()) +
                             " and other " + shape_str(other_in.sizes()) + " into self in place");
    }
    if (self.dtype() == kInt64 && other_in.is_floating_point()) {
        detail::fail(op, std::string("cannot write a ") + to_string(other_in.dtype()) +
                             " result into an int64 tensor in place");
    }
    detail::begin_inplace(op, self);
    const Tensor other = other_in.dtype() == self.dtype() ? other_in.detach() : other_in.detach().to(self.dtype());
    detail::dispatch(self.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* p = self.data_ptr<T>();
        kernels::binary_broadcast(p, self.sizes(), other.data_ptr<T>(), other.sizes(), p, self.sizes(),
                                  [&](T u, T v) { return static_cast<T>(f(u, v)); });
    });
}

template <class F>
void apply_scalar(const char* op, const Tensor& self, F f) {
    detail::begin_inplace(op, self);
    detail::dispatch(self.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* p = self.data_ptr<T>();
        for (int64_t i = 0, n = self.numel(); i < n; ++i) p[i] = static_cast<T>(f(p[i]));
    });
}

}  // namespace

Tensor& Tensor::zero_() const {
    detail::begin_inplace("zero_", *this);
    std::memset(raw_data(), 0, static_cast<size_t>(numel() * element_size(dtype())));
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::fill_(Scalar value) const {
    detail::begin_inplace("fill_", *this);
    detail::dispatch(dtype(), [&](auto zero) {
        using T = decltype(zero);
        // int64 from the integer itself: a double cannot hold every large int64
        const T v = dtype() == kInt64 ? T(value.to_long()) : T(value.to_double());
        T* p = data_ptr<T>();
        for (int64_t i = 0, n = numel(); i < n; ++i) p[i] = v;
    });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::copy_(const Tensor& src) const {
    apply_inplace("copy_", *this, src, [](auto, auto v) { return v; });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::add_(const Tensor& other, Scalar alpha) const {
    const double a = alpha.to_double();
    if (a == 1) apply_inplace("add_", *this, other, [](auto u, auto v) { return u + v; });
    else apply_inplace("add_", *this, other, [a](auto u, auto v) { return u + decltype(u)(a) * v; });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) const {
    const double a = alpha.to_double();
    apply_inplace("sub_", *this, other, [a](auto u, auto v) { return u - decltype(u)(a) * v; });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::mul_(const Tensor& other) const {
    apply_inplace("mul_", *this, other, [](auto u, auto v) { return u * v; });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::div_(const Tensor& other) const {
    if (dtype() == kInt64) detail::fail("div_", "true division cannot be written into an int64 tensor");
    apply_inplace("div_", *this, other, [](auto u, auto v) { return u / v; });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::add_(Scalar other) const {
    const double v = other.to_double();
    apply_scalar("add_", *this, [v](auto x) { return x + decltype(x)(v); });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::sub_(Scalar other) const {
    const double v = other.to_double();
    apply_scalar("sub_", *this, [v](auto x) { return x - decltype(x)(v); });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::mul_(Scalar other) const {
    const double v = other.to_double();
    apply_scalar("mul_", *this, [v](auto x) { return x * decltype(x)(v); });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::div_(Scalar other) const {
    if (dtype() == kInt64) detail::fail("div_", "true division cannot be written into an int64 tensor");
    const double v = other.to_double();
    apply_scalar("div_", *this, [v](auto x) { return x / decltype(x)(v); });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::addcmul_(const Tensor& a, const Tensor& b, Scalar value) const {
    add_(tapegrad::mul(a.detach(), b.detach()), value);
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::addcdiv_(const Tensor& a, const Tensor& b, Scalar value) const {
    add_(tapegrad::div(a.detach(), b.detach()), value);
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

Tensor& Tensor::clamp_(Scalar min, Scalar max) const {
    const double lo = min.to_double(), hi = max.to_double();
    if (lo > hi) detail::fail("clamp_", "min is greater than max");
    apply_scalar("clamp_", *this, [lo, hi](auto x) {
        using T = decltype(x);
        return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x);
    });
    return const_cast<Tensor&>(*this);  // a handle: the data changed, not the handle
}

}  // namespace tapegrad
