#pragma once
// Adam: moment estimates with bias correction, as torch.optim.Adam (and AMSGrad). AdamW is the
// same code with decoupled weight decay (adamw.hpp); `Decoupled` tells the two apart.
//
//   Adam:  g = grad + weight_decay * p          AdamW: p *= 1 - lr * weight_decay, g = grad
//   exp_avg = beta1 * exp_avg + (1 - beta1) * g
//   exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2
//   amsgrad: max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq), used instead of exp_avg_sq below
//   denom = sqrt(exp_avg_sq) / sqrt(1 - beta2^step) + eps
//   p -= lr / (1 - beta1^step) * exp_avg / denom

#include <cstdint>
#include <tuple>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// Adam's (or AdamW's) hyperparameters: `AdamOptions(1e-3).betas({0.9, 0.999})`.
template <bool Decoupled>
struct AdamOptionsT : public OptimizerOptionsBase<AdamOptionsT<Decoupled>> {
    AdamOptionsT(double lr = 1e-3) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    typedef std::tuple<double, double> betas_t;
    TAPEGRAD_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
    TAPEGRAD_ARG(double, eps) = 1e-8;
    TAPEGRAD_ARG(double, weight_decay) = Decoupled ? 1e-2 : 0;
    TAPEGRAD_ARG(bool, amsgrad) = false;

public:
    static constexpr const char* optimizer_name = Decoupled ? "AdamW" : "Adam";
    void visit(FieldVisitor& visitor) override;
    void check(const char* optimizer) const override;
};

/// Adam's hyperparameters; the weight decay enters the gradient.
using AdamOptions = AdamOptionsT<false>;

/// Adam's (and AdamW's) per-parameter state; max_exp_avg_sq exists only with amsgrad.
struct AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
    TAPEGRAD_ARG(int64_t, step) = 0;
    TAPEGRAD_ARG(Tensor, exp_avg);
    TAPEGRAD_ARG(Tensor, exp_avg_sq);
    TAPEGRAD_ARG(Tensor, max_exp_avg_sq);

public:
    void visit(FieldVisitor& visitor) override;
};

template <bool Decoupled>
class AdamT : public TypedOptimizer<AdamOptionsT<Decoupled>, AdamParamState> {
    using Base = TypedOptimizer<AdamOptionsT<Decoupled>, AdamParamState>;

public:
    using Base::Base;

protected:
    void update(const Tensor& p, const Tensor& grad, const AdamOptionsT<Decoupled>& options,
                AdamParamState* state) override;
};

/// torch.optim.Adam.
using Adam = AdamT<false>;

extern template struct AdamOptionsT<false>;
extern template struct AdamOptionsT<true>;
extern template class AdamT<false>;
extern template class AdamT<true>;

}  // namespace optim
}  // namespace tapegrad
