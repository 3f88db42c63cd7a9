// Pooling: max (with indices), average, adaptive average and max, and max unpooling; 1-d ops
// are the 2-d ones over a height of 1.
//
// Max pooling is gather_planes at the argmax, so its gradient scatters grad_out back to the
// argmax and its second derivative gathers again (ops/resample.hpp). Average pooling is a
// separable linear map (weights 1 / window size), whose gradient is its transpose.

#include <cmath>

#include "autograd/detail.hpp"
#include "autograd/ops/resample.hpp"
#include "autograd/ops_conv.hpp"

namespace tapegrad {

using detail::Grads;
using detail::Pair;
using detail::record;
using kernels::PoolWindows;
using kernels::Taps;

namespace {

std::string pair_str(const Pair& p, int64_t spatial) {
    return spatial == 1 ? "[" + std::to_string(p[1]) + "]" : shape_str({p[0], p[1]});
}

// Checks the input's rank and returns it as [..., H, W] (a 1-d input gains H = 1).
Tensor pool_input(const char* op, const Tensor& input, int64_t spatial) {
    detail::check_defined(op, input);
    detail::check_floating(op, input);
    if (input.dim() != spatial + 1 && input.dim() != spatial + 2) {
        detail::fail(op, "expected a " + std::to_string(spatial + 2) + "-d input " +
                             (spatial == 1 ? "[N, C, L] (or [C, L] unbatched)"
                                           : "[N, C, H, W] (or [C, H, W] unbatched)") +
                             ", got shape " + shape_str(input.sizes()));
    }
    for (int64_t d = input.dim() - spatial; d < input.dim(); ++d) {
        if (input.size(d) <= 0)
            detail::fail(
                op, "expected a non-empty image, got input of shape " + shape_str(input.sizes()));
    }
    return spatial == 1 ? input.unsqueeze(-2) : input;
}

Tensor pool_output(const Tensor& y, int64_t spatial) {
    return spatial == 1 ? y.squeeze(-2) : y;
}

// PyTorch's pooling output size, with ceil_mode's rule that the last window must start inside
// the input or its left padding.
int64_t pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
    const int64_t span = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t out = (span >= 0 ? span / s : -((-span + s - 1) / s)) + 1;
    if (ceil_mode && (out - 1) * s >= in + p) --out;
    return out;
}

// An empty stride means the kernel size, as in LibTorch.
Pair stride_or(const ExpandingArray<2>& stride, const ExpandingArray<2>& kernel) {
    return stride.empty() ? *kernel : *stride;
}

struct PoolArgs {
    Pair kernel, stride, padding, dilation;
    bool ceil_mode = false;
};

// Checks sizes against the input [..., H, W] and returns the output size.
Pair check_pool(const char* op, const Tensor& x, int64_t spatial, PoolArgs& a) {
    for (int i = 2 - spatial; i < 2; ++i) {
        if (a.kernel[i] <= 0 || a.stride[i] <= 0 || a.dilation[i] <= 0 || a.padding[i] < 0) {
            detail::fail(op, "kernel_size " + pair_str(a.kernel, spatial) + ", stride " +
                                 pair_str(a.stride, spatial) + " and dilation " +
                                 pair_str(a.dilation, spatial) + " must be positive, padding " +
                                 pair_str(a.padding, spatial) + " non-negative");
        }
        if (a.padding[i] > a.kernel[i] / 2) {
            detail::fail(op, "padding " + pair_str(a.padding, spatial) +
                                 " must be at most half the kernel size " +
                                 pair_str(a.kernel, spatial));
        }
    }
    Pair out{1, 1};
    for (int i = 2 - spatial; i < 2; ++i) {
        out[i] = pool_out_size(x.size(i - 2), a.kernel[i], a.stride[i], a.padding[i], a.dilation[i],
                               a.ceil_mode);
    }
    if (out[0] <= 0 || out[1] <= 0) {
        detail::fail(op, "the kernel " + pair_str(a.kernel, spatial) + " (dilation " +
                             pair_str(a.dilation, spatial) + ", padding " +
                             pair_str(a.padding, spatial) + ") does not fit the input of shape " +
                             shape_str(x.sizes()) + ": the output would be " +
                             pair_str(out, spatial));
    }
    return out;
}

PoolWindows max_windows(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d) {
    PoolWindows w;
    w.step = d;
    for (int64_t i = 0; i < out; ++i) {
        int64_t start = i * s - p;
        const int64_t end = std::min(start + (k - 1) * d + 1, in);
        while (start < 0) start += d;
        w.start.push_back(start);
        w.end.push_back(end);
    }
    return w;
}

PoolWindows adaptive_windows(int64_t in, int64_t out) {
    PoolWindows w;
    for (int64_t i = 0; i < out; ++i) {
        w.start.push_back(i * in / out);
        w.end.push_back(((i + 1) * in + out - 1) / out);
    }
    return w;
}

// y = max over each window, idx = its position;  grad_x = scatter_add(grad_out, idx)
std::tuple<Tensor, Tensor> max_pool(const char* node, const Tensor& x_in, const PoolWindows& wh,
                                    const PoolWindows& ww) {
    const Tensor x = x_in.contiguous();
    std::vector<int64_t> out(x.sizes().begin(), x.sizes().end() - 2);
    out.push_back(wh.out());
    out.push_back(ww.out());
    Tensor y = detail::make_tensor(out, x.dtype());
    Tensor idx = detail::make_tensor(out, kInt64);
    const int64_t h = x.size(-2), w = x.size(-1);
    detail::dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::max_pool2d(x.numel() / (h * w), h, w, wh, ww, x.data_ptr<T>(), y.data_ptr<T>(),
                            idx.data_ptr<int64_t>());
    });
    y = record(
        node, y, {x},
        [idx, sizes = x.sizes()](const Tensor& g) {
            return Grads{detail::scatter_planes("max_pool2d_backward", g, idx, sizes, true)};
        },
        "grad_x = zeros, then grad_x[argmax] += grad_out");
    return {y, idx};
}

}  // namespace

std::tuple<Tensor, Tensor> detail::max_pool_nd(const char* op, int64_t spatial, const Tensor& input,
                                               Pair kernel, Pair stride, Pair padding,
                                               Pair dilation, bool ceil_mode) {
    PoolArgs a{kernel, stride, padding, dilation, ceil_mode};
    const Tensor x = pool_input(op, input, spatial);
    const Pair out = check_pool(op, x, spatial, a);
    const PoolWindows wh =
        max_windows(x.size(-2), out[0], a.kernel[0], a.stride[0], a.padding[0], a.dilation[0]);
    const PoolWindows ww =
        max_windows(x.size(-1), out[1], a.kernel[1], a.stride[1], a.padding[1], a.dilation[1]);
    auto [y, idx] = max_pool(spatial == 1 ? "max_pool1d" : "max_pool2d", x, wh, ww);
    return {pool_output(y, spatial), pool_output(idx, spatial)};
}

namespace {

// Average pooling's taps along one dim: window [i s - p, i s - p + k) clipped to the input,
// weight 1 / its length (counting the padding when count_include_pad, up to in + p).
Taps avg_taps(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, bool count_pad,
              std::optional<double> override_weight) {
    Taps t;
    t.in = in;
    for (int64_t i = 0; i < out; ++i) {
        int64_t start = i * s - p;
        int64_t end = std::min(start + k, in + p);
        const int64_t padded_len = end - start;
        start = std::max<int64_t>(start, 0);
        end = std::min(end, in);
        const double wgt = override_weight
                               ? *override_weight
                               : 1.0 / static_cast<double>(count_pad ? padded_len : end - start);
        for (int64_t j = start; j < end; ++j) t.add(j, wgt);
        t.next();
    }
    return t;
}

Taps adaptive_taps(int64_t in, int64_t out) {
    const PoolWindows w = adaptive_windows(in, out);
    Taps t;
    t.in = in;
    for (int64_t i = 0; i < out; ++i) {
        for (int64_t j = w.start[i]; j < w.end[i]; ++j)
            t.add(j, 1.0 / static_cast<double>(w.end[i] - w.start[i]));
        t.next();
    }
    return t;
}

Pair adaptive_size(const char* op, int64_t spatial, Pair size) {
    if (spatial == 1) size[0] = 1;
    if (size[0] <= 0 || size[1] <= 0)
        detail::fail(op, "output_size must be positive, got " + pair_str(size, spatial));
    return size;
}

}  // namespace

Tensor max_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, ExpandingArray<2> stride,
                  ExpandingArray<2> padding, ExpandingArray<2> dilation, bool ceil_mode) {
    return std::get<0>(detail::max_pool_nd("max_pool2d", 2, input, *kernel_size,
                                           stride_or(stride, kernel_size), *padding, *dilation,
                                           ceil_mode));
}

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input,
                                                   ExpandingArray<2> kernel_size,
                                                   ExpandingArray<2> stride,
                                                   ExpandingArray<2> padding,
                                                   ExpandingArray<2> dilation, bool ceil_mode) {
    return detail::max_pool_nd("max_pool2d_with_indices", 2, input, *kernel_size,
                               stride_or(stride, kernel_size), *padding, *dilation, ceil_mode);
}

Tensor max_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, ExpandingArray<1> stride,
                  ExpandingArray<1> padding, ExpandingArray<1> dilation, bool ceil_mode) {
    return std::get<0>(
        max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input,
                                                   ExpandingArray<1> kernel_size,
                                                   ExpandingArray<1> stride,
                                                   ExpandingArray<1> padding,
                                                   ExpandingArray<1> dilation, bool ceil_mode) {
    return detail::max_pool_nd("max_pool1d", 1, input, {1, kernel_size[0]},
                               {1, stride.empty() ? kernel_size[0] : stride[0]}, {0, padding[0]},
                               {1, dilation[0]}, ceil_mode);
}

// y = mean over windows (a resampling with weights 1 / divisor);  grad_x = its transpose
Tensor detail::avg_pool_nd(const char* op, int64_t spatial, const Tensor& input, Pair kernel,
                           Pair stride, Pair padding, bool ceil_mode, bool count_include_pad,
                           std::optional<int64_t> divisor_override) {
    PoolArgs a{kernel, stride, padding, {1, 1}, ceil_mode};
    const Tensor x = pool_input(op, input, spatial);
    const Pair out = check_pool(op, x, spatial, a);
    if (divisor_override && *divisor_override == 0)
        detail::fail(op, "divisor_override must be non-zero");
    auto r = std::make_shared<detail::Resampling>();
    r->op = spatial == 1 ? "avg_pool1d" : "avg_pool2d";
    r->adjoint = spatial == 1 ? "avg_pool1d_backward" : "avg_pool2d_backward";
    r->rule = "grad_x = grad_out / divisor spread over each window";
    // a divisor override is one factor: 1 along H, 1 / divisor along W
    std::optional<double> over_h, over_w;
    if (divisor_override) over_h = 1.0, over_w = 1.0 / static_cast<double>(*divisor_override);
    r->h = avg_taps(x.size(-2), out[0], a.kernel[0], a.stride[0], a.padding[0], count_include_pad,
                    over_h);
    r->w = avg_taps(x.size(-1), out[1], a.kernel[1], a.stride[1], a.padding[1], count_include_pad,
                    over_w);
    return pool_output(detail::resample(r, x), spatial);
}

Tensor avg_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, ExpandingArray<2> stride,
                  ExpandingArray<2> padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
    return detail::avg_pool_nd("avg_pool2d", 2, input, *kernel_size, stride_or(stride, kernel_size),
                               *padding, ceil_mode, count_include_pad, divisor_override);
}

Tensor avg_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, ExpandingArray<1> stride,
                  ExpandingArray<1> padding, bool ceil_mode, bool count_include_pad) {
    return detail::avg_pool_nd("avg_pool1d", 1, input, {1, kernel_size[0]},
                               {1, stride.empty() ? kernel_size[0] : stride[0]}, {0, padding[0]},
                               ceil_mode, count_include_pad, std::nullopt);
}

Tensor detail::adaptive_avg_pool_nd(const char* op, int64_t spatial, const Tensor& input,
                                    Pair size) {
    const Tensor x = pool_input(op, input, spatial);
    size = adaptive_size(op, spatial, size);
    auto r = std::make_shared<detail::Resampling>();
    r->op = spatial == 1 ? "adaptive_avg_pool1d" : "adaptive_avg_pool2d";
    r->adjoint = spatial == 1 ? "adaptive_avg_pool1d_backward" : "adaptive_avg_pool2d_backward";
    r->rule = "grad_x = grad_out / window size spread over each window";
    r->h = adaptive_taps(x.size(-2), size[0]);
    r->w = adaptive_taps(x.size(-1), size[1]);
    return pool_output(detail::resample(r, x), spatial);
}

std::tuple<Tensor, Tensor> detail::adaptive_max_pool_nd(const char* op, int64_t spatial,
                                                        const Tensor& input, Pair size) {
    const Tensor x = pool_input(op, input, spatial);
    size = adaptive_size(op, spatial, size);
    auto [y, idx] =
        max_pool(spatial == 1 ? "adaptive_max_pool1d" : "adaptive_max_pool2d", x,
                 adaptive_windows(x.size(-2), size[0]), adaptive_windows(x.size(-1), size[1]));
    return {pool_output(y, spatial), pool_output(idx, spatial)};
}

Tensor adaptive_avg_pool2d(const Tensor& input, ExpandingArray<2> output_size) {
    return detail::adaptive_avg_pool_nd("adaptive_avg_pool2d", 2, input, *output_size);
}
Tensor adaptive_avg_pool1d(const Tensor& input, ExpandingArray<1> output_size) {
    return detail::adaptive_avg_pool_nd("adaptive_avg_pool1d", 1, input, {1, output_size[0]});
}
std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, ExpandingArray<2> output_size) {
    return detail::adaptive_max_pool_nd("adaptive_max_pool2d", 2, input, *output_size);
}
std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, ExpandingArray<1> output_size) {
    return detail::adaptive_max_pool_nd("adaptive_max_pool1d", 1, input, {1, output_size[0]});
}

// y = zeros [.., Ho, Wo]; y[.., idx[k]] = x[.., k];  grad_x = gather(grad_out, idx)
Tensor detail::max_unpool_nd(const char* op, int64_t spatial, const Tensor& input,
                             const Tensor& indices, Pair size) {
    const Tensor x = pool_input(op, input, spatial);
    detail::check_defined(op, indices, "indices");
    if (indices.dtype() != kInt64 || indices.sizes() != input.sizes()) {
        detail::fail(op, "indices must be int64 of the input's shape " + shape_str(input.sizes()) +
                             ", got " + to_string(indices.dtype()) + " of shape " +
                             shape_str(indices.sizes()));
    }
    if (spatial == 1) size[0] = 1;
    if (size[0] <= 0 || size[1] <= 0)
        detail::fail(op, "output_size must be positive, got " + pair_str(size, spatial));
    const Tensor idx = (spatial == 1 ? indices.unsqueeze(-2) : indices).contiguous();
    const int64_t plane = size[0] * size[1];
    const int64_t* p = idx.data_ptr<int64_t>();
    for (int64_t k = 0; k < idx.numel(); ++k) {
        if (p[k] < 0 || p[k] >= plane) {
            detail::fail(op, "index " + std::to_string(p[k]) + " (at flat position " +
                                 std::to_string(k) + ") is outside the output plane " +
                                 pair_str(size, spatial) + " of " + std::to_string(plane) +
                                 " values");
        }
    }
    std::vector<int64_t> out(x.sizes().begin(), x.sizes().end() - 2);
    out.push_back(size[0]);
    out.push_back(size[1]);
    return pool_output(detail::scatter_planes(spatial == 1 ? "max_unpool1d" : "max_unpool2d", x,
                                              idx, out, /*accumulate=*/false),
                       spatial);
}

Tensor max_unpool2d(const Tensor& input, const Tensor& indices, ExpandingArray<2> output_size) {
    return detail::max_unpool_nd("max_unpool2d", 2, input, indices, *output_size);
}
Tensor max_unpool1d(const Tensor& input, const Tensor& indices, ExpandingArray<1> output_size) {
    return detail::max_unpool_nd("max_unpool1d", 1, input, indices, {1, output_size[0]});
}

}  // namespace tapegrad
