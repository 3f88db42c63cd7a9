// Shape ops. As in LibTorch, the ones that only re-index (view, reshape when it can, squeeze,
// unsqueeze, transpose, permute, expand, select, slice, narrow, diagonal, unfold, chunk,
// split, unbind, movedim) return views sharing storage; cat, stack, index_select and gather
// copy. Each backward routes the gradient back to where each element came from.

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>

#include "autograd/detail.hpp"
#include "autograd/kernels/broadcast.hpp"
#include "autograd/kernels/strided.hpp"
#include "autograd/parallel.hpp"
#include "autograd/view.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

std::vector<int64_t> strides_of(const Tensor& t) {
    return t.strides();
}

std::vector<int64_t> infer_shape(const char* op, const Tensor& a, std::vector<int64_t> shape) {
    int64_t known = 1, infer_at = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (infer_at >= 0)
                detail::fail(op, "only one dimension can be -1, got " + shape_str(shape));
            infer_at = static_cast<int64_t>(i);
        } else if (shape[i] < 0) {
            detail::fail(op,
                         "invalid size " + std::to_string(shape[i]) + " in " + shape_str(shape));
        } else if (__builtin_mul_overflow(known, shape[i], &known)) {
            detail::fail(
                op, "shape " + shape_str(shape) + " has more elements than an int64 can count");
        }
    }
    if (infer_at >= 0 && known != 0 && a.numel() % known == 0) shape[infer_at] = a.numel() / known;
    if ((infer_at >= 0 && (known == 0 || a.numel() % known != 0)) ||
        (infer_at < 0 && known != a.numel())) {
        detail::fail(op, "shape " + shape_str(shape) + " is invalid for a tensor of shape " +
                             shape_str(a.sizes()) + " (" + std::to_string(a.numel()) +
                             " elements)");
    }
    return shape;
}

// Strides that show a tensor of (sizes, strides) as `shape` without moving data, when there
// are any: each run of dims the new shape splits or merges must be contiguous in itself.
std::optional<std::vector<int64_t>> view_strides(const std::vector<int64_t>& sizes,
                                                 const std::vector<int64_t>& strides,
                                                 const std::vector<int64_t>& shape) {
    std::vector<int64_t> out(shape.size(), 1);
    if (detail::numel_of(sizes) == 0 || sizes.empty()) {
        if (sizes.empty() || detail::numel_of(shape) == 0)
            return kernels::contiguous_strides(shape);
    }
    int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
    int64_t chunk_stride = strides.back();
    int64_t tensor_numel = 1, view_numel = 1;
    for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
        tensor_numel *= sizes[static_cast<size_t>(d)];
        // a chunk ends where the next dim out does not continue it contiguously
        if (d == 0 || (sizes[static_cast<size_t>(d - 1)] != 1 &&
                       strides[static_cast<size_t>(d - 1)] != tensor_numel * chunk_stride)) {
            while (view_d >= 0 &&
                   (view_numel < tensor_numel || shape[static_cast<size_t>(view_d)] == 1)) {
                out[static_cast<size_t>(view_d)] = view_numel * chunk_stride;
                view_numel *= shape[static_cast<size_t>(view_d)];
                --view_d;
            }
            if (view_numel != tensor_numel) return std::nullopt;
            if (d > 0) {
                chunk_stride = strides[static_cast<size_t>(d - 1)];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    if (view_d != -1) return std::nullopt;
    return out;
}

// y = a shown as `shape` (a view), recorded under `op`;  grad_a = grad_out reshaped back
Tensor reshape_view(const char* op, const Tensor& a, std::vector<int64_t> shape,
                    const std::vector<int64_t>& strides) {
    Tensor y = detail::make_view(a, std::move(shape), strides, a.storage_offset());
    return record(
        op, y, {a}, [sa = a.sizes()](const Tensor& g) { return Grads{g.reshape(sa)}; },
        "grad_a = grad_out reshaped to a's shape", autograd::kSavesNone);
}

// a as `shape`: a view when the strides allow it, else a copy first (reshape's rule).
Tensor reshape_as(const char* op, const Tensor& a, std::vector<int64_t> shape) {
    if (auto st = view_strides(a.sizes(), strides_of(a), shape))
        return reshape_view(op, a, std::move(shape), *st);
    const Tensor c = a.contiguous();
    return reshape_view(op, c, shape, kernels::contiguous_strides(shape));
}

}  // namespace

// y = a viewed as `shape` (one -1 is inferred; a copy when a's strides do not allow a view)
// grad_a = grad_out.reshape(a.shape)
Tensor reshape(const Tensor& a, IntArrayRef shape_in) {
    detail::check_defined("reshape", a);
    return reshape_as("reshape", a, infer_shape("reshape", a, shape_in.vec()));
}

Tensor Tensor::view(IntArrayRef shape_in) const {
    detail::check_defined("view", *this);
    std::vector<int64_t> shape = infer_shape("view", *this, shape_in.vec());
    auto st = view_strides(sizes(), strides_of(*this), shape);
    if (!st) {
        detail::fail("view", "shape " + shape_str(shape) +
                                 " is not compatible with the input's "
                                 "sizes " +
                                 shape_str(sizes()) + " and strides " +
                                 shape_str(strides_of(*this)) +
                                 " (a dim would span two separate runs of memory); use reshape(), "
                                 "which copies when it must");
    }
    return reshape_view("view", *this, std::move(shape), *st);
}

Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim) {
    detail::check_defined("flatten", a);
    if (a.dim() == 0) return a.reshape({1});
    start_dim = detail::wrap_dim("flatten", start_dim, a.dim());
    end_dim = detail::wrap_dim("flatten", end_dim, a.dim());
    if (start_dim > end_dim) {
        detail::fail("flatten", "start_dim " + std::to_string(start_dim) + " is after end_dim " +
                                    std::to_string(end_dim));
    }
    std::vector<int64_t> shape(a.sizes().begin(), a.sizes().begin() + start_dim);
    int64_t n = 1;
    for (int64_t d = start_dim; d <= end_dim; ++d) n *= a.size(d);
    shape.push_back(n);
    shape.insert(shape.end(), a.sizes().begin() + end_dim + 1, a.sizes().end());
    return reshape_as("flatten", a, std::move(shape));
}

Tensor squeeze(const Tensor& a) {
    detail::check_defined("squeeze", a);
    std::vector<int64_t> shape, strides;
    for (int64_t d = 0; d < a.dim(); ++d) {
        if (a.size(d) == 1) continue;
        shape.push_back(a.size(d));
        strides.push_back(a.stride(d));
    }
    return reshape_view("squeeze", a, std::move(shape), strides);
}

Tensor squeeze(const Tensor& a, int64_t dim) {
    detail::check_defined("squeeze", a);
    dim = detail::wrap_dim("squeeze", dim, a.dim());
    std::vector<int64_t> shape = a.sizes(), strides = strides_of(a);
    if (!shape.empty() && shape[static_cast<size_t>(dim)] == 1) {
        shape.erase(shape.begin() + dim);
        strides.erase(strides.begin() + dim);
    }
    return reshape_view("squeeze", a, std::move(shape), strides);
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
    detail::check_defined("unsqueeze", a);
    dim = detail::wrap_dim("unsqueeze", dim, a.dim() + 1);
    std::vector<int64_t> shape = a.sizes(), strides = strides_of(a);
    const int64_t st = dim < a.dim() ? a.stride(dim) * a.size(dim) : 1;
    shape.insert(shape.begin() + dim, 1);
    strides.insert(strides.begin() + dim, st);
    return reshape_view("unsqueeze", a, std::move(shape), strides);
}

// y = a with dims dim0 and dim1 swapped (a view);  grad_a = grad_out.transpose(dim0, dim1)
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
    detail::check_defined("transpose", a);
    if (a.dim() == 0) return a;  // LibTorch accepts 0 and -1 on a 0-d tensor
    dim0 = detail::wrap_dim("transpose", dim0, a.dim());
    dim1 = detail::wrap_dim("transpose", dim1, a.dim());
    std::vector<int64_t> shape = a.sizes(), strides = strides_of(a);
    std::swap(shape[static_cast<size_t>(dim0)], shape[static_cast<size_t>(dim1)]);
    std::swap(strides[static_cast<size_t>(dim0)], strides[static_cast<size_t>(dim1)]);
    Tensor y = detail::make_view(a, std::move(shape), strides, a.storage_offset());
    return record(
        "transpose", y, {a},
        [dim0, dim1](const Tensor& g) { return Grads{transpose(g, dim0, dim1)}; },
        "grad_a = grad_out.transpose(dim0, dim1)", autograd::kSavesNone, autograd::kGradAnyLayout);
}

// y = a^T for a 2-D (or 1-D / 0-D: unchanged) a
Tensor t(const Tensor& a) {
    detail::check_defined("t", a);
    if (a.dim() > 2) {
        detail::fail("t", "expects a tensor with at most 2 dims, got shape " +
                              shape_str(a.sizes()) + "; use transpose(dim0, dim1)");
    }
    return a.dim() < 2 ? a : transpose(a, 0, 1);
}

// y = a with its dims in the order `dims` (a view);  grad_a = grad_out permuted back
Tensor permute(const Tensor& a, IntArrayRef dims_in) {
    const std::vector<int64_t>& dims = dims_in.vec();
    detail::check_defined("permute", a);
    if (static_cast<int64_t>(dims.size()) != a.dim()) {
        detail::fail("permute", "got " + std::to_string(dims.size()) + " dims " + shape_str(dims) +
                                    " for a tensor of shape " + shape_str(a.sizes()));
    }
    std::vector<int64_t> shape(dims.size()), strides(dims.size()), inverse(dims.size(), -1);
    for (size_t i = 0; i < dims.size(); ++i) {
        const int64_t d = detail::wrap_dim("permute", dims[i], a.dim());
        if (inverse[static_cast<size_t>(d)] != -1) {
            detail::fail("permute",
                         "dim " + std::to_string(d) + " appears twice in " + shape_str(dims));
        }
        inverse[static_cast<size_t>(d)] = static_cast<int64_t>(i);
        shape[i] = a.size(d);
        strides[i] = a.stride(d);
    }
    Tensor y = detail::make_view(a, std::move(shape), strides, a.storage_offset());
    return record(
        "permute", y, {a}, [inverse](const Tensor& g) { return Grads{permute(g, inverse)}; },
        "grad_a = grad_out permuted back", autograd::kSavesNone, autograd::kGradAnyLayout);
}

// dims `source` moved to positions `destination`, the others keeping their order (a view)
Tensor movedim(const Tensor& a, std::vector<int64_t> source, std::vector<int64_t> destination) {
    detail::check_defined("movedim", a);
    if (source.size() != destination.size()) {
        detail::fail("movedim", "source " + shape_str(source) + " and destination " +
                                    shape_str(destination) + " differ in length");
    }
    const int64_t nd = a.dim();
    std::vector<int64_t> order(static_cast<size_t>(nd), -1);
    std::vector<bool> used(static_cast<size_t>(nd), false);
    for (size_t i = 0; i < source.size(); ++i) {
        const int64_t s = detail::wrap_dim("movedim", source[i], nd);
        const int64_t d = detail::wrap_dim("movedim", destination[i], nd);
        if (order[static_cast<size_t>(d)] != -1 || used[static_cast<size_t>(s)]) {
            detail::fail("movedim", "repeated dim in source " + shape_str(source) +
                                        " or destination " + shape_str(destination));
        }
        order[static_cast<size_t>(d)] = s;
        used[static_cast<size_t>(s)] = true;
    }
    int64_t next = 0;
    for (auto& o : order) {
        if (o != -1) continue;
        while (used[static_cast<size_t>(next)]) ++next;
        o = next++;
    }
    return permute(a, order);
}

Tensor movedim(const Tensor& a, int64_t source, int64_t destination) {
    return movedim(a, std::vector<int64_t>{source}, std::vector<int64_t>{destination});
}

// y = a[start:end:step] along dim (a view)
// grad_a = zeros(a.shape) with grad_out at the sliced positions
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end, int64_t step) {
    detail::check_defined("slice", a);
    if (a.dim() == 0) detail::fail("slice", "cannot slice a 0-d tensor");
    dim = detail::wrap_dim("slice", dim, a.dim());
    if (step <= 0) detail::fail("slice", "step must be positive, got " + std::to_string(step));
    const int64_t n = a.size(dim);
    // Python's rules: negative positions count from the end, out-of-range ones are clamped
    if (start < 0) start = start < -n ? 0 : start + n;
    if (end < 0) end = end < -n ? 0 : end + n;
    start = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, start, n);
    const int64_t count = (end - start) / step + ((end - start) % step != 0 ? 1 : 0);
    std::vector<int64_t> shape = a.sizes(), strides = strides_of(a);
    shape[static_cast<size_t>(dim)] = count;
    const int64_t stride = strides[static_cast<size_t>(dim)];
    if (count > 1 && __builtin_mul_overflow(stride, step, &strides[static_cast<size_t>(dim)])) {
        detail::fail("slice", "step " + std::to_string(step) + " overflows the stride");
    }
    return detail::record_view("slice", a, std::move(shape), std::move(strides),
                               a.storage_offset() + start * stride,
                               "grad_a = zeros(a.shape) with grad_out at the sliced positions");
}

Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
    detail::check_defined("narrow", a);
    dim = detail::wrap_dim("narrow", dim, a.dim());
    const int64_t n = a.dim() == 0 ? 1 : a.size(dim);
    if (start < 0) start += n;
    if (start < 0 || length < 0 || start > n || length > n - start) {
        detail::fail("narrow", "start " + std::to_string(start) + " and length " +
                                   std::to_string(length) + " exceed dim " + std::to_string(dim) +
                                   " of size " + std::to_string(n));
    }
    return slice(a, dim, start, start + length);
}

// y = a[..., index, ...] along dim, that dim removed (a view)
// grad_a = zeros(a.shape) with grad_out at position index
Tensor select(const Tensor& a, int64_t dim, int64_t index) {
    detail::check_defined("select", a);
    if (a.dim() == 0) detail::fail("select", "cannot select from a 0-d tensor");
    dim = detail::wrap_dim("select", dim, a.dim());
    const int64_t n = a.size(dim);
    if (index < -n || index >= n) {
        detail::fail("select", "index " + std::to_string(index) + " is out of range for dim " +
                                   std::to_string(dim) + " of size " + std::to_string(n) +
                                   " (shape " + shape_str(a.sizes()) + ")");
    }
    if (index < 0) index += n;
    std::vector<int64_t> shape = a.sizes(), strides = strides_of(a);
    const int64_t offset = a.storage_offset() + index * strides[static_cast<size_t>(dim)];
    shape.erase(shape.begin() + dim);
    strides.erase(strides.begin() + dim);
    return detail::record_view("select", a, std::move(shape), std::move(strides), offset,
                               "grad_a = zeros(a.shape) with grad_out at the selected index");
}

// y = the diagonal of a over dims dim1 and dim2, `offset` above (> 0) or below it (a view)
Tensor diagonal(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2) {
    detail::check_defined("diagonal", a);
    if (a.dim() < 2)
        detail::fail("diagonal", "needs at least 2 dims, got shape " + shape_str(a.sizes()));
    dim1 = detail::wrap_dim("diagonal", dim1, a.dim());
    dim2 = detail::wrap_dim("diagonal", dim2, a.dim());
    if (dim1 == dim2) detail::fail("diagonal", "dim1 and dim2 are both " + std::to_string(dim1));
    const int64_t n1 = a.size(dim1), n2 = a.size(dim2);
    int64_t start = a.storage_offset(), len = 0;
    if (offset >= 0) {
        len = std::max<int64_t>(0, std::min(n1, n2 - offset));
        if (len > 0) start += offset * a.stride(dim2);
    } else {
        len = std::max<int64_t>(0, std::min(n1 + offset, n2));
        if (len > 0) start -= offset * a.stride(dim1);
    }
    std::vector<int64_t> shape, strides;
    for (int64_t d = 0; d < a.dim(); ++d) {
        if (d == dim1 || d == dim2) continue;
        shape.push_back(a.size(d));
        strides.push_back(a.stride(d));
    }
    shape.push_back(len);
    strides.push_back(a.stride(dim1) + a.stride(dim2));
    return detail::record_view("diagonal", a, std::move(shape), std::move(strides), start,
                               "grad_a = zeros(a.shape) with grad_out on the diagonal");
}

// y = the windows of `size` elements every `step` along dim, as a new last dim (a view)
Tensor unfold(const Tensor& a, int64_t dim, int64_t size, int64_t step) {
    detail::check_defined("unfold", a);
    dim = detail::wrap_dim("unfold", dim, a.dim());
    const int64_t n = a.dim() == 0 ? 1 : a.size(dim);
    if (size < 0 || size > n) {
        detail::fail("unfold", "window size " + std::to_string(size) + " does not fit dim " +
                                   std::to_string(dim) + " of size " + std::to_string(n));
    }
    if (step <= 0) detail::fail("unfold", "step must be positive, got " + std::to_string(step));
    std::vector<int64_t> shape = a.sizes(), strides = strides_of(a);
    const int64_t st = a.dim() == 0 ? 1 : a.stride(dim);
    if (a.dim() == 0) {
        shape = {size};
        strides = {1};
    } else {
        shape[static_cast<size_t>(dim)] = (n - size) / step + 1;
        strides[static_cast<size_t>(dim)] = st * step;
        shape.push_back(size);
        strides.push_back(st);
    }
    return detail::record_view("unfold", a, std::move(shape), std::move(strides),
                               a.storage_offset(),
                               "grad_a = zeros(a.shape) with the windows of grad_out added back");
}

// pieces of `split_size` along dim (the last may be shorter), each a view
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim) {
    detail::check_defined("split", a);
    dim = detail::wrap_dim("split", dim, a.dim());
    const int64_t n = a.size(dim);
    if (split_size <= 0 && n > 0)
        detail::fail("split", "split_size must be positive, got " + std::to_string(split_size));
    std::vector<Tensor> parts;
    if (n == 0) parts.push_back(a.narrow(dim, 0, 0));
    for (int64_t at = 0; at < n; at += split_size)
        parts.push_back(a.narrow(dim, at, std::min(split_size, n - at)));
    return parts;
}

// pieces of the given sizes along dim, each a view
std::vector<Tensor> split_with_sizes(const Tensor& a, const std::vector<int64_t>& sizes,
                                     int64_t dim) {
    detail::check_defined("split_with_sizes", a);
    dim = detail::wrap_dim("split_with_sizes", dim, a.dim());
    int64_t total = 0;
    for (int64_t s : sizes) {
        if (s < 0 || __builtin_add_overflow(total, s, &total)) {
            detail::fail("split_with_sizes", "bad split sizes " + shape_str(sizes));
        }
    }
    if (total != a.size(dim)) {
        detail::fail("split_with_sizes",
                     "sizes " + shape_str(sizes) + " sum to " + std::to_string(total) + ", dim " +
                         std::to_string(dim) + " has size " + std::to_string(a.size(dim)));
    }
    std::vector<Tensor> parts;
    int64_t at = 0;
    for (int64_t s : sizes) {
        parts.push_back(a.narrow(dim, at, s));
        at += s;
    }
    return parts;
}

// `chunks` pieces of equal size along dim (the last may be smaller), each a view
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim) {
    detail::check_defined("chunk", a);
    if (chunks <= 0)
        detail::fail("chunk", "chunks must be positive, got " + std::to_string(chunks));
    dim = detail::wrap_dim("chunk", dim, a.dim());
    const int64_t n = a.size(dim);
    return split(a, std::max<int64_t>(1, (n + chunks - 1) / chunks), dim);
}

// the slices along dim, each a view
std::vector<Tensor> unbind(const Tensor& a, int64_t dim) {
    detail::check_defined("unbind", a);
    dim = detail::wrap_dim("unbind", dim, a.dim());
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < a.size(dim); ++i) parts.push_back(a.select(dim, i));
    return parts;
}

namespace {
// The slices index_select moves: f(at, from) for slice j < count of each outer block, `at`
// where it starts in the [outer, count, inner] result, `from` where slice index[j] starts in
// the [outer, n, inner] input (s splits the input). Only slices [first, last) of the
// outer * count, when given (a parallel_for chunk).
template <class F>
void for_each_selected(const detail::DimSplit& s, const int64_t* idx, int64_t count, F f,
                       int64_t first = 0, int64_t last = -1) {
    if (last < 0) last = s.outer * count;
    if (count == 0 || first >= last) return;
    int64_t o = first / count, j = first % count;
    for (int64_t t = first; t < last; ++t) {
        f(t * s.inner, (o * s.n + idx[j]) * s.inner);
        if (++j == count) j = 0, ++o;
    }
}

// Gathered slices are copies that wait on memory (a data loader's batch: rows scattered over
// the dataset), so they split over the pool from this many elements, half the kernels' grain.
constexpr int64_t kGatherGrain = 16384;

// The elements gather moves: f(at, from) for each element `at` of an index split `is` along
// dim, `from` the element of the input (split `s`) that index[at] picks along dim.
template <class F>
void for_each_gathered(const detail::DimSplit& s, const detail::DimSplit& is, const int64_t* idx,
                       F f) {
    for (int64_t o = 0; o < is.outer; ++o)
        for (int64_t j = 0; j < is.n; ++j)
            for (int64_t k = 0; k < is.inner; ++k) {
                const int64_t at = (o * is.n + j) * is.inner + k;
                f(at, (o * s.n + idx[at]) * s.inner + k);
            }
}

// Zeros of `sizes` with g's slices added at positions index[j] along dim: the backward of
// index_select (repeated indices add up).
// grad_g = index_select(grad_out, dim, index)
Tensor index_select_backward(const Tensor& g_in, const std::vector<int64_t>& sizes, int64_t dim,
                             const Tensor& index) {
    const Tensor g = g_in.contiguous();
    Tensor y = zeros(sizes, g.dtype());
    const detail::DimSplit s = detail::split_at(sizes, dim);
    const int64_t* idx = index.data_ptr<int64_t>();
    const int64_t count = index.numel();
    detail::dispatch(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pg = g.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for_each_selected(s, idx, count, [&](int64_t at, int64_t from) {
            for (int64_t k = 0; k < s.inner; ++k) py[from + k] += pg[at + k];
        });
    });
    return record(
        "index_select_backward", y, {g_in},
        [dim, index](const Tensor& gg) { return Grads{index_select(gg, dim, index)}; },
        "grad_g = index_select(grad_out, dim, index)", autograd::kSavesNone);
}

// An integer index tensor as a contiguous int64 one, checked against `n` positions; negative
// positions count from the end only where the op allows them (LibTorch's index_select and
// gather do not).
Tensor index_positions(const char* op, const Tensor& index, int64_t n, int64_t dim,
                       bool allow_negative = false) {
    detail::check_defined(op, index, "index");
    if (!is_integral(index.dtype())) {
        detail::fail(
            op, std::string("index must be an integer tensor, got ") + to_string(index.dtype()));
    }
    Tensor idx = index.to(kInt64).contiguous();
    const int64_t* p = idx.data_ptr<int64_t>();
    for (int64_t j = 0; j < idx.numel(); ++j) {
        if (p[j] < (allow_negative ? -n : 0) || p[j] >= n) {
            detail::fail(op, "index " + std::to_string(p[j]) + " is out of range for dim " +
                                 std::to_string(dim) + " of size " + std::to_string(n));
        }
    }
    if (std::any_of(p, p + idx.numel(), [](int64_t v) { return v < 0; })) {
        idx = idx.clone();
        int64_t* q = idx.data_ptr<int64_t>();
        for (int64_t j = 0; j < idx.numel(); ++j)
            if (q[j] < 0) q[j] += n;
    }
    return idx;
}
}  // namespace

// y = a picked at `index` along dim;  grad_a = zeros with grad_out added at index (repeats add)
Tensor index_select(const Tensor& a_in, int64_t dim, const Tensor& index_in) {
    detail::check_defined("index_select", a_in);
    detail::check_defined("index_select", index_in, "index");
    if (index_in.dim() > 1) {
        detail::fail("index_select",
                     "index must be 0-D or 1-D, got shape " + shape_str(index_in.sizes()));
    }
    if (a_in.dim() == 0) detail::fail("index_select", "cannot index a 0-d tensor");
    dim = detail::wrap_dim("index_select", dim, a_in.dim());
    const Tensor index =
        index_positions("index_select", index_in, a_in.size(dim), dim).reshape({-1});
    const Tensor a = a_in.contiguous();
    const int64_t count = index.numel();
    const int64_t* idx = index.data_ptr<int64_t>();
    std::vector<int64_t> shape = a.sizes();
    shape[static_cast<size_t>(dim)] = count;
    Tensor y = detail::make_tensor(shape, a.dtype());
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    const int64_t es = tapegrad::element_size(a.dtype());
    const char* pa = static_cast<const char*>(a.raw_data());
    char* py = static_cast<char*>(y.raw_data());
    // one memcpy per slice; chunks of slices on the pool (kGatherGrain)
    const size_t bytes = static_cast<size_t>(s.inner * es);
    const int64_t grain = std::max<int64_t>(1, kGatherGrain / std::max<int64_t>(1, s.inner));
    parallel_for(0, s.outer * count, grain, [&](int64_t b, int64_t e) {
        for_each_selected(
            s, idx, count,
            [&](int64_t at, int64_t from) { std::memcpy(py + at * es, pa + from * es, bytes); }, b,
            e);
    });
    return record(
        "index_select", y, {a_in},
        [sa = a_in.sizes(), dim, index](const Tensor& g) {
            return Grads{index_select_backward(g, sa, dim, index)};
        },
        "grad_a = zeros(a.shape) with grad_out added at the indices", autograd::kSavesNone);
}

// y = the tensors joined along dim;  grad of input i = narrow(grad_out, dim, offset_i, size_i)
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
    if (tensors.empty()) detail::fail("cat", "expected a non-empty list of tensors");
    const Tensor& first = tensors[0];
    detail::check_defined("cat", first, "tensor 0");
    if (first.dim() == 0) detail::fail("cat", "cannot concatenate 0-d tensors; use stack");
    dim = detail::wrap_dim("cat", dim, first.dim());
    std::vector<int64_t> shape = first.sizes();
    shape[static_cast<size_t>(dim)] = 0;
    ScalarType dt = first.dtype();
    for (size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        detail::check_defined("cat", t, "a tensor");
        bool fits = t.dim() == first.dim();
        for (int64_t d = 0; fits && d < t.dim(); ++d) fits = d == dim || t.size(d) == first.size(d);
        if (!fits) {
            detail::fail("cat", "tensor " + std::to_string(i) + " has shape " +
                                    shape_str(t.sizes()) + ", tensor 0 has shape " +
                                    shape_str(first.sizes()) + " (only dim " + std::to_string(dim) +
                                    " may differ)");
        }
        if (__builtin_add_overflow(shape[static_cast<size_t>(dim)], t.size(dim),
                                   &shape[static_cast<size_t>(dim)])) {
            detail::fail("cat", "the joined size overflows int64");
        }
        dt = detail::promote(dt, t.dtype());
    }
    Tensor y = detail::make_tensor(shape, dt);
    std::vector<int64_t> sizes_along;
    std::vector<ScalarType> dtypes;
    int64_t offset = 0;
    const std::vector<int64_t> ys = kernels::contiguous_strides(shape);
    for (const Tensor& t : tensors) {
        // each input is copied (converted) into its slab of y, through y's strides
        auto slab = std::make_shared<TensorImpl>();
        slab->storage = detail::impl(y).storage;
        slab->offset = offset * ys[static_cast<size_t>(dim)];
        slab->dtype = dt;
        slab->set_geometry(t.sizes(), ys.data());
        detail::copy_into(detail::wrap(slab), t);
        sizes_along.push_back(t.size(dim));
        dtypes.push_back(t.dtype());
        offset += t.size(dim);
    }
    return record(
        "cat", y, tensors,
        [dim, sizes_along, dtypes](const Tensor& g) {
            Grads grads;
            int64_t at = 0;
            for (size_t i = 0; i < sizes_along.size(); ++i) {
                Tensor gi = g.narrow(dim, at, sizes_along[i]);
                grads.push_back(is_floating_point(dtypes[i]) ? gi.to(dtypes[i]) : Tensor());
                at += sizes_along[i];
            }
            return grads;
        },
        "grad of input i = narrow(grad_out, dim, offset_i, size_i)", autograd::kSavesNone);
}

// y = the tensors stacked along a new dim;  grad of input i = select(grad_out, dim, i)
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
    if (tensors.empty()) detail::fail("stack", "expected a non-empty list of tensors");
    detail::check_defined("stack", tensors[0], "tensor 0");
    dim = detail::wrap_dim("stack", dim, tensors[0].dim() + 1);
    std::vector<Tensor> parts;
    parts.reserve(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
        detail::check_defined("stack", tensors[i], "a tensor");
        if (tensors[i].sizes() != tensors[0].sizes()) {
            detail::fail("stack", "tensor " + std::to_string(i) + " has shape " +
                                      shape_str(tensors[i].sizes()) + ", tensor 0 has shape " +
                                      shape_str(tensors[0].sizes()) + " (all must match)");
        }
        parts.push_back(tensors[i].unsqueeze(dim));
    }
    return cat(parts, dim);
}

// y = a broadcast to `sizes` (-1 keeps a size): a view with stride 0 along the new and the
// size-1 dims; grad_a = sum_to(grad_out, a.shape)
Tensor expand(const Tensor& a, IntArrayRef sizes_in) {
    std::vector<int64_t> sizes = sizes_in.vec();
    detail::check_defined("expand", a);
    if (sizes.size() < a.sizes().size()) {
        detail::fail("expand", "target " + shape_str(sizes) + " has fewer dims than the tensor " +
                                   shape_str(a.sizes()));
    }
    const size_t lead = sizes.size() - a.sizes().size();
    std::vector<int64_t> strides(sizes.size(), 0);
    for (size_t d = 0; d < sizes.size(); ++d) {
        const int64_t have = d < lead ? 1 : a.sizes()[d - lead];
        if (sizes[d] == -1 && d >= lead) sizes[d] = have;
        if (sizes[d] < 0 || (have != 1 && have != sizes[d])) {
            detail::fail("expand",
                         "cannot expand shape " + shape_str(a.sizes()) + " to " + shape_str(sizes));
        }
        if (d >= lead && have != 1) strides[d] = a.stride(static_cast<int64_t>(d - lead));
    }
    detail::checked_numel("expand", sizes);
    if (sizes == a.sizes()) return a;
    Tensor y = detail::make_view(a, sizes, strides, a.storage_offset());
    return record(
        "expand", y, {a}, [sa = a.sizes()](const Tensor& g) { return Grads{sum_to(g, sa)}; },
        "grad_a = sum_to(grad_out, a.shape)", autograd::kSavesNone);
}

// y = a summed over the dims where `sizes` broadcasts to a.shape;  grad_a = expand(grad_out)
Tensor sum_to(const Tensor& a_in, const std::vector<int64_t>& sizes) {
    detail::check_defined("sum_to", a_in);
    if (a_in.sizes() == sizes) return a_in;
    bool fits = sizes.size() <= a_in.sizes().size();
    const size_t lead = a_in.sizes().size() - (fits ? sizes.size() : 0);
    for (size_t d = 0; fits && d < sizes.size(); ++d)
        fits = sizes[d] == 1 || sizes[d] == a_in.sizes()[d + lead];
    if (!fits) {
        detail::fail("sum_to", "cannot sum shape " + shape_str(a_in.sizes()) + " down to " +
                                   shape_str(sizes));
    }
    const Tensor a = a_in.contiguous();
    Tensor y = detail::make_tensor(sizes, a.dtype());
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::sum_to(a.data_ptr<T>(), a.sizes(), y.data_ptr<T>(), sizes);
    });
    return record(
        "sum_to", y, {a_in}, [sa = a_in.sizes()](const Tensor& g) { return Grads{expand(g, sa)}; },
        "grad_a = expand(grad_out, a.shape)", autograd::kSavesNone);
}

namespace {
// Scatters g into zeros of a's shape at index along dim, adding repeats: gather's backward.
// grad_g = gather(grad_out, dim, index)
Tensor gather_backward(const Tensor& g_in, const std::vector<int64_t>& sizes, int64_t dim,
                       const Tensor& index) {
    const Tensor g = g_in.contiguous();
    Tensor y = zeros(sizes, g.dtype());
    const detail::DimSplit s = detail::split_at(sizes, dim);
    const detail::DimSplit is = detail::split_at(index.sizes(), dim);
    const int64_t* idx = index.data_ptr<int64_t>();
    detail::dispatch(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pg = g.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for_each_gathered(s, is, idx, [&](int64_t at, int64_t from) { py[from] += pg[at]; });
    });
    return record(
        "gather_backward", y, {g_in},
        [dim, index](const Tensor& gg) { return Grads{gather(gg, dim, index)}; },
        "grad_g = gather(grad_out, dim, index)", autograd::kSavesNone);
}
}  // namespace

// y[o, j, k] = a[o, index[o, j, k], k] along dim
// grad_a = zeros(a.shape) with grad_out added at the gathered positions
Tensor gather(const Tensor& a_in, int64_t dim, const Tensor& index_in) {
    detail::check_defined("gather", a_in);
    detail::check_defined("gather", index_in, "index");
    dim = detail::wrap_dim("gather", dim, a_in.dim());
    bool fits = index_in.dim() == a_in.dim();
    for (int64_t d = 0; fits && d < a_in.dim(); ++d)
        fits = d == dim || index_in.size(d) == a_in.size(d);
    if (!fits) {
        detail::fail("gather", "index of shape " + shape_str(index_in.sizes()) +
                                   " must match the input's shape " + shape_str(a_in.sizes()) +
                                   " except along dim " + std::to_string(dim));
    }
    const int64_t n = a_in.dim() == 0 ? 1 : a_in.size(dim);
    const Tensor index = index_positions("gather", index_in, n, dim);
    const Tensor a = a_in.contiguous();
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    const detail::DimSplit is = detail::split_at(index.sizes(), dim);
    const int64_t* idx = index.data_ptr<int64_t>();
    Tensor y = detail::make_tensor(index.sizes(), a.dtype());
    detail::dispatch_all(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pa = a.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for_each_gathered(s, is, idx, [&](int64_t at, int64_t from) { py[at] = pa[from]; });
    });
    return record(
        "gather", y, {a_in},
        [sa = a_in.sizes(), dim, index](const Tensor& g) {
            return Grads{gather_backward(g, sa, dim, index)};
        },
        "grad_a = zeros(a.shape) with grad_out added at the gathered positions",
        autograd::kSavesNone);
}

Tensor Tensor::reshape(IntArrayRef shape) const {
    return tapegrad::reshape(*this, std::move(shape));
}
Tensor Tensor::flatten(int64_t s, int64_t e) const {
    return tapegrad::flatten(*this, s, e);
}
Tensor Tensor::squeeze() const {
    return tapegrad::squeeze(*this);
}
Tensor Tensor::squeeze(int64_t d) const {
    return tapegrad::squeeze(*this, d);
}
Tensor Tensor::unsqueeze(int64_t d) const {
    return tapegrad::unsqueeze(*this, d);
}
Tensor Tensor::slice(int64_t d, int64_t s, int64_t e, int64_t st) const {
    return tapegrad::slice(*this, d, s, e, st);
}
Tensor Tensor::select(int64_t d, int64_t i) const {
    return tapegrad::select(*this, d, i);
}
Tensor Tensor::narrow(int64_t d, int64_t s, int64_t l) const {
    return tapegrad::narrow(*this, d, s, l);
}
Tensor Tensor::index_select(int64_t d, const Tensor& i) const {
    return tapegrad::index_select(*this, d, i);
}
Tensor Tensor::expand(IntArrayRef sizes) const {
    return tapegrad::expand(*this, std::move(sizes));
}
Tensor Tensor::t() const {
    return tapegrad::t(*this);
}
Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
    return tapegrad::transpose(*this, d0, d1);
}
Tensor Tensor::permute(IntArrayRef dims) const {
    return tapegrad::permute(*this, std::move(dims));
}
Tensor Tensor::movedim(int64_t s, int64_t d) const {
    return tapegrad::movedim(*this, s, d);
}
Tensor Tensor::diagonal(int64_t o, int64_t d1, int64_t d2) const {
    return tapegrad::diagonal(*this, o, d1, d2);
}
Tensor Tensor::unfold(int64_t d, int64_t size, int64_t step) const {
    return tapegrad::unfold(*this, d, size, step);
}
Tensor Tensor::as_strided(std::vector<int64_t> size, std::vector<int64_t> stride,
                          std::optional<int64_t> offset) const {
    return tapegrad::as_strided(*this, std::move(size), std::move(stride), offset);
}
std::vector<Tensor> Tensor::split(int64_t s, int64_t d) const {
    return tapegrad::split(*this, s, d);
}
std::vector<Tensor> Tensor::split_with_sizes(const std::vector<int64_t>& s, int64_t d) const {
    return tapegrad::split_with_sizes(*this, s, d);
}
std::vector<Tensor> Tensor::chunk(int64_t c, int64_t d) const {
    return tapegrad::chunk(*this, c, d);
}
std::vector<Tensor> Tensor::unbind(int64_t d) const {
    return tapegrad::unbind(*this, d);
}

}  // namespace tapegrad
