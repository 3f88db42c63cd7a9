#include "optim/adamw.hpp"

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void AdamWOptions::check() const {
    detail::check_non_negative("AdamW", "learning rate", lr());
    detail::check_non_negative("AdamW", "eps", eps());
    detail::check_betas("AdamW", std::get<0>(betas()), std::get<1>(betas()));
    detail::check_non_negative("AdamW", "weight_decay", weight_decay());
}

void AdamWOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_);
    visitor.number("beta1", std::get<0>(betas_));
    visitor.number("beta2", std::get<1>(betas_));
    visitor.number("eps", eps_);
    visitor.number("weight_decay", weight_decay_);
    visitor.flag("amsgrad", amsgrad_);
}

std::unique_ptr<OptimizerParamState> AdamWParamState::clone() const {
    auto copy = std::make_unique<AdamWParamState>();
    copy->step(step_);
    if (exp_avg_.defined()) copy->exp_avg(exp_avg_.clone());
    if (exp_avg_sq_.defined()) copy->exp_avg_sq(exp_avg_sq_.clone());
    if (max_exp_avg_sq_.defined()) copy->max_exp_avg_sq(max_exp_avg_sq_.clone());
    return copy;
}

void AdamWParamState::visit(FieldVisitor& visitor) {
    visitor.count("step", step_);
    visitor.tensor("exp_avg", exp_avg_, /*required=*/true);
    visitor.tensor("exp_avg_sq", exp_avg_sq_, /*required=*/true);
    visitor.tensor("max_exp_avg_sq", max_exp_avg_sq_, /*required=*/false);
}

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamWOptions>(defaults)) {}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

Tensor AdamW::step(LossClosure closure) {
    Tensor loss = run_closure(closure);
    NoGradGuard no_grad;
    for (size_t g = 0; g < param_groups_.size(); ++g) {
        auto& options = static_cast<const AdamWOptions&>(param_groups_[g].options());
        auto& params = param_groups_[g].params();
        for (size_t i = 0; i < params.size(); ++i) {
            const Tensor& p = params[i];
            const Tensor& grad = checked_grad(p, g, i);
            if (!grad.defined()) continue;
            auto& state = static_cast<AdamWParamState&>(state_of(p));
            if (!state.exp_avg().defined()) state.exp_avg(zeros_like(p));
            if (!state.exp_avg_sq().defined()) state.exp_avg_sq(zeros_like(p));
            if (options.amsgrad() && !state.max_exp_avg_sq().defined())
                state.max_exp_avg_sq(zeros_like(p));
            state.step() += 1;
            detail::adam_update(p, grad, state.exp_avg(), state.exp_avg_sq(),
                                options.amsgrad() ? &state.max_exp_avg_sq() : nullptr, state.step(),
                                options.lr(), std::get<0>(options.betas()),
                                std::get<1>(options.betas()), options.eps(), options.weight_decay(),
                                /*decoupled=*/true);
        }
    }
    return loss;
}

}  // namespace optim
}  // namespace tapegrad
