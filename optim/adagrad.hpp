#pragma once
// Adagrad: per-element learning rates from the sum of squared gradients, as torch.optim.Adagrad.
//
//   g = grad + weight_decay * p
//   clr = lr / (1 + (step - 1) * lr_decay)
//   sum += g * g                 (sum starts at initial_accumulator_value)
//   p -= clr * g / (sqrt(sum) + eps)

#include <cstdint>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// Adagrad's hyperparameters: `AdagradOptions(0.5).lr_decay(0.01)`.
struct AdagradOptions : public OptimizerOptionsBase<AdagradOptions> {
    AdagradOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    TAPEGRAD_ARG(double, lr_decay) = 0;
    TAPEGRAD_ARG(double, weight_decay) = 0;
    TAPEGRAD_ARG(double, initial_accumulator_value) = 0;
    TAPEGRAD_ARG(double, eps) = 1e-10;

public:
    static constexpr const char* optimizer_name = "Adagrad";
    void visit(FieldVisitor& visitor) override;
};

/// Adagrad's per-parameter state: the step count and the sum of squared gradients.
struct AdagradParamState : public OptimizerCloneableParamState<AdagradParamState> {
    TAPEGRAD_ARG(Tensor, sum);
    TAPEGRAD_ARG(int64_t, step) = 0;

public:
    void visit(FieldVisitor& visitor) override;
};

class Adagrad : public TypedOptimizer<AdagradOptions, AdagradParamState> {
public:
    using TypedOptimizer::TypedOptimizer;

protected:
    void update(const Tensor& p, const Tensor& grad, const AdagradOptions& options,
                AdagradParamState* state) override;
};

}  // namespace optim
}  // namespace tapegrad
