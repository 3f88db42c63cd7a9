// Ops that move elements to new places: flip, roll, repeat, repeat_interleave, tril, triu. Each
// returns a copy (as LibTorch's do), and each backward moves the gradient back.

#include <string>

#include "autograd/kernels/strided.hpp"
#include "autograd/ops/indexing_util.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// dims wrapped and checked for repeats
std::vector<int64_t> distinct_dims(const char* op, const Tensor& self,
                                   const std::vector<int64_t>& dims) {
    std::vector<int64_t> out;
    for (int64_t d : dims) {
        const int64_t w = detail::wrap_dim(op, d, self.dim());
        if (std::find(out.begin(), out.end(), w) != out.end()) {
            detail::fail(
                op, "dim " + std::to_string(w) + " appears more than once in " + shape_str(dims));
        }
        out.push_back(w);
    }
    return out;
}

}  // namespace

// y = self with the order of the elements reversed along each of dims (a copy)
// grad_self = flip(grad_out, dims)
Tensor flip(const Tensor& self, IntArrayRef dims_in) {
    detail::check_defined("flip", self, "self");
    const std::vector<int64_t> dims = distinct_dims("flip", self, dims_in.vec());
    Tensor y = detail::make_tensor(self.sizes(), self.dtype());
    if (y.numel() > 0) {
        // read self from its last element backwards along the flipped dims: negative strides
        std::vector<int64_t> strides = self.strides();
        int64_t start = 0;
        for (int64_t d : dims) {
            if (self.dim() == 0) break;
            start += (self.size(d) - 1) * strides[static_cast<size_t>(d)];
            strides[static_cast<size_t>(d)] = -strides[static_cast<size_t>(d)];
        }
        const std::vector<int64_t> ys = y.strides();
        detail::dispatch_all(self.dtype(), [&](auto zero) {
            using T = decltype(zero);
            kernels::unary_loop(self.sizes(), y.data_ptr<T>(), ys.data(),
                                static_cast<const T*>(self.raw_data()) + start, strides.data(),
                                [](T v) { return v; });
        });
    }
    return record(
        "flip", y, {self}, [dims](const Tensor& g) { return Grads{flip(g, dims)}; },
        "grad_self = flip(grad_out, dims)", autograd::kSavesNone);
}

// y = self with elements shifted by shifts[i] along dims[i], wrapping around (a copy)
// grad_self = roll(grad_out, -shifts, dims)
Tensor roll(const Tensor& self, IntArrayRef shifts_in, IntArrayRef dims_in) {
    detail::check_defined("roll", self, "self");
    const std::vector<int64_t>& shifts = shifts_in.vec();
    if (dims_in.empty()) {  // over the flattened tensor
        if (shifts.size() != 1) {
            detail::fail("roll",
                         "without dims, shifts must hold one value, got " + shape_str(shifts));
        }
        return roll(self.flatten(), shifts, {0}).view(self.sizes());
    }
    if (shifts.size() != dims_in.size()) {
        detail::fail("roll", "shifts " + shape_str(shifts) + " and dims " +
                                 shape_str(dims_in.vec()) + " must have the same length");
    }
    const std::vector<int64_t> dims = distinct_dims("roll", self, dims_in.vec());
    Tensor y = self.detach();
    for (size_t i = 0; i < dims.size(); ++i) {
        const int64_t n = y.dim() == 0 ? 1 : y.size(dims[i]);
        const int64_t s = n == 0 ? 0 : ((shifts[i] % n) + n) % n;
        if (s == 0) continue;
        // the last s elements come first
        y = cat({y.narrow(dims[i], n - s, s), y.narrow(dims[i], 0, n - s)}, dims[i]);
    }
    if (y.is_alias_of(self)) y = y.clone();
    std::vector<int64_t> back(shifts.size());
    for (size_t i = 0; i < shifts.size(); ++i) back[i] = -shifts[i];
    return record(
        "roll", y, {self}, [back, dims](const Tensor& g) { return Grads{roll(g, back, dims)}; },
        "grad_self = roll(grad_out, -shifts, dims)", autograd::kSavesNone);
}

// y = self tiled repeats[d] times along each dim (leading repeats add dims)
// grad_self = grad_out seen as [r0, s0, r1, s1, ...], summed over the r's
Tensor Tensor::repeat(IntArrayRef repeats_in) const {
    detail::check_defined("repeat", *this, "self");
    const std::vector<int64_t>& repeats = repeats_in.vec();
    if (static_cast<int64_t>(repeats.size()) < dim()) {
        detail::fail("repeat", "repeats " + shape_str(repeats) +
                                   " must have at least as many entries as "
                                   "the tensor has dims (shape " +
                                   shape_str(sizes()) + ")");
    }
    for (int64_t r : repeats)
        if (r < 0)
            detail::fail("repeat", "repeats must be non-negative, got " + shape_str(repeats));
    const size_t lead = repeats.size() - sizes().size();
    std::vector<int64_t> one_each, tiled, out, tile_dims;
    for (size_t d = 0; d < repeats.size(); ++d) {
        const int64_t s = d < lead ? 1 : sizes()[d - lead];
        one_each.insert(one_each.end(), {1, s});
        tiled.insert(tiled.end(), {repeats[d], s});
        out.push_back(repeats[d] * s);
        tile_dims.push_back(static_cast<int64_t>(2 * d));
    }
    detail::checked_numel("repeat", out);
    Tensor y = detail::make_tensor(out, dtype());
    detail::copy_into(y.view(tiled), detach().reshape(one_each));
    return record(
        "repeat", y, {*this},
        [tiled, tile_dims, ss = sizes()](const Tensor& g) {
            return Grads{g.reshape(tiled).sum(tile_dims).reshape(ss)};
        },
        "grad_self = grad_out.reshape(r0, s0, r1, s1, ...).sum(r dims)", autograd::kSavesNone);
}

// i repeated repeats[i] times: the positions repeat_interleave picks
Tensor repeat_interleave(const Tensor& repeats_in) {
    detail::check_index_dtype("repeat_interleave", repeats_in, "repeats");
    if (repeats_in.dim() > 1) {
        detail::fail("repeat_interleave",
                     "repeats must be 0-D or 1-D, got shape " + shape_str(repeats_in.sizes()));
    }
    const Tensor repeats = repeats_in.to(kInt64).contiguous();
    const int64_t* r = repeats.data_ptr<int64_t>();
    int64_t total = 0;
    for (int64_t i = 0; i < repeats.numel(); ++i) {
        if (r[i] < 0)
            detail::fail("repeat_interleave",
                         "repeats must be non-negative, got " + std::to_string(r[i]));
        total += r[i];
    }
    Tensor out = detail::make_tensor({total}, kInt64);
    int64_t* po = out.data_ptr<int64_t>();
    for (int64_t i = 0, at = 0; i < repeats.numel(); ++i)
        for (int64_t j = 0; j < r[i]; ++j) po[at++] = i;
    return out;
}

// y = self with slice i along dim repeated repeats[i] times: index_select with
// repeat_interleave(repeats), as LibTorch computes it (so its gradient is index_select's)
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim) {
    detail::check_defined("repeat_interleave", self, "self");
    detail::check_index_dtype("repeat_interleave", repeats, "repeats");
    const Tensor x = dim ? self : self.flatten();
    const int64_t d = dim ? detail::wrap_dim("repeat_interleave", *dim, x.dim()) : 0;
    const int64_t n = x.dim() == 0 ? 1 : x.size(d);
    Tensor r = repeats.reshape({-1});
    if (r.numel() == 1) r = r.expand({n});
    if (r.numel() != n) {
        detail::fail("repeat_interleave", "repeats has " + std::to_string(r.numel()) +
                                              " entries for a dim of size " + std::to_string(n));
    }
    return index_select(x.dim() == 0 ? x.reshape({1}) : x, d, repeat_interleave(r));
}

Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim) {
    return repeat_interleave(self, full({1}, repeats, kInt64), dim);
}

namespace {

// y = self where the (row, column) of the last two dims keeps (column - row <= k for tril,
// >= k for triu), else 0;  grad_self = the same of grad_out
Tensor triangle(const char* op, const Tensor& self, int64_t k, bool lower) {
    detail::check_defined(op, self, "self");
    if (self.dim() < 2) {
        detail::fail(op, "needs at least 2 dims, got shape " + shape_str(self.sizes()));
    }
    const Tensor x = detail::dense(self);
    Tensor y = detail::make_tensor(x.sizes(), x.dtype());
    const int64_t rows = x.size(-2), cols = x.size(-1);
    const int64_t batches = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
    detail::dispatch_all(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data_ptr<T>();
        T* py = y.data_ptr<T>();
        for (int64_t b = 0; b < batches; ++b)
            for (int64_t i = 0; i < rows; ++i)
                for (int64_t j = 0; j < cols; ++j) {
                    const int64_t at = (b * rows + i) * cols + j;
                    const bool keep = lower ? j - i <= k : j - i >= k;
                    py[at] = keep ? px[at] : T(0);
                }
    });
    return record(
        lower ? "tril" : "triu", y, {self},
        [k, lower](const Tensor& g) { return Grads{lower ? tril(g, k) : triu(g, k)}; },
        lower ? "grad_self = tril(grad_out, k)" : "grad_self = triu(grad_out, k)",
        autograd::kSavesNone);
}

}  // namespace

Tensor tril(const Tensor& self, int64_t diagonal) {
    return triangle("tril", self, diagonal, true);
}
Tensor triu(const Tensor& self, int64_t diagonal) {
    return triangle("triu", self, diagonal, false);
}

Tensor Tensor::flip(IntArrayRef dims) const {
    return tapegrad::flip(*this, std::move(dims));
}
Tensor Tensor::roll(IntArrayRef shifts, IntArrayRef dims) const {
    return tapegrad::roll(*this, std::move(shifts), std::move(dims));
}
Tensor Tensor::repeat_interleave(int64_t r, std::optional<int64_t> d) const {
    return tapegrad::repeat_interleave(*this, r, d);
}
Tensor Tensor::repeat_interleave(const Tensor& r, std::optional<int64_t> d) const {
    return tapegrad::repeat_interleave(*this, r, d);
}
Tensor Tensor::tril(int64_t diagonal) const {
    return tapegrad::tril(*this, diagonal);
}
Tensor Tensor::triu(int64_t diagonal) const {
    return tapegrad::triu(*this, diagonal);
}

}  // namespace tapegrad
