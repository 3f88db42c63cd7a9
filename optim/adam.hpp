#pragma once
// Adam: moment estimates with bias correction, as torch.optim.Adam (and AMSGrad).
//
//   g = grad + weight_decay * p
//   exp_avg = beta1 * exp_avg + (1 - beta1) * g
//   exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g^2
//   amsgrad: max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq), used instead of exp_avg_sq below
//   denom = sqrt(exp_avg_sq) / sqrt(1 - beta2^step) + eps
//   p -= lr / (1 - beta1^step) * exp_avg / denom

#include <cstdint>
#include <memory>
#include <tuple>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// Adam's hyperparameters: `AdamOptions(1e-3).betas({0.9, 0.999}).weight_decay(0)`.
struct AdamOptions : public OptimizerOptions {
    AdamOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    typedef std::tuple<double, double> betas_t;
    TAPEGRAD_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
    TAPEGRAD_ARG(double, eps) = 1e-8;
    TAPEGRAD_ARG(double, weight_decay) = 0;
    TAPEGRAD_ARG(bool, amsgrad) = false;

public:
    std::unique_ptr<OptimizerOptions> clone() const override {
        return std::make_unique<AdamOptions>(*this);
    }
    double get_lr() const override { return lr_; }
    void set_lr(double lr) override { lr_ = lr; }
    void check() const override;
    void visit(FieldVisitor& visitor) override;
};

/// Adam's per-parameter state; max_exp_avg_sq exists only with amsgrad.
struct AdamParamState : public OptimizerParamState {
    TAPEGRAD_ARG(int64_t, step) = 0;
    TAPEGRAD_ARG(Tensor, exp_avg);
    TAPEGRAD_ARG(Tensor, exp_avg_sq);
    TAPEGRAD_ARG(Tensor, max_exp_avg_sq);

public:
    std::unique_ptr<OptimizerParamState> clone() const override;
    void visit(FieldVisitor& visitor) override;
};

class Adam : public Optimizer {
public:
    Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
    Adam(std::vector<Tensor> params, AdamOptions defaults = {});

    /// One update of every parameter that has a gradient; returns the closure's loss.
    Tensor step(LossClosure closure = nullptr) override;
    const char* name() const override { return "Adam"; }
    std::unique_ptr<OptimizerParamState> make_state() const override {
        return std::make_unique<AdamParamState>();
    }
};

}  // namespace optim
}  // namespace tapegrad
