#include "optim/adam.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

template <bool Decoupled>
void AdamOptionsT<Decoupled>::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_, Range::non_negative);
    visitor.number("beta1", std::get<0>(betas_));
    visitor.number("beta2", std::get<1>(betas_));
    visitor.number("eps", eps_, Range::non_negative);
    visitor.number("weight_decay", weight_decay_, Range::non_negative);
    visitor.flag("amsgrad", amsgrad_);
}

template <bool Decoupled>
void AdamOptionsT<Decoupled>::check(const char* optimizer) const {
    OptimizerOptions::check(optimizer);
    const auto [beta1, beta2] = betas();
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1))
        throw std::invalid_argument(std::string(optimizer) + ": betas must be in [0, 1), got (" +
                                    detail::format_number(beta1) + ", " +
                                    detail::format_number(beta2) + ")");
}

void AdamParamState::visit(FieldVisitor& visitor) {
    visitor.count("step", step_);
    visitor.tensor("exp_avg", exp_avg_, /*required=*/true);
    visitor.tensor("exp_avg_sq", exp_avg_sq_, /*required=*/true);
    visitor.tensor("max_exp_avg_sq", max_exp_avg_sq_, /*required=*/false);
}

namespace {
// Every number of one step that does not depend on the element, in double.
struct AdamConstants {
    double neg_step_size, bias_correction2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, shrink,
        weight_decay;
};

// Follows torch.optim.Adam's / AdamW's operations in their order (PyTorch 1.13). The options are
// template arguments and the pointers do not alias, so each case is one branch-free loop that
// GCC vectorises (sqrt included: this file is compiled with -fno-math-errno).
template <class T, bool Decoupled, bool CoupledDecay, bool Amsgrad>
TAPEGRAD_UPDATE_LOOP void adam_loop(T* __restrict p, const T* __restrict grad,
                                    T* __restrict exp_avg, T* __restrict exp_avg_sq,
                                    T* __restrict max_exp_avg_sq, int64_t n,
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

template <bool Decoupled>
void AdamT<Decoupled>::update(const Tensor& p, const Tensor& grad,
                              const AdamOptionsT<Decoupled>& options, AdamParamState* state) {
    AdamParamState& s = *state;
    // made on first use, so options changed between steps find what they need
    if (!s.exp_avg().defined()) s.exp_avg(zeros_like(p));
    if (!s.exp_avg_sq().defined()) s.exp_avg_sq(zeros_like(p));
    if (options.amsgrad() && !s.max_exp_avg_sq().defined()) s.max_exp_avg_sq(zeros_like(p));
    detail::add_count(this->name(), "step", s.step());

    const auto [beta1, beta2] = options.betas();
    const double lr = options.lr(), weight_decay = options.weight_decay();
    const double step = static_cast<double>(s.step());
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const AdamConstants c{-(lr / bias_correction1),
                          std::sqrt(bias_correction2),
                          beta1,
                          beta2,
                          1 - beta1,
                          1 - beta2,
                          options.eps(),
                          1 - lr * weight_decay,
                          weight_decay};
    detail::update_loop(p.dtype(), p.numel(), [&](auto zero, int64_t begin, int64_t end) {
        using T = decltype(zero);
        T* pp = p.data_ptr<T>() + begin;
        const T* g = grad.data_ptr<T>() + begin;
        T* m = s.exp_avg().data_ptr<T>() + begin;
        T* v = s.exp_avg_sq().data_ptr<T>() + begin;
        T* vmax = options.amsgrad() ? s.max_exp_avg_sq().data_ptr<T>() + begin : nullptr;
        const int64_t n = end - begin;
        if (Decoupled)
            adam_amsgrad<T, true, false>(pp, g, m, v, vmax, n, c);
        else if (weight_decay != 0)
            adam_amsgrad<T, false, true>(pp, g, m, v, vmax, n, c);
        else
            adam_amsgrad<T, false, false>(pp, g, m, v, vmax, n, c);
    });
}

template struct AdamOptionsT<false>;
template struct AdamOptionsT<true>;
template class AdamT<false>;
template class AdamT<true>;

}  // namespace optim
}  // namespace tapegrad
