#pragma once
// ReduceLROnPlateau: multiplies the lr by `factor` when a metric (e.g. the validation loss)
// stops improving, as PyTorch's and LibTorch's (ReduceLROnPlateauScheduler). Call
// scheduler.step(metric) once per epoch.

#include <cstdint>
#include <vector>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

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
