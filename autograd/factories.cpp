// Tensor factories: from nested lists, constants, ranges, identity, raw buffers.

#include <cmath>
#include <cstring>

#include "autograd/detail.hpp"

namespace tapegrad {

namespace {
Tensor finish(Tensor t, const TensorOptions& o) {
    if (o.requires_grad()) t.requires_grad_(true);
    return t;
}

// A fresh tensor for a factory: the options' device checked (CPU only), the sizes checked.
Tensor fresh(const char* op, const std::vector<int64_t>& sizes, ScalarType dtype,
             const TensorOptions& o) {
    detail::check_cpu(op, o.device());
    const int64_t n = detail::checked_numel(op, sizes);
    int64_t bytes = 0;
    if (__builtin_mul_overflow(n, element_size(dtype), &bytes)) {
        detail::fail(op, "shape " + shape_str(sizes) + " of " + to_string(dtype) +
                             " needs more bytes than an int64 can count");
    }
    return detail::make_tensor(sizes, dtype);
}

ScalarType dtype_or(const TensorOptions& o, ScalarType fallback) {
    return o.has_dtype() ? o.dtype() : fallback;
}

// Writes doubles into t's buffer in its dtype.
void fill_from(Tensor& t, const std::vector<double>& values) {
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* p = t.data_ptr<T>();
        for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
    });
}

template <class V>
std::vector<double> to_doubles(const std::vector<V>& v) {
    return std::vector<double>(v.begin(), v.end());
}
}  // namespace

// ---- TensorData: nested braces, checked to be rectangular -----------------------------------

TensorData::TensorData(std::initializer_list<TensorData> list) {
    sizes_.push_back(static_cast<int64_t>(list.size()));
    const TensorData* first = list.size() ? list.begin() : nullptr;
    for (const TensorData& item : list) {
        if (item.sizes_ != first->sizes_) {
            throw std::invalid_argument(
                "tensor: nested lists are ragged: expected every item of "
                "shape " +
                shape_str(first->sizes_) + ", got " + shape_str(item.sizes_));
        }
        values_.insert(values_.end(), item.values_.begin(), item.values_.end());
        floating_ = floating_ || item.floating_;
    }
    if (first) sizes_.insert(sizes_.end(), first->sizes_.begin(), first->sizes_.end());
}

TensorData::TensorData(const std::vector<double>& v)
    : values_(v), sizes_{static_cast<int64_t>(v.size())}, floating_(true) {}
TensorData::TensorData(const std::vector<float>& v)
    : values_(to_doubles(v)), sizes_{static_cast<int64_t>(v.size())}, floating_(true) {}
TensorData::TensorData(const std::vector<int>& v)
    : values_(to_doubles(v)), sizes_{static_cast<int64_t>(v.size())} {}
TensorData::TensorData(const std::vector<int64_t>& v)
    : values_(to_doubles(v)), sizes_{static_cast<int64_t>(v.size())} {}

Tensor tensor(const TensorData& data, TensorOptions o) {
    Tensor t =
        fresh("tensor", data.sizes(), dtype_or(o, data.is_floating() ? kFloat32 : kInt64), o);
    fill_from(t, data.values());
    return finish(t, o);
}

// ---- constants ------------------------------------------------------------------------------

Tensor empty(IntArrayRef sizes, TensorOptions o) {
    return finish(fresh("empty", sizes, dtype_or(o, kFloat32), o), o);
}

namespace {
// A tensor of `sizes` filled with `value`, made for `op` (full, ones).
Tensor filled(const char* op, const std::vector<int64_t>& sizes, const Scalar& value,
              const TensorOptions& o) {
    const ScalarType fallback = value.is_bool() ? kBool : value.is_integral() ? kInt64 : kFloat32;
    Tensor t = fresh(op, sizes, dtype_or(o, fallback), o);
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        // integers from the integer itself: a double cannot hold every large int64
        const T v = value.is_integral() ? T(value.to_long()) : T(value.to_double());
        T* p = t.data_ptr<T>();
        for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = v;
    });
    return finish(t, o);
}
}  // namespace

Tensor full(IntArrayRef sizes, Scalar value, TensorOptions o) {
    return filled("full", sizes, value, o);
}

Tensor zeros(IntArrayRef sizes, TensorOptions o) {
    Tensor t = fresh("zeros", sizes, dtype_or(o, kFloat32), o);
    std::memset(t.raw_data(), 0, static_cast<size_t>(t.nbytes()));
    return finish(t, o);
}

Tensor ones(IntArrayRef sizes, TensorOptions o) {
    return filled("ones", sizes, 1, o.dtype(dtype_or(o, kFloat32)));
}

Tensor empty_like(const Tensor& t, TensorOptions o) {
    return empty(t.sizes(), o.dtype(dtype_or(o, t.dtype())));
}
Tensor zeros_like(const Tensor& t, TensorOptions o) {
    return zeros(t.sizes(), o.dtype(dtype_or(o, t.dtype())));
}
Tensor ones_like(const Tensor& t, TensorOptions o) {
    return ones(t.sizes(), o.dtype(dtype_or(o, t.dtype())));
}
Tensor full_like(const Tensor& t, Scalar value, TensorOptions o) {
    return full(t.sizes(), value, o.dtype(dtype_or(o, t.dtype())));
}

// ---- ranges ---------------------------------------------------------------------------------

Tensor arange(Scalar end, TensorOptions o) {
    return arange(0, end, 1, o);
}
Tensor arange(Scalar start, Scalar end, TensorOptions o) {
    return arange(start, end, 1, o);
}

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions o) {
    const double a = start.to_double(), b = end.to_double(), s = step.to_double();
    if (s == 0 || !std::isfinite(a) || !std::isfinite(b) || !std::isfinite(s)) {
        detail::fail("arange", "needs finite bounds and a non-zero step, got start " +
                                   std::to_string(a) + ", end " + std::to_string(b) + ", step " +
                                   std::to_string(s));
    }
    if ((b - a) / s < 0) {
        detail::fail("arange", "step " + std::to_string(s) + " does not lead from " +
                                   std::to_string(a) + " to " + std::to_string(b));
    }
    const bool integral = start.is_integral() && end.is_integral() && step.is_integral();
    const double count = std::ceil((b - a) / s);
    if (!(count < 9.2e18)) {  // also catches a NaN from 0 * inf
        detail::fail("arange", "start " + std::to_string(a) + ", end " + std::to_string(b) +
                                   " and step " + std::to_string(s) +
                                   " give more elements than an int64 can count");
    }
    const int64_t n = static_cast<int64_t>(count);
    Tensor t = fresh("arange", {n}, dtype_or(o, integral ? kInt64 : kFloat32), o);
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* p = t.data_ptr<T>();
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(a + static_cast<double>(i) * s);
    });
    return finish(t, o);
}

Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions o) {
    if (steps < 0)
        detail::fail("linspace", "steps must be non-negative, got " + std::to_string(steps));
    const double a = start.to_double(), b = end.to_double();
    detail::checked_numel("linspace", {steps});
    std::vector<double> v(static_cast<size_t>(steps));
    for (int64_t i = 0; i < steps; ++i)
        v[i] =
            steps == 1 ? a : a + (b - a) * static_cast<double>(i) / static_cast<double>(steps - 1);
    Tensor t = fresh("linspace", {steps}, dtype_or(o, kFloat32), o);
    fill_from(t, v);
    return finish(t, o);
}

Tensor eye(int64_t n, TensorOptions o) {
    return eye(n, n, o);
}

Tensor eye(int64_t n, int64_t m, TensorOptions o) {
    if (n < 0 || m < 0)
        detail::fail("eye", "sizes must be non-negative, got " + std::to_string(n) + " and " +
                                std::to_string(m));
    Tensor t = zeros({n, m}, o.requires_grad(false));
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* p = t.data_ptr<T>();
        for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
    });
    return finish(t, o);
}

Tensor from_blob(const void* data, IntArrayRef sizes, TensorOptions o) {
    if (!data) detail::fail("from_blob", "data is a null pointer");
    Tensor t = fresh("from_blob", sizes, dtype_or(o, kFloat32), o);
    std::memcpy(t.raw_data(), data, static_cast<size_t>(t.nbytes()));
    return finish(t, o);
}

}  // namespace tapegrad
