#pragma once
// Schedulers that cycle the learning rate (and, inversely, the momentum) within one run, with
// PyTorch's semantics. Both are stepped after every batch, not every epoch.
//
//   CyclicLR    between base_lr and max_lr in triangles of step_size_up + step_size_down
//               steps; the amplitude is scaled per cycle (triangular2: halved each cycle) or
//               per step (exp_range: gamma^step), or by a scale_fn of your own
//   OneCycleLR  from max_lr / div_factor up to max_lr over pct_start of total_steps, then down
//               to max_lr / (div_factor * final_div_factor), along a cosine (or linearly)
//
// With cycle_momentum (the default), momentum moves the other way between base_momentum and
// max_momentum: SGD's and RMSprop's momentum, Adam's and AdamW's beta1 (OneCycleLR only, as
// PyTorch). An optimizer without either is refused.

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "optim/lr_scheduler.hpp"

namespace tapegrad {
namespace optim {

/// CyclicLR's policies: the amplitude stays (triangular), halves each cycle (triangular2), or
/// shrinks by gamma each step (exp_range).
enum class CyclicMode { triangular, triangular2, exp_range };
/// Whether a scale_fn receives the cycle number or the step number.
enum class ScaleMode { cycle, iterations };
/// How OneCycleLR moves between two values: along half a cosine or linearly.
enum class AnnealStrategy { cos, linear };

/// CyclicLR's settings: `CyclicLROptions(0.01, 0.1).step_size_up(10).mode(CyclicMode::exp_range)`.
/// base_lr, max_lr and the momenta take one value for every group or one per group.
struct CyclicLROptions {
    CyclicLROptions(double base_lr, double max_lr) : base_lr_{base_lr}, max_lr_{max_lr} {}
    CyclicLROptions(std::vector<double> base_lr, std::vector<double> max_lr)
        : base_lr_(std::move(base_lr)), max_lr_(std::move(max_lr)) {}
    TAPEGRAD_ARG(std::vector<double>, base_lr);
    TAPEGRAD_ARG(std::vector<double>, max_lr);
    TAPEGRAD_ARG(int64_t, step_size_up) = 2000;
    /// Defaults to step_size_up.
    TAPEGRAD_ARG(std::optional<int64_t>, step_size_down) = std::nullopt;
    TAPEGRAD_ARG(CyclicMode, mode) = CyclicMode::triangular;
    TAPEGRAD_ARG(double, gamma) = 1.0;
    /// Replaces the mode's scaling: a function of the cycle or step number, in [0, 1].
    TAPEGRAD_ARG(std::function<double(double)>, scale_fn);
    TAPEGRAD_ARG(ScaleMode, scale_mode) = ScaleMode::cycle;
    TAPEGRAD_ARG(bool, cycle_momentum) = true;
    TAPEGRAD_ARG(std::vector<double>, base_momentum) = {0.8};
    TAPEGRAD_ARG(std::vector<double>, max_momentum) = {0.9};
};

/// Cycles the lr between base_lr and max_lr (PyTorch's CyclicLR).
class CyclicLR : public LRScheduler {
public:
    CyclicLR(Optimizer& optimizer, CyclicLROptions options);

protected:
    std::vector<double> get_lrs() override;

private:
    double scale(double cycle) const;

    CyclicLROptions options_;
    std::vector<double> max_lrs_, base_momenta_, max_momenta_;
    double total_size_, step_ratio_;
};

/// OneCycleLR's settings: `OneCycleLROptions(0.1).total_steps(1000)`, or `.epochs(10)
/// .steps_per_epoch(100)` instead of total_steps. max_lr and the momenta take one value for
/// every group or one per group.
struct OneCycleLROptions {
    OneCycleLROptions(double max_lr) : max_lr_{max_lr} {}  // NOLINT: implicit
    OneCycleLROptions(std::vector<double> max_lr) : max_lr_(std::move(max_lr)) {}  // NOLINT
    TAPEGRAD_ARG(std::vector<double>, max_lr);
    TAPEGRAD_ARG(std::optional<int64_t>, total_steps) = std::nullopt;
    TAPEGRAD_ARG(std::optional<int64_t>, epochs) = std::nullopt;
    TAPEGRAD_ARG(std::optional<int64_t>, steps_per_epoch) = std::nullopt;
    TAPEGRAD_ARG(double, pct_start) = 0.3;
    TAPEGRAD_ARG(AnnealStrategy, anneal_strategy) = AnnealStrategy::cos;
    TAPEGRAD_ARG(bool, cycle_momentum) = true;
    TAPEGRAD_ARG(std::vector<double>, base_momentum) = {0.85};
    TAPEGRAD_ARG(std::vector<double>, max_momentum) = {0.95};
    TAPEGRAD_ARG(double, div_factor) = 25;
    TAPEGRAD_ARG(double, final_div_factor) = 1e4;
    /// Adds a third phase: up, back down to the initial lr, then down to the minimum.
    TAPEGRAD_ARG(bool, three_phase) = false;
};

/// The 1cycle policy (PyTorch's OneCycleLR). The schedule covers epochs 0 to total_steps - 1;
/// at epoch total_steps it holds the last value (PyTorch extrapolates, and a linear schedule
/// would turn negative), and stepping further throws std::logic_error.
class OneCycleLR : public LRScheduler {
public:
    OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);

protected:
    std::vector<double> get_lrs() override;

private:
    // A phase moves from one of the five values below to another, ending at step `end`.
    enum Value { initial, max, min, max_momentum, base_momentum };
    struct Phase {
        double end;
        Value start_lr, end_lr, start_momentum, end_momentum;
    };
    double anneal(double start, double end, double pct) const;

    OneCycleLROptions options_;
    int64_t total_steps_;
    std::vector<Phase> phases_;
    std::vector<std::vector<double>> values_;  // [group][Value]
    const char* momentum_name_ = nullptr;      // "momentum" or "beta1" when cycled
};

}  // namespace optim
}  // namespace tapegrad
