// Normalisation over the channels of images: batch_norm as one fused op (statistics, affine and
// a two-pass backward), and instance_norm and group_norm as batch_norm over a reshaped input.

#include <cmath>
#include <memory>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/kernels/conv_norm.hpp"
#include "autograd/ops_conv.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// Every dim but 1, and [1, C, 1, ...]: the reduced dims and the shape of per-channel values.
std::vector<int64_t> stat_dims(const Tensor& x) {
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    return dims;
}
std::vector<int64_t> channel_shape(const Tensor& x) {
    std::vector<int64_t> s(static_cast<size_t>(x.dim()), 1);
    s[1] = x.size(1);
    return s;
}

void check_channel_vector(const char* op, const char* what, const Tensor& t, const Tensor& x) {
    if (!t.defined()) return;
    if (t.dim() != 1 || t.size(0) != x.size(1) || t.dtype() != x.dtype()) {
        detail::fail(op, std::string(what) + " of shape " + shape_str(t.sizes()) + " and dtype " +
                             to_string(t.dtype()) + " does not fit input of shape " +
                             shape_str(x.sizes()) + " and dtype " + to_string(x.dtype()) +
                             " (expected [" + std::to_string(x.size(1)) + "])");
    }
}

// The training-mode backward in tapegrad ops, so that it can be differentiated again:
//   grad_x = invstd (w g - mean(w g) - xhat mean(w g xhat)),  grad_w = sum(g xhat), grad_b = sum(g)
Grads composed_backward(const Tensor& x, const Tensor& w, bool need_b, double eps,
                        const Tensor& g) {
    const std::vector<int64_t> dims = stat_dims(x), shape = channel_shape(x);
    const Tensor centered = x - x.mean(dims, true);
    const Tensor invstd = 1.0 / (centered.square().mean(dims, true) + eps).sqrt();
    const Tensor xhat = centered * invstd;
    const Tensor gxhat = w.defined() ? g * w.reshape(shape) : g;
    Tensor gx, gw, gb;
    if (x.requires_grad()) {
        gx = invstd * (gxhat - gxhat.mean(dims, true) - xhat * (gxhat * xhat).mean(dims, true));
    }
    if (w.defined() && w.requires_grad()) gw = (g * xhat).sum(dims);
    if (need_b) gb = g.sum(dims);
    return Grads{gx, gw, gb};
}

// Eval-mode batch norm without a graph: y = x * scale + shift per channel, scale = w /
// sqrt(running_var + eps), shift = b - running_mean * scale.
Tensor eval_affine(const Tensor& input, const Tensor& weight, const Tensor& bias,
                   const Tensor& running_mean, const Tensor& running_var, double eps) {
    const Tensor x = input.contiguous();
    const int64_t n = x.size(0), c = x.size(1), s = c == 0 || n == 0 ? 0 : x.numel() / (n * c);
    const std::vector<double> rm = running_mean.to_vector<double>();
    const std::vector<double> rv = running_var.to_vector<double>();
    const std::vector<double> w =
        weight.defined() ? weight.to_vector<double>() : std::vector<double>();
    const std::vector<double> b = bias.defined() ? bias.to_vector<double>() : std::vector<double>();
    std::vector<double> scale(static_cast<size_t>(c)), shift(scale.size());
    for (size_t k = 0; k < scale.size(); ++k) {
        scale[k] = (w.empty() ? 1.0 : w[k]) / std::sqrt(rv[k] + eps);
        shift[k] = (b.empty() ? 0.0 : b[k]) - rm[k] * scale[k];
    }
    Tensor y = detail::make_tensor(x.sizes(), x.dtype());
    detail::dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::channel_affine(n, c, s, x.data_ptr<T>(), scale.data(), shift.data(),
                                y.data_ptr<T>());
    });
    return y;
}

// The statistics of one training-mode call, kept for the fused backward.
struct BatchStats {
    std::vector<double> mean, invstd;
};

// The checks batch and instance norm share: an input [N, C, ...] of at least min_dims dims, and
// each per-channel vector that is given of size C.
void check_norm_input(const char* op, const Tensor& input, int64_t min_dims, const Tensor& weight,
                      const Tensor& bias, const Tensor& running_mean, const Tensor& running_var) {
    if (input.dim() < min_dims) {
        detail::fail(op, "expected an input [N, C, ...] of at least " + std::to_string(min_dims) +
                             " dims, got shape " + shape_str(input.sizes()));
    }
    check_channel_vector(op, "weight", weight, input);
    check_channel_vector(op, "bias", bias, input);
    check_channel_vector(op, "running_mean", running_mean, input);
    check_channel_vector(op, "running_var", running_var, input);
}

// check_count: batch norm refuses a single value per channel (its variance is 0); group and
// instance norm accept it, as PyTorch does.
Tensor batch_norm_impl(const char* op, const Tensor& input, const Tensor& weight,
                       const Tensor& bias, const Tensor& running_mean, const Tensor& running_var,
                       bool training, double momentum, double eps, bool check_count) {
    detail::check_defined(op, input);
    detail::check_floating(op, input);
    check_norm_input(op, input, 2, weight, bias, running_mean, running_var);
    if (running_mean.defined() != running_var.defined())
        detail::fail(op, "running_mean and running_var must be both given or both undefined");
    const std::vector<int64_t> shape = channel_shape(input);
    if (!training) {
        if (!running_mean.defined())
            detail::fail(op,
                         "evaluation mode (training = false) needs running_mean and running_var");
        // y = (x - running_mean) / sqrt(running_var + eps) * w + b: from ops when a gradient is
        // wanted (rare in eval mode), else one pass of x * scale + shift
        const bool wants_grad =
            GradMode::is_enabled() &&
            (input.requires_grad() || (weight.defined() && weight.requires_grad()) ||
             (bias.defined() && bias.requires_grad()));
        if (!wants_grad) return eval_affine(input, weight, bias, running_mean, running_var, eps);
        Tensor y =
            (input - running_mean.reshape(shape)) / (running_var.reshape(shape) + eps).sqrt();
        if (weight.defined()) y = y * weight.reshape(shape);
        if (bias.defined()) y = y + bias.reshape(shape);
        return y;
    }
    const Tensor x = input.contiguous();
    const Tensor w = weight.defined() ? weight.contiguous() : weight;
    const Tensor b_in = bias.defined() ? bias.contiguous() : bias;
    const int64_t n = x.size(0), c = x.size(1), s = c == 0 || n == 0 ? 0 : x.numel() / (n * c);
    if (check_count && n * s <= 1) {
        detail::fail(op,
                     "expected more than 1 value per channel when training, got input of "
                     "shape " +
                         shape_str(x.sizes()));
    }
    auto stats = std::make_shared<BatchStats>();
    stats->mean.resize(static_cast<size_t>(c));
    stats->invstd.resize(static_cast<size_t>(c));
    std::vector<double> var(static_cast<size_t>(c)), scale(var.size()), shift(var.size());
    Tensor y = detail::make_tensor(x.sizes(), x.dtype());
    detail::dispatch_floating(x.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data_ptr<T>();
        kernels::channel_stats(n, c, s, px, stats->mean.data(), var.data());
        for (size_t k = 0; k < var.size(); ++k) {
            stats->invstd[k] = 1.0 / std::sqrt(var[k] + eps);
            const double wk = w.defined() ? static_cast<double>(w.data_ptr<T>()[k]) : 1.0;
            const double b = b_in.defined() ? static_cast<double>(b_in.data_ptr<T>()[k]) : 0.0;
            scale[k] = wk * stats->invstd[k];
            shift[k] = b - stats->mean[k] * scale[k];
        }
        kernels::channel_affine(n, c, s, px, scale.data(), shift.data(), y.data_ptr<T>());
    });
    if (running_mean.defined()) {
        // running = (1 - momentum) running + momentum * batch statistic (the variance unbiased)
        NoGradGuard no_grad;
        const double count = static_cast<double>(n * s);
        Tensor batch_mean = detail::make_tensor({c}, running_mean.dtype());
        Tensor batch_var = detail::make_tensor({c}, running_var.dtype());
        detail::dispatch_floating(running_mean.dtype(), [&](auto zero) {
            using T = decltype(zero);
            for (int64_t k = 0; k < c; ++k) {
                batch_mean.data_ptr<T>()[k] = static_cast<T>(stats->mean[k]);
                batch_var.data_ptr<T>()[k] =
                    static_cast<T>(count > 1 ? var[k] * count / (count - 1) : var[k]);
            }
        });
        running_mean.mul_(1.0 - momentum).add_(batch_mean, momentum);
        running_var.mul_(1.0 - momentum).add_(batch_var, momentum);
    }
    return record(
        "batch_norm", y, {x, w, bias},
        [x, w, stats, eps, need_b = bias.defined() && bias.requires_grad()](const Tensor& g_in) {
            if (GradMode::is_enabled()) return composed_backward(x, w, need_b, eps, g_in);
            const Tensor g = g_in.contiguous();
            const int64_t n = x.size(0), c = x.size(1),
                          s = c == 0 || n == 0 ? 0 : x.numel() / (n * c);
            Tensor gx, gw, gb;
            if (x.requires_grad()) gx = detail::make_tensor(x.sizes(), x.dtype());
            if (w.defined() && w.requires_grad()) gw = detail::make_tensor({c}, x.dtype());
            if (need_b) gb = detail::make_tensor({c}, x.dtype());
            detail::dispatch_floating(x.dtype(), [&](auto zero) {
                using T = decltype(zero);
                auto ptr = [](const Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; };
                kernels::batch_norm_backward(n, c, s, x.data_ptr<T>(), g.data_ptr<T>(),
                                             stats->mean.data(), stats->invstd.data(), ptr(w),
                                             ptr(gx), ptr(gw), ptr(gb));
            });
            return Grads{gx, gw, gb};
        },
        "grad_x = w invstd (g - mean(g) - xhat mean(g xhat)), grad_w = sum(g xhat), "
        "grad_b = sum(g)");
}

// [N, C, ...] -> [1, N * groups, rest], so that batch_norm's channels are (sample, group) pairs.
Tensor as_groups(const Tensor& x, int64_t groups) {
    return x.reshape({1, x.size(0) * groups, -1});
}

// y * w + b per channel of [N, C, ...] (no-op for undefined w, b).
Tensor channel_affine_ops(Tensor y, const Tensor& weight, const Tensor& bias) {
    const std::vector<int64_t> shape = channel_shape(y);
    if (weight.defined()) y = y * weight.reshape(shape);
    if (bias.defined()) y = y + bias.reshape(shape);
    return y;
}

}  // namespace

// y = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1); statistics of the batch
// when training, else the running ones
Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps, bool /*cudnn_enabled*/) {
    return batch_norm_impl("batch_norm", input, weight, bias, running_mean, running_var, training,
                           momentum, eps, true);
}

// batch_norm over the (sample, channel) pairs of [N, C, ...]; the running statistics (when
// given) are updated with the batch's mean over samples
Tensor instance_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                     const Tensor& running_mean, const Tensor& running_var, bool use_input_stats,
                     double momentum, double eps, bool /*cudnn_enabled*/) {
    const char* op = "instance_norm";
    detail::check_defined(op, input);
    check_norm_input(op, input, 3, weight, bias, running_mean, running_var);
    const int64_t n = input.size(0), c = input.size(1);
    Tensor rm, rv;  // the running statistics repeated for every sample
    if (running_mean.defined() && running_var.defined()) {
        NoGradGuard no_grad;
        rm = running_mean.unsqueeze(0).expand({n, c}).reshape({n * c}).clone();
        rv = running_var.unsqueeze(0).expand({n, c}).reshape({n * c}).clone();
    }
    Tensor y = batch_norm_impl(op, as_groups(input, c), Tensor(), Tensor(), rm, rv, use_input_stats,
                               momentum, eps, false);
    if (use_input_stats && rm.defined()) {
        NoGradGuard no_grad;
        running_mean.copy_(rm.reshape({n, c}).mean(0));
        running_var.copy_(rv.reshape({n, c}).mean(0));
    }
    return channel_affine_ops(y.reshape(input.sizes()), weight, bias);
}

// batch_norm over (sample, group) pairs: each group of C / num_groups channels of a sample is
// normalised by its own mean and variance; then weight and bias per channel
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps, bool /*cudnn_enabled*/) {
    const char* op = "group_norm";
    detail::check_defined(op, input);
    if (input.dim() < 2) {
        detail::fail(op, "expected an input [N, C, ...] of at least 2 dims, got shape " +
                             shape_str(input.sizes()));
    }
    if (num_groups <= 0 || input.size(1) % num_groups != 0) {
        detail::fail(op, "num_groups " + std::to_string(num_groups) + " must divide the " +
                             std::to_string(input.size(1)) + " channels of input " +
                             shape_str(input.sizes()));
    }
    check_channel_vector(op, "weight", weight, input);
    check_channel_vector(op, "bias", bias, input);
    const Tensor y = batch_norm_impl(op, as_groups(input, num_groups), Tensor(), Tensor(), Tensor(),
                                     Tensor(), true, 0.0, eps, false);
    return channel_affine_ops(y.reshape(input.sizes()), weight, bias);
}

}  // namespace tapegrad
