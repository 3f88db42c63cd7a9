#include "optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

namespace {
constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void fail(const char* scheduler, const std::string& message) {
    throw std::invalid_argument(std::string(scheduler) + ": " + message);
}

}  // namespace

void detail::check_positive(const char* scheduler, const char* what, int64_t value) {
    if (value <= 0)
        fail(scheduler, std::string(what) + " must be > 0, got " + std::to_string(value));
}

void detail::check_per_group(const char* scheduler, const char* what, size_t count, size_t groups) {
    if (count != 1 && count != groups)
        fail(scheduler, "got " + std::to_string(count) + " " + what + " values for " +
                            std::to_string(groups) +
                            " parameter groups; give one, or one per group");
}

LRScheduler::LRScheduler(Optimizer& optimizer) : LRScheduler(optimizer, "LRScheduler") {}

LRScheduler::LRScheduler(Optimizer& optimizer, const char* name)
    : optimizer_(optimizer), name_(name) {
    track_new_groups();
    last_lr_ = get_current_lrs();
}

void LRScheduler::track_new_groups() {
    auto& groups = optimizer_.param_groups();
    for (size_t g = base_lrs_.size(); g < groups.size(); ++g) {
        // the first scheduler of an optimizer records each group's lr as its base lr
        if (!groups[g].initial_lr()) groups[g].set_initial_lr(groups[g].options().get_lr());
        base_lrs_.push_back(*groups[g].initial_lr());
    }
}

void LRScheduler::step() {
    track_new_groups();
    ++last_epoch_;
    set_lrs(get_lrs());
    ++step_count_;
}

void LRScheduler::step_to(int64_t epoch) {
    track_new_groups();
    last_epoch_ = epoch;
    std::vector<double> lrs;
    for (size_t g = 0; g < optimizer_.param_groups().size(); ++g) {
        const std::optional<double> lr = closed_form_lr(g);
        if (!lr) {
            lrs = get_lrs();  // no closed form: PyTorch uses the chainable one
            break;
        }
        lrs.push_back(*lr);
    }
    set_lrs(lrs);
    ++step_count_;
}

std::vector<double> LRScheduler::get_lrs() {
    std::vector<double> lrs = get_current_lrs();
    for (size_t g = 0; g < lrs.size(); ++g) lrs[g] = chained_lr(g, lrs[g]);
    return lrs;
}

double LRScheduler::chained_lr(size_t, double) const {
    throw std::logic_error(std::string(name_) +
                           ": a scheduler must override get_lrs() or chained_lr()");
}

std::vector<double> LRScheduler::get_current_lrs() const {
    std::vector<double> lrs;
    for (const auto& group : optimizer_.param_groups()) lrs.push_back(group.options().get_lr());
    return lrs;
}

void LRScheduler::set_lrs(const std::vector<double>& lrs) {
    auto& groups = optimizer_.param_groups();
    if (lrs.size() != groups.size())
        throw std::logic_error(std::string(name_) + ": got " + std::to_string(lrs.size()) +
                               " learning rates for " + std::to_string(groups.size()) +
                               " parameter groups");
    // every value is checked before any is set
    for (size_t g = 0; g < lrs.size(); ++g) {
        const std::string what = "the learning rate of group " + std::to_string(g) + " at epoch " +
                                 std::to_string(last_epoch_);
        detail::check_number(name_, what.c_str(), lrs[g], Range::non_negative);
    }
    for (size_t g = 0; g < lrs.size(); ++g) groups[g].options().set_lr(lrs[g]);
    last_lr_ = lrs;
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
    detail::check_positive(name_, "step_size", step_size);
    detail::check_number(name_, "gamma", gamma, Range::non_negative);
    initial_step();
}

// LibTorch 1.13's timing, one epoch after PyTorch's: its StepLR sets nothing when made, so the
// first decay comes at the (step_size + 1)-th step(). A ported loop must train as it did.
double StepLR::chained_lr(size_t, double lr) const {
    const int64_t e = last_epoch_ - 1;
    if (e <= 0 || e % step_size_ != 0) return lr;
    return lr * gamma_;
}

std::optional<double> StepLR::closed_form_lr(size_t g) const {
    const int64_t e = std::max<int64_t>(last_epoch_ - 1, 0);
    return base_lrs_[g] * std::pow(gamma_, static_cast<double>(e / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer, "MultiStepLR"), milestones_(std::move(milestones)), gamma_(gamma) {
    for (int64_t m : milestones_)
        if (m < 0) fail(name_, "milestones must be >= 0, got " + std::to_string(m));
    detail::check_number(name_, "gamma", gamma, Range::non_negative);
    std::sort(milestones_.begin(), milestones_.end());
    initial_step();
}

double MultiStepLR::chained_lr(size_t, double lr) const {
    const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
    return hits == 0 ? lr : lr * std::pow(gamma_, static_cast<double>(hits));
}

std::optional<double> MultiStepLR::closed_form_lr(size_t g) const {
    const auto passed =
        std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
    return base_lrs_[g] * std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
    detail::check_number(name_, "gamma", gamma, Range::non_negative);
    initial_step();
}

double ExponentialLR::chained_lr(size_t, double lr) const {
    return last_epoch_ == 0 ? lr : lr * gamma_;
}

std::optional<double> ExponentialLR::closed_form_lr(size_t g) const {
    return base_lrs_[g] * std::pow(gamma_, static_cast<double>(last_epoch_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer, "CosineAnnealingLR"), T_max_(T_max), eta_min_(eta_min) {
    detail::check_positive(name_, "T_max", T_max);
    detail::check_number(name_, "eta_min", eta_min, Range::non_negative);
    initial_step();
}

double CosineAnnealingLR::chained_lr(size_t g, double lr) const {
    const double e = static_cast<double>(last_epoch_), T = static_cast<double>(T_max_);
    if (last_epoch_ == 0) return lr;
    // one epoch past a minimum, the ratio below would divide by zero: climb by the first step
    if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0)
        return lr + (base_lrs_[g] - eta_min_) * (1 - std::cos(kPi / T)) / 2;
    return (1 + std::cos(kPi * e / T)) / (1 + std::cos(kPi * (e - 1) / T)) * (lr - eta_min_) +
           eta_min_;
}

std::optional<double> CosineAnnealingLR::closed_form_lr(size_t g) const {
    return eta_min_ + (base_lrs_[g] - eta_min_) *
                          (1 + std::cos(kPi * static_cast<double>(last_epoch_) /
                                        static_cast<double>(T_max_))) /
                          2;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor,
                   int64_t total_iters)
    : LinearLR(optimizer, start_factor, end_factor, total_iters, "LinearLR", "total_iters") {}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor,
                   int64_t total_iters, const char* name, const char* iters_name)
    : LRScheduler(optimizer, name),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
    detail::check_positive(name_, iters_name, total_iters);
    if (!(start_factor > 0 && start_factor <= 1))
        fail(name_, "start_factor must be in (0, 1], got " + detail::format_number(start_factor));
    if (!(end_factor >= 0 && end_factor <= 1))
        fail(name_, "end_factor must be in [0, 1], got " + detail::format_number(end_factor));
    initial_step();
}

double LinearLR::chained_lr(size_t, double lr) const {
    if (last_epoch_ == 0) return lr * start_factor_;
    if (last_epoch_ > total_iters_) return lr;
    // the ratio of this epoch's factor to the last one's
    const double slope = end_factor_ - start_factor_;
    return lr * (1.0 + slope / (static_cast<double>(total_iters_) * start_factor_ +
                                static_cast<double>(last_epoch_ - 1) * slope));
}

std::optional<double> LinearLR::closed_form_lr(size_t g) const {
    const double done = static_cast<double>(std::min(total_iters_, last_epoch_));
    return base_lrs_[g] * (start_factor_ + (end_factor_ - start_factor_) * done /
                                               static_cast<double>(total_iters_));
}

LinearWarmup::LinearWarmup(Optimizer& optimizer, int64_t warmup_steps, double start_factor)
    : LinearLR(optimizer, start_factor, 1.0, warmup_steps, "LinearWarmup", "warmup_steps") {}

template <bool Multiplicative>
LambdaLRT<Multiplicative>::LambdaLRT(Optimizer& optimizer, LRLambda lr_lambda)
    : LambdaLRT(optimizer, std::vector<LRLambda>{std::move(lr_lambda)}) {}

template <bool Multiplicative>
LambdaLRT<Multiplicative>::LambdaLRT(Optimizer& optimizer, std::vector<LRLambda> lr_lambdas)
    : LRScheduler(optimizer, Multiplicative ? "MultiplicativeLR" : "LambdaLR"),
      lr_lambdas_(detail::per_group(name_, "lr_lambda", std::move(lr_lambdas),
                                    optimizer.param_groups().size())) {
    for (size_t g = 0; g < lr_lambdas_.size(); ++g)
        if (!lr_lambdas_[g]) fail(name_, "lr_lambda " + std::to_string(g) + " is empty");
    initial_step();
}

template <bool Multiplicative>
double LambdaLRT<Multiplicative>::chained_lr(size_t g, double lr) const {
    // a group added after the scheduler was made uses the last function
    const LRLambda& factor = lr_lambdas_[std::min(g, lr_lambdas_.size() - 1)];
    if (!Multiplicative) return base_lrs_[g] * factor(last_epoch_);
    return last_epoch_ > 0 ? lr * factor(last_epoch_) : lr;
}

template class LambdaLRT<false>;
template class LambdaLRT<true>;

}  // namespace optim
}  // namespace tapegrad
