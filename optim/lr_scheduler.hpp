#pragma once
// Learning-rate schedulers driven by epochs, with PyTorch's names and semantics. A scheduler
// sets the lr of every parameter group at each step(); the first value is set when it is made
// (PyTorch's epoch 0), so call step() once per epoch after optimizer.step(). Each group's base
// lr is the lr it had when the first scheduler of the optimizer was made (PyTorch's
// group["initial_lr"]). Epoch e's lr (closed forms; the schedulers use PyTorch's recursive
// "chainable" forms, which give these values when nothing else changes the lr):
//
//   StepLR             base * gamma^floor(max(e - 1, 0) / step_size)   (LibTorch 1.13's timing)
//   MultiStepLR        base * gamma^(number of milestones <= e)
//   ExponentialLR      base * gamma^e
//   CosineAnnealingLR  eta_min + (base - eta_min) * (1 + cos(pi * e / T_max)) / 2
//   LinearLR           base * (start + (end - start) * min(e, total_iters) / total_iters)
//   LambdaLR           base * lr_lambda(e)
//   MultiplicativeLR   lr of epoch e - 1, times lr_lambda(e)
//
// Because the forms are chainable, several schedulers can drive one optimizer together
// (ChainedScheduler) or one after the other (SequentialLR), as in PyTorch.

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

class SequentialLR;

/// The base of the epoch-driven schedulers.
class LRScheduler {
public:
    /// LibTorch's constructor, for schedulers written as LibTorch's: override get_lrs(), which
    /// sees step_count_ = the number of step() calls before this one.
    explicit LRScheduler(Optimizer& optimizer);
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    /// Advances one epoch and sets every group's learning rate for it.
    virtual void step();
    /// Every group's learning rate, as this scheduler last set it.
    std::vector<double> get_last_lr() const { return last_lr_; }
    /// The epoch whose lr is set now (PyTorch's last_epoch): 0 after construction.
    int64_t last_epoch() const { return last_epoch_; }
    Optimizer& optimizer() const { return optimizer_; }

protected:
    /// `name` names the scheduler in messages.
    LRScheduler(Optimizer& optimizer, const char* name);

    /// The lr of every group for the epoch last_epoch_ (LibTorch's hook). The default asks
    /// chained_lr() for each group.
    virtual std::vector<double> get_lrs();
    /// PyTorch's chainable form: the lr of group `g` at last_epoch_, given its current `lr`.
    virtual double chained_lr(size_t g, double lr) const;
    /// PyTorch's closed form of group `g`'s lr at last_epoch_, for the schedulers that have one
    /// (SequentialLR restarts a scheduler at epoch 0 with it; without one, with get_lrs()).
    virtual std::optional<double> closed_form_lr(size_t /*g*/) const { return std::nullopt; }
    /// Every group's current lr (LibTorch's name).
    std::vector<double> get_current_lrs() const;
    /// Sets epoch 0's lrs: subclass constructors call it last (PyTorch's _initial_step).
    void initial_step() { step(); }
    /// Sets every group's lr; throws std::invalid_argument naming the scheduler if one is not
    /// finite or negative.
    void set_lrs(const std::vector<double>& lrs);

    Optimizer& optimizer_;
    const char* name_ = "LRScheduler";
    std::vector<double> base_lrs_;
    int64_t last_epoch_ = -1;
    unsigned step_count_ = 0;  // LibTorch's: step() calls so far
    std::vector<double> last_lr_;

private:
    friend class SequentialLR;
    /// PyTorch's step(epoch): jumps to `epoch` and sets the closed-form lrs.
    void step_to(int64_t epoch);
    /// Adds a base lr for each group added to the optimizer since.
    void track_new_groups();
};

/// Multiplies the learning rate by gamma every step_size epochs, at LibTorch 1.13's steps: the
/// first decay comes at the (step_size + 1)-th step(), one step() later than PyTorch's StepLR,
/// so a LibTorch loop ported by the rename trains exactly as it did.
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

protected:
    double chained_lr(size_t g, double lr) const override;
    std::optional<double> closed_form_lr(size_t g) const override;

private:
    int64_t step_size_;
    double gamma_;
};

/// Multiplies the learning rate by gamma at each milestone epoch (a milestone given twice
/// multiplies twice).
class MultiStepLR : public LRScheduler {
public:
    MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

protected:
    double chained_lr(size_t g, double lr) const override;
    std::optional<double> closed_form_lr(size_t g) const override;

private:
    std::vector<int64_t> milestones_;  // sorted
    double gamma_;
};

/// Multiplies the learning rate by gamma every epoch.
class ExponentialLR : public LRScheduler {
public:
    ExponentialLR(Optimizer& optimizer, double gamma);

protected:
    double chained_lr(size_t g, double lr) const override;
    std::optional<double> closed_form_lr(size_t g) const override;

private:
    double gamma_;
};

/// Anneals the learning rate from its base to eta_min along half a cosine over T_max epochs
/// (and back up over the next T_max, as PyTorch's does).
class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

protected:
    double chained_lr(size_t g, double lr) const override;
    std::optional<double> closed_form_lr(size_t g) const override;

private:
    int64_t T_max_;
    double eta_min_;
};

/// Multiplies the base lr by a factor that moves linearly from start_factor to end_factor over
/// total_iters epochs, then stays at end_factor.
class LinearLR : public LRScheduler {
public:
    LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
             int64_t total_iters = 5);

protected:
    /// For LinearWarmup: `name` and `iters_name` name the scheduler and total_iters in messages.
    LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters,
             const char* name, const char* iters_name);
    double chained_lr(size_t g, double lr) const override;
    std::optional<double> closed_form_lr(size_t g) const override;

private:
    double start_factor_, end_factor_;
    int64_t total_iters_;
};

/// LinearLR with end_factor 1: raises the lr from start_factor * base to base over
/// warmup_steps epochs, then keeps it.
class LinearWarmup : public LinearLR {
public:
    LinearWarmup(Optimizer& optimizer, int64_t warmup_steps, double start_factor = 1.0 / 3);
};

/// A function of the epoch: LambdaLR's factor, or MultiplicativeLR's.
using LRLambda = std::function<double(int64_t epoch)>;

/// LambdaLR and MultiplicativeLR, which differ only in what the factor multiplies: one
/// function for every group, or one per group.
template <bool Multiplicative>
class LambdaLRT : public LRScheduler {
public:
    LambdaLRT(Optimizer& optimizer, LRLambda lr_lambda);
    LambdaLRT(Optimizer& optimizer, std::vector<LRLambda> lr_lambdas);

protected:
    double chained_lr(size_t g, double lr) const override;

private:
    std::vector<LRLambda> lr_lambdas_;
};

/// Sets each group's lr to its base lr times lr_lambda(epoch).
using LambdaLR = LambdaLRT<false>;
/// Multiplies each group's lr by lr_lambda(epoch) at every step after the first.
using MultiplicativeLR = LambdaLRT<true>;
extern template class LambdaLRT<false>;
extern template class LambdaLRT<true>;

namespace detail {
/// Throws std::invalid_argument "<scheduler>: <what> must be > 0, got <value>" unless value > 0.
void check_positive(const char* scheduler, const char* what, int64_t value);
/// Throws std::invalid_argument "<scheduler>: got 3 <what> values for 2 parameter groups; ..."
/// unless `count` is 1 or `groups`.
void check_per_group(const char* scheduler, const char* what, size_t count, size_t groups);
/// One value for every group, or one per group: `values` of length 1 repeated to `groups`.
template <class T>
std::vector<T> per_group(const char* scheduler, const char* what, std::vector<T> values,
                         size_t groups) {
    check_per_group(scheduler, what, values.size(), groups);
    if (values.size() == 1) values.assign(groups, values[0]);
    return values;
}
}  // namespace detail

}  // namespace optim
}  // namespace tapegrad
