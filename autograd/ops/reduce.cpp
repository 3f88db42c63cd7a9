// Reductions: sum, mean, max, min, argmax, argmin, norm, var, std.

#include <algorithm>
#include <cmath>

#include "autograd/detail.hpp"
#include "autograd/kernels/broadcast.hpp"
#include "autograd/linalg.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// Sorted, wrapped, de-duplicated dims; an empty list means every dim (as LibTorch).
std::vector<int64_t> reduce_dims(const char* op, const Tensor& a, std::vector<int64_t> dims) {
    if (dims.empty())
        for (int64_t d = 0; d < a.dim(); ++d) dims.push_back(d);
    for (int64_t& d : dims) d = detail::wrap_dim(op, d, a.dim());
    std::sort(dims.begin(), dims.end());
    for (size_t i = 1; i < dims.size(); ++i)
        if (dims[i] == dims[i - 1])
            detail::fail(op, "dim " + std::to_string(dims[i]) + " appears twice");
    return dims;
}

// a's shape with the reduced dims set to 1 (keepdim) or removed.
std::vector<int64_t> reduced_shape(const Tensor& a, const std::vector<int64_t>& dims, bool keep) {
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < a.dim(); ++d) {
        const bool reduced = std::find(dims.begin(), dims.end(), d) != dims.end();
        if (!reduced)
            shape.push_back(a.size(d));
        else if (keep)
            shape.push_back(1);
    }
    return shape;
}

// Sum of all elements with four accumulators (in double for float) so the loop vectorises.
template <class T>
T sum_all(const T* p, int64_t n) {
    using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
    Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += p[i];
        s1 += p[i + 1];
        s2 += p[i + 2];
        s3 += p[i + 3];
    }
    for (; i < n; ++i) s0 += p[i];
    return static_cast<T>((s0 + s1) + (s2 + s3));
}

// y = sum over dims, scaled;  grad_a = expand(grad_out * scale, a.shape)
Tensor scaled_sum(const char* op, const Tensor& a_in, std::vector<int64_t> dims_in, bool keepdim,
                  bool mean) {
    detail::check_defined(op, a_in);
    if (mean && !a_in.is_floating_point()) {
        detail::fail(op, std::string("mean of a ") + to_string(a_in.dtype()) +
                             " tensor is not defined; convert it with to(kFloat32)");
    }
    // integers and Bool sum in int64, as LibTorch's
    const Tensor a = a_in.is_floating_point() ? a_in : a_in.to(kInt64);
    const std::vector<int64_t> dims = reduce_dims(op, a, std::move(dims_in));
    const std::vector<int64_t> keep_shape = reduced_shape(a, dims, true);
    const int64_t count = a.numel() / std::max<int64_t>(1, detail::numel_of(keep_shape));
    Tensor y = detail::make_tensor(reduced_shape(a, dims, keepdim), a.dtype());
    const Tensor ad = detail::dense(a);
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* py = y.data_ptr<T>();
        if (y.numel() == 1)
            py[0] = sum_all(ad.data_ptr<T>(), ad.numel());
        else
            kernels::sum_to(ad.data_ptr<T>(), ad.sizes(), py, keep_shape);
        if (mean) {
            const T scale = count == 0 ? T(NAN) : T(1) / T(count);
            for (int64_t i = 0; i < y.numel(); ++i) py[i] *= scale;
        }
    });
    return record(
        op, y, {a},
        [sa = a.sizes(), keep_shape, mean, count](const Tensor& g) {
            const Tensor gk = g.reshape(keep_shape);
            return Grads{expand(mean ? gk / static_cast<double>(count) : gk, sa)};
        },
        mean ? "grad_a = expand(grad_out / n, a.shape)" : "grad_a = expand(grad_out, a.shape)",
        autograd::kSavesNone);
}

// Index of the max (or min) along dim for each [outer, inner] position; first one on ties.
// NaN wins, as in PyTorch.
Tensor arg_extreme(const Tensor& a_in, int64_t dim, bool is_max) {
    const Tensor a = detail::dense(a_in.is_floating_point() ? a_in : a_in.to(kInt64));
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    std::vector<int64_t> keep = a.sizes();
    if (!keep.empty()) keep[dim] = 1;
    Tensor idx = detail::make_tensor(keep, kInt64);
    int64_t* pi = idx.data_ptr<int64_t>();
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pa = a.data_ptr<T>();
        for (int64_t o = 0; o < s.outer; ++o)
            for (int64_t k = 0; k < s.inner; ++k) {
                const T* x = pa + o * s.n * s.inner + k;
                int64_t best = 0;
                for (int64_t j = 1; j < s.n; ++j) {
                    const T v = x[j * s.inner], b = x[best * s.inner];
                    if (b != b) break;  // NaN already found
                    if (v != v || (is_max ? v > b : v < b)) best = j;
                }
                pi[o * s.inner + k] = best;
            }
    });
    return idx;
}

// A 0/1 tensor of a's shape and dtype with ones at `index` (keepdim shape) along dim.
Tensor one_hot_along(const Tensor& a, int64_t dim, const Tensor& index) {
    Tensor m = zeros(a.sizes(), a.dtype());
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    const int64_t* pi = index.data_ptr<int64_t>();
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* pm = m.data_ptr<T>();
        for (int64_t o = 0; o < s.outer; ++o)
            for (int64_t k = 0; k < s.inner; ++k)
                pm[(o * s.n + pi[o * s.inner + k]) * s.inner + k] = T(1);
    });
    return m;
}

// values = a at the arg-extreme along dim;  grad_a = one_hot(indices) * expand(grad_out)
std::tuple<Tensor, Tensor> extreme_dim(const char* op, const Tensor& a, int64_t dim, bool keepdim,
                                       bool is_max) {
    detail::check_defined(op, a);
    dim = detail::wrap_dim(op, dim, a.dim());
    if (a.numel() == 0)
        detail::fail(op, "cannot reduce an empty tensor of shape " + shape_str(a.sizes()));
    const Tensor idx = arg_extreme(a, dim, is_max);
    const Tensor mask = a.is_floating_point() ? one_hot_along(a, dim, idx) : Tensor();
    const Tensor ad = detail::dense(a);
    Tensor values = detail::make_tensor(idx.sizes(), a.dtype());
    detail::dispatch_all(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const detail::DimSplit s = detail::split_at(a.sizes(), dim);
        const T* pa = ad.data_ptr<T>();
        const int64_t* pi = idx.data_ptr<int64_t>();
        T* pv = values.data_ptr<T>();
        for (int64_t o = 0; o < s.outer; ++o)
            for (int64_t k = 0; k < s.inner; ++k)
                pv[o * s.inner + k] = pa[(o * s.n + pi[o * s.inner + k]) * s.inner + k];
    });
    values = record(
        op, values, {a}, [mask](const Tensor& g) { return Grads{mask * g}; },
        "grad_a = grad_out at the position of the extreme, 0 elsewhere", autograd::kSavesNone);
    if (keepdim || a.dim() == 0) return {values, idx};
    return {values.squeeze(dim), idx.squeeze(dim)};
}

// y = the extreme of all elements;  grad_a = grad_out at its (first) position, 0 elsewhere
Tensor extreme_all(const char* op, const Tensor& a, bool is_max) {
    detail::check_defined(op, a);
    if (a.numel() == 0)
        detail::fail(op, "cannot reduce an empty tensor of shape " + shape_str(a.sizes()));
    return std::get<0>(extreme_dim(op, a.reshape({-1}), 0, false, is_max));
}

}  // namespace

Tensor sum(const Tensor& a) {
    return scaled_sum("sum", a, {}, false, false);
}
Tensor sum(const Tensor& a, int64_t dim, bool keepdim) {
    return scaled_sum("sum", a, {dim}, keepdim, false);
}
Tensor sum(const Tensor& a, std::vector<int64_t> dims, bool keepdim) {
    return scaled_sum("sum", a, std::move(dims), keepdim, false);
}
Tensor mean(const Tensor& a) {
    return scaled_sum("mean", a, {}, false, true);
}
Tensor mean(const Tensor& a, int64_t dim, bool keepdim) {
    return scaled_sum("mean", a, {dim}, keepdim, true);
}
Tensor mean(const Tensor& a, std::vector<int64_t> dims, bool keepdim) {
    return scaled_sum("mean", a, std::move(dims), keepdim, true);
}

Tensor max(const Tensor& a) {
    return extreme_all("max", a, true);
}
Tensor min(const Tensor& a) {
    return extreme_all("min", a, false);
}
std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim) {
    return extreme_dim("max", a, dim, keepdim, true);
}
std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim) {
    return extreme_dim("min", a, dim, keepdim, false);
}

Tensor argmax(const Tensor& a) {
    detail::check_defined("argmax", a);
    if (a.numel() == 0) detail::fail("argmax", "cannot reduce an empty tensor");
    return arg_extreme(a.reshape({-1}), 0, true).reshape({});
}
Tensor argmin(const Tensor& a) {
    detail::check_defined("argmin", a);
    if (a.numel() == 0) detail::fail("argmin", "cannot reduce an empty tensor");
    return arg_extreme(a.reshape({-1}), 0, false).reshape({});
}
Tensor argmax(const Tensor& a, int64_t dim, bool keepdim) {
    detail::check_defined("argmax", a);
    return std::get<1>(max(a.detach(), detail::wrap_dim("argmax", dim, a.dim()), keepdim));
}
Tensor argmin(const Tensor& a, int64_t dim, bool keepdim) {
    detail::check_defined("argmin", a);
    return std::get<1>(min(a.detach(), detail::wrap_dim("argmin", dim, a.dim()), keepdim));
}

// y = sqrt(sum(a^2));  grad_a = grad_out * a / y, and 0 at the origin (as LibTorch)
Tensor norm(const Tensor& a) {
    detail::check_floating("norm", a);
    Tensor y = detail::make_tensor({}, a.dtype());
    const Tensor ad = detail::dense(a);
    detail::dispatch_floating(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* p = ad.data_ptr<T>();
        double s = 0;
        for (int64_t i = 0; i < ad.numel(); ++i) s += double(p[i]) * double(p[i]);
        *y.data_ptr<T>() = static_cast<T>(std::sqrt(s));
    });
    return record(
        "norm", y, {a},
        [a](const Tensor& grad_out, const Tensor& out) {
            if (out.item<double>() == 0) return Grads{zeros_like(a)};
            return Grads{grad_out * a / out};
        },
        "grad_a = grad_out * a / norm(a)");
}

Tensor norm(const Tensor& a, Scalar p) {
    return linalg::vector_norm(a, p);
}
Tensor norm(const Tensor& a, Scalar p, IntArrayRef dim, bool keepdim) {
    return linalg::vector_norm(a, p, dim, keepdim);
}

// y = sum((a - mean(a))^2) / max(0, N - correction) over dims (N elements each), composed of
// mean, sub, mul, sum and div, so that its backward is theirs:
// grad_a = grad_out * 2 (a - mean(a)) / (N - correction)
Tensor var(const Tensor& a, std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
           bool keepdim) {
    detail::check_floating("var", a);
    const std::vector<int64_t> dims =
        reduce_dims("var", a, dim ? dim->vec() : std::vector<int64_t>{});
    int64_t n = 1;
    for (int64_t d : dims) n *= a.size(d);
    const Tensor centred = a - a.mean(dims, /*keepdim=*/true);
    const double denominator =
        static_cast<double>(std::max<int64_t>(0, n - correction.value_or(1)));
    return (centred * centred).sum(dims, keepdim) / denominator;
}
Tensor var(const Tensor& a, IntArrayRef dim, bool unbiased, bool keepdim) {
    return var(a, std::optional<IntArrayRef>(dim), std::optional<int64_t>(unbiased ? 1 : 0),
               keepdim);
}

// y = sqrt(var(a));  grad_var = grad_out / (2 y), and 0 where y = 0 (a constant slice), as
// LibTorch: the composed sqrt would give NaN there
Tensor std(const Tensor& a, std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
           bool keepdim) {
    const Tensor v = var(a, std::move(dim), correction, keepdim);
    Tensor y = v.detach().sqrt();
    return record(
        "std", y, {v},
        [](const Tensor& grad_out, const Tensor& out) {
            return Grads{(grad_out / (out * 2.0)).masked_fill(out == 0.0, 0.0)};
        },
        "grad_var = grad_out / (2 std), 0 where std = 0");
}
Tensor std(const Tensor& a, IntArrayRef dim, bool unbiased, bool keepdim) {
    return std(a, std::optional<IntArrayRef>(dim), std::optional<int64_t>(unbiased ? 1 : 0),
               keepdim);
}

Tensor Tensor::norm(Scalar p) const {
    return tapegrad::norm(*this, p);
}
Tensor Tensor::norm(Scalar p, IntArrayRef dim, bool keepdim) const {
    return tapegrad::norm(*this, p, std::move(dim), keepdim);
}
Tensor Tensor::var(IntArrayRef dim, bool unbiased, bool keepdim) const {
    return tapegrad::var(*this, std::move(dim), unbiased, keepdim);
}
Tensor Tensor::var(std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
                   bool keepdim) const {
    return tapegrad::var(*this, std::move(dim), correction, keepdim);
}
Tensor Tensor::std(IntArrayRef dim, bool unbiased, bool keepdim) const {
    return tapegrad::std(*this, std::move(dim), unbiased, keepdim);
}
Tensor Tensor::std(std::optional<IntArrayRef> dim, std::optional<int64_t> correction,
                   bool keepdim) const {
    return tapegrad::std(*this, std::move(dim), correction, keepdim);
}

Tensor Tensor::sum() const {
    return tapegrad::sum(*this);
}
Tensor Tensor::sum(int64_t d, bool k) const {
    return tapegrad::sum(*this, d, k);
}
Tensor Tensor::sum(std::vector<int64_t> d, bool k) const {
    return tapegrad::sum(*this, std::move(d), k);
}
Tensor Tensor::mean() const {
    return tapegrad::mean(*this);
}
Tensor Tensor::mean(int64_t d, bool k) const {
    return tapegrad::mean(*this, d, k);
}
Tensor Tensor::mean(std::vector<int64_t> d, bool k) const {
    return tapegrad::mean(*this, std::move(d), k);
}
Tensor Tensor::max() const {
    return tapegrad::max(*this);
}
std::tuple<Tensor, Tensor> Tensor::max(int64_t d, bool k) const {
    return tapegrad::max(*this, d, k);
}
Tensor Tensor::min() const {
    return tapegrad::min(*this);
}
std::tuple<Tensor, Tensor> Tensor::min(int64_t d, bool k) const {
    return tapegrad::min(*this, d, k);
}
Tensor Tensor::argmax() const {
    return tapegrad::argmax(*this);
}
Tensor Tensor::argmax(int64_t d, bool k) const {
    return tapegrad::argmax(*this, d, k);
}
Tensor Tensor::argmin() const {
    return tapegrad::argmin(*this);
}
Tensor Tensor::argmin(int64_t d, bool k) const {
    return tapegrad::argmin(*this, d, k);
}
Tensor Tensor::norm() const {
    return tapegrad::norm(*this);
}

}  // namespace tapegrad
