#include "optim/rmsprop.hpp"

#include <cmath>
#include <type_traits>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void RMSpropOptions::check() const {
    detail::check_non_negative("RMSprop", "learning rate", lr());
    detail::check_non_negative("RMSprop", "alpha", alpha());
    detail::check_non_negative("RMSprop", "eps", eps());
    detail::check_non_negative("RMSprop", "weight_decay", weight_decay());
    detail::check_non_negative("RMSprop", "momentum", momentum());
}

void RMSpropOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_);
    visitor.number("alpha", alpha_);
    visitor.number("eps", eps_);
    visitor.number("weight_decay", weight_decay_);
    visitor.number("momentum", momentum_);
    visitor.flag("centered", centered_);
}

std::unique_ptr<OptimizerParamState> RMSpropParamState::clone() const {
    auto copy = std::make_unique<RMSpropParamState>();
    copy->step(step_);
    if (square_avg_.defined()) copy->square_avg(square_avg_.clone());
    if (momentum_buffer_.defined()) copy->momentum_buffer(momentum_buffer_.clone());
    if (grad_avg_.defined()) copy->grad_avg(grad_avg_.clone());
    return copy;
}

void RMSpropParamState::visit(FieldVisitor& visitor) {
    visitor.count("step", step_);
    visitor.tensor("square_avg", square_avg_, /*required=*/true);
    visitor.tensor("momentum_buffer", momentum_buffer_, /*required=*/false);
    visitor.tensor("grad_avg", grad_avg_, /*required=*/false);
}

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<RMSpropOptions>(defaults)) {}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

namespace {
// One parameter's update, following torch.optim.RMSprop's operations in their order. The options
// are template arguments and the pointers do not alias, so each case is one branch-free loop that
// GCC vectorises (this file is compiled with -fno-math-errno, so sqrt vectorises too).
template <class T, bool Decay, bool Centered, bool WithMomentum>
TAPEGRAD_UPDATE_LOOP
void rmsprop_loop(T* __restrict p, const T* __restrict grad, T* __restrict square_avg,
                  T* __restrict grad_avg, T* __restrict buf, int64_t n, const RMSpropOptions& o) {
    const T weight_decay = static_cast<T>(o.weight_decay());
    const T alpha = static_cast<T>(o.alpha());
    const T one_minus_alpha = static_cast<T>(1 - o.alpha());
    const T eps = static_cast<T>(o.eps());
    const T momentum = static_cast<T>(o.momentum());
    const T neg_lr = static_cast<T>(-o.lr());
    for (int64_t i = 0; i < n; ++i) {
        T g = grad[i];
        if (Decay) g = g + weight_decay * p[i];
        const T sq = square_avg[i] * alpha + one_minus_alpha * g * g;
        square_avg[i] = sq;
        T avg;
        if (Centered) {
            const T ga = grad_avg[i] * alpha + one_minus_alpha * g;
            grad_avg[i] = ga;
            avg = std::sqrt(sq - ga * ga);
        } else {
            avg = std::sqrt(sq);
        }
        avg = avg + eps;
        if (WithMomentum) {
            const T b = buf[i] * momentum + g / avg;
            buf[i] = b;
            p[i] = p[i] + neg_lr * b;
        } else {
            p[i] = p[i] + neg_lr * g / avg;
        }
    }
}

// `grad_avg` is null unless centered, `buf` null unless momentum > 0.
template <class T>
void rmsprop_update(T* p, const T* grad, T* square_avg, T* grad_avg, T* buf, int64_t n,
                    const RMSpropOptions& o) {
    const auto with_decay = [&](auto decay_tag) {
        constexpr bool D = decltype(decay_tag)::value;
        if (grad_avg && buf)
            rmsprop_loop<T, D, true, true>(p, grad, square_avg, grad_avg, buf, n, o);
        else if (grad_avg)
            rmsprop_loop<T, D, true, false>(p, grad, square_avg, grad_avg, buf, n, o);
        else if (buf)
            rmsprop_loop<T, D, false, true>(p, grad, square_avg, grad_avg, buf, n, o);
        else
            rmsprop_loop<T, D, false, false>(p, grad, square_avg, grad_avg, buf, n, o);
    };
    if (o.weight_decay() != 0)
        with_decay(std::true_type{});
    else
        with_decay(std::false_type{});
}
}  // namespace

Tensor RMSprop::step(LossClosure closure) {
    Tensor loss = run_closure(closure);
    NoGradGuard no_grad;
    for (size_t g = 0; g < param_groups_.size(); ++g) {
        auto& options = static_cast<const RMSpropOptions&>(param_groups_[g].options());
        auto& params = param_groups_[g].params();
        for (size_t i = 0; i < params.size(); ++i) {
            const Tensor& p = params[i];
            const Tensor& grad = checked_grad(p, g, i);
            if (!grad.defined()) continue;
            auto& state = static_cast<RMSpropParamState&>(state_of(p));
            // made on first use, so options changed between steps find what they need
            if (!state.square_avg().defined()) state.square_avg(zeros_like(p));
            if (options.momentum() > 0 && !state.momentum_buffer().defined())
                state.momentum_buffer(zeros_like(p));
            if (options.centered() && !state.grad_avg().defined()) state.grad_avg(zeros_like(p));
            state.step() += 1;
            tapegrad::detail::dispatch_floating(p.dtype(), [&](auto zero) {
                using T = decltype(zero);
                T* grad_avg = options.centered() ? state.grad_avg().data_ptr<T>() : nullptr;
                T* buf = options.momentum() > 0 ? state.momentum_buffer().data_ptr<T>() : nullptr;
                rmsprop_update<T>(p.data_ptr<T>(), grad.data_ptr<T>(),
                                  state.square_avg().data_ptr<T>(), grad_avg, buf, p.numel(),
                                  options);
            });
        }
    }
    return loss;
}

}  // namespace optim
}  // namespace tapegrad
