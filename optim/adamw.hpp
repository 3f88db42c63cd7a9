#pragma once
// AdamW: Adam with decoupled weight decay, as torch.optim.AdamW.
//
//   p *= 1 - lr * weight_decay
//   then Adam's update with the plain gradient (see adam.hpp)

#include <cstdint>
#include <memory>
#include <tuple>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// AdamW's hyperparameters: `AdamWOptions(1e-3).weight_decay(1e-2)`.
struct AdamWOptions : public OptimizerOptions {
    AdamWOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    typedef std::tuple<double, double> betas_t;
    TAPEGRAD_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
    TAPEGRAD_ARG(double, eps) = 1e-8;
    TAPEGRAD_ARG(double, weight_decay) = 1e-2;
    TAPEGRAD_ARG(bool, amsgrad) = false;

public:
    std::unique_ptr<OptimizerOptions> clone() const override {
        return std::make_unique<AdamWOptions>(*this);
    }
    double get_lr() const override { return lr_; }
    void set_lr(double lr) override { lr_ = lr; }
    void check() const override;
    void visit(FieldVisitor& visitor) override;
};

/// AdamW's per-parameter state; max_exp_avg_sq exists only with amsgrad.
struct AdamWParamState : public OptimizerParamState {
    TAPEGRAD_ARG(int64_t, step) = 0;
    TAPEGRAD_ARG(Tensor, exp_avg);
    TAPEGRAD_ARG(Tensor, exp_avg_sq);
    TAPEGRAD_ARG(Tensor, max_exp_avg_sq);

public:
    std::unique_ptr<OptimizerParamState> clone() const override;
    void visit(FieldVisitor& visitor) override;
};

class AdamW : public Optimizer {
public:
    AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = {});
    AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});

    /// One update of every parameter that has a gradient; returns the closure's loss.
    Tensor step(LossClosure closure = nullptr) override;
    const char* name() const override { return "AdamW"; }
    std::unique_ptr<OptimizerParamState> make_state() const override {
        return std::make_unique<AdamWParamState>();
    }
};

}  // namespace optim
}  // namespace tapegrad
