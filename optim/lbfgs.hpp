#pragma once
// LBFGS: limited-memory BFGS, as torch::optim::LBFGS (LibTorch 1.13). One step(closure) runs up
// to max_iter iterations, each calling the closure to re-evaluate the loss and its gradient.
// The parameters are seen as one flat vector x with gradient g:
//
//   direction:  d = -H g, where H (the inverse Hessian) is approximated from the last
//               history_size pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k (two-loop recursion,
//               starting from H0 = (s.y / y.y) I); the first direction is -g
//   step:       x += t d, with t = min(1, 1 / |g|_1) * lr on the first iteration, t = lr after;
//               with line_search_fn "strong_wolfe", t is searched for until the loss has
//               decreased enough and the slope g.d flattened enough (strong Wolfe conditions)
//   stop:       |g|_inf <= tolerance_grad, g.d > -tolerance_change, a step or loss change below
//               tolerance_change, max_iter iterations or max_eval closure calls
//
//   optim::LBFGS opt(model->parameters(), optim::LBFGSOptions(1).line_search_fn("strong_wolfe"));
//   opt.step([&] { opt.zero_grad(); auto loss = f(); loss.backward(); return loss; });

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// LBFGS's options, LibTorch's: `LBFGSOptions(1).max_iter(20).line_search_fn("strong_wolfe")`.
/// max_eval defaults to max_iter * 5 / 4.
struct LBFGSOptions : public OptimizerOptionsBase<LBFGSOptions> {
    LBFGSOptions(double lr = 1) : lr_(lr) {}  // NOLINT: implicit, as LibTorch's
    TAPEGRAD_ARG(double, lr);
    TAPEGRAD_ARG(int64_t, max_iter) = 20;
    TAPEGRAD_ARG(std::optional<int64_t>, max_eval) = std::nullopt;
    TAPEGRAD_ARG(double, tolerance_grad) = 1e-7;
    TAPEGRAD_ARG(double, tolerance_change) = 1e-9;
    TAPEGRAD_ARG(int64_t, history_size) = 100;
    TAPEGRAD_ARG(std::optional<std::string>, line_search_fn) = std::nullopt;

public:
    static constexpr const char* optimizer_name = "LBFGS";
    void visit(FieldVisitor& visitor) override;
    void check(const char* optimizer) const override;
};

/// LBFGS's state, kept for the first parameter (LBFGS has one state for all of them, as
/// LibTorch's): the counters, the last direction d and step t, and the history.
struct LBFGSParamState : public OptimizerCloneableParamState<LBFGSParamState> {
    TAPEGRAD_ARG(int64_t, func_evals) = 0;
    TAPEGRAD_ARG(int64_t, n_iter) = 0;
    TAPEGRAD_ARG(double, t) = 0;
    TAPEGRAD_ARG(double, prev_loss) = 0;
    TAPEGRAD_ARG(Tensor, d);
    TAPEGRAD_ARG(Tensor, H_diag);
    TAPEGRAD_ARG(Tensor, prev_flat_grad);
    TAPEGRAD_ARG(std::deque<Tensor>, old_dirs);
    TAPEGRAD_ARG(std::deque<Tensor>, old_stps);
    TAPEGRAD_ARG(std::deque<Tensor>, ro);
    /// Scratch of the two-loop recursion (not saved).
    TAPEGRAD_ARG(std::optional<std::vector<Tensor>>, al) = std::nullopt;

public:
    void visit(FieldVisitor& visitor) override;
};

class LBFGS : public TypedOptimizer<LBFGSOptions, LBFGSParamState> {
public:
    /// Throws std::invalid_argument unless there is exactly one group, with one dtype.
    explicit LBFGS(std::vector<OptimizerParamGroup> param_groups, LBFGSOptions defaults = {});
    explicit LBFGS(std::vector<Tensor> params, LBFGSOptions defaults = {});

    /// Runs up to max_iter iterations; the closure must zero the gradients, compute the loss,
    /// call backward and return the loss. Returns the loss of the first closure call.
    Tensor step(LossClosure closure) override;

private:
    Tensor gather_flat_grad() const;
    void add_grad(double step_size, const Tensor& update);
};

}  // namespace optim
}  // namespace tapegrad
