// Shape ops. Reshapes, and picks along dim 0, are views of the same storage; the rest copy.
// Their backwards route the gradient back to where each element came from.

#include <algorithm>
#include <cstring>

#include "autograd/detail.hpp"
#include "autograd/kernels/broadcast.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// Copies `count` blocks along a dim: for each outer index o and i < count,
// dst[o, dst_start + i] = src[o, src_start + i * step], each block `inner` elements long.
// Works on bytes, so it serves every dtype.
void copy_blocks(const Tensor& src, int64_t src_n, int64_t src_start, int64_t step,
                 const Tensor& dst, int64_t dst_n, int64_t dst_start, int64_t outer, int64_t count,
                 int64_t inner) {
    const int64_t es = element_size(src.dtype());
    const char* ps = static_cast<const char*>(src.raw_data());
    char* pd = static_cast<char*>(dst.raw_data());
    const size_t bytes = static_cast<size_t>(inner * es);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < count; ++i)
            std::memcpy(pd + ((o * dst_n + dst_start + i) * inner) * es,
                        ps + ((o * src_n + src_start + i * step) * inner) * es, bytes);
}

// Zeros of `sizes` with `g` written into positions start, start+step, ... along dim:
// the backward of slice.
// grad_g = slice(grad_out, dim, start, start + n * step, step)
Tensor slice_backward(const Tensor& g, const std::vector<int64_t>& sizes, int64_t dim,
                      int64_t start, int64_t step) {
    Tensor y = zeros(sizes, g.dtype());
    const detail::DimSplit s = detail::split_at(sizes, dim);
    const int64_t count = g.size(dim);
    const int64_t es = element_size(g.dtype());
    const char* pg = static_cast<const char*>(g.raw_data());
    char* py = static_cast<char*>(y.raw_data());
    for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t i = 0; i < count; ++i)
            std::memcpy(py + ((o * s.n + start + i * step) * s.inner) * es,
                        pg + ((o * count + i) * s.inner) * es, static_cast<size_t>(s.inner * es));
    return record("slice_backward", y, {g},
                  [dim, start, step, count](const Tensor& gg) {
                      return Grads{slice(gg, dim, start, start + count * step, step)};
                  },
                  "grad_g = slice(grad_out)");
}

// Zeros of `sizes` with g's slices added at positions index[j] along dim: the backward of
// index_select (repeated indices add up).
// grad_g = index_select(grad_out, dim, index)
Tensor index_select_backward(const Tensor& g, const std::vector<int64_t>& sizes, int64_t dim,
                             const Tensor& index) {
    Tensor y = zeros(sizes, g.dtype());
    const detail::DimSplit s = detail::split_at(sizes, dim);
    const int64_t* idx = index.data_ptr<int64_t>();
    const int64_t count = index.numel();
    detail::dispatch(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pg = g.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for (int64_t o = 0; o < s.outer; ++o)
            for (int64_t j = 0; j < count; ++j) {
                T* dst = py + (o * s.n + idx[j]) * s.inner;
                const T* src = pg + (o * count + j) * s.inner;
                for (int64_t k = 0; k < s.inner; ++k) dst[k] += src[k];
            }
    });
    return record("index_select_backward", y, {g},
                  [dim, index](const Tensor& gg) { return Grads{index_select(gg, dim, index)}; },
                  "grad_g = index_select(grad_out, dim, index)");
}

std::vector<int64_t> infer_shape(const char* op, const Tensor& a, std::vector<int64_t> shape) {
    int64_t known = 1, infer_at = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            if (infer_at >= 0) detail::fail(op, "only one dimension can be -1, got " + shape_str(shape));
            infer_at = static_cast<int64_t>(i);
        } else if (shape[i] < 0) {
            detail::fail(op, "invalid size " + std::to_string(shape[i]) + " in " + shape_str(shape));
        } else {
            known *= shape[i];
        }
    }
    if (infer_at >= 0 && known != 0 && a.numel() % known == 0) shape[infer_at] = a.numel() / known;
    if ((infer_at >= 0 && (known == 0 || a.numel() % known != 0)) ||
        detail::numel_of(shape) != a.numel()) {
        detail::fail(op, "shape " + shape_str(shape) + " is invalid for a tensor of shape " +
                             shape_str(a.sizes()) + " (" + std::to_string(a.numel()) +
                             " elements)");
    }
    return shape;
}

// A view of `a` with a new shape, recorded under `op`; grad_a = grad_out reshaped back.
Tensor reshape_view(const char* op, const Tensor& a, std::vector<int64_t> shape) {
    Tensor y = detail::make_view(a, std::move(shape), 0);
    return record(op, y, {a},
                  [sa = a.sizes()](const Tensor& g) { return Grads{g.reshape(sa)}; },
                  "grad_a = grad_out reshaped to a's shape");
}

}  // namespace

// y = a viewed as `shape` (one -1 is inferred);  grad_a = grad_out.reshape(a.shape)
Tensor reshape(const Tensor& a, std::vector<int64_t> shape) {
    detail::check_defined("reshape", a);
    return reshape_view("reshape", a, infer_shape("reshape", a, std::move(shape)));
}

Tensor Tensor::view(std::vector<int64_t> shape) const {
    detail::check_defined("view", *this);
    return reshape_view("view", *this, infer_shape("view", *this, std::move(shape)));
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
    return reshape_view("flatten", a, std::move(shape));
}

Tensor squeeze(const Tensor& a) {
    detail::check_defined("squeeze", a);
    std::vector<int64_t> shape;
    for (int64_t s : a.sizes())
        if (s != 1) shape.push_back(s);
    return reshape_view("squeeze", a, std::move(shape));
}

Tensor squeeze(const Tensor& a, int64_t dim) {
    detail::check_defined("squeeze", a);
    dim = detail::wrap_dim("squeeze", dim, a.dim());
    std::vector<int64_t> shape = a.sizes();
    if (!shape.empty() && shape[dim] == 1) shape.erase(shape.begin() + dim);
    return reshape_view("squeeze", a, std::move(shape));
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
    detail::check_defined("unsqueeze", a);
    dim = detail::wrap_dim("unsqueeze", dim, a.dim() + 1);
    std::vector<int64_t> shape = a.sizes();
    shape.insert(shape.begin() + dim, 1);
    return reshape_view("unsqueeze", a, std::move(shape));
}

// y = a[start:end:step] along dim (a view when dim is 0 and step is 1)
// grad_a = zeros with grad_out written back at the sliced positions
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t end, int64_t step) {
    detail::check_defined("slice", a);
    if (a.dim() == 0) detail::fail("slice", "cannot slice a 0-d tensor");
    dim = detail::wrap_dim("slice", dim, a.dim());
    if (step <= 0) detail::fail("slice", "step must be positive, got " + std::to_string(step));
    const int64_t n = a.size(dim);
    // Python's rules: negative positions count from the end, out-of-range ones are clamped
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, start, n);
    const int64_t count = (end - start + step - 1) / step;
    std::vector<int64_t> shape = a.sizes();
    shape[dim] = count;
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    Tensor y;
    if (s.outer == 1 && step == 1) {
        y = detail::make_view(a, shape, start * s.inner);
    } else {
        y = detail::make_tensor(shape, a.dtype());
        copy_blocks(a, n, start, step, y, count, 0, s.outer, count, s.inner);
    }
    return record("slice", y, {a},
                  [sa = a.sizes(), dim, start, step](const Tensor& g) {
                      return Grads{slice_backward(g, sa, dim, start, step)};
                  },
                  "grad_a = zeros(a.shape) with grad_out at the sliced positions");
}

Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
    detail::check_defined("narrow", a);
    dim = detail::wrap_dim("narrow", dim, a.dim());
    const int64_t n = a.dim() == 0 ? 1 : a.size(dim);
    if (start < 0) start += n;
    if (start < 0 || length < 0 || start + length > n) {
        detail::fail("narrow", "start " + std::to_string(start) + " and length " +
                                   std::to_string(length) + " exceed dim " + std::to_string(dim) +
                                   " of size " + std::to_string(n));
    }
    return slice(a, dim, start, start + length);
}

// y = a[..., index, ...] along dim, that dim removed (a view for dim 0)
// grad_a = zeros with grad_out written at position index
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
    std::vector<int64_t> shape = a.sizes();
    shape.erase(shape.begin() + dim);
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    Tensor y;
    if (s.outer == 1) {
        y = detail::make_view(a, shape, index * s.inner);
    } else {
        y = detail::make_tensor(shape, a.dtype());
        copy_blocks(a, n, index, 1, y, 1, 0, s.outer, 1, s.inner);
    }
    return record("select", y, {a},
                  [sa = a.sizes(), dim, index](const Tensor& g) {
                      return Grads{slice_backward(g.unsqueeze(dim), sa, dim, index, 1)};
                  },
                  "grad_a = zeros(a.shape) with grad_out at the selected index");
}

// y = a picked at `index` along dim;  grad_a = zeros with grad_out added at index (repeats add)
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
    detail::check_defined("index_select", a);
    detail::check_defined("index_select", index, "index");
    if (index.dtype() != kInt64) {
        detail::fail("index_select", std::string("index must be int64, got ") +
                                         to_string(index.dtype()));
    }
    if (index.dim() > 1) {
        detail::fail("index_select", "index must be 0-D or 1-D, got shape " +
                                         shape_str(index.sizes()));
    }
    if (a.dim() == 0) detail::fail("index_select", "cannot index a 0-d tensor");
    dim = detail::wrap_dim("index_select", dim, a.dim());
    const int64_t n = a.size(dim), count = index.numel();
    const int64_t* idx = index.data_ptr<int64_t>();
    for (int64_t j = 0; j < count; ++j) {
        if (idx[j] < 0 || idx[j] >= n) {
            detail::fail("index_select", "index " + std::to_string(idx[j]) +
                                             " is out of range for dim " + std::to_string(dim) +
                                             " of size " + std::to_string(n));
        }
    }
    std::vector<int64_t> shape = a.sizes();
    shape[dim] = count;
    Tensor y = detail::make_tensor(shape, a.dtype());
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    const int64_t es = element_size(a.dtype());
    const char* pa = static_cast<const char*>(a.raw_data());
    char* py = static_cast<char*>(y.raw_data());
    for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t j = 0; j < count; ++j)
            std::memcpy(py + ((o * count + j) * s.inner) * es, pa + ((o * n + idx[j]) * s.inner) * es,
                        static_cast<size_t>(s.inner * es));
    return record("index_select", y, {a},
                  [sa = a.sizes(), dim, index](const Tensor& g) {
                      return Grads{index_select_backward(g, sa, dim, index.reshape({-1}))};
                  },
                  "grad_a = zeros(a.shape) with grad_out added at the indices");
}

// y = the tensors joined along dim;  grad of input i = narrow(grad_out, dim, offset_i, size_i)
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
    if (tensors.empty()) detail::fail("cat", "expected a non-empty list of tensors");
    const Tensor& first = tensors[0];
    detail::check_defined("cat", first, "tensor 0");
    if (first.dim() == 0) detail::fail("cat", "cannot concatenate 0-d tensors; use stack");
    dim = detail::wrap_dim("cat", dim, first.dim());
    std::vector<int64_t> shape = first.sizes();
    shape[dim] = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        detail::check_defined("cat", t, "a tensor");
        bool fits = t.dim() == first.dim() && t.dtype() == first.dtype();
        for (int64_t d = 0; fits && d < t.dim(); ++d) fits = d == dim || t.size(d) == first.size(d);
        if (!fits) {
            detail::fail("cat", "tensor " + std::to_string(i) + " has shape " +
                                    shape_str(t.sizes()) + " and dtype " + to_string(t.dtype()) +
                                    ", tensor 0 has shape " + shape_str(first.sizes()) + " and dtype " +
                                    to_string(first.dtype()) + " (only dim " + std::to_string(dim) +
                                    " may differ)");
        }
        shape[dim] += t.size(dim);
    }
    Tensor y = detail::make_tensor(shape, first.dtype());
    const detail::DimSplit s = detail::split_at(shape, dim);
    std::vector<int64_t> sizes_along;
    int64_t offset = 0;
    for (const Tensor& t : tensors) {
        copy_blocks(t, t.size(dim), 0, 1, y, s.n, offset, s.outer, t.size(dim), s.inner);
        sizes_along.push_back(t.size(dim));
        offset += t.size(dim);
    }
    return record("cat", y, tensors,
                  [dim, sizes_along](const Tensor& g) {
                      Grads grads;
                      int64_t at = 0;
                      for (int64_t n : sizes_along) {
                          grads.push_back(g.narrow(dim, at, n));
                          at += n;
                      }
                      return grads;
                  },
                  "grad of input i = narrow(grad_out, dim, offset_i, size_i)");
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

// y = a broadcast to `sizes` (a copy);  grad_a = sum_to(grad_out, a.shape)
Tensor expand(const Tensor& a, std::vector<int64_t> sizes) {
    detail::check_defined("expand", a);
    if (sizes.size() < a.sizes().size()) {
        detail::fail("expand", "target " + shape_str(sizes) + " has fewer dims than the tensor " +
                                   shape_str(a.sizes()));
    }
    const size_t lead = sizes.size() - a.sizes().size();
    for (size_t d = 0; d < sizes.size(); ++d) {
        const int64_t have = d < lead ? 1 : a.sizes()[d - lead];
        if (sizes[d] == -1 && d >= lead) sizes[d] = have;
        if (sizes[d] < 0 || (have != 1 && have != sizes[d])) {
            detail::fail("expand", "cannot expand shape " + shape_str(a.sizes()) + " to " +
                                       shape_str(sizes));
        }
    }
    if (sizes == a.sizes()) return a;
    Tensor y = detail::make_tensor(sizes, a.dtype());
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::broadcast_copy(a.data_ptr<T>(), a.sizes(), y.data_ptr<T>(), y.sizes());
    });
    return record("expand", y, {a},
                  [sa = a.sizes()](const Tensor& g) { return Grads{sum_to(g, sa)}; },
                  "grad_a = sum_to(grad_out, a.shape)");
}

// y = a summed over the dims where `sizes` broadcasts to a.shape;  grad_a = expand(grad_out)
Tensor sum_to(const Tensor& a, const std::vector<int64_t>& sizes) {
    detail::check_defined("sum_to", a);
    if (a.sizes() == sizes) return a;
    bool fits = sizes.size() <= a.sizes().size();
    const size_t lead = a.sizes().size() - (fits ? sizes.size() : 0);
    for (size_t d = 0; fits && d < sizes.size(); ++d)
        fits = sizes[d] == 1 || sizes[d] == a.sizes()[d + lead];
    if (!fits) {
        detail::fail("sum_to", "cannot sum shape " + shape_str(a.sizes()) + " down to " +
                                   shape_str(sizes));
    }
    Tensor y = detail::make_tensor(sizes, a.dtype());
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::sum_to(a.data_ptr<T>(), a.sizes(), y.data_ptr<T>(), sizes);
    });
    return record("sum_to", y, {a},
                  [sa = a.sizes()](const Tensor& g) { return Grads{expand(g, sa)}; },
                  "grad_a = expand(grad_out, a.shape)");
}

namespace {
// Scatters g into zeros of a's shape at index along dim, adding repeats: gather's backward.
// grad_g = gather(grad_out, dim, index)
Tensor gather_backward(const Tensor& g, const std::vector<int64_t>& sizes, int64_t dim,
                       const Tensor& index) {
    Tensor y = zeros(sizes, g.dtype());
    const detail::DimSplit s = detail::split_at(sizes, dim);
    const int64_t count = index.size(dim);
    const int64_t* idx = index.data_ptr<int64_t>();
    detail::dispatch(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pg = g.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for (int64_t o = 0; o < s.outer; ++o)
            for (int64_t j = 0; j < count; ++j)
                for (int64_t k = 0; k < s.inner; ++k) {
                    const int64_t at = (o * count + j) * s.inner + k;
                    py[(o * s.n + idx[at]) * s.inner + k] += pg[at];
                }
    });
    return record("gather_backward", y, {g},
                  [dim, index](const Tensor& gg) { return Grads{gather(gg, dim, index)}; },
                  "grad_g = gather(grad_out, dim, index)");
}
}  // namespace

// y[o, j, k] = a[o, index[o, j, k], k] along dim
// grad_a = zeros(a.shape) with grad_out added at the gathered positions
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index) {
    detail::check_defined("gather", a);
    detail::check_defined("gather", index, "index");
    if (index.dtype() != kInt64) {
        detail::fail("gather", std::string("index must be int64, got ") + to_string(index.dtype()));
    }
    dim = detail::wrap_dim("gather", dim, a.dim());
    bool fits = index.dim() == a.dim();
    for (int64_t d = 0; fits && d < a.dim(); ++d) fits = d == dim || index.size(d) == a.size(d);
    if (!fits) {
        detail::fail("gather", "index of shape " + shape_str(index.sizes()) +
                                   " must match the input's shape " + shape_str(a.sizes()) +
                                   " except along dim " + std::to_string(dim));
    }
    const detail::DimSplit s = detail::split_at(a.sizes(), dim);
    const int64_t count = a.dim() == 0 ? 1 : index.size(dim);
    const int64_t* idx = index.data_ptr<int64_t>();
    for (int64_t i = 0; i < index.numel(); ++i) {
        if (idx[i] < 0 || idx[i] >= s.n) {
            detail::fail("gather", "index " + std::to_string(idx[i]) + " is out of range for dim " +
                                       std::to_string(dim) + " of size " + std::to_string(s.n));
        }
    }
    Tensor y = detail::make_tensor(index.sizes(), a.dtype());
    detail::dispatch(a.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* pa = a.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for (int64_t o = 0; o < s.outer; ++o)
            for (int64_t j = 0; j < count; ++j)
                for (int64_t k = 0; k < s.inner; ++k) {
                    const int64_t at = (o * count + j) * s.inner + k;
                    py[at] = pa[(o * s.n + idx[at]) * s.inner + k];
                }
    });
    return record("gather", y, {a},
                  [sa = a.sizes(), dim, index](const Tensor& g) {
                      return Grads{gather_backward(g, sa, dim, index)};
                  },
                  "grad_a = zeros(a.shape) with grad_out added at the gathered positions");
}

Tensor Tensor::reshape(std::vector<int64_t> shape) const { return tapegrad::reshape(*this, std::move(shape)); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return tapegrad::flatten(*this, s, e); }
Tensor Tensor::squeeze() const { return tapegrad::squeeze(*this); }
Tensor Tensor::squeeze(int64_t d) const { return tapegrad::squeeze(*this, d); }
Tensor Tensor::unsqueeze(int64_t d) const { return tapegrad::unsqueeze(*this, d); }
Tensor Tensor::slice(int64_t d, int64_t s, int64_t e, int64_t st) const { return tapegrad::slice(*this, d, s, e, st); }
Tensor Tensor::select(int64_t d, int64_t i) const { return tapegrad::select(*this, d, i); }
Tensor Tensor::narrow(int64_t d, int64_t s, int64_t l) const { return tapegrad::narrow(*this, d, s, l); }
Tensor Tensor::index_select(int64_t d, const Tensor& i) const { return tapegrad::index_select(*this, d, i); }
Tensor Tensor::expand(std::vector<int64_t> sizes) const { return tapegrad::expand(*this, std::move(sizes)); }

}  // namespace tapegrad
