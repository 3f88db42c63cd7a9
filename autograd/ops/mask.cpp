// Masks: masked_fill, masked_select, nonzero/argwhere, any, all. A mask is a bool tensor (as
// comparisons return); uint8 masks are accepted as LibTorch still accepts them.

#include <string>

#include "autograd/kernels/strided.hpp"
#include "autograd/ops/indexing_util.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// The mask as a private bool copy (the backward keeps it: a later in-place change to the
// caller's mask must not alter the gradient), checked to be a mask.
Tensor mask_copy(const char* op, const Tensor& mask) {
    detail::check_defined(op, mask, "mask");
    if (mask.dtype() != kBool && mask.dtype() != kUInt8) {
        detail::fail(op, std::string("mask must be a bool tensor, got ") + to_string(mask.dtype()));
    }
    return mask.to(kBool, false, /*copy=*/true);
}

// Writes v into the elements of t (any strides) where mask (broadcast to t) is true.
void fill_where(const Tensor& t, const Tensor& mask, const Scalar& value) {
    const TensorImpl& ti = detail::impl(t);
    const std::vector<int64_t> ms = detail::expanded_strides(mask, ti.sizes);
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T v = value.to<T>();
        T* p = static_cast<T*>(t.raw_data());
        kernels::binary_loop(ti.sizes, p, ti.strides.data(), p, ti.strides.data(),
                             mask.data_ptr<bool>(), ms.data(),
                             [v](T x, bool m) { return m ? v : x; });
    });
}

// The value of a masked_fill given as a tensor: 0-d, as LibTorch requires.
Scalar fill_value(const char* op, const Tensor& value) {
    detail::check_defined(op, value, "value");
    if (value.dim() != 0) {
        detail::fail(op, "the value must be a 0-d tensor, got shape " + shape_str(value.sizes()));
    }
    return value.item();
}

std::vector<int64_t> mask_shape(const char* op, const Tensor& self, const Tensor& mask) {
    detail::check_defined(op, self, "self");
    return broadcast_shapes(op, self.sizes(), mask.sizes());
}

// Checks that mask broadcasts to self's own shape (an in-place op cannot grow self).
void check_mask_fits(const char* op, const Tensor& self, const Tensor& mask) {
    if (mask_shape(op, self, mask) != self.sizes()) {
        detail::fail(op, "mask of shape " + shape_str(mask.sizes()) +
                             " does not broadcast to self's shape " + shape_str(self.sizes()));
    }
}

}  // namespace

// y = mask ? value : self (both broadcast);  grad_self = sum_to(grad_out.masked_fill(mask, 0))
Tensor masked_fill(const Tensor& self, const Tensor& mask_in, Scalar value) {
    const Tensor mask = mask_copy("masked_fill", mask_in);
    const std::vector<int64_t> shape = mask_shape("masked_fill", self, mask);
    Tensor y = self.detach().expand(shape).clone();
    fill_where(y, mask, value);
    return record(
        "masked_fill", y, {self},
        [mask, ss = self.sizes()](const Tensor& g) {
            return Grads{sum_to(masked_fill(g, mask, 0), ss)};
        },
        "grad_self = sum_to(grad_out.masked_fill(mask, 0))", autograd::kSavesNone);
}

// y = mask ? value : self for a 0-d tensor value
// grad_self = sum_to(grad_out.masked_fill(mask, 0)),  grad_value = sum(grad_out where mask)
Tensor masked_fill(const Tensor& self, const Tensor& mask_in, const Tensor& value) {
    const Scalar v = fill_value("masked_fill", value);
    const Tensor mask = mask_copy("masked_fill", mask_in);
    const std::vector<int64_t> shape = mask_shape("masked_fill", self, mask);
    Tensor y = self.detach().expand(shape).clone();
    fill_where(y, mask, v);
    return record(
        "masked_fill", y, {self, value},
        [mask, ss = self.sizes(), vt = value.dtype()](const Tensor& g) {
            const Tensor gv = masked_select(g, mask).sum().to(vt);
            return Grads{sum_to(masked_fill(g, mask, 0), ss), gv};
        },
        "grad_self = sum_to(grad_out.masked_fill(mask, 0)), grad_value = "
        "sum(grad_out[mask])",
        autograd::kSavesNone);
}

Tensor Tensor::masked_fill(const Tensor& mask, Scalar value) const {
    return tapegrad::masked_fill(*this, mask, value);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
    return tapegrad::masked_fill(*this, mask, value);
}

// self = mask ? value : self in place;  twin: masked_fill
Tensor& Tensor::masked_fill_(const Tensor& mask_in, Scalar value) const {
    const Tensor mask = mask_copy("masked_fill_", mask_in);
    check_mask_fits("masked_fill_", *this, mask);
    return detail::inplace_or_twin(
        "masked_fill_", *this, {}, [&] { fill_where(*this, mask, value); },
        [&](const Tensor& s) { return tapegrad::masked_fill(s, mask, value); });
}

Tensor& Tensor::masked_fill_(const Tensor& mask_in, const Tensor& value) const {
    const Scalar v = fill_value("masked_fill_", value);
    const Tensor mask = mask_copy("masked_fill_", mask_in);
    check_mask_fits("masked_fill_", *this, mask);
    return detail::inplace_or_twin(
        "masked_fill_", *this, {value}, [&] { fill_where(*this, mask, v); },
        [&](const Tensor& s) { return tapegrad::masked_fill(s, mask, value); });
}

// y = the elements of self where mask is true (both broadcast), 1-D in row-major order
// grad_self = sum_to(zeros(shape).index_put_({mask}, grad_out))
Tensor masked_select(const Tensor& self, const Tensor& mask_in) {
    const Tensor mask = mask_copy("masked_select", mask_in);
    std::vector<int64_t> shape = mask_shape("masked_select", self, mask);
    if (shape.empty()) shape = {1};  // a 0-d pair selects from one element
    const std::vector<Tensor> positions = detail::mask_positions(mask.expand(shape));
    const Tensor y = detail::index_at(self.detach().expand(shape), positions);
    return record(
        "masked_select", y, {self},
        [positions, shape, ss = self.sizes()](const Tensor& g) {
            const Tensor z = zeros(shape, g.dtype());
            return Grads{sum_to(detail::index_put_at(z, positions, g, false), ss)};
        },
        "grad_self = sum_to(zeros(shape).index_put_({mask}, grad_out))", autograd::kSavesNone);
}

Tensor Tensor::masked_select(const Tensor& mask) const {
    return tapegrad::masked_select(*this, mask);
}

// ---- nonzero
// -------------------------------------------------------------------------------------

namespace {

// The positions of the non-zero elements of t: int64 [count, t.dim()] (rows) or
// [t.dim(), count] (columns), in row-major order.
Tensor nonzero_positions(const Tensor& t_in, bool columns) {
    const Tensor t = detail::dense(t_in);
    const int64_t n = t.numel(), nd = t.dim();
    int64_t count = 0;
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* p = t.data_ptr<T>();
        for (int64_t i = 0; i < n; ++i) count += p[i] != T(0);
    });
    Tensor out = detail::make_tensor(
        columns ? std::vector<int64_t>{nd, count} : std::vector<int64_t>{count, nd}, kInt64);
    const int64_t row_step = columns ? 1 : nd, col_step = columns ? count : 1;
    int64_t* po = out.data_ptr<int64_t>();
    std::vector<int64_t> pos(static_cast<size_t>(nd), 0);
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* p = t.data_ptr<T>();
        int64_t row = 0;
        for (int64_t i = 0; i < n; ++i) {
            if (p[i] != T(0)) {
                for (int64_t d = 0; d < nd; ++d)
                    po[row * row_step + d * col_step] = pos[static_cast<size_t>(d)];
                ++row;
            }
            // the row-major position of element i + 1
            for (int64_t d = nd - 1; d >= 0; --d) {
                if (++pos[static_cast<size_t>(d)] < t.size(d)) break;
                pos[static_cast<size_t>(d)] = 0;
            }
        }
    });
    return out;
}

}  // namespace

namespace detail {

std::vector<Tensor> mask_positions(const Tensor& mask) {
    if (mask.dim() == 0) {
        fail("index",
             "a 0-d mask cannot stand for dims in a list of index tensors; use "
             "index({mask}) with a TensorIndex list");
    }
    const Tensor cols = nonzero_positions(mask, /*columns=*/true);
    std::vector<Tensor> out;
    for (int64_t d = 0; d < mask.dim(); ++d) out.push_back(cols.select(0, d));
    return out;
}

}  // namespace detail

Tensor nonzero(const Tensor& self) {
    detail::check_defined("nonzero", self, "self");
    return nonzero_positions(self, /*columns=*/false);
}
Tensor argwhere(const Tensor& self) {
    detail::check_defined("argwhere", self, "self");
    return nonzero_positions(self, /*columns=*/false);
}
Tensor Tensor::nonzero() const {
    return tapegrad::nonzero(*this);
}
Tensor Tensor::argwhere() const {
    return tapegrad::argwhere(*this);
}

// ---- any, all
// ------------------------------------------------------------------------------------

namespace {

// any (or all) over dim, or over everything when dim is none: bool, or uint8 for uint8 input.
Tensor logical_reduce(const char* op, const Tensor& self, std::optional<int64_t> dim_in,
                      bool keepdim, bool is_any) {
    detail::check_defined(op, self, "self");
    const Tensor t = detail::dense(self);
    std::vector<int64_t> shape;
    detail::DimSplit s{1, t.numel(), 1};
    if (dim_in) {
        const int64_t dim = detail::wrap_dim(op, *dim_in, t.dim());
        if (t.dim() > 0) {
            s = detail::split_at(t.sizes(), dim);
            shape = t.sizes();
            if (keepdim)
                shape[static_cast<size_t>(dim)] = 1;
            else
                shape.erase(shape.begin() + dim);
        }
    }
    Tensor y = detail::make_tensor(shape, self.dtype() == kUInt8 ? kUInt8 : kBool);
    uint8_t* py = static_cast<uint8_t*>(y.raw_data());  // bool and uint8: one byte, 0 or 1
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* p = t.data_ptr<T>();
        s.for_each_line([&](int64_t start, int64_t line) {
            const T* x = p + start;
            bool r = !is_any;  // any() of nothing is false, all() of nothing true
            for (int64_t j = 0; j < s.n; ++j) {
                if ((x[j * s.inner] != T(0)) == is_any) {  // a non-zero decides any, a zero all
                    r = is_any;
                    break;
                }
            }
            py[line] = r;
        });
    });
    return y;
}

}  // namespace

Tensor any(const Tensor& self) {
    return logical_reduce("any", self, std::nullopt, false, true);
}
Tensor any(const Tensor& self, int64_t dim, bool keepdim) {
    return logical_reduce("any", self, dim, keepdim, true);
}
Tensor all(const Tensor& self) {
    return logical_reduce("all", self, std::nullopt, false, false);
}
Tensor all(const Tensor& self, int64_t dim, bool keepdim) {
    return logical_reduce("all", self, dim, keepdim, false);
}
Tensor Tensor::any() const {
    return tapegrad::any(*this);
}
Tensor Tensor::any(int64_t dim, bool keepdim) const {
    return tapegrad::any(*this, dim, keepdim);
}
Tensor Tensor::all() const {
    return tapegrad::all(*this);
}
Tensor Tensor::all(int64_t dim, bool keepdim) const {
    return tapegrad::all(*this, dim, keepdim);
}

}  // namespace tapegrad
