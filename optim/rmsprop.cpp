#include "optim/rmsprop.hpp"

#include <cmath>
#include <type_traits>

#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void RMSpropOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_, Range::non_negative);
    visitor.number("alpha", alpha_, Range::non_negative);
    visitor.number("eps", eps_, Range::non_negative);
    visitor.number("weight_decay", weight_decay_, Range::non_negative);
    visitor.number("momentum", momentum_, Range::non_negative);
    visitor.flag("centered", centered_);
}

void RMSpropParamState::visit(FieldVisitor& visitor) {
    visitor.count("step", step_);
    visitor.tensor("square_avg", square_avg_, /*required=*/true);
    visitor.tensor("momentum_buffer", momentum_buffer_, /*required=*/false);
    visitor.tensor("grad_avg", grad_avg_, /*required=*/false);
}

namespace {
// One parameter's update, following torch.optim.RMSprop's operations in their order. The options
// are template arguments and the pointers do not alias, so each case is one branch-free loop that
// GCC vectorises (this file is compiled with -fno-math-errno, so sqrt vectorises too).
template <class T, bool Decay, bool Centered, bool WithMomentum>
TAPEGRAD_UPDATE_LOOP void rmsprop_loop(T* __restrict p, const T* __restrict grad,
                                       T* __restrict square_avg, T* __restrict grad_avg,
                                       T* __restrict buf, int64_t n, const RMSpropOptions& o) {
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

void RMSprop::update(const Tensor& p, const Tensor& grad, const RMSpropOptions& options,
                     RMSpropParamState* state) {
    RMSpropParamState& s = *state;
    // made on first use, so options changed between steps find what they need
    if (!s.square_avg().defined()) s.square_avg(zeros_like(p));
    if (options.momentum() > 0 && !s.momentum_buffer().defined()) s.momentum_buffer(zeros_like(p));
    if (options.centered() && !s.grad_avg().defined()) s.grad_avg(zeros_like(p));
    detail::add_count(name(), "step", s.step());
    detail::update_loop(p.dtype(), p.numel(), [&](auto zero, int64_t begin, int64_t end) {
        using T = decltype(zero);
        T* grad_avg = options.centered() ? s.grad_avg().data_ptr<T>() + begin : nullptr;
        T* buf = options.momentum() > 0 ? s.momentum_buffer().data_ptr<T>() + begin : nullptr;
        rmsprop_update<T>(p.data_ptr<T>() + begin, grad.data_ptr<T>() + begin,
                          s.square_avg().data_ptr<T>() + begin, grad_avg, buf, end - begin,
                          options);
    });
}

}  // namespace optim
}  // namespace tapegrad
