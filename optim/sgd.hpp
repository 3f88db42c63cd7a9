#pragma once
// SGD: stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
// weight decay, as torch.optim.SGD. Over the whole data set it is plain gradient descent.
//
//   d = grad + weight_decay * p
//   buf = d on the first step, then buf = momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf        (when momentum != 0)
//   p -= lr * d

#include <memory>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// SGD's hyperparameters: `SGDOptions(0.1).momentum(0.9).nesterov(true)`.
struct SGDOptions : public OptimizerOptions {
    SGDOptions(double lr) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    TAPEGRAD_ARG(double, momentum) = 0;
    TAPEGRAD_ARG(double, dampening) = 0;
    TAPEGRAD_ARG(double, weight_decay) = 0;
    TAPEGRAD_ARG(bool, nesterov) = false;

public:
    std::unique_ptr<OptimizerOptions> clone() const override {
        return std::make_unique<SGDOptions>(*this);
    }
    double get_lr() const override { return lr_; }
    void set_lr(double lr) override { lr_ = lr; }
    void check() const override;
    void visit(FieldVisitor& visitor) override;
};

/// SGD's per-parameter state: the momentum buffer (kept only when momentum != 0).
struct SGDParamState : public OptimizerParamState {
    TAPEGRAD_ARG(Tensor, momentum_buffer);

public:
    std::unique_ptr<OptimizerParamState> clone() const override;
    void visit(FieldVisitor& visitor) override;
};

class SGD : public Optimizer {
public:
    SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
    SGD(std::vector<Tensor> params, SGDOptions defaults);

    /// One update of every parameter that has a gradient; returns the closure's loss.
    Tensor step(LossClosure closure = nullptr) override;
    const char* name() const override { return "SGD"; }
    std::unique_ptr<OptimizerParamState> make_state() const override {
        return std::make_unique<SGDParamState>();
    }
};

}  // namespace optim
}  // namespace tapegrad
