// Separable linear maps of images (padding, nearest and bilinear upsampling; pooling uses them
// too), per-plane gather and scatter, and pixel shuffling.

#include "autograd/ops/resample.hpp"

#include <cmath>

#include "autograd/detail.hpp"
#include "autograd/format.hpp"
#include "autograd/ops_conv.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;
using kernels::Taps;

namespace detail {

namespace {
// The leading dims of an [..., H, W] tensor with the last two replaced.
std::vector<int64_t> with_plane(const std::vector<int64_t>& sizes, int64_t h, int64_t w) {
    std::vector<int64_t> out(sizes.begin(), sizes.end() - 2);
    out.push_back(h);
    out.push_back(w);
    return out;
}
int64_t planes_of(const Tensor& t) {
    return t.numel() == 0 ? 0 : t.numel() / (t.size(-1) * t.size(-2));
}
}  // namespace

// y[.., i, j] = sum_a sum_b wh[i, a] ww[j, b] x[.., ih[i, a], iw[j, b]]
// grad_x = the same weights scattered back (resample_adjoint)
Tensor resample(const std::shared_ptr<const Resampling>& r, const Tensor& x_in) {
    const Tensor x = x_in.contiguous();
    Tensor y = make_tensor(with_plane(x.sizes(), r->h.out(), r->w.out()), x.dtype());
    dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::resample2d(planes_of(x), r->h, r->w, r->fill, x.data_ptr<T>(), y.data_ptr<T>());
    });
    return record(
        r->op, y, {x}, [r](const Tensor& g) { return Grads{resample_adjoint(r, g)}; }, r->rule);
}

// dx = R^T g;  grad_g = R h (the forward map again, without its constant fill)
Tensor resample_adjoint(const std::shared_ptr<const Resampling>& r, const Tensor& g_in) {
    const Tensor g = g_in.contiguous();
    Tensor dx = make_tensor(with_plane(g.sizes(), r->h.in, r->w.in), g.dtype());
    dispatch_floating(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::resample2d_adjoint(planes_of(g), r->h, r->w, g.data_ptr<T>(), dx.data_ptr<T>());
    });
    return record(
        r->adjoint, dx, {g},
        [r](const Tensor& h) {
            if (r->fill == 0) return Grads{resample(r, h)};
            auto linear = std::make_shared<Resampling>(*r);
            linear->fill = 0;
            return Grads{resample(linear, h)};
        },
        "grad = the forward resampling of grad_out (same taps)");
}

// y[.., k] = src[.., idx[.., k]];  grad_src = scatter_add(grad_out, idx)
Tensor gather_planes(const char* op, const Tensor& src_in, const Tensor& idx) {
    const Tensor src = src_in.contiguous();
    Tensor y = make_tensor(idx.sizes(), src.dtype());
    dispatch_floating(src.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::plane_gather(planes_of(idx), src.size(-1) * src.size(-2),
                              idx.size(-1) * idx.size(-2), src.data_ptr<T>(),
                              idx.data_ptr<int64_t>(), y.data_ptr<T>());
    });
    return record(
        op, y, {src},
        [idx, sizes = src.sizes()](const Tensor& g) {
            return Grads{scatter_planes("scatter_add", g, idx, sizes, true)};
        },
        "grad_src = zeros, then grad_src[idx[k]] += grad_out[k]");
}

// y = zeros; y[.., idx[.., k]] (+)= src[.., k];  grad_src = gather(grad_out, idx)
Tensor scatter_planes(const char* op, const Tensor& src_in, const Tensor& idx,
                      const std::vector<int64_t>& out_sizes, bool accumulate) {
    const Tensor src = src_in.contiguous();
    Tensor y = make_tensor(out_sizes, src.dtype());
    const int64_t out_plane = out_sizes[out_sizes.size() - 1] * out_sizes[out_sizes.size() - 2];
    dispatch_floating(src.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::plane_scatter(planes_of(idx), idx.size(-1) * idx.size(-2), out_plane,
                               src.data_ptr<T>(), idx.data_ptr<int64_t>(), y.data_ptr<T>(),
                               accumulate);
    });
    return record(
        op, y, {src}, [idx](const Tensor& g) { return Grads{gather_planes("gather", g, idx)}; },
        "grad_src[k] = grad_out[idx[k]]");
}

}  // namespace detail

// ---- pad ------------------------------------------------------------------------------------

const char* to_string(PaddingMode mode) {
    return detail::enum_name(mode, {"zeros", "constant", "reflect", "replicate", "circular"});
}

namespace {

// Output o of a padded dim reads input o - left, mapped back inside [0, n) by the mode.
Taps pad_taps(int64_t n, int64_t left, int64_t right, PaddingMode mode) {
    Taps t;
    t.in = n;
    for (int64_t o = 0; o < n + left + right; ++o) {
        int64_t src = o - left;
        if (mode == kReflect) {
            if (src < 0) src = -src;
            if (src >= n) src = 2 * (n - 1) - src;
        } else if (mode == kReplicate) {
            src = std::min(std::max<int64_t>(src, 0), n - 1);
        } else if (mode == kCircular) {
            src = ((src % n) + n) % n;
        }
        if (src >= 0 && src < n) t.add(src, 1.0);
        t.next();
    }
    return t;
}

Taps identity_taps(int64_t n) {
    Taps t;
    t.in = n;
    for (int64_t i = 0; i < n; ++i) {
        t.add(i, 1.0);
        t.next();
    }
    return t;
}

}  // namespace

// y = x placed inside a border (constant, mirrored, repeated or wrapped);  grad_x = the border
// folded back onto the pixels it copies (resample_adjoint)
Tensor pad(const Tensor& input, std::vector<int64_t> pads, PaddingMode mode, double value) {
    detail::check_defined("pad", input);
    detail::check_floating("pad", input);
    const int64_t k = static_cast<int64_t>(pads.size()) / 2;
    std::string list;
    for (int64_t p : pads) list += (list.empty() ? "" : ", ") + std::to_string(p);
    if (pads.size() % 2 != 0 || k < 1 || k > 2) {
        detail::fail("pad",
                     "expected 2 or 4 sizes ({left, right} or {left, right, top, "
                     "bottom}), got {" +
                         list + "}");
    }
    if (mode == kZeros) detail::fail("pad", "mode kZeros is for convolutions; use kConstant");
    if (mode != kConstant && input.dim() != k + 1 && input.dim() != k + 2) {
        detail::fail("pad", std::string("mode ") + to_string(mode) + " with " +
                                std::to_string(2 * k) + " sizes expects a " +
                                std::to_string(k + 1) + "-d or " + std::to_string(k + 2) +
                                "-d input, got shape " + shape_str(input.sizes()));
    }
    if (input.dim() < k) {
        detail::fail("pad", "{" + list + "} pads " + std::to_string(k) + " dims, but the input " +
                                "has shape " + shape_str(input.sizes()));
    }
    Tensor x = input.dim() < 2 ? input.unsqueeze(0) : input;
    auto r = std::make_shared<detail::Resampling>();
    r->op = "pad";
    r->adjoint = "pad_backward";
    r->rule = "grad_x = grad_out with the border folded back onto the pixels it copies";
    r->fill = mode == kConstant ? value : 0.0;
    for (int64_t d = 0; d < k; ++d) {  // pads[0..1] are the last dim, pads[2..3] the one before
        const int64_t dim = x.dim() - 1 - d, n = x.size(dim);
        const int64_t left = pads[2 * d], right = pads[2 * d + 1];
        if (n + left + right <= 0) {
            detail::fail("pad", "padding {" + list + "} leaves dim " + std::to_string(dim) +
                                    " of input " + shape_str(input.sizes()) + " empty");
        }
        if (mode != kConstant && (left < 0 || right < 0))
            detail::fail("pad",
                         std::string("negative padding needs mode kConstant, got {") + list + "}");
        if ((mode == kReflect && (left >= n || right >= n)) ||
            (mode == kCircular && (left > n || right > n))) {
            detail::fail("pad", std::string("mode ") + to_string(mode) + " needs padding " +
                                    (mode == kReflect ? "smaller than" : "at most") +
                                    " the input size, got {" + list + "} for input " +
                                    shape_str(input.sizes()));
        }
        (d == 0 ? r->w : r->h) = pad_taps(n, left, right, mode);
    }
    if (k == 1) r->h = identity_taps(x.size(-2));
    Tensor y = detail::resample(r, x);
    return input.dim() < 2 ? y.squeeze(0) : y;
}

// ---- upsampling -----------------------------------------------------------------------------

namespace {

// PyTorch's nearest index, in float as PyTorch computes it: floor(o * in / out), or
// floor(o / scale) when a scale is given, clamped to the input.
Taps nearest_taps(int64_t in, int64_t out, std::optional<double> scale) {
    Taps t;
    t.in = in;
    const float s = scale && *scale > 0 ? static_cast<float>(1.0 / *scale)
                                        : static_cast<float>(in) / static_cast<float>(out);
    for (int64_t o = 0; o < out; ++o) {
        int64_t src;
        if (out == in)
            src = o;
        else if (out == 2 * in)
            src = o >> 1;
        else
            src = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * s)), in - 1);
        t.add(src, 1.0);
        t.next();
    }
    return t;
}

// Two taps per output: floor(src) and the next pixel, weighted by the distance to each;
// src = o * (in - 1) / (out - 1) with align_corners, else (o + 0.5) * in / out - 0.5 (>= 0).
// Computed in the tensor's precision T, as PyTorch does.
template <class T>
Taps linear_taps(int64_t in, int64_t out, bool align_corners, std::optional<double> scale) {
    Taps t;
    t.in = in;
    T s;
    if (align_corners)
        s = out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
    else if (scale && *scale > 0)
        s = static_cast<T>(1.0 / *scale);
    else
        s = static_cast<T>(in) / static_cast<T>(out);
    for (int64_t o = 0; o < out; ++o) {
        T src = align_corners ? s * static_cast<T>(o) : s * (static_cast<T>(o) + T(0.5)) - T(0.5);
        if (src < 0) src = 0;
        const int64_t i0 = static_cast<int64_t>(src);
        const int64_t i1 = i0 < in - 1 ? i0 + 1 : i0;
        const T l1 = src - static_cast<T>(i0), l0 = T(1) - l1;
        t.add(i0, static_cast<double>(l0));
        t.add(i1, static_cast<double>(l1));
        t.next();
    }
    return t;
}

// Checks an upsampling's input and output size, and starts its Resampling: names and rule set,
// the taps left to the caller.
std::shared_ptr<detail::Resampling> start_upsample(const char* op, const char* adjoint,
                                                   const char* rule, const Tensor& input,
                                                   const ExpandingArray<2>& size) {
    detail::check_defined(op, input);
    detail::check_floating(op, input);
    if (input.dim() != 3 && input.dim() != 4)
        detail::fail(op, "expected a 4-d input [N, C, H, W] (or 3-d unbatched), got shape " +
                             shape_str(input.sizes()));
    if (input.size(-1) <= 0 || input.size(-2) <= 0 || size[0] <= 0 || size[1] <= 0) {
        detail::fail(op, "input " + shape_str(input.sizes()) + " and output size " +
                             shape_str(size.vec()) + " must be non-empty");
    }
    auto r = std::make_shared<detail::Resampling>();
    r->op = op;
    r->adjoint = adjoint;
    r->rule = rule;
    return r;
}

}  // namespace

// y[i, j] = x[src(i), src(j)];  grad_x = sum of grad_out over the pixels copied from each
Tensor upsample_nearest2d(const Tensor& input, ExpandingArray<2> output_size,
                          std::optional<double> scales_h, std::optional<double> scales_w) {
    auto r = start_upsample("upsample_nearest2d", "upsample_nearest2d_backward",
                            "grad_x[p] = sum of grad_out over the pixels copied from p", input,
                            output_size);
    r->h = nearest_taps(input.size(-2), output_size[0], scales_h);
    r->w = nearest_taps(input.size(-1), output_size[1], scales_w);
    return detail::resample(r, input);
}

// y = interpolation between the 4 nearest pixels;  grad_x = the weights scattered back
Tensor upsample_bilinear2d(const Tensor& input, ExpandingArray<2> output_size, bool align_corners,
                           std::optional<double> scales_h, std::optional<double> scales_w) {
    auto r = start_upsample("upsample_bilinear2d", "upsample_bilinear2d_backward",
                            "grad_x = grad_out scattered back with the interpolation weights",
                            input, output_size);
    detail::dispatch_floating(input.dtype(), [&](auto zero) {
        using T = decltype(zero);
        r->h = linear_taps<T>(input.size(-2), output_size[0], align_corners, scales_h);
        r->w = linear_taps<T>(input.size(-1), output_size[1], align_corners, scales_w);
    });
    return detail::resample(r, input);
}

// ---- pixel shuffle --------------------------------------------------------------------------

namespace {
Tensor shuffle(const char* op, const Tensor& input_in, int64_t r, bool unshuffle) {
    detail::check_defined(op, input_in);
    detail::check_floating(op, input_in);
    if (input_in.dim() < 3) {
        detail::fail(op, "expected an input of at least 3 dims [..., C, H, W], got shape " +
                             shape_str(input_in.sizes()));
    }
    if (r <= 0) detail::fail(op, "the factor must be positive, got " + std::to_string(r));
    const Tensor input = input_in.contiguous();
    const int64_t c = input.size(-3), h = input.size(-2), w = input.size(-1);
    std::vector<int64_t> out(input.sizes().begin(), input.sizes().end() - 3);
    int64_t c_small, h_small, w_small;  // the channels of the big image, the small image's size
    if (!unshuffle) {
        if (c % (r * r) != 0) {
            detail::fail(op, "the " + std::to_string(c) + " channels of input " +
                                 shape_str(input.sizes()) + " are not divisible by the factor " +
                                 "squared, " + std::to_string(r * r));
        }
        c_small = c / (r * r), h_small = h, w_small = w;
        out.insert(out.end(), {c_small, h * r, w * r});
    } else {
        if (h % r != 0 || w % r != 0) {
            detail::fail(op, "the height and width of input " + shape_str(input.sizes()) +
                                 " are not divisible by the factor " + std::to_string(r));
        }
        c_small = c, h_small = h / r, w_small = w / r;
        out.insert(out.end(), {c * r * r, h / r, w / r});
    }
    Tensor y = detail::make_tensor(out, input.dtype());
    const int64_t n = input.numel() == 0 ? 0 : input.numel() / (c * h * w);
    detail::dispatch_floating(input.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::pixel_shuffle(n, c_small, h_small, w_small, r, unshuffle, input.data_ptr<T>(),
                               y.data_ptr<T>());
    });
    return record(
        op, y, {input},
        [r, unshuffle](const Tensor& g) {
            return Grads{unshuffle ? pixel_shuffle(g, r) : pixel_unshuffle(g, r)};
        },
        unshuffle ? "grad_x = pixel_shuffle(grad_out, r)"
                  : "grad_x = pixel_unshuffle(grad_out, r)");
}
}  // namespace

// y[c, h r + i, w r + j] = x[c r^2 + i r + j, h, w];  grad_x = pixel_unshuffle(grad_out, r)
Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor) {
    return shuffle("pixel_shuffle", input, upscale_factor, false);
}

// the inverse permutation;  grad_x = pixel_shuffle(grad_out, r)
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor) {
    return shuffle("pixel_unshuffle", input, downscale_factor, true);
}

}  // namespace tapegrad
