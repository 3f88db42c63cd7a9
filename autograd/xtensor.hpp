#pragma once
// Optional: xtensor views of tensor data, for users who want xtensor's expressions on top of
// tapegrad's buffers. Not included by tapegrad.hpp (xtensor headers are slow to compile).
//
//   auto v = tapegrad::as_xtensor<float>(t);   // shares t's buffer, shape t.sizes()
//   v *= 2.0f;                                  // writes into t (outside the graph)

#include <xtensor/xadapt.hpp>

#include <cstddef>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {

/// A row-major xtensor adaptor over `t`'s elements (no copy); T must match t.dtype().
/// Writing through it bypasses the tape and the version counter: use it on data, not on
/// tensors whose graph is still needed.
template <class T>
auto as_xtensor(const Tensor& t) {
    std::vector<std::size_t> shape(t.sizes().begin(), t.sizes().end());
    return xt::adapt(t.data_ptr<T>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(),
                     shape);
}

}  // namespace tapegrad
