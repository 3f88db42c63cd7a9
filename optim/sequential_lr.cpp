#include "optim/sequential_lr.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tapegrad {
namespace optim {

namespace {
[[noreturn]] void fail(const char* scheduler, const std::string& message) {
    throw std::invalid_argument(std::string(scheduler) + ": " + message);
}

// Checks that every scheduler drives `optimizer` (the first one's if null); returns it.
Optimizer& common_optimizer(const char* scheduler, const SchedulerList& schedulers,
                            Optimizer* optimizer) {
    if (schedulers.empty()) fail(scheduler, "got no schedulers");
    if (!optimizer) optimizer = &schedulers[0].get().optimizer();
    for (size_t i = 0; i < schedulers.size(); ++i)
        if (&schedulers[i].get().optimizer() != optimizer)
            fail(scheduler, "scheduler " + std::to_string(i) +
                                " drives another optimizer; all must drive the same one");
    return *optimizer;
}
}  // namespace

SequentialLR::SequentialLR(Optimizer& optimizer, SchedulerList schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler(common_optimizer("SequentialLR", schedulers, &optimizer), "SequentialLR"),
      schedulers_(std::move(schedulers)),
      milestones_(std::move(milestones)) {
    if (milestones_.size() + 1 != schedulers_.size())
        fail(name_, "got " + std::to_string(schedulers_.size()) + " schedulers and " +
                        std::to_string(milestones_.size()) +
                        " milestones; give one milestone fewer than schedulers");
    for (size_t i = 0; i < milestones_.size(); ++i)
        if (milestones_[i] < 0 || (i > 0 && milestones_[i] <= milestones_[i - 1]))
            fail(name_, "milestones must increase from >= 0, got " +
                            std::to_string(milestones_[i]) + " at index " + std::to_string(i));
    last_epoch_ = 0;
    // start over: every group at its initial lr, the first scheduler at epoch 0, the others
    // one epoch back so that each restarts at its milestone
    for (auto& group : optimizer.param_groups())
        if (group.initial_lr()) group.options().set_lr(*group.initial_lr());
    for (LRScheduler& s : schedulers_) --s.last_epoch_;
    schedulers_[0].get().step();
    last_lr_ = schedulers_[0].get().get_last_lr();
}

void SequentialLR::step() {
    ++last_epoch_;
    const size_t i =
        static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) -
                            milestones_.begin());
    LRScheduler& current = schedulers_[i];
    if (i > 0 && milestones_[i - 1] == last_epoch_)
        current.step_to(0);
    else
        current.step();
    last_lr_ = current.get_last_lr();
}

ChainedScheduler::ChainedScheduler(SchedulerList schedulers)
    : LRScheduler(common_optimizer("ChainedScheduler", schedulers, nullptr), "ChainedScheduler"),
      schedulers_(std::move(schedulers)) {
    last_epoch_ = 0;
}

void ChainedScheduler::step() {
    ++last_epoch_;
    for (LRScheduler& s : schedulers_) s.step();
    last_lr_ = get_current_lrs();
}

}  // namespace optim
}  // namespace tapegrad
