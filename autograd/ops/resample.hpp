#pragma once
// The recorded building blocks shared by pooling, padding and upsampling (internal).
//
// Two families, each closed under differentiation:
// - resample / resample_adjoint: a separable linear map of the last two dims (Taps along H and
//   along W) and its transpose; each is the other's gradient.
// - gather_planes / scatter_planes: per [H, W] plane, read or write positions listed in an
//   int64 index tensor (max pooling's argmax, max_unpool's targets); each is the other's
//   gradient.

#include <memory>
#include <vector>

#include "autograd/kernels/conv_pool.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace detail {

/// A separable linear map of the last two dims, and the names its nodes carry.
struct Resampling {
    kernels::Taps h, w;
    double fill = 0;                            // value of outputs with no tap (constant padding)
    const char* op = "resample";                // node name of the map
    const char* adjoint = "resample_backward";  // node name of its transpose
    const char* rule = nullptr;                 // the map's backward rule, for print_tape
};

/// x [..., H, W] -> [..., Ho, Wo] through r; recorded, its gradient is resample_adjoint.
Tensor resample(const std::shared_ptr<const Resampling>& r, const Tensor& x);
/// g [..., Ho, Wo] -> [..., H, W], the transpose of r (fill ignored); its gradient is resample.
Tensor resample_adjoint(const std::shared_ptr<const Resampling>& r, const Tensor& g);

/// out[..., k] = src[..., idx[..., k]] per plane: src [..., H, W], idx [..., Ho, Wo] int64
/// (flat positions within H * W) -> idx's shape. Its gradient scatters back (accumulating).
Tensor gather_planes(const char* op, const Tensor& src, const Tensor& idx);
/// out [..., H, W] (out_sizes) = zeros, then out[..., idx[..., k]] += src[..., k] (or =, when
/// not accumulate). Its gradient is gather_planes with the same indices.
Tensor scatter_planes(const char* op, const Tensor& src, const Tensor& idx,
                      const std::vector<int64_t>& out_sizes, bool accumulate);

}  // namespace detail
}  // namespace tapegrad
