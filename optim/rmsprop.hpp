#pragma once
// RMSprop: divides the gradient by a running root mean square, as torch.optim.RMSprop.
//
//   g = grad + weight_decay * p
//   square_avg = alpha * square_avg + (1 - alpha) * g^2
//   centered:  grad_avg = alpha * grad_avg + (1 - alpha) * g
//              avg = sqrt(square_avg - grad_avg^2) + eps
//   otherwise: avg = sqrt(square_avg) + eps
//   momentum > 0: buf = momentum * buf + g / avg,  p -= lr * buf
//   otherwise:    p -= lr * g / avg

#include <cstdint>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// RMSprop's hyperparameters: `RMSpropOptions(0.01).alpha(0.9).centered(true)`.
struct RMSpropOptions : public OptimizerOptionsBase<RMSpropOptions> {
    RMSpropOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    TAPEGRAD_ARG(double, alpha) = 0.99;
    TAPEGRAD_ARG(double, eps) = 1e-8;
    TAPEGRAD_ARG(double, weight_decay) = 0;
    TAPEGRAD_ARG(double, momentum) = 0;
    TAPEGRAD_ARG(bool, centered) = false;

public:
    static constexpr const char* optimizer_name = "RMSprop";
    void visit(FieldVisitor& visitor) override;
};

/// RMSprop's per-parameter state; momentum_buffer and grad_avg exist only when the options
/// use them.
struct RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
    TAPEGRAD_ARG(int64_t, step) = 0;
    TAPEGRAD_ARG(Tensor, square_avg);
    TAPEGRAD_ARG(Tensor, momentum_buffer);
    TAPEGRAD_ARG(Tensor, grad_avg);

public:
    void visit(FieldVisitor& visitor) override;
};

class RMSprop : public TypedOptimizer<RMSpropOptions, RMSpropParamState> {
public:
    using TypedOptimizer::TypedOptimizer;

protected:
    void update(const Tensor& p, const Tensor& grad, const RMSpropOptions& options,
                RMSpropParamState* state) override;
};

}  // namespace optim
}  // namespace tapegrad
