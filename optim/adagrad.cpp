#include "optim/adagrad.hpp"

#include <cmath>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void AdagradOptions::check() const {
    detail::check_non_negative("Adagrad", "learning rate", lr());
    detail::check_non_negative("Adagrad", "lr_decay", lr_decay());
    detail::check_non_negative("Adagrad", "weight_decay", weight_decay());
    detail::check_non_negative("Adagrad", "initial_accumulator_value", initial_accumulator_value());
    detail::check_non_negative("Adagrad", "eps", eps());
}

void AdagradOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_);
    visitor.number("lr_decay", lr_decay_);
    visitor.number("weight_decay", weight_decay_);
    visitor.number("initial_accumulator_value", initial_accumulator_value_);
    visitor.number("eps", eps_);
}

std::unique_ptr<OptimizerParamState> AdagradParamState::clone() const {
    auto copy = std::make_unique<AdagradParamState>();
    copy->step(step_);
    if (sum_.defined()) copy->sum(sum_.clone());
    return copy;
}

void AdagradParamState::visit(FieldVisitor& visitor) {
    visitor.count("step", step_);
    visitor.tensor("sum", sum_, /*required=*/true);
}

Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdagradOptions>(defaults)) {}

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions defaults)
    : Adagrad(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

namespace {
// One parameter's update, following torch.optim.Adagrad's operations in their order. Weight
// decay is a template argument and the pointers do not alias, so each case is one branch-free
// loop that GCC vectorises (this file is compiled with -fno-math-errno, so sqrt vectorises too).
template <class T, bool Decay>
TAPEGRAD_UPDATE_LOOP
void adagrad_loop(T* __restrict p, const T* __restrict grad, T* __restrict sum, int64_t n,
                  double clr, const AdagradOptions& o) {
    const T weight_decay = static_cast<T>(o.weight_decay());
    const T eps = static_cast<T>(o.eps());
    const T neg_clr = static_cast<T>(-clr);
    for (int64_t i = 0; i < n; ++i) {
        T g = grad[i];
        if (Decay) g = g + weight_decay * p[i];
        const T s = sum[i] + g * g;
        sum[i] = s;
        const T denom = std::sqrt(s) + eps;
        p[i] = p[i] + neg_clr * g / denom;
    }
}

template <class T>
void adagrad_update(T* p, const T* grad, T* sum, int64_t n, double clr, const AdagradOptions& o) {
    if (o.weight_decay() != 0)
        adagrad_loop<T, true>(p, grad, sum, n, clr, o);
    else
        adagrad_loop<T, false>(p, grad, sum, n, clr, o);
}
}  // namespace

Tensor Adagrad::step(LossClosure closure) {
    Tensor loss = run_closure(closure);
    NoGradGuard no_grad;
    for (size_t g = 0; g < param_groups_.size(); ++g) {
        auto& options = static_cast<const AdagradOptions&>(param_groups_[g].options());
        auto& params = param_groups_[g].params();
        for (size_t i = 0; i < params.size(); ++i) {
            const Tensor& p = params[i];
            const Tensor& grad = checked_grad(p, g, i);
            if (!grad.defined()) continue;
            auto& state = static_cast<AdagradParamState&>(state_of(p));
            if (!state.sum().defined())
                state.sum(full_like(p, options.initial_accumulator_value()));
            state.step() += 1;
            const double clr =
                options.lr() / (1 + static_cast<double>(state.step() - 1) * options.lr_decay());
            tapegrad::detail::dispatch_floating(p.dtype(), [&](auto zero) {
                using T = decltype(zero);
                adagrad_update<T>(p.data_ptr<T>(), grad.data_ptr<T>(), state.sum().data_ptr<T>(),
                                  p.numel(), clr, options);
            });
        }
    }
    return loss;
}

}  // namespace optim
}  // namespace tapegrad
