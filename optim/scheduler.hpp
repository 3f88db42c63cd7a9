#pragma once
// Learning-rate schedulers, with LibTorch's names and PyTorch's closed forms. Each sets the lr
// of every parameter group from the lr the group had when the scheduler was made (its base
// lr) and the number of step() calls so far (the epoch):
//
//   StepLR             base * gamma^floor(epoch / step_size)
//   MultiStepLR        base * gamma^(number of milestones <= epoch)
//   ExponentialLR      base * gamma^epoch
//   CosineAnnealingLR  eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
//   LinearWarmup       base * (start_factor + (1 - start_factor) * min(epoch, warmup) / warmup)
//
// ReduceLROnPlateau instead multiplies the lr by `factor` when a metric stops improving.
// Call scheduler.step() once per epoch, after optimizer.step().

#include <cstdint>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// The base of the epoch-driven schedulers.
class LRScheduler {
public:
    explicit LRScheduler(Optimizer& optimizer);
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    /// Advances one epoch and sets every group's learning rate for it.
    void step();
    /// Every group's learning rate, as last set.
    std::vector<double> get_last_lr() const;
    /// The number of step() calls so far (PyTorch's last_epoch).
    int64_t last_epoch() const { return last_epoch_; }

protected:
    /// The learning rate at `epoch` of a group whose base lr is `base_lr`.
    virtual double lr_at(double base_lr, int64_t epoch) const = 0;
    /// Sets every group's lr for the current epoch; subclass constructors call it once.
    void apply();

    Optimizer& optimizer_;
    std::vector<double> base_lrs_;
    int64_t last_epoch_ = 0;
};

/// Multiplies the learning rate by gamma every step_size epochs.
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

private:
    double lr_at(double base_lr, int64_t epoch) const override;
    int64_t step_size_;
    double gamma_;
};

/// Multiplies the learning rate by gamma at each milestone epoch.
class MultiStepLR : public LRScheduler {
public:
    MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

private:
    double lr_at(double base_lr, int64_t epoch) const override;
    std::vector<int64_t> milestones_;  // sorted
    double gamma_;
};

/// Multiplies the learning rate by gamma every epoch.
class ExponentialLR : public LRScheduler {
public:
    ExponentialLR(Optimizer& optimizer, double gamma);

private:
    double lr_at(double base_lr, int64_t epoch) const override;
    double gamma_;
};

/// Anneals the learning rate from its base to eta_min along half a cosine over T_max epochs
/// (and back up over the next T_max, as PyTorch's closed form does).
class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

private:
    double lr_at(double base_lr, int64_t epoch) const override;
    int64_t T_max_;
    double eta_min_;
};

/// Raises the learning rate linearly from start_factor * base to base over warmup_steps
/// epochs, then keeps it (PyTorch's LinearLR with end_factor 1). Sets the first lr at once.
class LinearWarmup : public LRScheduler {
public:
    LinearWarmup(Optimizer& optimizer, int64_t warmup_steps, double start_factor = 1.0 / 3);

private:
    double lr_at(double base_lr, int64_t epoch) const override;
    int64_t warmup_steps_;
    double start_factor_;
};

/// Multiplies every group's lr by `factor` (down to min_lr) once the metric passed to step()
/// has not improved for more than `patience` epochs, then waits `cooldown` epochs.
class ReduceLROnPlateau {
public:
    enum SchedulerMode { min, max };
    enum ThresholdMode { rel, abs };

    /// min_lr holds nothing (0 for every group), one value for every group, or one per group.
    ReduceLROnPlateau(Optimizer& optimizer, SchedulerMode mode = min, double factor = 0.1,
                      int64_t patience = 10, double threshold = 1e-4,
                      ThresholdMode threshold_mode = rel, int64_t cooldown = 0,
                      std::vector<double> min_lr = {}, double eps = 1e-8);

    /// Records one epoch's metric (e.g. a validation loss) and lowers the lr if it stalled.
    void step(double metric);
    /// Every group's learning rate, as last set.
    std::vector<double> get_last_lr() const;
    /// The best metric seen so far.
    double best() const { return best_; }
    int64_t num_bad_epochs() const { return num_bad_epochs_; }

private:
    bool is_better(double metric) const;

    Optimizer& optimizer_;
    SchedulerMode mode_;
    double factor_;
    int64_t patience_;
    double threshold_;
    ThresholdMode threshold_mode_;
    int64_t cooldown_;
    std::vector<double> min_lrs_;
    double eps_;
    double best_;
    int64_t num_bad_epochs_ = 0;
    int64_t cooldown_counter_ = 0;
};

/// LibTorch's name for ReduceLROnPlateau.
using ReduceLROnPlateauScheduler = ReduceLROnPlateau;

}  // namespace optim
}  // namespace tapegrad
