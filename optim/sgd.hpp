#pragma once
// SGD: stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
// weight decay, as torch.optim.SGD. Over the whole data set it is plain gradient descent.
//
//   d = grad + weight_decay * p
//   buf = d on the first step, then buf = momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf        (when momentum != 0)
//   p -= lr * d

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// SGD's hyperparameters: `SGDOptions(0.1).momentum(0.9).nesterov(true)`.
struct SGDOptions : public OptimizerOptionsBase<SGDOptions> {
    SGDOptions(double lr) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    TAPEGRAD_ARG(double, momentum) = 0;
    TAPEGRAD_ARG(double, dampening) = 0;
    TAPEGRAD_ARG(double, weight_decay) = 0;
    TAPEGRAD_ARG(bool, nesterov) = false;

public:
    static constexpr const char* optimizer_name = "SGD";
    void visit(FieldVisitor& visitor) override;
    void check(const char* optimizer) const override;
};

/// SGD's per-parameter state: the momentum buffer (kept only when momentum != 0).
struct SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
    TAPEGRAD_ARG(Tensor, momentum_buffer);

public:
    void visit(FieldVisitor& visitor) override;
};

class SGD : public TypedOptimizer<SGDOptions, SGDParamState> {
public:
    using TypedOptimizer::TypedOptimizer;

protected:
    void update(const Tensor& p, const Tensor& grad, const SGDOptions& options,
                SGDParamState* state) override;
    bool keeps_state(const OptimizerOptions& options) const override;
};

}  // namespace optim
}  // namespace tapegrad
