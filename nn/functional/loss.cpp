#include "nn/functional/loss.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "autograd/detail.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "nn/functional/loss_util.hpp"

namespace tapegrad {
namespace nn {

namespace detail {

Tensor reduce_loss(const Tensor& loss, Reduction reduction) {
    switch (reduction) {
        case Reduction::None:
            return loss;
        case Reduction::Sum:
            return loss.sum();
        default:
            return loss.mean();
    }
}

void check_loss_shapes(const char* op, const Tensor& input, const Tensor& target) {
    tapegrad::detail::check_defined(op, input, "input");
    tapegrad::detail::check_defined(op, target, "target");
    tapegrad::detail::check_floating(op, input);
    if (input.sizes() != target.sizes()) {
        tapegrad::detail::fail(op, "target shape " + shape_str(target.sizes()) +
                                       " differs from input shape " + shape_str(input.sizes()));
    }
}

bool broadcasts_to(const std::vector<int64_t>& from, const std::vector<int64_t>& to) {
    if (from.size() > to.size()) return false;
    for (size_t i = 1; i <= from.size(); ++i) {
        const int64_t f = from[from.size() - i];
        if (f != 1 && f != to[to.size() - i]) return false;
    }
    return true;
}

void check_weight(const char* op, const char* what, const Tensor& weight,
                  const std::vector<int64_t>& shape) {
    if (weight.defined() && !broadcasts_to(weight.sizes(), shape)) {
        tapegrad::detail::fail(op, std::string(what) + " of shape " + shape_str(weight.sizes()) +
                                       " does not broadcast to the input's shape " +
                                       shape_str(shape));
    }
}

void check_option(const char* op, const char* what, double value, bool ok,
                  const char* requirement) {
    if (!ok || std::isnan(value)) {
        std::ostringstream msg;
        msg << what << " must be " << requirement << ", got " << value;
        tapegrad::detail::fail(op, msg.str());
    }
}

// log(1 + exp(x)) = logsumexp([0, x]): no overflow for large x, no log(0) for very negative x.
Tensor softplus(const Tensor& x) {
    return logsumexp(stack({zeros_like(x), x}, 0), 0);
}

}  // namespace detail

namespace functional {

using tapegrad::detail::fail;

namespace {

// A tensor of `sizes` in dtype `dt` whose flat element i is fill(i).
template <class Fill>
Tensor filled(const std::vector<int64_t>& sizes, ScalarType dt, Fill&& fill) {
    Tensor t = empty(sizes, dt);
    tapegrad::detail::dispatch_floating(dt, [&](auto zero) {
        using T = decltype(zero);
        T* p = t.data_ptr<T>();
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(fill(i));
    });
    return t;
}

// What nll_loss and cross_entropy learn from their class targets: per sample the class to
// pick (0 for ignored samples), whether it is ignored, and its class weight.
struct ClassTargets {
    int64_t n = 0, classes = 0;
    std::vector<int64_t> index;
    std::vector<char> ignored;
    std::vector<double> row_weight;    // weight[target], 0 when ignored
    std::vector<double> class_weight;  // weight, or ones
    double total_weight = 0;           // the kMean denominator
};

ClassTargets check_class_targets(const char* op, const Tensor& input, const Tensor& target,
                                 const Tensor& weight, int64_t ignore_index) {
    tapegrad::detail::check_defined(op, input, "input");
    tapegrad::detail::check_defined(op, target, "target");
    tapegrad::detail::check_floating(op, input);
    if (input.dim() != 2) {
        fail(op, "expected input of shape [batch, classes], got " + shape_str(input.sizes()));
    }
    if (target.dtype() != kInt64) {
        fail(op, std::string("class targets must be int64, got ") + to_string(target.dtype()));
    }
    ClassTargets ct;
    ct.n = input.size(0);
    ct.classes = input.size(1);
    if (target.sizes() != std::vector<int64_t>{ct.n}) {
        fail(op, "target has shape " + shape_str(target.sizes()) + ", expected [" +
                     std::to_string(ct.n) + "] for input of shape " + shape_str(input.sizes()));
    }
    ct.class_weight.assign(static_cast<size_t>(ct.classes), 1.0);
    if (weight.defined()) {
        if (weight.sizes() != std::vector<int64_t>{ct.classes}) {
            fail(op, "weight has shape " + shape_str(weight.sizes()) + ", expected [" +
                         std::to_string(ct.classes) + "] (one per class)");
        }
        ct.class_weight = weight.to_vector<double>();
    }
    const Tensor target_data = target.contiguous();
    const int64_t* t = target_data.data_ptr<int64_t>();
    ct.index.resize(static_cast<size_t>(ct.n));
    ct.ignored.resize(static_cast<size_t>(ct.n));
    ct.row_weight.resize(static_cast<size_t>(ct.n));
    for (int64_t i = 0; i < ct.n; ++i) {
        const size_t k = static_cast<size_t>(i);
        if (t[i] == ignore_index) {
            ct.index[k] = 0;
            ct.ignored[k] = 1;
            ct.row_weight[k] = 0;
            continue;
        }
        if (t[i] < 0 || t[i] >= ct.classes) {
            fail(op, "target " + std::to_string(t[i]) + " is out of range for " +
                         std::to_string(ct.classes) + " classes (batch index " + std::to_string(i) +
                         ")");
        }
        ct.index[k] = t[i];
        ct.row_weight[k] = ct.class_weight[static_cast<size_t>(t[i])];
        ct.total_weight += ct.row_weight[k];
    }
    return ct;
}

}  // namespace

// loss = (input - target)^2
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
    check_loss_shapes("mse_loss", input, target);
    return reduce_loss((input - target).square(), options.reduction());
}

// loss = |input - target|
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options) {
    check_loss_shapes("l1_loss", input, target);
    return reduce_loss((input - target).abs(), options.reduction());
}

namespace {
// loss = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100))      (element-wise, fused)
// grad_x = grad_out (x - t) / max(x (1 - x), 1e-12)
// grad_t = grad_out (max(log(1 - x), -100) - max(log x, -100))
// Composing log and clamp would give 0 * inf = NaN gradients where a sigmoid saturates to
// exactly 0 or 1; PyTorch's fused rule stays finite there. Input and target have one shape.
Tensor bce(const Tensor& input, const Tensor& target, const BCELossOptions& options) {
    const char* op = "binary_cross_entropy";
    detail::check_weight(op, "weight", options.weight(), input.sizes());
    const Tensor t = target.dtype() == input.dtype() ? target : target.to(input.dtype());
    const Tensor xs = input.contiguous(), ts = t.contiguous();
    Tensor loss = empty(input.sizes(), input.dtype());
    tapegrad::detail::dispatch_floating(input.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* x = xs.data_ptr<T>();
        const T* y = ts.data_ptr<T>();
        T* out = loss.data_ptr<T>();
        for (int64_t i = 0; i < input.numel(); ++i) {
            if (!(x[i] >= 0 && x[i] <= 1)) {
                std::ostringstream msg;
                msg << "input " << x[i] << " at flat index " << i
                    << " is outside [0, 1] (pass probabilities, or use "
                       "binary_cross_entropy_with_logits on logits)";
                fail(op, msg.str());
            }
            const double log_x = std::max(std::log(static_cast<double>(x[i])), -100.0);
            const double log_1mx = std::max(std::log1p(-static_cast<double>(x[i])), -100.0);
            out[i] = static_cast<T>(-(y[i] * log_x + (1 - y[i]) * log_1mx));
        }
    });
    loss = autograd::record(
        op, loss, {input, t},
        [input, t](const Tensor& grad_out) {
            Tensor grad_x = grad_out * (input - t) / (input * (1.0 - input)).clamp_min(1e-12);
            Tensor grad_t;
            if (t.requires_grad()) {
                grad_t = grad_out *
                         ((1.0 - input).log().clamp_min(-100.0) - input.log().clamp_min(-100.0));
            }
            return autograd::Grads{grad_x, grad_t};
        },
        "grad_x = grad_out (x - t) / max(x (1 - x), 1e-12); grad_t = grad_out (log(1-x) - log x)");
    if (options.weight().defined()) loss = loss * options.weight();
    return reduce_loss(loss, options.reduction());
}
}  // namespace

// LibTorch's functional (and BCELoss) refuse a target of another size with this message; the
// ATen function at the top level accepts size-1 dims (below).
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyFuncOptions& options) {
    const char* op = "binary_cross_entropy";
    tapegrad::detail::check_defined(op, input, "input");
    tapegrad::detail::check_defined(op, target, "target");
    tapegrad::detail::check_floating(op, input);
    if (target.sizes() != input.sizes()) {
        fail(op, "Using a target size (" + shape_str(target.sizes()) +
                     ") that is different to the input size (" + shape_str(input.sizes()) +
                     ") is deprecated. Please ensure they have the same size.");
    }
    return bce(input, target, options);
}

// loss = (1 - t) x + (1 + (pos_weight - 1) t) log(1 + exp(-x)), with log(1 + exp(-x)) as
// logsumexp([0, -x]): stable for large |x|, and smooth at x = 0 (unlike relu/abs forms).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options) {
    const char* op = "binary_cross_entropy_with_logits";
    check_loss_shapes(op, input, target);
    detail::check_weight(op, "weight", options.weight(), input.sizes());
    detail::check_weight(op, "pos_weight", options.pos_weight(), input.sizes());
    const Tensor t = target.dtype() == input.dtype() ? target : target.to(input.dtype());
    Tensor softplus_neg = detail::softplus(-input);
    Tensor loss;
    if (options.pos_weight().defined()) {
        loss = (1.0 - t) * input + (1.0 + (options.pos_weight() - 1.0) * t) * softplus_neg;
    } else {
        loss = (1.0 - t) * input + softplus_neg;
    }
    if (options.weight().defined()) loss = loss * options.weight();
    return reduce_loss(loss, options.reduction());
}

// loss_i = -w[t_i] input[i, t_i]; kMean divides by the sum of w[t_i] over counted samples.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
    const ClassTargets ct =
        check_class_targets("nll_loss", input, target, options.weight(), options.ignore_index());
    Tensor index = from_blob(ct.index.data(), {ct.n, 1}, kInt64);
    Tensor picked = gather(input, 1, index).squeeze(1);
    Tensor w = filled({ct.n}, input.dtype(), [&](int64_t i) { return ct.row_weight[size_t(i)]; });
    Tensor loss = -(picked * w);
    switch (options.reduction()) {
        case Reduction::None:
            return loss;
        case Reduction::Sum:
            return loss.sum();
        default:
            return loss.sum() / ct.total_weight;
    }
}

namespace {
// cross_entropy with class probabilities [N, C] as targets: -sum_c w_c t_c log_softmax(x)_c.
Tensor cross_entropy_probabilities(const Tensor& input, const Tensor& target,
                                   const CrossEntropyFuncOptions& options) {
    const char* op = "cross_entropy";
    if (input.dim() != 2) {
        fail(op, "expected input of shape [batch, classes], got " + shape_str(input.sizes()));
    }
    if (target.sizes() != input.sizes()) {
        // float labels [N] are a common slip: they were meant as class indices
        const bool labels = target.dim() == 1 && target.size(0) == input.size(0);
        fail(op, "probability targets have shape " + shape_str(target.sizes()) +
                     ", expected the input's shape " + shape_str(input.sizes()) +
                     (labels ? std::string("; class indices must be int64 (.to(kInt64))") : ""));
    }
    Tensor t = target.dtype() == input.dtype() ? target : target.to(input.dtype());
    const double s = options.label_smoothing();
    if (s > 0) t = t * (1.0 - s) + s / static_cast<double>(input.size(1));
    Tensor prod = t * log_softmax(input, 1);
    if (options.weight().defined()) prod = prod * options.weight();
    return reduce_loss(-prod.sum(1), options.reduction());
}
}  // namespace

// With class targets, one fused op. For row i with target t, p = softmax(x_i), s = label
// smoothing, w the class weights (ones by default), W = sum_c w_c, lse_i = logsumexp(x_i):
//   nll_i = w_t (lse_i - x_it),  smooth_i = sum_c w_c (lse_i - x_ic)
//   loss = (1 - s) sum_i nll_i / D_nll + s / C sum_i smooth_i / D_smooth
// with, for kMean, D_nll = sum of w_t over counted rows and D_smooth the same with weights but
// N without (PyTorch's rule); both are 1 for kSum, and kNone keeps the rows. Ignored rows give 0.
//   grad_x_ic = g (A_i p_ic - B_ic),  A_i = (1 - s) w_t / D_nll + s W / (C D_smooth),
//                                     B_ic = (1 - s) w_t [c == t] / D_nll + s w_c / (C D_smooth)
// which is (p - one_hot) / N for the plain mean. The backward is written with ops (softmax,
// mul, sub), so it is itself differentiable.
Tensor cross_entropy(const Tensor& input, const Tensor& target,
                     const CrossEntropyFuncOptions& options) {
    const char* op = "cross_entropy";
    const double s = options.label_smoothing();
    if (!(s >= 0.0 && s <= 1.0)) {
        std::ostringstream msg;
        msg << "label_smoothing must be in [0, 1], got " << s;
        fail(op, msg.str());
    }
    tapegrad::detail::check_defined(op, target, "target");
    if (target.is_floating_point()) return cross_entropy_probabilities(input, target, options);

    auto ct = std::make_shared<ClassTargets>(
        check_class_targets(op, input, target, options.weight(), options.ignore_index()));
    const int64_t n = ct->n, c = ct->classes;
    const double smooth = s / static_cast<double>(c);
    const Reduction reduction = options.reduction();
    double weight_sum = 0;
    for (double w : ct->class_weight) weight_sum += w;
    double nll_scale = 1, smooth_scale = 1;
    if (reduction == Reduction::Mean) {
        nll_scale = 1.0 / ct->total_weight;
        smooth_scale = options.weight().defined() ? nll_scale : 1.0 / static_cast<double>(n);
    }

    Tensor losses = empty({n}, input.dtype());
    double nll_sum = 0, smooth_sum = 0;
    const Tensor xs = input.contiguous();
    tapegrad::detail::dispatch_floating(input.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* x = xs.data_ptr<T>();
        T* out = losses.data_ptr<T>();
        for (int64_t i = 0; i < n; ++i) {
            const size_t k = static_cast<size_t>(i);
            if (ct->ignored[k]) {
                out[i] = 0;
                continue;
            }
            const T* row = x + i * c;
            // subtract the row max first: exp() of a large logit overflows
            double m = row[0];
            for (int64_t j = 1; j < c; ++j) m = std::max(m, static_cast<double>(row[j]));
            double sum_exp = 0;
            for (int64_t j = 0; j < c; ++j) sum_exp += std::exp(static_cast<double>(row[j]) - m);
            const double lse = m + std::log(sum_exp);
            const double nll = ct->row_weight[k] * (lse - row[ct->index[k]]);
            double smooth_i = 0;
            if (s > 0) {
                for (int64_t j = 0; j < c; ++j)
                    smooth_i += ct->class_weight[size_t(j)] * (lse - row[j]);
            }
            out[i] = static_cast<T>((1.0 - s) * nll + smooth * smooth_i);
            nll_sum += nll;
            smooth_sum += smooth_i;
        }
    });

    Tensor out =
        reduction == Reduction::None
            ? losses
            : full({}, (1.0 - s) * nll_sum * nll_scale + smooth * smooth_sum * smooth_scale,
                   input.dtype());
    return autograd::record(
        op, out, {input},
        [input, ct, s, smooth, weight_sum, nll_scale, smooth_scale,
         reduction](const Tensor& grad_out) {
            const int64_t n = ct->n, c = ct->classes;
            Tensor a = filled({n, 1}, input.dtype(), [&](int64_t i) {
                const size_t k = static_cast<size_t>(i);
                if (ct->ignored[k]) return 0.0;
                return (1.0 - s) * ct->row_weight[k] * nll_scale +
                       smooth * weight_sum * smooth_scale;
            });
            Tensor b = filled({n, c}, input.dtype(), [&](int64_t flat) {
                const size_t k = static_cast<size_t>(flat / c);
                const int64_t j = flat % c;
                if (ct->ignored[k]) return 0.0;
                double v = smooth * ct->class_weight[static_cast<size_t>(j)] * smooth_scale;
                if (j == ct->index[k]) v += (1.0 - s) * ct->row_weight[k] * nll_scale;
                return v;
            });
            Tensor g = reduction == Reduction::None ? grad_out.unsqueeze(1) : grad_out;
            return autograd::Grads{(softmax(input, 1) * a - b) * g};
        },
        "grad_x = grad_out (A softmax(x) - B), B the smoothed, weighted one-hot");
}

}  // namespace functional
}  // namespace nn

// ATen's rule: input and target may differ in size-1 dims. Both squeezed, the target must
// broadcast to the input (so [N, 1] against [N] pairs element i with element i); the loss
// keeps the input's shape. Never a broadcast to [N, N].
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const nn::BCELossOptions& options) {
    const char* op = "binary_cross_entropy";
    nn::detail::check_loss_shapes(op, input, input);
    tapegrad::detail::check_defined(op, target, "target");
    Tensor t = target;
    if (target.sizes() != input.sizes()) {
        const Tensor squeezed = target.squeeze();
        const std::vector<int64_t> shape = input.squeeze().sizes();
        if (!nn::detail::broadcasts_to(squeezed.sizes(), shape)) {
            tapegrad::detail::fail(op, "target shape " + shape_str(target.sizes()) +
                                           " differs from input shape " + shape_str(input.sizes()) +
                                           ", even with their size-1 dims removed");
        }
        t = squeezed.expand(shape).reshape(input.sizes());
    }
    return nn::functional::bce(input, t, options);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction reduction) {
    return binary_cross_entropy(input, target, nn::BCELossOptions(reduction).weight(weight));
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                Reduction reduction, int64_t ignore_index) {
    return nn::functional::nll_loss(
        input, target, nn::NLLLossOptions(reduction).weight(weight).ignore_index(ignore_index));
}

}  // namespace tapegrad
