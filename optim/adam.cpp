#include "optim/adam.hpp"

#include <cmath>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void AdamOptions::check() const {
    detail::check_non_negative("Adam", "learning rate", lr());
    detail::check_non_negative("Adam", "eps", eps());
    detail::check_betas("Adam", std::get<0>(betas()), std::get<1>(betas()));
    detail::check_non_negative("Adam", "weight_decay", weight_decay());
}

void AdamOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_);
    visitor.number("beta1", std::get<0>(betas_));
    visitor.number("beta2", std::get<1>(betas_));
    visitor.number("eps", eps_);
    visitor.number("weight_decay", weight_decay_);
    visitor.flag("amsgrad", amsgrad_);
}

std::unique_ptr<OptimizerParamState> AdamParamState::clone() const {
    auto copy = std::make_unique<AdamParamState>();
    copy->step(step_);
    if (exp_avg_.defined()) copy->exp_avg(exp_avg_.clone());
    if (exp_avg_sq_.defined()) copy->exp_avg_sq(exp_avg_sq_.clone());
    if (max_exp_avg_sq_.defined()) copy->max_exp_avg_sq(max_exp_avg_sq_.clone());
    return copy;
}

void AdamParamState::visit(FieldVisitor& visitor) {
    visitor.count("step", step_);
    visitor.tensor("exp_avg", exp_avg_, /*required=*/true);
    visitor.tensor("exp_avg_sq", exp_avg_sq_, /*required=*/true);
    visitor.tensor("max_exp_avg_sq", max_exp_avg_sq_, /*required=*/false);
}

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamOptions>(defaults)) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

namespace {
struct AdamConstants {
    double neg_step_size, bias_correction2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, shrink,
        weight_decay;
};

// Follows torch.optim.Adam's / AdamW's operations in their order (PyTorch 1.13). The options are
// template arguments and the pointers do not alias, so each case is one branch-free loop that
// GCC vectorises (sqrt included: this file is compiled with -fno-math-errno).
template <class T, bool Decoupled, bool CoupledDecay, bool Amsgrad>
TAPEGRAD_UPDATE_LOOP
void adam_loop(T* __restrict p, const T* __restrict grad, T* __restrict exp_avg,
               T* __restrict exp_avg_sq, T* __restrict max_exp_avg_sq, int64_t n,
               const AdamConstants& c) {
    const T neg_step_size = static_cast<T>(c.neg_step_size);
    const T bias_correction2_sqrt = static_cast<T>(c.bias_correction2_sqrt);
    const T b1 = static_cast<T>(c.b1);
    const T b2 = static_cast<T>(c.b2);
    const T one_minus_b1 = static_cast<T>(c.one_minus_b1);
    const T one_minus_b2 = static_cast<T>(c.one_minus_b2);
    const T t_eps = static_cast<T>(c.eps);
    const T shrink = static_cast<T>(c.shrink);                // AdamW
    const T t_weight_decay = static_cast<T>(c.weight_decay);  // Adam
    for (int64_t i = 0; i < n; ++i) {
        T pi = p[i];
        if (Decoupled) pi = pi * shrink;
        T g = grad[i];
        if (CoupledDecay) g = g + t_weight_decay * pi;
        const T m = exp_avg[i] * b1 + one_minus_b1 * g;
        const T v = exp_avg_sq[i] * b2 + one_minus_b2 * g * g;
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        T second = v;
        if (Amsgrad) {
            // torch.maximum: a NaN wins
            const T old = max_exp_avg_sq[i];
            second = (second != second || second > old) ? second : old;
            max_exp_avg_sq[i] = second;
        }
        const T denom = std::sqrt(second) / bias_correction2_sqrt + t_eps;
        p[i] = pi + neg_step_size * m / denom;
    }
}

template <class T, bool Decoupled, bool CoupledDecay>
void adam_amsgrad(T* p, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
                  const AdamConstants& c) {
    if (max_exp_avg_sq)
        adam_loop<T, Decoupled, CoupledDecay, true>(p, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n,
                                                    c);
    else
        adam_loop<T, Decoupled, CoupledDecay, false>(p, grad, exp_avg, exp_avg_sq, nullptr, n, c);
}
}  // namespace

void detail::adam_update(const Tensor& p, const Tensor& grad, const Tensor& exp_avg,
                         const Tensor& exp_avg_sq, const Tensor* max_exp_avg_sq, int64_t step,
                         double lr, double beta1, double beta2, double eps, double weight_decay,
                         bool decoupled) {
    const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
    const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
    const AdamConstants c{-(lr / bias_correction1),
                          std::sqrt(bias_correction2),
                          beta1,
                          beta2,
                          1 - beta1,
                          1 - beta2,
                          eps,
                          1 - lr * weight_decay,
                          weight_decay};
    const bool coupled_decay = !decoupled && weight_decay != 0;
    tapegrad::detail::dispatch_floating(p.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* pp = p.data_ptr<T>();
        const T* g = grad.data_ptr<T>();
        T* m = exp_avg.data_ptr<T>();
        T* v = exp_avg_sq.data_ptr<T>();
        T* vmax = max_exp_avg_sq ? max_exp_avg_sq->data_ptr<T>() : nullptr;
        const int64_t n = p.numel();
        if (decoupled)
            adam_amsgrad<T, true, false>(pp, g, m, v, vmax, n, c);
        else if (coupled_decay)
            adam_amsgrad<T, false, true>(pp, g, m, v, vmax, n, c);
        else
            adam_amsgrad<T, false, false>(pp, g, m, v, vmax, n, c);
    });
}

Tensor Adam::step(LossClosure closure) {
    Tensor loss = run_closure(closure);
    NoGradGuard no_grad;
    for (size_t g = 0; g < param_groups_.size(); ++g) {
        auto& options = static_cast<const AdamOptions&>(param_groups_[g].options());
        auto& params = param_groups_[g].params();
        for (size_t i = 0; i < params.size(); ++i) {
            const Tensor& p = params[i];
            const Tensor& grad = checked_grad(p, g, i);
            if (!grad.defined()) continue;
            auto& state = static_cast<AdamParamState&>(state_of(p));
            if (!state.exp_avg().defined()) state.exp_avg(zeros_like(p));
            if (!state.exp_avg_sq().defined()) state.exp_avg_sq(zeros_like(p));
            if (options.amsgrad() && !state.max_exp_avg_sq().defined())
                state.max_exp_avg_sq(zeros_like(p));
            state.step() += 1;
            detail::adam_update(p, grad, state.exp_avg(), state.exp_avg_sq(),
                                options.amsgrad() ? &state.max_exp_avg_sq() : nullptr, state.step(),
                                options.lr(), std::get<0>(options.betas()),
                                std::get<1>(options.betas()), options.eps(), options.weight_decay(),
                                /*decoupled=*/false);
        }
    }
    return loss;
}

}  // namespace optim
}  // namespace tapegrad
