#include "optim/reduce_lr_on_plateau.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "optim/detail.hpp"
#include "optim/lr_scheduler.hpp"

namespace tapegrad {
namespace optim {

namespace {
[[noreturn]] void fail(const char* scheduler, const std::string& message) {
    throw std::invalid_argument(std::string(scheduler) + ": " + message);
}

std::vector<double> current_lrs(const Optimizer& optimizer) {
    std::vector<double> lrs;
    for (const auto& group : optimizer.param_groups()) lrs.push_back(group.options().get_lr());
    return lrs;
}
}  // namespace

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, SchedulerMode mode, double factor,
                                     int64_t patience, double threshold,
                                     ThresholdMode threshold_mode, int64_t cooldown,
                                     std::vector<double> min_lr, double eps)
    : optimizer_(optimizer),
      mode_(mode),
      factor_(factor),
      patience_(patience),
      threshold_(threshold),
      threshold_mode_(threshold_mode),
      cooldown_(cooldown),
      min_lrs_(std::move(min_lr)),
      eps_(eps),
      best_(mode == min ? std::numeric_limits<double>::infinity()
                        : -std::numeric_limits<double>::infinity()) {
    const char* me = "ReduceLROnPlateau";
    if (!(factor >= 0 && factor < 1))
        fail(me, "factor must be in [0, 1), got " + detail::format_number(factor));
    if (patience < 0) fail(me, "patience must be >= 0, got " + std::to_string(patience));
    if (cooldown < 0) fail(me, "cooldown must be >= 0, got " + std::to_string(cooldown));
    detail::check_number(me, "threshold", threshold, Range::non_negative);
    detail::check_number(me, "eps", eps, Range::non_negative);
    if (min_lrs_.empty()) min_lrs_ = {0.0};
    for (double m : min_lrs_) detail::check_number(me, "min_lr", m, Range::non_negative);
    min_lrs_ =
        detail::per_group(me, "min_lr", std::move(min_lrs_), optimizer.param_groups().size());
}

bool ReduceLROnPlateau::is_better(double metric) const {
    if (mode_ == min && threshold_mode_ == rel) return metric < best_ * (1 - threshold_);
    if (mode_ == min) return metric < best_ - threshold_;
    if (threshold_mode_ == rel) return metric > best_ * (1 + threshold_);
    return metric > best_ + threshold_;
}

void ReduceLROnPlateau::step(double metric) {
    if (is_better(metric)) {
        best_ = metric;
        num_bad_epochs_ = 0;
    } else {
        ++num_bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
        --cooldown_counter_;
        num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
    }
    if (num_bad_epochs_ > patience_) {
        auto& groups = optimizer_.param_groups();
        for (size_t g = 0; g < groups.size(); ++g) {
            const double old_lr = groups[g].options().get_lr();
            const double min_lr = g < min_lrs_.size() ? min_lrs_[g] : 0.0;
            const double new_lr = std::max(old_lr * factor_, min_lr);
            // changes smaller than eps are not worth making
            if (old_lr - new_lr > eps_) groups[g].options().set_lr(new_lr);
        }
        cooldown_counter_ = cooldown_;
        num_bad_epochs_ = 0;
    }
}

std::vector<double> ReduceLROnPlateau::get_last_lr() const {
    return current_lrs(optimizer_);
}

}  // namespace optim
}  // namespace tapegrad
