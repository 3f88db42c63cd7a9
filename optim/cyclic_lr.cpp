#include "optim/cyclic_lr.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

namespace {
constexpr double kPi = 3.14159265358979323846;

// Checks every value of a per-group list and spreads it over the groups.
std::vector<double> checked_per_group(const char* scheduler, const char* what,
                                      std::vector<double> values, size_t groups) {
    for (double v : values) detail::check_number(scheduler, what, v, Range::non_negative);
    return detail::per_group(scheduler, what, std::move(values), groups);
}

// The number option that momentum cycling moves, or throws naming the scheduler.
double& momentum_of(OptimizerParamGroup& group, const char* name, const char* scheduler) {
    double* value = detail::find_number(group.options(), name);
    if (!value)
        throw std::invalid_argument(std::string(scheduler) + ": the optimizer has no " + name +
                                    " to cycle; pass cycle_momentum(false)");
    return *value;
}

// Checks CyclicLR's options, then starts every group at its base_lr: before the scheduler
// base records the lrs, and only once nothing can be refused any more.
Optimizer& start_at_base_lr(Optimizer& optimizer, const CyclicLROptions& options) {
    const char* me = "CyclicLR";
    auto& groups = optimizer.param_groups();
    const auto base = checked_per_group(me, "base_lr", options.base_lr(), groups.size());
    checked_per_group(me, "max_lr", options.max_lr(), groups.size());
    detail::check_positive(me, "step_size_up", options.step_size_up());
    detail::check_positive(me, "step_size_down",
                           options.step_size_down().value_or(options.step_size_up()));
    detail::check_number(me, "gamma", options.gamma(), Range::non_negative);
    if (options.cycle_momentum()) {
        checked_per_group(me, "base_momentum", options.base_momentum(), groups.size());
        checked_per_group(me, "max_momentum", options.max_momentum(), groups.size());
        for (auto& group : groups) momentum_of(group, "momentum", me);
    }
    for (size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(base[g]);
    return optimizer;
}
}  // namespace

CyclicLR::CyclicLR(Optimizer& optimizer, CyclicLROptions options)
    : LRScheduler(start_at_base_lr(optimizer, options), "CyclicLR"), options_(std::move(options)) {
    const size_t groups = optimizer.param_groups().size();
    max_lrs_ = detail::per_group(name_, "max_lr", options_.max_lr(), groups);
    const int64_t down = options_.step_size_down().value_or(options_.step_size_up());
    total_size_ = static_cast<double>(options_.step_size_up()) + static_cast<double>(down);
    step_ratio_ = static_cast<double>(options_.step_size_up()) / total_size_;
    // the built-in modes fix the scale mode; a scale_fn of your own uses the one you give
    if (!options_.scale_fn())
        options_.scale_mode(options_.mode() == CyclicMode::exp_range ? ScaleMode::iterations
                                                                     : ScaleMode::cycle);
    if (options_.cycle_momentum()) {
        base_momenta_ = detail::per_group(name_, "base_momentum", options_.base_momentum(), groups);
        max_momenta_ = detail::per_group(name_, "max_momentum", options_.max_momentum(), groups);
        for (size_t g = 0; g < groups; ++g)
            momentum_of(optimizer.param_groups()[g], "momentum", name_) = base_momenta_[g];
    }
    // as PyTorch, epoch 0 starts from the groups' initial lr, the cycles from base_lr after
    initial_step();
    base_lrs_ = detail::per_group(name_, "base_lr", options_.base_lr(), groups);
}

double CyclicLR::scale(double x) const {
    if (options_.scale_fn()) return options_.scale_fn()(x);
    switch (options_.mode()) {
        case CyclicMode::triangular:
            return 1.0;
        case CyclicMode::triangular2:
            return 1 / std::pow(2.0, x - 1);
        case CyclicMode::exp_range:
            break;
    }
    return std::pow(options_.gamma(), x);
}

std::vector<double> CyclicLR::get_lrs() {
    // where in its cycle this step is: x goes 0 -> 1 over one cycle, the lr peaks at step_ratio
    const double epoch = static_cast<double>(last_epoch_);
    const double cycle = std::floor(1 + epoch / total_size_);
    const double x = 1.0 + epoch / total_size_ - cycle;
    const double scale_factor = x <= step_ratio_ ? x / step_ratio_ : (x - 1) / (step_ratio_ - 1);
    const double amplitude = scale(options_.scale_mode() == ScaleMode::cycle ? cycle : epoch);
    auto& groups = optimizer_.param_groups();
    std::vector<double> lrs;
    for (size_t g = 0; g < groups.size(); ++g) {
        lrs.push_back(base_lrs_[g] + (max_lrs_[g] - base_lrs_[g]) * scale_factor * amplitude);
        if (options_.cycle_momentum())
            momentum_of(groups[g], "momentum", name_) =
                max_momenta_[g] - (max_momenta_[g] - base_momenta_[g]) * scale_factor * amplitude;
    }
    return lrs;
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options)
    : LRScheduler(optimizer, "OneCycleLR"), options_(std::move(options)) {
    const OneCycleLROptions& o = options_;
    if (o.total_steps()) {
        detail::check_positive(name_, "total_steps", *o.total_steps());
        total_steps_ = *o.total_steps();
    } else if (o.epochs() && o.steps_per_epoch()) {
        detail::check_positive(name_, "epochs", *o.epochs());
        detail::check_positive(name_, "steps_per_epoch", *o.steps_per_epoch());
        if (__builtin_mul_overflow(*o.epochs(), *o.steps_per_epoch(), &total_steps_))
            throw std::invalid_argument(std::string(name_) +
                                        ": epochs * steps_per_epoch overflows int64");
    } else {
        throw std::invalid_argument(std::string(name_) +
                                    ": give total_steps, or epochs and steps_per_epoch");
    }
    if (!(o.pct_start() >= 0 && o.pct_start() <= 1))
        throw std::invalid_argument(std::string(name_) + ": pct_start must be in [0, 1], got " +
                                    detail::format_number(o.pct_start()));
    detail::check_number(name_, "div_factor", o.div_factor(), Range::positive);
    detail::check_number(name_, "final_div_factor", o.final_div_factor(), Range::positive);
    const double total = static_cast<double>(total_steps_);
    const double up_end = o.pct_start() * total - 1;
    if (o.three_phase())
        phases_ = {{up_end, initial, max, max_momentum, base_momentum},
                   {2 * o.pct_start() * total - 2, max, initial, base_momentum, max_momentum},
                   {total - 1, initial, min, max_momentum, max_momentum}};
    else
        phases_ = {{up_end, initial, max, max_momentum, base_momentum},
                   {total - 1, max, min, base_momentum, max_momentum}};
    // a phase of no steps would divide by zero
    for (size_t i = 0; i < phases_.size(); ++i)
        if (!(phases_[i].end > (i == 0 ? 0.0 : phases_[i - 1].end)))
            throw std::invalid_argument(
                std::string(name_) + ": phase " + std::to_string(i) +
                " has no steps; pct_start * total_steps must be > 1 and below total_steps");

    auto& groups = optimizer.param_groups();
    const auto max_lrs = checked_per_group(name_, "max_lr", o.max_lr(), groups.size());
    std::vector<double> max_momenta, base_momenta;
    if (o.cycle_momentum()) {
        // Adam and AdamW cycle beta1, the others momentum
        momentum_name_ = detail::find_number(optimizer.defaults(), "beta1") ? "beta1" : "momentum";
        max_momenta = checked_per_group(name_, "max_momentum", o.max_momentum(), groups.size());
        base_momenta = checked_per_group(name_, "base_momentum", o.base_momentum(), groups.size());
        for (auto& group : groups) momentum_of(group, momentum_name_, name_);
    }
    for (size_t g = 0; g < groups.size(); ++g) {
        const double initial_lr = max_lrs[g] / o.div_factor();
        groups[g].set_initial_lr(initial_lr);
        base_lrs_[g] = initial_lr;
        values_.push_back({initial_lr, max_lrs[g], initial_lr / o.final_div_factor(),
                           momentum_name_ ? max_momenta[g] : 0.0,
                           momentum_name_ ? base_momenta[g] : 0.0});
        if (momentum_name_) momentum_of(groups[g], momentum_name_, name_) = max_momenta[g];
    }
    initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
    if (options_.anneal_strategy() == AnnealStrategy::linear) return (end - start) * pct + start;
    return end + (start - end) / 2.0 * (std::cos(kPi * pct) + 1);
}

std::vector<double> OneCycleLR::get_lrs() {
    if (last_epoch_ > total_steps_)
        throw std::logic_error(
            std::string(name_) + ": tried to step " + std::to_string(last_epoch_ + 1) +
            " times; the specified number of total steps is " + std::to_string(total_steps_));
    const double step = static_cast<double>(last_epoch_);
    // the phase this step is in (the last one past its end), and how far into it
    size_t i = 0;
    while (i + 1 < phases_.size() && step > phases_[i].end) ++i;
    const double start = i == 0 ? 0.0 : phases_[i - 1].end;
    // step total_steps is one past the last phase's end: PyTorch extrapolates there (a linear
    // schedule goes below min_lr, even negative); hold the last value instead
    const double pct = std::min(1.0, (step - start) / (phases_[i].end - start));
    const Phase& phase = phases_[i];
    auto& groups = optimizer_.param_groups();
    std::vector<double> lrs;
    for (size_t g = 0; g < groups.size(); ++g) {
        const auto& v = values_.at(std::min(g, values_.size() - 1));
        lrs.push_back(anneal(v[phase.start_lr], v[phase.end_lr], pct));
        if (momentum_name_)
            momentum_of(groups[g], momentum_name_, name_) =
                anneal(v[phase.start_momentum], v[phase.end_momentum], pct);
    }
    return lrs;
}

}  // namespace optim
}  // namespace tapegrad
