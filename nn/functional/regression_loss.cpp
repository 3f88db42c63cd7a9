// Losses of regression and of distributions: smooth_l1_loss, huber_loss, kl_div,
// poisson_nll_loss. Each is composed of differentiable ops, which give its backward (and its
// second derivative).

#include <cmath>
#include <sstream>
#include <string>

#include "autograd/detail.hpp"
#include "autograd/ops.hpp"
#include "nn/functional/loss.hpp"
#include "nn/functional/loss_util.hpp"

namespace tapegrad {
namespace nn {
namespace functional {

// a = |x - t|, m = min(a, beta):  loss = 0.5 m^2 / beta + (a - m)
// which is 0.5 a^2 / beta below beta and a - 0.5 beta above it; beta = 0 gives |x - t|.
// grad_x = (a < beta ? (x - t) / beta : sign(x - t)), from the ops.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1LossFuncOptions& options) {
    const char* op = "smooth_l1_loss";
    const double beta = options.beta();
    check_option(op, "beta", beta, beta >= 0, "non-negative");
    check_loss_shapes(op, input, target);
    const Tensor a = (input - target).abs();
    if (beta == 0) return reduce_loss(a, options.reduction());
    const Tensor m = a.clamp_max(beta);
    return reduce_loss(0.5 / beta * m.square() + (a - m), options.reduction());
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      const SmoothL1LossFuncOptions& options, double beta) {
    // LibTorch 1.13 reads only this argument; a beta set in the options as well must agree
    if (options.beta() != 1.0 && beta != 1.0 && options.beta() != beta) {
        std::ostringstream msg;
        msg << "beta is " << options.beta() << " in the options and " << beta
            << " as an argument; give it once";
        tapegrad::detail::fail("smooth_l1_loss", msg.str());
    }
    SmoothL1LossFuncOptions merged = options;
    if (beta != 1.0) merged.beta(beta);
    return smooth_l1_loss(input, target, merged);
}

// a = |x - t|, m = min(a, delta):  loss = 0.5 m^2 + delta (a - m)
// which is 0.5 a^2 below delta and delta (a - 0.5 delta) above it.
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options) {
    const char* op = "huber_loss";
    const double delta = options.delta();
    check_option(op, "delta", delta, delta > 0, "positive");
    check_loss_shapes(op, input, target);
    const Tensor a = (input - target).abs();
    const Tensor m = a.clamp_max(delta);
    return reduce_loss(0.5 * m.square() + delta * (a - m), options.reduction());
}

// loss = t log t - t x, with 0 log 0 = 0 (x log y's convention; a negative t gives NaN, as in
// PyTorch), or with log_target loss = exp(t) (t - x). kBatchMean: sum / input.size(0).
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options) {
    const char* op = "kl_div";
    check_loss_shapes(op, input, target);
    const Tensor t = target.dtype() == input.dtype() ? target : target.to(input.dtype());
    Tensor loss;
    if (options.log_target()) {
        loss = t.exp() * (t - input);
    } else {
        // log(1) = 0 stands in where t = 0, so that 0 log 0 is 0 with a zero gradient
        const Tensor t_or_one = where(t.eq(0.0), ones_like(t), t);
        loss = t * t_or_one.log() - t * input;
    }
    const KLDivReduction reduction = options.reduction();
    Tensor out = reduce_loss(loss, reduction.reduction());
    if (reduction.is_batch_mean() && input.dim() != 0)
        out = out / static_cast<double>(input.size(0));
    return out;
}

// log_input:  loss = exp(x) - t x                 (x is log(rate))
// otherwise:  loss = x - t log(x + eps)           (x is the rate)
// full adds Stirling's log(t!) ~ t log t - t + 0.5 log(2 pi t) where t > 1.
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target,
                        const PoissonNLLLossFuncOptions& options) {
    const char* op = "poisson_nll_loss";
    check_option(op, "eps", options.eps(), options.eps() >= 0, "non-negative");
    check_loss_shapes(op, input, target);
    const Tensor t = target.dtype() == input.dtype() ? target : target.to(input.dtype());
    Tensor loss =
        options.log_input() ? input.exp() - t * input : input - t * (input + options.eps()).log();
    if (options.full()) {
        const Tensor t1 = t.clamp_min(1.0);  // finite logs below 1, where the term is 0
        const Tensor stirling = t1 * t1.log() - t1 + 0.5 * (2.0 * M_PI * t1).log();
        loss = loss + where(t.gt(1.0), stirling, zeros_like(stirling));
    }
    return reduce_loss(loss, options.reduction());
}

}  // namespace functional
}  // namespace nn

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
    return nn::functional::smooth_l1_loss(input, target,
                                          nn::SmoothL1LossOptions(reduction).beta(beta));
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
    return nn::functional::huber_loss(input, target, nn::HuberLossOptions(reduction).delta(delta));
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
    return nn::functional::kl_div(input, target,
                                  nn::KLDivLossOptions(reduction).log_target(log_target));
}

Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full,
                        double eps, Reduction reduction) {
    return nn::functional::poisson_nll_loss(
        input, target,
        nn::PoissonNLLLossOptions(reduction).log_input(log_input).full(full).eps(eps));
}

}  // namespace tapegrad
