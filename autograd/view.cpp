// Views and in-place ops in the graph: see view.hpp for the model.

#include "autograd/view.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/kernels/strided.hpp"
#include "autograd/node.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// A view's place in its base: sizes and strides, and its first element counted from the
// base's first element.
struct Region {
    std::vector<int64_t> sizes, strides;
    int64_t offset = 0;
};

// The geometry of a base tensor: enough to lay a gradient out as the base is laid out.
struct Layout {
    std::vector<int64_t> sizes, strides;
};

// Elements a layout spans in memory, from its first element to its last.
int64_t extent(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
    int64_t e = 1;
    for (size_t d = 0; d < sizes.size(); ++d) {
        if (sizes[d] == 0) return 0;
        e += (sizes[d] - 1) * strides[d];
    }
    return e;
}

// A fresh buffer of `layout`'s extent, zero-filled, holding a tensor of that layout.
Tensor zeros_in_layout(const Layout& layout, ScalarType dtype) {
    Tensor flat = zeros({extent(layout.sizes, layout.strides)}, dtype);
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = detail::impl(flat).storage;
    impl->dtype = dtype;
    impl->set_geometry(layout.sizes, layout.strides.data());
    return detail::wrap(std::move(impl));
}

// g (in the base's shape) copied into a fresh buffer of the base's layout; no history.
Tensor laid_out(const Tensor& g, const Layout& base) {
    Tensor laid = zeros_in_layout(base, g.dtype());
    detail::copy_into(laid, g);
    return laid;
}

// The tensor of `region` inside `t` (which has the base's layout); no history.
Tensor region_of(const Tensor& t, const Region& r) {
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = detail::impl(t).storage;
    impl->offset = detail::impl(t).offset + r.offset;
    impl->dtype = t.dtype();
    impl->set_geometry(r.sizes, r.strides.data());
    return detail::wrap(std::move(impl));
}

Tensor as_strided_backward(const Tensor& g, const Layout& base, const Region& r);

// y = g laid out as the base with zeros written over the region
// grad_g = the same of grad_out (the map is its own adjoint)
Tensor zero_region(const Tensor& g, const Layout& base, const Region& r) {
    Tensor y = laid_out(g, base);
    detail::copy_into(region_of(y, r), zeros({}, g.dtype()));
    y = y.detach().contiguous();
    return record(
        "copy_slices_rest", y, {g},
        [base, r](const Tensor& gg) { return Grads{zero_region(gg, base, r)}; },
        "grad = grad_out with the region zeroed", autograd::kSavesNone);
}

// y = the region of g, g laid out as the base
// grad_g = zeros of the base's shape with grad_out added over the region
Tensor take_region(const Tensor& g, const Layout& base, const Region& r) {
    Tensor y = region_of(laid_out(g, base), r).contiguous();
    return record(
        "copy_slices_region", y, {g},
        [base, r](const Tensor& gg) { return Grads{as_strided_backward(gg, base, r)}; },
        "grad = zeros with grad_out added over the region", autograd::kSavesNone);
}

// y = zeros laid out as the base, g added over the region (repeated positions add up);
// returned in the base's shape. The backward of as_strided.
// grad_g = take_region(grad_out)
Tensor as_strided_backward(const Tensor& g, const Layout& base, const Region& r) {
    Tensor laid = zeros_in_layout(base, g.dtype());
    Tensor target = region_of(laid, r);
    const Tensor gc = g.detach();
    const std::vector<int64_t> gs = detail::expanded_strides(gc, r.sizes);
    detail::dispatch(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* p = target.data_ptr<T>();
        kernels::binary_loop(r.sizes, p, detail::impl(target).strides.data(), p,
                             detail::impl(target).strides.data(), gc.data_ptr<T>(), gs.data(),
                             [](T a, T b) { return a + b; });
    });
    Tensor y = laid.contiguous();
    if (y.is_same(laid)) y = laid.detach();
    return record(
        "as_strided_backward", y, {g},
        [base, r](const Tensor& gg) { return Grads{take_region(gg, base, r)}; },
        "grad_g = grad_out over the region", autograd::kSavesNone);
}

Layout layout_of(const TensorImpl& t) {
    return Layout{t.sizes, std::vector<int64_t>(t.strides.begin(), t.strides.end())};
}

Region region_in(const TensorImpl& view, const TensorImpl& base) {
    return Region{view.sizes, std::vector<int64_t>(view.strides.begin(), view.strides.end()),
                  view.offset - base.offset};
}

}  // namespace

// ---- making views
// ---------------------------------------------------------------------------------

namespace detail {

Tensor make_view(const Tensor& self, std::vector<int64_t> sizes,
                 const std::vector<int64_t>& strides, int64_t offset) {
    const TensorImpl& s = impl(self);
    auto v = std::make_shared<TensorImpl>();
    v->storage = s.storage;
    v->offset = offset;
    v->dtype = s.dtype;
    v->set_geometry(std::move(sizes), strides.data());
    v->base = s.base ? s.base : impl_ptr(self);
    v->view_from_no_grad = !GradMode::is_enabled();
    v->view_version = s.storage->version;
    return wrap(std::move(v));
}

Tensor record_view(const char* op, const Tensor& self, std::vector<int64_t> sizes,
                   std::vector<int64_t> strides, int64_t offset, const char* rule) {
    const TensorImpl& s = impl(self);
    const Layout base = layout_of(s);
    Region r{sizes, strides, offset - s.offset};
    Tensor v = make_view(self, std::move(sizes), strides, offset);
    return record(
        op, v, {self},
        [base, r](const Tensor& g) { return Grads{as_strided_backward(g, base, r)}; }, rule,
        autograd::kSavesNone);
}

}  // namespace detail

// y = the elements of a at `size`/`stride` from `storage_offset` (a view)
// grad_a = zeros of a's shape with grad_out added at the viewed elements (overlaps add up)
Tensor as_strided(const Tensor& a, std::vector<int64_t> size, std::vector<int64_t> stride,
                  std::optional<int64_t> storage_offset) {
    detail::check_defined("as_strided", a);
    const TensorImpl& ai = detail::impl(a);
    if (size.size() != stride.size()) {
        detail::fail("as_strided", "size " + shape_str(size) + " and stride " + shape_str(stride) +
                                       " have different lengths");
    }
    const int64_t n = detail::checked_numel("as_strided", size);
    for (int64_t st : stride)
        if (st < 0)
            detail::fail("as_strided",
                         "negative strides are not supported, got " + shape_str(stride));
    const int64_t offset = storage_offset.value_or(ai.offset);
    if (offset < 0) detail::fail("as_strided", "negative storage offset " + std::to_string(offset));
    int64_t last = offset;
    for (size_t d = 0; d < size.size() && n > 0; ++d) {
        int64_t step = 0;
        if (__builtin_mul_overflow(size[d] - 1, stride[d], &step) ||
            __builtin_add_overflow(last, step, &last)) {
            detail::fail("as_strided", "size " + shape_str(size) + " with stride " +
                                           shape_str(stride) + " overflows int64");
        }
    }
    // the view's gradient is a's, so it may only show a's own span of the storage
    const std::vector<int64_t> as(ai.strides.begin(), ai.strides.end());
    const int64_t lo = ai.offset, hi = ai.offset + extent(ai.sizes, as);
    if (n > 0 && (offset < lo || last >= hi)) {
        detail::fail("as_strided", "the view spans storage elements " + std::to_string(offset) +
                                       " to " + std::to_string(last) +
                                       ", outside the tensor's own " + std::to_string(lo) + " to " +
                                       std::to_string(hi - 1));
    }
    return detail::record_view("as_strided", a, size, stride, offset,
                               "grad_a = zeros with grad_out added at the viewed elements");
}

// ---- a view's history after its base changed ----------------------------------------------

namespace autograd {
namespace detail {

void refresh_view(const Tensor& view) {
    TensorImpl& v = tapegrad::detail::impl(view);
    const std::shared_ptr<TensorImpl> base = v.base;
    v.view_version = v.storage->version;
    if (!base->requires_grad) return;
    // the view's elements as as_strided of the base's current history; recorded whatever the
    // grad mode, since this repairs a history rather than computing anything
    AutoGradMode on(true);
    const Tensor b = tapegrad::detail::wrap(base);
    const Region r = region_in(v, *base);
    const Layout layout = layout_of(*base);
    auto node_src = record(
        "as_strided", view, {b},
        [layout, r](const Tensor& g) { return Grads{as_strided_backward(g, layout, r)}; },
        "grad_base = zeros with grad_out added over the view's elements", kSavesNone);
    (void)node_src;
}

}  // namespace detail
}  // namespace autograd

// ---- in-place ops -----------------------------------------------------------------------------

namespace detail {

void begin_inplace(const char* op, const Tensor& self) {
    check_defined(op, self, "self");
    const TensorImpl& s = impl(self);
    for (size_t d = 0; d < s.sizes.size(); ++d) {
        if (s.sizes[d] > 1 && s.strides[d] == 0) {
            fail(op, "more than one element of the written-to tensor " + shape_str(s.sizes) +
                         " refers to a single memory location (an expand()ed tensor?); clone() "
                         "it before writing");
        }
    }
    Storage& st = *s.storage;
    st.version++;
    st.last_inplace = op;
}

bool inplace_is_recorded(const Tensor& self, std::initializer_list<Tensor> others) {
    if (!GradMode::is_enabled()) return false;
    if (self.requires_grad()) return true;
    // a view (even one made with recording off) of a tensor that requires grad: its base's
    // history must learn of the write
    const TensorImpl& s = impl(self);
    if (s.base && s.base->requires_grad) return true;
    for (const Tensor& t : others)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

Tensor inplace_input(const Tensor& self, bool backward_reads_self) {
    // the twin's backward may read self's old value (for another input's gradient too)
    return backward_reads_self ? self.clone() : self;
}

const Tensor& finish_inplace(const char* op, const Tensor& self, Tensor y) {
    TensorImpl& s = impl(self);
    if (!s.base && !s.grad_fn && s.requires_grad) {
        throw std::logic_error(std::string(op) +
                               ": a leaf tensor that requires grad cannot be modified in place "
                               "while grad mode is on; wrap the update in NoGradGuard");
    }
    if (s.base && !s.base->grad_fn && s.base->requires_grad) {
        throw std::logic_error(std::string(op) +
                               ": a view of a leaf tensor that requires grad cannot be modified in "
                               "place while grad mode is on; wrap the update in NoGradGuard");
    }
    if (s.base && s.view_from_no_grad) {
        throw std::logic_error(std::string(op) +
                               ": this view was made with recording off (under NoGradGuard) and "
                               "cannot be modified in place with recording on; make the view with "
                               "recording on, or clone() it");
    }
    if (y.sizes() != s.sizes) {
        fail(op, "the result has shape " + shape_str(y.sizes()) +
                     ", cannot write it into self of "
                     "shape " +
                     shape_str(s.sizes));
    }
    if (y.dtype() != s.dtype) {
        if (!is_floating_point(s.dtype) && is_floating_point(y.dtype())) {
            fail(op, std::string("cannot write a ") + to_string(y.dtype()) + " result into a " +
                         to_string(s.dtype) + " tensor in place");
        }
        y = y.to(s.dtype);
    }
    // a result that does not depend on self (fill_, zero_) still gives self a history, whose
    // gradient for the old value is zero
    if (!y.requires_grad() && self.requires_grad()) {
        y = record(
            op, y.detach(), {self}, [](const Tensor&) { return Grads{Tensor()}; },
            "grad_self = 0 (overwritten)", autograd::kSavesNone);
    }
    begin_inplace(op, self);
    copy_into(self, y);
    if (!y.requires_grad()) return self;
    if (!s.base) {
        std::shared_ptr<autograd::Node> node = y.grad_fn();
        if (s.retains_grad) {  // the kept gradient follows the new value, as LibTorch's
            if (s.grad_fn) s.grad_fn->retained(s.output_nr).reset();
            node->retained(0) = impl_ptr(self);
        }
        if (s.grad_fn) autograd::detail::release_node(std::move(s.grad_fn));
        s.grad_fn = std::move(node);
        s.output_nr = 0;
        s.requires_grad = true;
        return self;
    }
    // through a view: the base takes the history "base with the view's region replaced by y"
    const std::shared_ptr<TensorImpl> base_impl = s.base;
    const Tensor base = wrap(base_impl);
    const Layout layout = layout_of(*base_impl);
    const Region r = region_in(s, *base_impl);
    record(
        "copy_slices", base, {base, y},
        [layout, r](const Tensor& g) {
            return Grads{zero_region(g, layout, r), take_region(g, layout, r)};
        },
        "grad_base = grad_out outside the view's elements, grad_y = grad_out at them",
        autograd::kSavesNone);
    autograd::detail::refresh_view(self);
    return self;
}

}  // namespace detail
}  // namespace tapegrad
