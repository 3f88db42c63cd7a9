#include "optim/sgd.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void SGDOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_, Range::non_negative);
    visitor.number("momentum", momentum_, Range::non_negative);
    visitor.number("dampening", dampening_);
    visitor.number("weight_decay", weight_decay_, Range::non_negative);
    visitor.flag("nesterov", nesterov_);
}

void SGDOptions::check(const char* optimizer) const {
    OptimizerOptionsBase::check(optimizer);
    if (nesterov() && (momentum() <= 0 || dampening() != 0))
        throw std::invalid_argument(
            std::string(optimizer) +
            ": nesterov momentum needs momentum > 0 and dampening = 0, got momentum " +
            detail::format_number(momentum()) + " and dampening " +
            detail::format_number(dampening()));
}

void SGDParamState::visit(FieldVisitor& visitor) {
    visitor.tensor("momentum_buffer", momentum_buffer_, /*required=*/true);
}

namespace {
// One parameter's update, following torch.optim.SGD's operations in their order. The options
// are template arguments and the pointers do not alias, so each case compiles to one branch-free
// loop that GCC vectorises; the float operations and their order are the same in every case.
// Mode: no momentum buffer, the first step (buf = d), or a running buffer.
enum class Momentum { None, First, Running };

template <class T, bool Decay, Momentum M, bool Nesterov>
TAPEGRAD_UPDATE_LOOP void sgd_loop(T* __restrict p, const T* __restrict grad, T* __restrict buf,
                                   int64_t n, T weight_decay, T momentum, T keep, T neg_lr) {
    for (int64_t i = 0; i < n; ++i) {
        T d = grad[i];
        if (Decay) d = d + weight_decay * p[i];
        if (M != Momentum::None) {
            buf[i] = M == Momentum::First ? d : buf[i] * momentum + keep * d;
            d = Nesterov ? d + momentum * buf[i] : buf[i];
        }
        p[i] = p[i] + neg_lr * d;
    }
}

// `buf` is null without momentum; `first` says it holds nothing yet.
template <class T>
void sgd_update(T* p, const T* grad, T* buf, bool first, int64_t n, const SGDOptions& o) {
    const T weight_decay = static_cast<T>(o.weight_decay());
    const T momentum = static_cast<T>(o.momentum());
    const T keep = static_cast<T>(1 - o.dampening());
    const T neg_lr = static_cast<T>(-o.lr());
    const bool decay = o.weight_decay() != 0;
    const bool nesterov = o.nesterov();
    const auto with_decay = [&](auto decay_tag) {
        constexpr bool D = decltype(decay_tag)::value;
        if (!buf)
            return sgd_loop<T, D, Momentum::None, false>(p, grad, buf, n, weight_decay, momentum,
                                                         keep, neg_lr);
        const auto with_nesterov = [&](auto nesterov_tag) {
            constexpr bool N = decltype(nesterov_tag)::value;
            if (first)
                sgd_loop<T, D, Momentum::First, N>(p, grad, buf, n, weight_decay, momentum, keep,
                                                   neg_lr);
            else
                sgd_loop<T, D, Momentum::Running, N>(p, grad, buf, n, weight_decay, momentum, keep,
                                                     neg_lr);
        };
        if (nesterov)
            with_nesterov(std::true_type{});
        else
            with_nesterov(std::false_type{});
    };
    if (decay)
        with_decay(std::true_type{});
    else
        with_decay(std::false_type{});
}
}  // namespace

bool SGD::keeps_state(const OptimizerOptions& options) const {
    return static_cast<const SGDOptions&>(options).momentum() != 0;
}

void SGD::update(const Tensor& p, const Tensor& grad, const SGDOptions& options,
                 SGDParamState* state) {
    const bool first = state && !state->momentum_buffer().defined();
    if (first) state->momentum_buffer(empty_like(p));
    detail::update_loop(p.dtype(), p.numel(), [&](auto zero, int64_t begin, int64_t end) {
        using T = decltype(zero);
        T* buf = state ? state->momentum_buffer().data_ptr<T>() + begin : nullptr;
        sgd_update<T>(p.data_ptr<T>() + begin, grad.data_ptr<T>() + begin, buf, first, end - begin,
                      options);
    });
}

}  // namespace optim
}  // namespace tapegrad
