// Running sums and products along a dim: cumsum, cumprod. float32 accumulates in double, as
// LibTorch's CPU kernels do; integer and bool inputs give int64 unless a dtype is asked for.

#include <algorithm>

#include "autograd/grad_mode.hpp"
#include "autograd/ops/indexing_util.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// float accumulates in double; the other types in themselves
template <class T>
using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;

// self converted to the dtype the scan runs in (differentiably), its dim wrapped
Tensor scan_input(const char* op, const Tensor& self, int64_t& dim,
                  std::optional<ScalarType> dtype) {
    detail::check_defined(op, self, "self");
    dim = detail::wrap_dim(op, dim, self.dim());
    const ScalarType dt = dtype ? *dtype : detail::compute_type(self.dtype());
    if (dt != kFloat32 && dt != kFloat64 && dt != kInt64) {
        detail::fail(op, std::string("cannot accumulate in ") + to_string(dt) +
                             "; use kFloat32, kFloat64 or kInt64");
    }
    return self.to(dt);
}

// y[j] = step(y[j-1], x[j]) along dim, y[0] = x[0]
template <class Step>
Tensor scan(const Tensor& x_in, int64_t dim, Step step) {
    const Tensor x = detail::dense(x_in);
    Tensor y = detail::make_tensor(x.sizes(), x.dtype());
    const detail::DimSplit s = detail::split_at(x.sizes(), dim);
    detail::dispatch(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data_ptr<T>();
        T* py = y.data_ptr<T>();
        s.for_each_line([&](int64_t at, int64_t) {
            Acc<T> acc = s.n > 0 ? Acc<T>(px[at]) : Acc<T>(0);
            if (s.n > 0) py[at] = static_cast<T>(acc);
            for (int64_t j = 1; j < s.n; ++j) {
                acc = step(acc, Acc<T>(px[at + j * s.inner]));
                py[at + j * s.inner] = static_cast<T>(acc);
            }
        });
    });
    return y;
}

// sum over j >= k along dim: flip, cumsum, flip back
Tensor reverse_cumsum(const Tensor& t, int64_t dim) {
    return flip(cumsum(flip(t, {dim}), dim), {dim});
}

// grad_x[k] = sum_{j>=k} g[j] prod_{i<=j, i!=k} x[i], with no division, as E[k] * R[k]:
// E[k] = prod_{i<k} x[i] and R[k] = g[k] + x[k+1] R[k+1]. Exact with zeros; not recorded.
Tensor cumprod_backward_direct(const Tensor& x_in, const Tensor& g_in, int64_t dim) {
    const Tensor x = detail::dense(x_in);
    const Tensor g = detail::dense(g_in);
    Tensor y = detail::make_tensor(x.sizes(), x.dtype());
    const detail::DimSplit s = detail::split_at(x.sizes(), dim);
    detail::dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data_ptr<T>();
        const T* pg = g.data_ptr<T>();
        T* py = y.data_ptr<T>();
        s.for_each_line([&](int64_t at, int64_t) {
            Acc<T> r = 0;  // R, built from the end
            for (int64_t j = s.n - 1; j >= 0; --j) {
                const int64_t i = at + j * s.inner;
                r = Acc<T>(pg[i]) + (j + 1 < s.n ? Acc<T>(px[i + s.inner]) * r : Acc<T>(0));
                py[i] = static_cast<T>(r);
            }
            Acc<T> e = 1;  // E, built from the start
            for (int64_t j = 0; j < s.n; ++j) {
                const int64_t i = at + j * s.inner;
                py[i] = static_cast<T>(e * Acc<T>(py[i]));
                e *= Acc<T>(px[i]);
            }
        });
    });
    return y;
}

// The same gradient from differentiable ops, for create_graph. Where x has no zero before k it
// is reverse_cumsum(g * y)[k] / x[k]. A line with zeros at z1 < z2 < ... is taken in levels:
// at level L the zeros z1..zL are replaced by 1 in x (giving xl and yl = cumprod(xl)) and their
// values multiplied into a factor c (zero in value, not in derivative), so that
//   between zL and z(L+1):  grad[k] = c * reverse_cumsum(g * yl)[k] / x[k]
//   at z(L+1):              grad[k] = c * reverse_cumsum(g * cumprod(xl with x[z(L+1)] = 1))[k]
// One cumprod per level; a line with no zeros is one level.
Tensor cumprod_backward_graph(const Tensor& x, const Tensor& g, int64_t dim) {
    const Tensor is_zero = eq(x, 0).to(kInt64);
    // 2 * (zeros at or before k) + (x[k] == 0): level L's interior is 2L, its closing zero 2L + 3
    const Tensor key = cumsum(is_zero, dim) * 2 + is_zero;
    const int64_t levels = x.numel() == 0 ? 0 : cumsum(is_zero, dim).max().item<int64_t>() + 1;
    const Tensor zero = zeros({}, x.dtype()), one = ones({}, x.dtype());
    Tensor total = zeros(x.sizes(), x.dtype());
    Tensor factor = one;
    Tensor xl = x;
    Tensor yl = cumprod(xl, dim);
    for (int64_t level = 0; level < levels; ++level) {
        const Tensor inside = eq(key, 2 * level), closing = eq(key, 2 * level + 3);
        const Tensor a = reverse_cumsum(g * yl, dim) / where(inside, xl, one);
        const Tensor x_next = where(closing, one, xl);
        const Tensor y_next = cumprod(x_next, dim);
        const Tensor b = reverse_cumsum(g * y_next, dim);
        total = total + factor * where(inside, a, where(closing, b, zero));
        factor = factor * where(closing, xl, zero).sum(dim, /*keepdim=*/true);
        xl = x_next;
        yl = y_next;
    }
    return total;
}

}  // namespace

// y[j] = sum_{i<=j} x[i] along dim;  grad_x = reverse cumsum of grad_out (flip, cumsum, flip)
Tensor cumsum(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype) {
    const Tensor x = scan_input("cumsum", self, dim, dtype);
    Tensor y = scan(x, dim, [](auto acc, auto v) { return acc + v; });
    return record(
        "cumsum", y, {x}, [dim](const Tensor& g) { return Grads{reverse_cumsum(g, dim)}; },
        "grad_x = flip(cumsum(flip(grad_out)))", autograd::kSavesNone);
}

// y[j] = prod_{i<=j} x[i] along dim
// grad_x[k] = sum_{j>=k} grad_out[j] prod_{i<=j, i!=k} x[i]  (= reverse_cumsum(grad_out * y) / x
// where x has no zeros)
Tensor cumprod(const Tensor& self, int64_t dim, std::optional<ScalarType> dtype) {
    const Tensor x = scan_input("cumprod", self, dim, dtype);
    Tensor y = scan(x, dim, [](auto acc, auto v) { return acc * v; });
    return record(
        "cumprod", y, {x},
        [x, dim](const Tensor& g) {
            // first order: one exact pass; with create_graph: differentiable ops
            return Grads{GradMode::is_enabled() ? cumprod_backward_graph(x, g, dim)
                                                : cumprod_backward_direct(x, g, dim)};
        },
        "grad_x[k] = sum_{j>=k} grad_out[j] * prod_{i<=j, i!=k} x[i]");
}

Tensor Tensor::cumsum(int64_t dim, std::optional<ScalarType> dtype) const {
    return tapegrad::cumsum(*this, dim, dtype);
}
Tensor Tensor::cumprod(int64_t dim, std::optional<ScalarType> dtype) const {
    return tapegrad::cumprod(*this, dim, dtype);
}

}  // namespace tapegrad
