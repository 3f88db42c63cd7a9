#pragma once
// Adagrad: per-element learning rates from the sum of squared gradients, as torch.optim.Adagrad.
//
//   g = grad + weight_decay * p
//   clr = lr / (1 + (step - 1) * lr_decay)
//   sum += g * g                 (sum starts at initial_accumulator_value)
//   p -= clr * g / (sqrt(sum) + eps)

#include <cstdint>
#include <memory>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// Adagrad's hyperparameters: `AdagradOptions(0.5).lr_decay(0.01)`.
struct AdagradOptions : public OptimizerOptions {
    AdagradOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    TAPEGRAD_ARG(double, lr_decay) = 0;
    TAPEGRAD_ARG(double, weight_decay) = 0;
    TAPEGRAD_ARG(double, initial_accumulator_value) = 0;
    TAPEGRAD_ARG(double, eps) = 1e-10;

public:
    std::unique_ptr<OptimizerOptions> clone() const override {
        return std::make_unique<AdagradOptions>(*this);
    }
    double get_lr() const override { return lr_; }
    void set_lr(double lr) override { lr_ = lr; }
    void check() const override;
    void visit(FieldVisitor& visitor) override;
};

/// Adagrad's per-parameter state: the step count and the sum of squared gradients.
struct AdagradParamState : public OptimizerParamState {
    TAPEGRAD_ARG(Tensor, sum);
    TAPEGRAD_ARG(int64_t, step) = 0;

public:
    std::unique_ptr<OptimizerParamState> clone() const override;
    void visit(FieldVisitor& visitor) override;
};

class Adagrad : public Optimizer {
public:
    Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = {});
    Adagrad(std::vector<Tensor> params, AdagradOptions defaults = {});

    /// One update of every parameter that has a gradient; returns the closure's loss.
    Tensor step(LossClosure closure = nullptr) override;
    const char* name() const override { return "Adagrad"; }
    std::unique_ptr<OptimizerParamState> make_state() const override {
        return std::make_unique<AdagradParamState>();
    }
};

}  // namespace optim
}  // namespace tapegrad
