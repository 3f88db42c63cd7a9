#include "optim/adagrad.hpp"

#include <cmath>

#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void AdagradOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_, Range::non_negative);
    visitor.number("lr_decay", lr_decay_, Range::non_negative);
    visitor.number("weight_decay", weight_decay_, Range::non_negative);
    visitor.number("initial_accumulator_value", initial_accumulator_value_, Range::non_negative);
    visitor.number("eps", eps_, Range::non_negative);
}

void AdagradParamState::visit(FieldVisitor& visitor) {
    visitor.count("step", step_);
    visitor.tensor("sum", sum_, /*required=*/true);
}

namespace {
// One parameter's update, following torch.optim.Adagrad's operations in their order. Weight
// decay is a template argument and the pointers do not alias, so each case is one branch-free
// loop that GCC vectorises (this file is compiled with -fno-math-errno, so sqrt vectorises too).
template <class T, bool Decay>
TAPEGRAD_UPDATE_LOOP void adagrad_loop(T* __restrict p, const T* __restrict grad, T* __restrict sum,
                                       int64_t n, double clr, const AdagradOptions& o) {
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

void Adagrad::update(const Tensor& p, const Tensor& grad, const AdagradOptions& options,
                     AdagradParamState* state) {
    AdagradParamState& s = *state;
    if (!s.sum().defined()) s.sum(full_like(p, options.initial_accumulator_value()));
    detail::add_count(name(), "step", s.step());
    const double clr = options.lr() / (1 + static_cast<double>(s.step() - 1) * options.lr_decay());
    detail::update_loop(p.dtype(), p.numel(), [&](auto zero, int64_t begin, int64_t end) {
        using T = decltype(zero);
        adagrad_update<T>(p.data_ptr<T>() + begin, grad.data_ptr<T>() + begin,
                          s.sum().data_ptr<T>() + begin, end - begin, clr, options);
    });
}

}  // namespace optim
}  // namespace tapegrad
