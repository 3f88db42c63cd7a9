#pragma once
// Schedulers made of other schedulers, with PyTorch's semantics. Both hold references: the
// schedulers they are made of must outlive them.
//
//   ChainedScheduler({warmup, decay})         steps every scheduler each epoch, in order, so
//                                             their (chainable) changes compound
//   SequentialLR(opt, {warmup, decay}, {5})   runs warmup for epochs 0-4, then decay from its
//                                             own epoch 0 (its closed form) at epoch 5

#include <cstdint>
#include <functional>
#include <vector>

#include "optim/lr_scheduler.hpp"

namespace tapegrad {
namespace optim {

/// Schedulers as `{scheduler_a, scheduler_b}`.
using SchedulerList = std::vector<std::reference_wrapper<LRScheduler>>;

/// Hands the optimizer from one scheduler to the next at each milestone (PyTorch's
/// SequentialLR). Making it resets every group's lr to its initial lr and restarts the first
/// scheduler at epoch 0.
class SequentialLR : public LRScheduler {
public:
    /// Throws std::invalid_argument unless every scheduler drives `optimizer`, there is one
    /// milestone fewer than schedulers, and the milestones increase from >= 0.
    SequentialLR(Optimizer& optimizer, SchedulerList schedulers, std::vector<int64_t> milestones);
    void step() override;

private:
    SchedulerList schedulers_;
    std::vector<int64_t> milestones_;
};

/// Steps several schedulers of one optimizer together (PyTorch's ChainedScheduler).
class ChainedScheduler : public LRScheduler {
public:
    /// Throws std::invalid_argument if `schedulers` is empty or drives several optimizers.
    explicit ChainedScheduler(SchedulerList schedulers);
    void step() override;

private:
    SchedulerList schedulers_;
};

}  // namespace optim
}  // namespace tapegrad
