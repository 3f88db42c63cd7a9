// Ordering along a dim: sort, argsort, topk, kthvalue. Each line along dim is ordered through
// an array of positions with the std algorithms (stable_sort, partial_sort, nth_element), NaN
// counting as larger than every number, as in LibTorch. Equal values keep their order (sort is
// stable, as LibTorch's CPU sort); topk and kthvalue break ties by position the same way, so all
// three agree with one stable sort.
//
// The values' gradient goes back to the positions they came from:
//   grad_self = zeros(self.shape).scatter(dim, indices, grad_out)

#include <algorithm>
#include <numeric>
#include <string>

#include "autograd/ops/indexing_util.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

template <class T>
bool is_nan(T v) {
    return v != v;  // false for integers and bool
}

// Strict "comes before" for position a and b of one line: ascending with NaN last, or
// descending with NaN first; equal values by position, so that every algorithm below picks
// what a stable sort would.
template <class T>
struct Before {
    const T* x;
    int64_t stride;
    bool descending;
    bool operator()(int64_t a, int64_t b) const {
        const T u = x[a * stride], v = x[b * stride];
        const bool lt = descending ? (u > v || (is_nan(u) && !is_nan(v)))
                                   : (u < v || (!is_nan(u) && is_nan(v)));
        if (lt) return true;
        const bool gt = descending ? (v > u || (is_nan(v) && !is_nan(u)))
                                   : (v < u || (!is_nan(v) && is_nan(u)));
        return !gt && a < b;
    }
};

enum class Pick { All, First, Kth };

// For each line along dim: the first `k` positions in order (Pick::All: every one, sorted;
// Pick::First: the first k, sorted; Pick::Kth: the k-th alone), with their values. The outputs
// have k (or 1 for Kth) along dim.
std::tuple<Tensor, Tensor> order_lines(const Tensor& self, int64_t dim, int64_t k, bool descending,
                                       Pick pick, bool keepdim = true) {
    const Tensor x = detail::dense(self);
    const detail::DimSplit s = detail::split_at(x.sizes(), dim);
    const int64_t kept = pick == Pick::Kth ? 1 : k;
    const detail::DimSplit out{s.outer, kept, s.inner};  // values and indices, keepdim's layout
    std::vector<int64_t> shape = x.sizes();
    if (!shape.empty()) shape[static_cast<size_t>(dim)] = kept;
    if (!keepdim && !shape.empty()) shape.erase(shape.begin() + dim);  // the same layout
    Tensor values = detail::make_tensor(shape, x.dtype());
    Tensor indices = detail::make_tensor(shape, kInt64);
    int64_t* pi = indices.data_ptr<int64_t>();
    std::vector<int64_t> perm(static_cast<size_t>(s.n));
    detail::dispatch_all(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data_ptr<T>();
        T* pv = values.data_ptr<T>();
        s.for_each_line([&](int64_t start, int64_t index) {
            const T* line = px + start;
            const int64_t first = out.line_start(index);  // of this line's outputs
            const Before<T> before{line, s.inner, descending};
            std::iota(perm.begin(), perm.end(), int64_t{0});
            if (pick == Pick::All) {
                std::stable_sort(perm.begin(), perm.end(), before);
            } else if (pick == Pick::First) {
                std::partial_sort(perm.begin(), perm.begin() + k, perm.end(), before);
            } else {
                std::nth_element(perm.begin(), perm.begin() + (k - 1), perm.end(), before);
                perm[0] = perm[static_cast<size_t>(k - 1)];
            }
            for (int64_t j = 0; j < kept; ++j) {
                pi[first + j * s.inner] = perm[static_cast<size_t>(j)];
                pv[first + j * s.inner] = line[perm[static_cast<size_t>(j)] * s.inner];
            }
        });
    });
    return {values, indices};
}

// values recorded as picked from self at `indices` along dim (`squeezed`: without that dim)
// grad_self = zeros(self.shape).scatter(dim, indices, grad_out)
Tensor record_picked(const char* op, const Tensor& values, const Tensor& self, int64_t dim,
                     const Tensor& indices, bool squeezed) {
    // a private copy, in the keepdim shape: the caller may change the returned indices
    std::vector<int64_t> keep = values.sizes();
    if (squeezed) keep.insert(keep.begin() + dim, 1);
    Tensor idx = detail::make_tensor(keep, kInt64);
    detail::copy_into(idx, indices.reshape(keep));
    return record(
        op, values, {self},
        [dim, idx, squeezed, ss = self.sizes()](const Tensor& g) {
            const Tensor gk = squeezed ? g.unsqueeze(dim) : g;
            return Grads{scatter(zeros(ss, g.dtype()), dim, idx, gk)};
        },
        "grad_self = zeros(self.shape).scatter(dim, indices, grad_out)", autograd::kSavesNone);
}

int64_t line_dim(const char* op, const Tensor& self, int64_t dim) {
    detail::check_defined(op, self, "self");
    return detail::wrap_dim(op, dim, self.dim());
}

int64_t line_length(const Tensor& self, int64_t dim) {
    return self.dim() == 0 ? 1 : self.size(dim);
}

}  // namespace

// (values, indices) = self sorted along dim, stable
std::tuple<Tensor, Tensor> sort(const Tensor& self, std::optional<bool>, int64_t dim,
                                bool descending) {
    dim = line_dim("sort", self, dim);
    auto [values, indices] = order_lines(self, dim, line_length(self, dim), descending, Pick::All);
    return {record_picked("sort", values, self, dim, indices, false), indices};
}

std::tuple<Tensor, Tensor> sort(const Tensor& self, int64_t dim, bool descending) {
    return sort(self, std::optional<bool>(), dim, descending);
}

Tensor argsort(const Tensor& self, int64_t dim, bool descending) {
    dim = line_dim("argsort", self, dim);
    return std::get<1>(order_lines(self, dim, line_length(self, dim), descending, Pick::All));
}

// (values, indices) = the k largest (smallest) along dim, in order
std::tuple<Tensor, Tensor> topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool) {
    dim = line_dim("topk", self, dim);
    const int64_t n = line_length(self, dim);
    if (k < 0 || k > n) {
        detail::fail("topk", "k = " + std::to_string(k) + " is out of range for dim " +
                                 std::to_string(dim) + " of size " + std::to_string(n));
    }
    auto [values, indices] = order_lines(self, dim, k, largest, Pick::First);
    return {record_picked("topk", values, self, dim, indices, false), indices};
}

// (values, indices) = the k-th smallest along dim (k from 1)
std::tuple<Tensor, Tensor> kthvalue(const Tensor& self, int64_t k, int64_t dim, bool keepdim) {
    dim = line_dim("kthvalue", self, dim);
    const int64_t n = line_length(self, dim);
    if (k < 1 || k > n) {
        detail::fail("kthvalue", "k = " + std::to_string(k) + " is out of range for dim " +
                                     std::to_string(dim) + " of size " + std::to_string(n) +
                                     " (k counts from 1)");
    }
    const bool squeezed = !keepdim && self.dim() > 0;
    auto [values, indices] = order_lines(self, dim, k, false, Pick::Kth, !squeezed);
    return {record_picked("kthvalue", values, self, dim, indices, squeezed), indices};
}

std::tuple<Tensor, Tensor> Tensor::sort(int64_t d, bool desc) const {
    return tapegrad::sort(*this, d, desc);
}
std::tuple<Tensor, Tensor> Tensor::sort(std::optional<bool> st, int64_t d, bool desc) const {
    return tapegrad::sort(*this, st, d, desc);
}
Tensor Tensor::argsort(int64_t d, bool desc) const {
    return tapegrad::argsort(*this, d, desc);
}
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t d, bool largest, bool sorted) const {
    return tapegrad::topk(*this, k, d, largest, sorted);
}
std::tuple<Tensor, Tensor> Tensor::kthvalue(int64_t k, int64_t d, bool keepdim) const {
    return tapegrad::kthvalue(*this, k, d, keepdim);
}

}  // namespace tapegrad
