// Writes along one dim at given positions: index_add, index_copy, index_fill (one position per
// slice along dim), scatter and scatter_add (one position per element). gather and
// index_select, their reading counterparts, are in ops/shape.cpp.
//
// Each is one put loop (kernels/indexing.hpp) over the shape of what is written: the target's
// stride along dim is replaced by the offset index * stride read per element, so the target
// may be any view and the in-place forms write straight into it.

#include <string>

#include "autograd/kernels/indexing.hpp"
#include "autograd/ops/indexing_util.hpp"

namespace tapegrad {

using detail::Grads;
using detail::PutMode;
using detail::record;

namespace {

// One dim-wise write into a target: the loop's shape, each operand's strides over it, and the
// offsets of the positions (index * target stride along dim).
struct DimWrite {
    std::vector<int64_t> sizes, target_strides, src_strides, off_strides;
    Tensor off;
};

void check_same_dtype(const char* op, const Tensor& self, const Tensor& src, const char* what) {
    if (src.dtype() != self.dtype()) {
        detail::fail(op, std::string("self (") + to_string(self.dtype()) + ") and " + what + " (" +
                             to_string(src.dtype()) + ") must have the same dtype");
    }
}

void check_alpha(const char* op, const Tensor& self, const Scalar& alpha) {
    if (!self.is_floating_point() && !alpha.is_integral()) {
        detail::fail(op, std::string("alpha must be an integer for a ") + to_string(self.dtype()) +
                             " tensor");
    }
}

// index_add / index_copy / index_fill: `index` (0-d or 1-D, m positions) picks slices along dim
// of target; `source` (undefined for a fill) has target's shape with m along dim.
DimWrite plan_along(const char* op, const Tensor& target, int64_t dim, const Tensor& index,
                    const Tensor& source) {
    detail::check_defined(op, target, "self");
    detail::check_index_dtype(op, index);
    if (target.dim() == 0) detail::fail(op, "self must have at least one dim");
    if (index.dim() > 1) {
        detail::fail(op, "index must be 0-D or 1-D, got shape " + shape_str(index.sizes()));
    }
    const int64_t m = index.numel();
    DimWrite w;
    w.sizes = target.sizes();
    w.sizes[static_cast<size_t>(dim)] = m;
    if (source.defined()) {
        check_same_dtype(op, target, source, "source");
        const bool fits =
            source.sizes() == w.sizes || (source.dim() == 0 && w.sizes == std::vector<int64_t>{1});
        if (!fits) {
            detail::fail(op, "source of shape " + shape_str(source.sizes()) + " must have shape " +
                                 shape_str(w.sizes) + " (self's shape " +
                                 shape_str(target.sizes()) + " with the index's length " +
                                 std::to_string(m) + " along dim " + std::to_string(dim) + ")");
        }
        w.src_strides = source.dim() == 0 ? std::vector<int64_t>{0} : source.strides();
    } else {
        w.src_strides.assign(w.sizes.size(), 0);
    }
    w.target_strides = target.strides();
    w.off = detail::index_offsets(op, index.reshape({-1}), target.size(dim),
                                  w.target_strides[static_cast<size_t>(dim)], dim, false);
    w.target_strides[static_cast<size_t>(dim)] = 0;
    w.off_strides.assign(w.sizes.size(), 0);
    w.off_strides[static_cast<size_t>(dim)] = 1;
    return w;
}

// scatter / scatter_add: index has target's number of dims and picks, per element, a position
// along dim; it fits in src's shape, and in target's except along dim.
DimWrite plan_scatter(const char* op, const Tensor& target, int64_t dim, const Tensor& index,
                      const Tensor& src) {
    detail::check_defined(op, target, "self");
    detail::check_index_dtype(op, index);
    const int64_t nd = target.dim();
    if (index.dim() != nd || (src.defined() && src.dim() != nd)) {
        detail::fail(op, "self " + shape_str(target.sizes()) + ", index " +
                             shape_str(index.sizes()) +
                             (src.defined() ? ", src " + shape_str(src.sizes()) : std::string()) +
                             " must have the same number of dims");
    }
    bool fits = true;
    for (int64_t d = 0; d < nd && fits; ++d) {
        fits = (d == dim || index.size(d) <= target.size(d)) &&
               (!src.defined() || index.size(d) <= src.size(d));
    }
    if (!fits) {
        detail::fail(
            op,
            "index of shape " + shape_str(index.sizes()) + " must fit in self's shape " +
                shape_str(target.sizes()) + " except along dim " + std::to_string(dim) +
                (src.defined() ? " and in src's shape " + shape_str(src.sizes()) : std::string()));
    }
    DimWrite w;
    w.sizes = index.sizes();
    if (src.defined()) check_same_dtype(op, target, src, "src");
    w.src_strides =
        src.defined() ? src.strides() : std::vector<int64_t>(static_cast<size_t>(nd), 0);
    w.target_strides = target.strides();
    const int64_t n = nd == 0 ? 1 : target.size(dim);
    const int64_t stride = nd == 0 ? 0 : w.target_strides[static_cast<size_t>(dim)];
    w.off = detail::index_offsets(op, index, n, stride, dim, false);
    if (nd > 0) w.target_strides[static_cast<size_t>(dim)] = 0;
    w.off_strides = kernels::contiguous_strides(w.sizes);
    return w;
}

void run(const Tensor& target, const DimWrite& w, const Tensor& src, detail::PutMode mode,
         const Scalar& alpha = 1) {
    detail::put_into(target, w.sizes, w.target_strides, src, w.src_strides, w.off, w.off_strides,
                     mode, alpha);
}

// The index as a private int64 copy, for a backward to keep.
Tensor saved_index(const Tensor& index) {
    return index.to(kInt64, false, /*copy=*/true);
}

// g (index's shape) laid into zeros of src's shape when index covers only part of src: the
// elements of src that scatter never reads get no gradient.
Tensor pad_to(const Tensor& g, const std::vector<int64_t>& sizes) {
    if (g.sizes() == sizes) return g;
    Tensor z = zeros(sizes, g.dtype());
    Tensor region = z;
    for (int64_t d = 0; d < g.dim(); ++d) region = region.narrow(d, 0, g.size(d));
    region.copy_(g);
    return z;
}

// gather(g, dim, index) for an index smaller than g along the other dims too (gather wants
// them equal): g narrowed to the index's extent first, which reads the same elements.
Tensor gather_at(const Tensor& g, int64_t dim, const Tensor& index) {
    Tensor fitted = g;
    for (int64_t d = 0; d < g.dim(); ++d)
        if (d != dim && index.size(d) != g.size(d)) fitted = fitted.narrow(d, 0, index.size(d));
    return gather(fitted, dim, index);
}

int64_t dim_of(const char* op, const Tensor& self, int64_t dim) {
    detail::check_defined(op, self, "self");
    return detail::wrap_dim(op, dim, self.dim());
}

using Plan = DimWrite (*)(const char*, const Tensor&, int64_t, const Tensor&, const Tensor&);

// One write of this file: `values` put into a target along dim (wrapped) at index, slice-wise
// (plan_along: index_*) or element-wise (plan_scatter: scatter*). `src` is the tensor written,
// undefined for a fill, whose values are the fill value as a 0-d tensor.
struct Put {
    const char* op;
    Plan plan;
    int64_t dim;
    Tensor index, src, values;
    detail::PutMode mode;
    Scalar alpha;

    DimWrite on(const Tensor& target) const { return plan(op, target, dim, index, src); }
};

// The write of tensor `src` (named `what` in errors) into self, its arguments checked.
Put put_tensor(const char* op, Plan plan, const Tensor& self, int64_t dim, const Tensor& index,
               const Tensor& src, const char* what, detail::PutMode mode, const Scalar& alpha = 1) {
    const int64_t d = dim_of(op, self, dim);
    detail::check_defined(op, src, what);
    return {op, plan, d, index, src, src, mode, alpha};
}

// The write of `value` into self at every position the index names.
Put put_value(const char* op, Plan plan, const Tensor& self, int64_t dim, const Tensor& index,
              const Scalar& value) {
    const int64_t d = dim_of(op, self, dim);
    return {op, plan, d, index, Tensor(), full({}, value, self.dtype()), PutMode::Write, 1};
}

// A copy of self with p written: the forward of the out-of-place forms.
Tensor put_copy(const Put& p, const Tensor& self) {
    Tensor y = self.detach().clone();
    run(y, p.on(y), p.values, p.mode, p.alpha);
    return y;
}

// Records the fill p of self (index_fill, scatter with a value). Its gradient is grad_out with
// 0 written where the fill wrote: the same fill with value 0, itself recorded, so that it
// differentiates again.
Tensor record_fill(const Put& p, const Tensor& self, const char* rule) {
    Put refill = p;
    refill.index = saved_index(p.index);  // the backward's own copy: the caller may change it
    return record(
        p.op, put_copy(p, self), {self},
        [refill, rule](const Tensor& g) {
            Put zero = refill;
            zero.values = zeros({}, g.dtype());
            return Grads{record_fill(zero, g, rule)};
        },
        rule, autograd::kSavesNone);
}

}  // namespace

// y = self with alpha * source[..., j, ...] added at position index[j] along dim (repeats add)
// grad_self = grad_out,  grad_source = alpha * grad_out.index_select(dim, index)
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                 Scalar alpha) {
    const Put p = put_tensor("index_add", plan_along, self, dim, index, source, "source",
                             PutMode::Add, alpha);
    check_alpha("index_add", self, alpha);
    return record(
        "index_add", put_copy(p, self), {self, source},
        [dim = p.dim, idx = saved_index(index).reshape({-1}), alpha,
         ss = source.sizes()](const Tensor& g) {
            Tensor gs = index_select(g, dim, idx).reshape(ss);
            return Grads{g, alpha.to_double() == 1 ? gs : gs * alpha};
        },
        "grad_self = grad_out, grad_source = alpha * grad_out.index_select(dim, index)",
        autograd::kSavesNone);
}

// y = self with source[..., j, ...] written at position index[j] along dim (a repeat: the last)
// grad_self = grad_out.index_fill(dim, index, 0),  grad_source = grad_out.index_select(dim, index)
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
    const Put p =
        put_tensor("index_copy", plan_along, self, dim, index, source, "source", PutMode::Write);
    return record(
        "index_copy", put_copy(p, self), {self, source},
        [dim = p.dim, idx = saved_index(index).reshape({-1}),
         ss = source.sizes()](const Tensor& g) {
            return Grads{index_fill(g, dim, idx, 0), index_select(g, dim, idx).reshape(ss)};
        },
        "grad_self = grad_out.index_fill(dim, index, 0), grad_source = "
        "grad_out.index_select(dim, index)",
        autograd::kSavesNone);
}

// y = self with y[..., index[i], ...] = src[i] along dim over index's shape (a repeat: the last)
// grad_self = grad_out.scatter(dim, index, 0),  grad_src = grad_out.gather(dim, index)
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
    const Put p = put_tensor("scatter", plan_scatter, self, dim, index, src, "src", PutMode::Write);
    return record(
        "scatter", put_copy(p, self), {self, src},
        [dim = p.dim, idx = saved_index(index), ss = src.sizes()](const Tensor& g) {
            return Grads{scatter(g, dim, idx, 0), pad_to(gather_at(g, dim, idx), ss)};
        },
        "grad_self = grad_out.scatter(dim, index, 0), grad_src = grad_out.gather(dim, index)",
        autograd::kSavesNone);
}

// y = self with src[i] added at y[..., index[i], ...] along dim (repeats add up)
// grad_self = grad_out,  grad_src = grad_out.gather(dim, index)
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
    const Put p =
        put_tensor("scatter_add", plan_scatter, self, dim, index, src, "src", PutMode::Add);
    return record(
        "scatter_add", put_copy(p, self), {self, src},
        [dim = p.dim, idx = saved_index(index), ss = src.sizes()](const Tensor& g) {
            return Grads{g, pad_to(gather_at(g, dim, idx), ss)};
        },
        "grad_self = grad_out, grad_src = grad_out.gather(dim, index)", autograd::kSavesNone);
}

// y = self with `value` at positions index along dim
// grad_self = grad_out.index_fill(dim, index, 0)
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
    return record_fill(put_value("index_fill", plan_along, self, dim, index, value), self,
                       "grad_self = grad_out.index_fill(dim, index, 0)");
}

// y = self with `value` at y[..., index[i], ...] along dim
// grad_self = grad_out.scatter(dim, index, 0)
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
    return record_fill(put_value("scatter", plan_scatter, self, dim, index, value), self,
                       "grad_self = grad_out.scatter(dim, index, 0)");
}

Tensor Tensor::index_add(int64_t d, const Tensor& i, const Tensor& s, Scalar a) const {
    return tapegrad::index_add(*this, d, i, s, a);
}
Tensor Tensor::index_copy(int64_t d, const Tensor& i, const Tensor& s) const {
    return tapegrad::index_copy(*this, d, i, s);
}
Tensor Tensor::index_fill(int64_t d, const Tensor& i, Scalar v) const {
    return tapegrad::index_fill(*this, d, i, v);
}
Tensor Tensor::gather(int64_t d, const Tensor& i) const {
    return tapegrad::gather(*this, d, i);
}
Tensor Tensor::scatter(int64_t d, const Tensor& i, const Tensor& s) const {
    return tapegrad::scatter(*this, d, i, s);
}
Tensor Tensor::scatter(int64_t d, const Tensor& i, Scalar v) const {
    return tapegrad::scatter(*this, d, i, v);
}
Tensor Tensor::scatter_add(int64_t d, const Tensor& i, const Tensor& s) const {
    return tapegrad::scatter_add(*this, d, i, s);
}

// ---- in place: the same loops straight into self's elements, or the twin when recorded ----------

namespace {

// p written into self through its strides with recording off; self takes the value and history
// of twin(self) with recording on.
template <class Twin>
Tensor& put_in_place(const Put& p, const Tensor& self, Twin twin) {
    const DimWrite w = p.on(self);
    return detail::inplace_or_twin(
        p.op, self, {p.values},
        [&] { run(self, w, detail::unaliased(p.values, self), p.mode, p.alpha); }, twin);
}

}  // namespace

Tensor& Tensor::index_add_(int64_t dim, const Tensor& index, const Tensor& source,
                           Scalar alpha) const {
    const Put p = put_tensor("index_add_", plan_along, *this, dim, index, source, "source",
                             PutMode::Add, alpha);
    check_alpha("index_add_", *this, alpha);
    return put_in_place(p, *this, [&](const Tensor& s) {
        return tapegrad::index_add(s, p.dim, index, source, alpha);
    });
}

Tensor& Tensor::index_copy_(int64_t dim, const Tensor& index, const Tensor& source) const {
    const Put p =
        put_tensor("index_copy_", plan_along, *this, dim, index, source, "source", PutMode::Write);
    return put_in_place(
        p, *this, [&](const Tensor& s) { return tapegrad::index_copy(s, p.dim, index, source); });
}

Tensor& Tensor::index_fill_(int64_t dim, const Tensor& index, Scalar value) const {
    const Put p = put_value("index_fill_", plan_along, *this, dim, index, value);
    return put_in_place(
        p, *this, [&](const Tensor& s) { return tapegrad::index_fill(s, p.dim, index, value); });
}

Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) const {
    const Put p =
        put_tensor("scatter_", plan_scatter, *this, dim, index, src, "src", PutMode::Write);
    return put_in_place(p, *this,
                        [&](const Tensor& s) { return tapegrad::scatter(s, p.dim, index, src); });
}

Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, Scalar value) const {
    const Put p = put_value("scatter_", plan_scatter, *this, dim, index, value);
    return put_in_place(p, *this,
                        [&](const Tensor& s) { return tapegrad::scatter(s, p.dim, index, value); });
}

Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) const {
    const Put p =
        put_tensor("scatter_add_", plan_scatter, *this, dim, index, src, "src", PutMode::Add);
    return put_in_place(
        p, *this, [&](const Tensor& s) { return tapegrad::scatter_add(s, p.dim, index, src); });
}

}  // namespace tapegrad
