#include "optim/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

namespace {
[[noreturn]] void fail(const char* scheduler, const std::string& message) {
    throw std::invalid_argument(std::string(scheduler) + ": " + message);
}

void check_positive(const char* scheduler, const char* what, int64_t value) {
    if (value <= 0)
        fail(scheduler, std::string(what) + " must be > 0, got " + std::to_string(value));
}

std::vector<double> current_lrs(const Optimizer& optimizer) {
    std::vector<double> lrs;
    for (const auto& group : optimizer.param_groups()) lrs.push_back(group.options().get_lr());
    return lrs;
}
}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(optimizer), base_lrs_(current_lrs(optimizer)) {}

void LRScheduler::step() {
    ++last_epoch_;
    apply();
}

std::vector<double> LRScheduler::get_last_lr() const {
    return current_lrs(optimizer_);
}

void LRScheduler::apply() {
    auto& groups = optimizer_.param_groups();
    // a group added after the scheduler was made starts from the lr it has now
    for (size_t g = base_lrs_.size(); g < groups.size(); ++g)
        base_lrs_.push_back(groups[g].options().get_lr());
    for (size_t g = 0; g < groups.size(); ++g)
        groups[g].options().set_lr(lr_at(base_lrs_[g], last_epoch_));
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    check_positive("StepLR", "step_size", step_size);
    apply();
}

double StepLR::lr_at(double base_lr, int64_t epoch) const {
    return base_lr * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
    std::sort(milestones_.begin(), milestones_.end());
    apply();
}

double MultiStepLR::lr_at(double base_lr, int64_t epoch) const {
    const auto passed =
        std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
    return base_lr * std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
    apply();
}

double ExponentialLR::lr_at(double base_lr, int64_t epoch) const {
    return base_lr * std::pow(gamma_, static_cast<double>(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
    check_positive("CosineAnnealingLR", "T_max", T_max);
    apply();
}

double CosineAnnealingLR::lr_at(double base_lr, int64_t epoch) const {
    const double pi = 3.14159265358979323846;
    return eta_min_ +
           (base_lr - eta_min_) *
               (1 + std::cos(pi * static_cast<double>(epoch) / static_cast<double>(T_max_))) / 2;
}

LinearWarmup::LinearWarmup(Optimizer& optimizer, int64_t warmup_steps, double start_factor)
    : LRScheduler(optimizer), warmup_steps_(warmup_steps), start_factor_(start_factor) {
    check_positive("LinearWarmup", "warmup_steps", warmup_steps);
    if (!(start_factor > 0 && start_factor <= 1))
        fail("LinearWarmup",
             "start_factor must be in (0, 1], got " + detail::format_number(start_factor));
    apply();
}

double LinearWarmup::lr_at(double base_lr, int64_t epoch) const {
    const double done =
        static_cast<double>(std::min(epoch, warmup_steps_)) / static_cast<double>(warmup_steps_);
    return base_lr * (start_factor_ + (1 - start_factor_) * done);
}

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
    const size_t n_groups = optimizer.param_groups().size();
    if (min_lrs_.empty())
        min_lrs_.assign(n_groups, 0.0);
    else if (min_lrs_.size() == 1)
        min_lrs_.assign(n_groups, min_lrs_[0]);
    else if (min_lrs_.size() != n_groups)
        fail(me, "got " + std::to_string(min_lrs_.size()) + " min_lr values for " +
                     std::to_string(n_groups) + " parameter groups; give one, or one per group");
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
