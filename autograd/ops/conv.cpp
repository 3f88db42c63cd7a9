// Convolutions and transposed convolutions, 1-d and 2-d.
//
// A convolution is bilinear in its input x and weight w. With g the gradient of its output,
// the three maps of the form <conv(x, w), g> = <x, conv^T(g, w)> = <w, conv_w(x, g)> are each
// other's gradients, so three recorded ops close under differentiation to every order:
//   conv2d            y  = conv(x, w)     grad_x = conv^T(g, w),   grad_w = conv_w(x, g)
//   conv_transpose2d  z  = conv^T(u, w)   grad_u = conv(g, w),     grad_w = conv_w(g, u)
//   conv2d_weight_grad v = conv_w(x, u)   grad_x = conv^T(u, g),   grad_u = conv(x, g)
// A 1-d op is the 2-d op over a height of 1.

#include "autograd/kernels/conv.hpp"

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/kernels/conv_norm.hpp"
#include "autograd/ops_conv.hpp"

namespace tapegrad {

using detail::Grads;
using detail::Pair;
using detail::record;
using kernels::ConvGeometry;

namespace {

// The bias gradient: sum of the output gradient over the batch and every pixel; one pass of a
// kernel unless the backward is being recorded (create_graph), where sum's own node is needed.
Tensor bias_grad(const Tensor& grad_out_in) {
    if (GradMode::is_enabled()) return grad_out_in.sum({0, 2, 3});
    const Tensor g = grad_out_in.contiguous();
    const int64_t n = g.size(0), c = g.size(1), s = g.size(2) * g.size(3);
    Tensor gb = detail::make_tensor({c}, g.dtype());
    detail::dispatch_floating(g.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::channel_sum(n, c, s, g.data_ptr<T>(), gb.data_ptr<T>());
    });
    return gb;
}

Tensor conv_op(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b);
Tensor conv_transpose_op(const ConvGeometry& g, const Tensor& u, const Tensor& w, const Tensor& b);
Tensor conv_weight_op(const ConvGeometry& g, const Tensor& x, const Tensor& u);

// conv2d and conv_transpose2d: out = kernel(in, w) + b (b may be undefined) on contiguous
// operands, recorded with grad_in = input_grad(grad_out, w), grad_w = weight_grad(grad_out, in)
// and grad_b = sum(grad_out), each computed only where an input needs it.
template <class Kernel, class InputGrad, class WeightGrad>
Tensor biased_conv(const char* op, const std::vector<int64_t>& sizes, const Tensor& in_in,
                   const Tensor& w_in, const Tensor& b_in, Kernel kernel, InputGrad input_grad,
                   WeightGrad weight_grad, const char* rule) {
    const Tensor in = in_in.contiguous(), w = w_in.contiguous();
    const Tensor b = b_in.defined() ? b_in.contiguous() : b_in;
    Tensor out = detail::make_tensor(sizes, in.dtype());
    detail::dispatch_floating(in.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernel(in.data_ptr<T>(), w.data_ptr<T>(), b.defined() ? b.data_ptr<T>() : nullptr,
               out.data_ptr<T>());
    });
    return record(
        op, out, {in, w, b},
        [in, w, need_b = b.defined() && b.requires_grad(), input_grad,
         weight_grad](const Tensor& grad_out) {
            Tensor grad_in, grad_w, grad_b;
            if (in.requires_grad()) grad_in = input_grad(grad_out, w);
            if (w.requires_grad()) grad_w = weight_grad(grad_out, in);
            if (need_b) grad_b = bias_grad(grad_out);
            return Grads{grad_in, grad_w, grad_b};
        },
        rule);
}

// y = conv(x, w) + b        x: [N, C, H, W], w: [O, C/G, kH, kW] -> y: [N, O, Ho, Wo]
// grad_x = conv_transpose(grad_out, w), grad_w = conv_w(x, grad_out), grad_b = sum(grad_out)
Tensor conv_op(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b) {
    return biased_conv(
        "conv2d", {g.n, g.c_out, g.ho, g.wo}, x, w, b,
        [&g](auto... args) { kernels::conv2d_forward(g, args...); },
        [g](const Tensor& grad_out, const Tensor& w) {
            return conv_transpose_op(g, grad_out, w, Tensor());
        },
        [g](const Tensor& grad_out, const Tensor& x) { return conv_weight_op(g, x, grad_out); },
        "grad_x = conv_transpose2d(grad_out, w), grad_w = conv2d_weight_grad(x, "
        "grad_out), grad_b = sum(grad_out, {0, 2, 3})");
}

// z = conv^T(u, w) + b      u: [N, O, Ho, Wo], w: [O, C/G, kH, kW] -> z: [N, C, H, W]
// grad_u = conv(grad_out, w), grad_w = conv_w(grad_out, u), grad_b = sum(grad_out)
Tensor conv_transpose_op(const ConvGeometry& g, const Tensor& u, const Tensor& w, const Tensor& b) {
    return biased_conv(
        "conv_transpose2d", {g.n, g.c_in, g.h, g.w}, u, w, b,
        [&g](auto... args) { kernels::conv2d_input_grad(g, args...); },
        [g](const Tensor& grad_out, const Tensor& w) { return conv_op(g, grad_out, w, Tensor()); },
        [g](const Tensor& grad_out, const Tensor& u) { return conv_weight_op(g, grad_out, u); },
        "grad_u = conv2d(grad_out, w), grad_w = conv2d_weight_grad(grad_out, u), "
        "grad_b = sum(grad_out, {0, 2, 3})");
}

// v = conv_w(x, u) = sum_n u_n (x) cols(x_n)     x: [N, C, H, W], u: [N, O, Ho, Wo] -> v: w's shape
// grad_x = conv_transpose(u, grad_out), grad_u = conv(x, grad_out)
Tensor conv_weight_op(const ConvGeometry& g, const Tensor& x_in, const Tensor& u_in) {
    const Tensor x = x_in.contiguous(), u = u_in.contiguous();
    Tensor v = detail::make_tensor({g.c_out, g.cin_g(), g.kh, g.kw}, x.dtype());
    detail::dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::conv2d_weight_grad(g, x.data_ptr<T>(), u.data_ptr<T>(), v.data_ptr<T>());
    });
    return record(
        "conv2d_weight_grad", v, {x, u},
        [g, x, u](const Tensor& grad_out) {
            Tensor gx, gu;
            if (x.requires_grad()) gx = conv_transpose_op(g, u, grad_out, Tensor());
            if (u.requires_grad()) gu = conv_op(g, x, grad_out, Tensor());
            return Grads{gx, gu};
        },
        "grad_x = conv_transpose2d(u, grad_out), grad_u = conv2d(x, grad_out)");
}

// ---- argument checks ----------------------------------------------------------------------

// "[3, 5]" for a 2-d op, "[5]" for a 1-d one (the pair's second entry).
std::string pair_str(const Pair& p, int64_t spatial) {
    return spatial == 1 ? "[" + std::to_string(p[1]) + "]" : shape_str({p[0], p[1]});
}

void check_tensors(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias) {
    detail::check_defined(op, input, "input");
    detail::check_defined(op, weight, "weight");
    detail::check_floating(op, input);
    if (weight.dtype() != input.dtype() || (bias.defined() && bias.dtype() != input.dtype())) {
        detail::fail(op, std::string("dtypes differ: input is ") + to_string(input.dtype()) +
                             ", weight is " + to_string(weight.dtype()) +
                             (bias.defined() ? std::string(", bias is ") + to_string(bias.dtype())
                                             : std::string()));
    }
}

void check_rank(const char* op, int64_t spatial, const Tensor& input, const Tensor& weight) {
    if (input.dim() != spatial + 1 && input.dim() != spatial + 2) {
        detail::fail(op, "expected a " + std::to_string(spatial + 2) + "-d input " +
                             (spatial == 1 ? "[N, C, L] (or [C, L] unbatched)"
                                           : "[N, C, H, W] (or [C, H, W] unbatched)") +
                             ", got shape " + shape_str(input.sizes()));
    }
    if (weight.dim() != spatial + 2) {
        detail::fail(op, "expected a " + std::to_string(spatial + 2) + "-d weight, got shape " +
                             shape_str(weight.sizes()));
    }
}

void check_positive(const char* op, const char* what, const Pair& p, int64_t spatial, int64_t min) {
    if (p[0] < min || p[1] < min) {
        detail::fail(op, std::string(what) + " must be " + (min > 0 ? "positive" : "non-negative") +
                             ", got " + pair_str(p, spatial));
    }
}

void check_bias(const char* op, const Tensor& bias, int64_t channels, const Tensor& weight) {
    if (bias.defined() && (bias.dim() != 1 || bias.size(0) != channels)) {
        detail::fail(op, "bias of shape " + shape_str(bias.sizes()) + " does not fit weight " +
                             shape_str(weight.sizes()) + " (expected [" + std::to_string(channels) +
                             "])");
    }
}

// [N, C, H, W] from a batched or unbatched 1-d or 2-d input (a view).
Tensor as_4d(const Tensor& t, int64_t spatial) {
    Tensor r = t.dim() == spatial + 1 ? t.unsqueeze(0) : t;
    return spatial == 1 ? r.unsqueeze(2) : r;
}
// The inverse of as_4d for the output.
Tensor from_4d(const Tensor& t, int64_t spatial, bool batched) {
    Tensor r = spatial == 1 ? t.squeeze(2) : t;
    return batched ? r : r.squeeze(0);
}

}  // namespace

namespace detail {

Tensor convolution(const char* op, int64_t spatial, const Tensor& input, const Tensor& weight,
                   const Tensor& bias, Pair stride, ConvPadding<2> padding, Pair dilation,
                   int64_t groups) {
    check_tensors(op, input, weight, bias);
    check_rank(op, spatial, input, weight);
    check_positive(op, "stride", stride, spatial, 1);
    check_positive(op, "dilation", dilation, spatial, 1);
    const bool batched = input.dim() == spatial + 2;
    const int64_t c_out = weight.size(0), cin_g = weight.size(1);
    const int64_t c_in = input.size(batched ? 1 : 0);
    if (groups <= 0 || c_out % groups != 0) {
        fail(op, "groups " + std::to_string(groups) + " must be positive and divide the " +
                     std::to_string(c_out) + " output channels of weight " +
                     shape_str(weight.sizes()));
    }
    if (c_in != cin_g * groups) {
        fail(op, "expected input with " + std::to_string(cin_g * groups) + " channels (weight " +
                     shape_str(weight.sizes()) + ", groups " + std::to_string(groups) +
                     "), got input of shape " + shape_str(input.sizes()));
    }
    check_bias(op, bias, c_out, weight);
    const Pair kernel{spatial == 1 ? 1 : weight.size(2), weight.size(-1)};
    Tensor x = as_4d(input, spatial);
    Pair pad{0, 0};
    if (padding.is_named() && padding.kind() == kSame) {
        if (stride[0] != 1 || stride[1] != 1)
            fail(op, "padding kSame needs stride 1, got stride " + pair_str(stride, spatial));
        // total d (k - 1) per dim; an odd total puts the extra pixel on the right/bottom, as
        // PyTorch
        Pair extra{0, 0};
        for (int i = 0; i < 2; ++i) {
            const int64_t total = dilation[i] * (kernel[i] - 1);
            pad[i] = total / 2;
            extra[i] = total - 2 * pad[i];
        }
        if (extra[0] || extra[1]) x = tapegrad::pad(x, {0, extra[1], 0, extra[0]});
    } else if (!padding.is_named()) {
        pad = *padding.sizes();
        if (spatial == 1) pad[0] = 0;
        check_positive(op, "padding", pad, spatial, 0);
    }
    ConvGeometry g;
    g.n = x.size(0), g.c_in = c_in, g.h = x.size(2), g.w = x.size(3);
    g.c_out = c_out, g.kh = kernel[0], g.kw = kernel[1];
    g.sh = stride[0], g.sw = stride[1], g.ph = pad[0], g.pw = pad[1];
    g.dh = dilation[0], g.dw = dilation[1], g.groups = groups;
    const Pair padded{g.h + 2 * g.ph, g.w + 2 * g.pw};
    const Pair span{g.dh * (g.kh - 1) + 1, g.dw * (g.kw - 1) + 1};
    if (span[0] > padded[0] || span[1] > padded[1]) {
        fail(op, "kernel of size " + pair_str(span, spatial) + " (dilation included) is larger " +
                     "than the padded input " + pair_str(padded, spatial) + " (input shape " +
                     shape_str(input.sizes()) + ", padding " + pair_str(pad, spatial) + ")");
    }
    g.ho = kernels::conv_out_size(g.h, g.kh, g.sh, g.ph, g.dh);
    g.wo = kernels::conv_out_size(g.w, g.kw, g.sw, g.pw, g.dw);
    const Tensor w4 = spatial == 1 ? weight.unsqueeze(2) : weight;
    return from_4d(conv_op(g, x, w4, bias), spatial, batched);
}

Tensor convolution_transpose(const char* op, int64_t spatial, const Tensor& input,
                             const Tensor& weight, const Tensor& bias, Pair stride, Pair padding,
                             Pair output_padding, int64_t groups, Pair dilation) {
    check_tensors(op, input, weight, bias);
    check_rank(op, spatial, input, weight);
    check_positive(op, "stride", stride, spatial, 1);
    check_positive(op, "dilation", dilation, spatial, 1);
    if (spatial == 1) padding[0] = output_padding[0] = 0;
    check_positive(op, "padding", padding, spatial, 0);
    check_positive(op, "output_padding", output_padding, spatial, 0);
    const bool batched = input.dim() == spatial + 2;
    const int64_t c_in = input.size(batched ? 1 : 0);
    if (groups <= 0 || weight.size(0) % groups != 0) {
        fail(op, "groups " + std::to_string(groups) + " must be positive and divide the " +
                     std::to_string(weight.size(0)) + " input channels of weight " +
                     shape_str(weight.sizes()));
    }
    if (c_in != weight.size(0)) {
        fail(op, "expected input with " + std::to_string(weight.size(0)) + " channels (weight " +
                     shape_str(weight.sizes()) + "), got input of shape " +
                     shape_str(input.sizes()));
    }
    const int64_t c_out = weight.size(1) * groups;
    check_bias(op, bias, c_out, weight);
    for (int i = 0; i < 2; ++i) {
        if (output_padding[i] >= stride[i] && output_padding[i] >= dilation[i]) {
            fail(op, "output_padding " + pair_str(output_padding, spatial) +
                         " must be smaller than the stride " + pair_str(stride, spatial) +
                         " or the dilation " + pair_str(dilation, spatial));
        }
    }
    const Tensor x = as_4d(input, spatial);
    const Tensor w4 = spatial == 1 ? weight.unsqueeze(2) : weight;
    // the geometry of the convolution this op is the adjoint of: its input is our output
    ConvGeometry g;
    g.n = x.size(0), g.c_in = c_out, g.c_out = c_in, g.kh = w4.size(2), g.kw = w4.size(3);
    g.sh = stride[0], g.sw = stride[1], g.ph = padding[0], g.pw = padding[1];
    g.dh = dilation[0], g.dw = dilation[1], g.groups = groups;
    g.ho = x.size(2), g.wo = x.size(3);
    g.h = (g.ho - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + output_padding[0] + 1;
    g.w = (g.wo - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + output_padding[1] + 1;
    if (g.h <= 0 || g.w <= 0) {
        fail(op, "the output would be empty: input " + shape_str(input.sizes()) + ", kernel " +
                     pair_str({g.kh, g.kw}, spatial) + ", padding " + pair_str(padding, spatial) +
                     " give output size " + pair_str({g.h, g.w}, spatial));
    }
    return from_4d(conv_transpose_op(g, x, w4, bias), spatial, batched);
}

}  // namespace detail

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              ExpandingArray<2> stride, ConvPadding<2> padding, ExpandingArray<2> dilation,
              int64_t groups) {
    return detail::convolution("conv2d", 2, input, weight, bias, *stride, padding, *dilation,
                               groups);
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              ExpandingArray<1> stride, ConvPadding<1> padding, ExpandingArray<1> dilation,
              int64_t groups) {
    const ConvPadding<2> pad2 = padding.is_named() ? ConvPadding<2>(padding.kind())
                                                   : ConvPadding<2>({0, padding.sizes()[0]});
    return detail::convolution("conv1d", 1, input, weight, bias, {1, stride[0]}, pad2,
                               {1, dilation[0]}, groups);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        ExpandingArray<2> stride, ExpandingArray<2> padding,
                        ExpandingArray<2> output_padding, int64_t groups,
                        ExpandingArray<2> dilation) {
    return detail::convolution_transpose("conv_transpose2d", 2, input, weight, bias, *stride,
                                         *padding, *output_padding, groups, *dilation);
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        ExpandingArray<1> stride, ExpandingArray<1> padding,
                        ExpandingArray<1> output_padding, int64_t groups,
                        ExpandingArray<1> dilation) {
    return detail::convolution_transpose("conv_transpose1d", 1, input, weight, bias, {1, stride[0]},
                                         {0, padding[0]}, {0, output_padding[0]}, groups,
                                         {1, dilation[0]});
}

}  // namespace tapegrad
