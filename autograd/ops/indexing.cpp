// Python-style indexing: `x.index({...})`, `x.index_put_({...}, v)`, `take`, and the shared
// gather/put loops of the indexing ops.
//
// An index list is applied in two steps, as in LibTorch. Integers, Slice, None and Ellipsis
// become view ops (select, slice, unsqueeze) on x, so they return views sharing x's storage
// ("basic" indexing). Tensor indices are collected, one per dim of that view (bool masks turn
// into one int64 position tensor per dim they cover), and applied in one gather ("advanced"
// indexing, a copy). The index tensors broadcast together to a shape B; the result has B in
// place of the indexed dims when those are adjacent, else B first (NumPy's rule).

#include "autograd/kernels/indexing.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/ops/indexing_util.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

// ---- the index vocabulary ---------------------------------------------------------------------

namespace indexing {

Slice::Slice(std::optional<int64_t> start, std::optional<int64_t> stop,
             std::optional<int64_t> step) {
    step_ = step.value_or(1);
    if (step_ == 0) throw std::invalid_argument("Slice: step cannot be zero");
    start_ = start.value_or(step_ < 0 ? INT64_MAX : 0);
    stop_ = stop.value_or(step_ < 0 ? INT64_MIN : INT64_MAX);
}

TensorIndex::TensorIndex(const char* str) : type_(Type::Ellipsis) {
    if (str == nullptr || std::strcmp(str, "...") != 0) {
        throw std::invalid_argument(
            std::string("TensorIndex: expected \"...\" for an ellipsis, got \"") +
            (str ? str : "(null)") + "\"");
    }
}

}  // namespace indexing

// ---- shared helpers (indexing_util.hpp) -------------------------------------------------------

namespace detail {

void check_index_dtype(const char* op, const Tensor& index, const char* what) {
    check_defined(op, index, what);
    if (!is_integral(index.dtype())) {
        fail(op, std::string(what) + " must be an integer tensor (int64), got " +
                     to_string(index.dtype()));
    }
}

Tensor index_offsets(const char* op, const Tensor& index, int64_t n, int64_t stride, int64_t dim,
                     bool allow_negative) {
    check_index_dtype(op, index);
    const Tensor idx = index.dtype() == kInt64 ? index : index.to(kInt64);
    Tensor off = make_tensor(idx.sizes(), kInt64);
    const int64_t lo = allow_negative ? -n : 0;
    const TensorImpl& ii = impl(idx);
    kernels::unary_loop(ii.sizes, off.data_ptr<int64_t>(), impl(off).strides.data(),
                        idx.data_ptr<int64_t>(), ii.strides.data(), [&](int64_t v) {
                            if (v < lo || v >= n) {
                                fail(op, "index " + std::to_string(v) +
                                             " is out of range for dim " + std::to_string(dim) +
                                             " of size " + std::to_string(n));
                            }
                            return (v < 0 ? v + n : v) * stride;
                        });
    return off;
}

void gather_into(const Tensor& out, const Tensor& src, const std::vector<int64_t>& src_strides,
                 const Tensor& off, const std::vector<int64_t>& off_strides) {
    const TensorImpl& o = impl(out);
    dispatch_all(src.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::indexed_loop(o.sizes, static_cast<T*>(out.raw_data()), o.strides.data(),
                              static_cast<T*>(src.raw_data()), src_strides.data(),
                              off.data_ptr<int64_t>(), off_strides.data(),
                              [](T& y, const T& x) { y = x; });
    });
}

void put_into(const Tensor& dst, const std::vector<int64_t>& sizes,
              const std::vector<int64_t>& dst_strides, const Tensor& src,
              const std::vector<int64_t>& src_strides, const Tensor& off,
              const std::vector<int64_t>& off_strides, PutMode mode, const Scalar& alpha) {
    dispatch_all(dst.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* pd = static_cast<T*>(dst.raw_data());
        T* ps = static_cast<T*>(src.raw_data());
        const int64_t* po = off.data_ptr<int64_t>();
        if (mode == PutMode::Write) {
            kernels::indexed_loop(sizes, ps, src_strides.data(), pd, dst_strides.data(), po,
                                  off_strides.data(), [](const T& v, T& d) { d = v; });
        } else if (alpha.to_double() == 1) {
            kernels::indexed_loop(sizes, ps, src_strides.data(), pd, dst_strides.data(), po,
                                  off_strides.data(),
                                  [](const T& v, T& d) { d = static_cast<T>(d + v); });
        } else {
            const T a = alpha.to<T>();
            kernels::indexed_loop(sizes, ps, src_strides.data(), pd, dst_strides.data(), po,
                                  off_strides.data(),
                                  [a](const T& v, T& d) { d = static_cast<T>(d + a * v); });
        }
    });
}

Tensor unaliased(const Tensor& t, const Tensor& self) {
    return t.is_alias_of(self) ? t.clone() : t;
}

}  // namespace detail

// ---- advanced indexing: positions already int64 -------------------------------------------------

namespace {

// Where advanced indexing reads or writes: the result's shape, the target's strides over it (0
// along the dims the positions stand for) and the positions' storage offsets (over the
// broadcast index shape B, stride 0 along the other dims).
struct IndexPlan {
    std::vector<int64_t> result_sizes;
    std::vector<int64_t> target_strides;
    Tensor offsets;
    std::vector<int64_t> offset_strides;
};

// `indices[d]` picks along dim d of `target` (undefined: the whole dim); int64 tensors.
IndexPlan plan_index(const char* op, const Tensor& target, const std::vector<Tensor>& indices) {
    const int64_t nd = target.dim();
    if (static_cast<int64_t>(indices.size()) > nd) {
        detail::fail(op, "too many indices (" + std::to_string(indices.size()) +
                             ") for a tensor of shape " + shape_str(target.sizes()));
    }
    std::vector<int64_t> dims;  // the indexed dims, ascending
    std::vector<int64_t> b;     // their positions' broadcast shape
    for (size_t d = 0; d < indices.size(); ++d) {
        if (!indices[d].defined()) continue;
        const std::vector<int64_t>& s = indices[d].sizes();
        std::vector<int64_t> joined(std::max(b.size(), s.size()), 1);
        for (size_t i = 0; i < joined.size(); ++i) {
            const int64_t u = i + b.size() >= joined.size() ? b[i + b.size() - joined.size()] : 1;
            const int64_t v = i + s.size() >= joined.size() ? s[i + s.size() - joined.size()] : 1;
            if (u != v && u != 1 && v != 1) {
                detail::fail(op, "the index tensors do not broadcast together: shape " +
                                     shape_str(s) + " against " + shape_str(b) +
                                     " (of the ones before it)");
            }
            joined[i] = u == 1 ? v : u;
        }
        b = std::move(joined);
        dims.push_back(static_cast<int64_t>(d));
    }
    if (dims.empty()) detail::fail(op, "at least one index must be a tensor");
    const bool adjacent = dims.back() - dims.front() + 1 == static_cast<int64_t>(dims.size());
    const std::vector<int64_t> ts = target.strides();
    const std::vector<int64_t> bs = kernels::contiguous_strides(b);
    IndexPlan p;
    auto add_plain = [&](int64_t d) {
        p.result_sizes.push_back(target.size(d));
        p.target_strides.push_back(ts[static_cast<size_t>(d)]);
        p.offset_strides.push_back(0);
    };
    auto add_positions = [&] {
        for (size_t i = 0; i < b.size(); ++i) {
            p.result_sizes.push_back(b[i]);
            p.target_strides.push_back(0);
            p.offset_strides.push_back(bs[i]);
        }
    };
    if (adjacent) {
        for (int64_t d = 0; d < dims.front(); ++d) add_plain(d);
        add_positions();
        for (int64_t d = dims.back() + 1; d < nd; ++d) add_plain(d);
    } else {
        add_positions();
        for (int64_t d = 0; d < nd; ++d)
            if (d >= static_cast<int64_t>(indices.size()) ||
                !indices[static_cast<size_t>(d)].defined())
                add_plain(d);
    }
    // offsets = sum over the indexed dims of position * stride, broadcast to B
    p.offsets = zeros(b, kInt64);
    int64_t* po = p.offsets.data_ptr<int64_t>();
    for (int64_t d : dims) {
        const Tensor off =
            detail::index_offsets(op, indices[static_cast<size_t>(d)], target.size(d),
                                  ts[static_cast<size_t>(d)], d, true);
        const std::vector<int64_t> os = detail::expanded_strides(off, b);
        kernels::binary_loop(b, po, bs.data(), po, bs.data(), off.data_ptr<int64_t>(), os.data(),
                             [](int64_t acc, int64_t o) { return acc + o; });
    }
    return p;
}

// values (broadcast to the indexing result) checked against the plan and self's dtype
void check_values(const char* op, const Tensor& self, const IndexPlan& p, const Tensor& values) {
    detail::check_defined(op, values, "values");
    if (values.dtype() != self.dtype()) {
        detail::fail(op, std::string("values of dtype ") + to_string(values.dtype()) +
                             " cannot be written into a tensor of dtype " +
                             to_string(self.dtype()) +
                             " (convert them with to(), as LibTorch requires)");
    }
    bool fits = values.dim() <= static_cast<int64_t>(p.result_sizes.size());
    const size_t lead = p.result_sizes.size() - (fits ? values.sizes().size() : 0);
    for (size_t i = 0; fits && i < values.sizes().size(); ++i)
        fits = values.sizes()[i] == 1 || values.sizes()[i] == p.result_sizes[lead + i];
    if (!fits) {
        detail::fail(op, "values of shape " + shape_str(values.sizes()) +
                             " cannot be broadcast to the indexing result of shape " +
                             shape_str(p.result_sizes));
    }
}

// Writes (accumulate: adds) values at the plan's positions of target, through its strides.
void put_positions(const Tensor& target, const IndexPlan& p, const Tensor& values,
                   bool accumulate) {
    const Tensor v = detail::unaliased(values, target);
    detail::put_into(target, p.result_sizes, p.target_strides, v,
                     detail::expanded_strides(v, p.result_sizes), p.offsets, p.offset_strides,
                     accumulate ? detail::PutMode::Add : detail::PutMode::Write);
}

}  // namespace

namespace detail {

// y = self[indices] (a copy)
// grad_self = zeros(self.shape) with grad_out added at the indexed positions (repeats add up)
Tensor index_at(const Tensor& self, const std::vector<Tensor>& indices) {
    const IndexPlan p = plan_index("index", self, indices);
    Tensor y = make_tensor(p.result_sizes, self.dtype());
    gather_into(y, self, p.target_strides, p.offsets, p.offset_strides);
    return record(
        "index", y, {self},
        [sizes = self.sizes(), indices](const Tensor& g) {
            return Grads{index_put_at(zeros(sizes, g.dtype()), indices, g, true)};
        },
        "grad_self = zeros(self.shape).index_put_(indices, grad_out, accumulate=true)",
        autograd::kSavesNone);
}

// y = self with values written (accumulate: added) at the indexed positions
// grad_self = grad_out, with zeros written at the positions unless accumulate
// grad_values = sum_to(grad_out[indices], values.shape)
Tensor index_put_at(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& values,
                    bool accumulate) {
    Tensor y = self.detach().clone();
    const IndexPlan p = plan_index("index_put", y, indices);
    check_values("index_put", y, p, values);
    put_positions(y, p, values, accumulate);
    return record(
        "index_put", y, {self, values},
        [indices, accumulate, vs = values.sizes()](const Tensor& g) {
            const Tensor grad_self =
                accumulate ? g : index_put_at(g, indices, zeros({}, g.dtype()), false);
            return Grads{grad_self, sum_to(index_at(g, indices), vs)};
        },
        accumulate ? "grad_self = grad_out, grad_values = sum_to(grad_out[indices])"
                   : "grad_self = grad_out with zeros at the indices, grad_values = "
                     "sum_to(grad_out[indices])",
        autograd::kSavesNone);
}

}  // namespace detail

namespace {

// self[indices] = values in place (accumulate: +=), indices already positions of self's dims.
void index_put_at_(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& values,
                   bool accumulate) {
    const IndexPlan p = plan_index("index_put_", self, indices);
    check_values("index_put_", self, p, values);
    detail::inplace_or_twin(
        "index_put_", self, {values}, [&] { put_positions(self, p, values, accumulate); },
        [&](const Tensor& s) { return detail::index_put_at(s, indices, values, accumulate); });
}

// The index tensors of a list in positional form, as private int64 copies (the backward keeps
// them, so a later change to the caller's tensors cannot alter it); a bool (or uint8) mask
// over k dims becomes k position tensors, checked against the dims it covers.
std::vector<Tensor> positions_of(const char* op, const Tensor& self,
                                 const std::vector<std::optional<Tensor>>& indices) {
    std::vector<Tensor> out;
    for (const std::optional<Tensor>& t : indices) {
        if (!t || !t->defined()) {
            out.emplace_back();
            continue;
        }
        if (t->dtype() == kBool || t->dtype() == kUInt8) {
            const int64_t at = static_cast<int64_t>(out.size());
            bool fits = at + t->dim() <= self.dim();
            for (int64_t i = 0; fits && i < t->dim(); ++i) fits = t->size(i) == self.size(at + i);
            if (!fits) {
                detail::fail(op, "the mask of shape " + shape_str(t->sizes()) + " at dim " +
                                     std::to_string(at) +
                                     " does not match the indexed tensor of shape " +
                                     shape_str(self.sizes()));
            }
            for (Tensor& p : detail::mask_positions(*t)) out.push_back(std::move(p));
            continue;
        }
        if (!is_integral(t->dtype())) {
            detail::fail(
                op, std::string("tensors used as indices must be integer (int64) or bool, got ") +
                        to_string(t->dtype()));
        }
        out.push_back(t->to(kInt64, false, /*copy=*/true));
    }
    return out;
}

// ---- the TensorIndex list ----------------------------------------------------------------------

// The view that the basic entries of a list make of self, and the tensor indices left for
// advanced indexing, in LibTorch's list form: one entry per dim of that view (undefined: no
// index), except that a mask over k dims is one entry.
struct Sliced {
    Tensor view;
    std::vector<std::optional<Tensor>> indices;
    int64_t mask_dims = 0;  // dims that masks cover beyond their one entry each
};

// Records tensor index t for dim `dim` of the view.
void record_index_tensor(Sliced& s, int64_t dim, Tensor t) {
    const size_t at = static_cast<size_t>(dim - s.mask_dims);
    const bool mask = t.dtype() == kBool || t.dtype() == kUInt8;
    if (mask && t.dim() > 1) s.mask_dims += t.dim() - 1;
    s.indices.resize(at + 1);
    s.indices[at] = std::move(t);
}

// The [0] or [] position tensor that `true` / `false` stands for on a new dim of size 1.
Tensor bool_positions(bool b) {
    return b ? zeros({1}, kInt64) : empty({0}, kInt64);
}

Sliced apply_slicing(const char* op, const Tensor& self, const indexing::TensorIndex* list,
                     size_t n) {
    using indexing::TensorIndex;
    detail::check_defined(op, self, "self");
    int64_t specified = 0, ellipses = 0;
    for (size_t i = 0; i < n; ++i) {
        const TensorIndex& ix = list[i];
        if (ix.is_tensor()) {
            const Tensor& t = ix.tensor();
            detail::check_defined(op, t, "an index tensor");
            const bool mask = t.dtype() == kBool || t.dtype() == kUInt8;
            specified += mask ? t.dim() : 1;
        } else if (ix.is_integer() || ix.is_slice()) {
            ++specified;
        } else if (ix.is_ellipsis()) {
            ++ellipses;
        }
    }
    if (ellipses > 1) detail::fail(op, "an index list can hold only one Ellipsis");
    if (specified > self.dim()) {
        detail::fail(op, "too many indices for a tensor of dimension " +
                             std::to_string(self.dim()) + " (shape " + shape_str(self.sizes()) +
                             ")");
    }
    Sliced s{self, {}};
    int64_t dim = 0;   // in s.view
    int64_t orig = 0;  // in self, for messages
    auto select_at = [&](int64_t k) {
        const int64_t size = s.view.size(dim);
        if (k < -size || k >= size) {
            detail::fail(op, "index " + std::to_string(k) + " is out of range for dim " +
                                 std::to_string(orig) + " of size " + std::to_string(size));
        }
        s.view = s.view.select(dim, k);
        ++orig;
    };
    for (size_t i = 0; i < n; ++i) {
        const TensorIndex& ix = list[i];
        switch (ix.type()) {
            case TensorIndex::Type::Integer:
                select_at(ix.integer());
                break;
            case TensorIndex::Type::Slice: {
                const indexing::Slice& sl = ix.slice();
                if (sl.step() < 0) {
                    detail::fail(op,
                                 "negative slice steps are not supported (as in LibTorch); "
                                 "use flip()");
                }
                const int64_t size = s.view.size(dim);
                const bool whole =
                    sl.step() == 1 && (sl.start() == 0 || sl.start() <= -size) && sl.stop() >= size;
                if (!whole) s.view = s.view.slice(dim, sl.start(), sl.stop(), sl.step());
                ++dim;
                ++orig;
                break;
            }
            case TensorIndex::Type::Ellipsis:
                dim += self.dim() - specified;
                orig += self.dim() - specified;
                break;
            case TensorIndex::Type::None:
                s.view = s.view.unsqueeze(dim);
                ++dim;
                break;
            case TensorIndex::Type::Boolean:
                s.view = s.view.unsqueeze(dim);
                record_index_tensor(s, dim, bool_positions(ix.boolean()));
                ++dim;
                break;
            case TensorIndex::Type::Tensor: {
                const Tensor& t = ix.tensor();
                const bool mask = t.dtype() == kBool || t.dtype() == kUInt8;
                if (t.dim() == 0 && mask) {  // a 0-d mask: a new dim of size 1, kept or not
                    s.view = s.view.unsqueeze(dim);
                    record_index_tensor(s, dim, bool_positions(t.item().toBool()));
                    ++dim;
                } else if (t.dim() == 0 && is_integral(t.dtype())) {  // a 0-d position: select
                    select_at(t.item<int64_t>());
                } else {
                    record_index_tensor(s, dim, t);
                    const int64_t covered = mask ? t.dim() : 1;
                    dim += covered;
                    orig += covered;
                }
                break;
            }
        }
    }
    return s;
}

// y = self itself, as a new view handle (LibTorch returns an alias for x[...] and x[:])
Tensor alias_of(const Tensor& self) {
    return detail::record_view("alias", self, self.sizes(), self.strides(), self.storage_offset(),
                               "grad_self = grad_out");
}

Tensor get_item(const Tensor& self, const indexing::TensorIndex* list, size_t n) {
    Sliced s = apply_slicing("index", self, list, n);
    if (s.indices.empty()) return s.view.is_same(self) ? alias_of(self) : s.view;
    return detail::index_at(s.view, positions_of("index", s.view, s.indices));
}

// LibTorch's setitem: a value with more leading dims of size 1 than the target has is seen
// without them.
Tensor strip_leading_ones(const Tensor& v) {
    int64_t lead = 0;
    while (lead < v.dim() && v.size(lead) == 1) ++lead;
    if (lead == 0) return v;
    return v.reshape(std::vector<int64_t>(v.sizes().begin() + lead, v.sizes().end()));
}

void set_item(const Tensor& self, const indexing::TensorIndex* list, size_t n,
              const Tensor& value) {
    detail::check_defined("index_put_", value, "value");
    Sliced s = apply_slicing("index_put_", self, list, n);
    Tensor v = value.dim() > s.view.dim() ? strip_leading_ones(value) : value;
    if (s.indices.empty()) {
        const std::vector<int64_t> shape =
            broadcast_shapes("index_put_", s.view.sizes(), v.sizes());
        if (shape != s.view.sizes()) {
            detail::fail("index_put_",
                         "a value of shape " + shape_str(value.sizes()) +
                             " cannot be written into the indexed elements of shape " +
                             shape_str(s.view.sizes()));
        }
        s.view.copy_(v);
        return;
    }
    index_put_at_(s.view, positions_of("index_put_", s.view, s.indices), v, false);
}

void set_item(const Tensor& self, const indexing::TensorIndex* list, size_t n,
              const Scalar& value) {
    Sliced s = apply_slicing("index_put_", self, list, n);
    if (s.indices.empty()) {
        s.view.fill_(value);
        return;
    }
    index_put_at_(s.view, positions_of("index_put_", s.view, s.indices),
                  full({}, value, self.dtype()), false);
}

}  // namespace

// ---- public entry points
// -------------------------------------------------------------------------

Tensor index(const Tensor& self, const std::vector<std::optional<Tensor>>& indices) {
    detail::check_defined("index", self, "self");
    return detail::index_at(self, positions_of("index", self, indices));
}

Tensor index_put(const Tensor& self, const std::vector<std::optional<Tensor>>& indices,
                 const Tensor& values, bool accumulate) {
    detail::check_defined("index_put", self, "self");
    return detail::index_put_at(self, positions_of("index_put", self, indices), values, accumulate);
}

Tensor& index_put_(const Tensor& self, const std::vector<std::optional<Tensor>>& indices,
                   const Tensor& values, bool accumulate) {
    detail::check_defined("index_put_", self, "self");
    index_put_at_(self, positions_of("index_put_", self, indices), values, accumulate);
    return const_cast<Tensor&>(self);
}

// y = self.flatten()[index], in index's shape (negative positions count from the end)
// grad_self = zeros(self.numel) with grad_out added at the positions (repeats add up), reshaped
Tensor take(const Tensor& self, const Tensor& index) {
    detail::check_defined("take", self, "self");
    const Tensor flat = detail::dense(self);  // a flat position is then a storage offset
    const Tensor off = detail::index_offsets("take", index, self.numel(), 1, 0, true);
    Tensor y = detail::make_tensor(index.sizes(), self.dtype());
    detail::gather_into(y, flat, std::vector<int64_t>(index.sizes().size(), 0), off,
                        kernels::contiguous_strides(index.sizes()));
    return record(
        "take", y, {self},
        [sizes = self.sizes(), off](const Tensor& g) {
            const Tensor z = zeros({detail::numel_of(sizes)}, g.dtype());
            return Grads{detail::index_put_at(z, {off}, g, true).reshape(sizes)};
        },
        "grad_self = zeros(numel).index_put_({index}, grad_out, accumulate=true)",
        autograd::kSavesNone);
}

Tensor Tensor::index(std::initializer_list<indexing::TensorIndex> indices) const {
    return get_item(*this, indices.begin(), indices.size());
}
Tensor Tensor::index(const std::vector<indexing::TensorIndex>& indices) const {
    return get_item(*this, indices.data(), indices.size());
}
Tensor Tensor::index(const std::vector<std::optional<Tensor>>& indices) const {
    return tapegrad::index(*this, indices);
}
Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices,
                           const Tensor& v) const {
    set_item(*this, indices.begin(), indices.size(), v);
    return const_cast<Tensor&>(*this);
}
Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, Scalar v) const {
    set_item(*this, indices.begin(), indices.size(), v);
    return const_cast<Tensor&>(*this);
}
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices,
                           const Tensor& v) const {
    set_item(*this, indices.data(), indices.size(), v);
    return const_cast<Tensor&>(*this);
}
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices, Scalar v) const {
    set_item(*this, indices.data(), indices.size(), v);
    return const_cast<Tensor&>(*this);
}
Tensor& Tensor::index_put_(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                           bool accumulate) const {
    return tapegrad::index_put_(*this, indices, values, accumulate);
}
Tensor Tensor::index_put(const std::vector<std::optional<Tensor>>& indices, const Tensor& values,
                         bool accumulate) const {
    return tapegrad::index_put(*this, indices, values, accumulate);
}

// t[i] for a 0-d integer tensor i, as LibTorch's: select(0, i)
Tensor Tensor::operator[](const Tensor& index) const {
    detail::check_defined("operator[]", index, "index");
    if (index.dim() != 0) {
        detail::fail("operator[]", "can only index with a 0-d tensor, got shape " +
                                       shape_str(index.sizes()) +
                                       " (as in LibTorch); use index({t}) for positions or masks");
    }
    if (!is_integral(index.dtype())) {
        detail::fail("operator[]", std::string("can only index with an integer, got ") +
                                       to_string(index.dtype()) + "; use index({t}) for a mask");
    }
    return select(0, index.item<int64_t>());
}

Tensor Tensor::take(const Tensor& index) const {
    return tapegrad::take(*this, index);
}

}  // namespace tapegrad
