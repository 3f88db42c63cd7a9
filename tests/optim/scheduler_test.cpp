// Learning-rate sequences against PyTorch's closed forms, worked out by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
tg::Tensor param() {
    return tg::tensor({1.0}, tg::kFloat64).requires_grad_();
}

// The lr of group `g` at construction and after each of `steps` scheduler steps.
template <class Scheduler>
std::vector<double> lr_sequence(optim::Optimizer& opt, Scheduler& scheduler, int steps,
                                size_t g = 0) {
    std::vector<double> lrs{opt.param_groups()[g].options().get_lr()};
    for (int i = 0; i < steps; ++i) {
        scheduler.step();
        lrs.push_back(opt.param_groups()[g].options().get_lr());
    }
    return lrs;
}

void check_sequence(const std::vector<double>& got, const std::vector<double>& expected) {
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
        INFO("epoch " << i);
        CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
    }
}
}  // namespace

TEST_SUITE("optim/scheduler") {
    TEST_CASE(
        "StepLR: multiplies every group's lr by gamma every step_size epochs, at LibTorch's "
        "steps") {
        auto a = param(), b = param();
        std::vector<optim::OptimizerParamGroup> groups;
        groups.emplace_back(std::vector<tg::Tensor>{a});
        groups.emplace_back(std::vector<tg::Tensor>{b}, std::make_unique<optim::SGDOptions>(0.4));
        optim::SGD opt(groups, optim::SGDOptions(1.0));
        optim::StepLR scheduler(opt, /*step_size=*/3, /*gamma=*/0.5);
        // LibTorch 1.13 (checked against libtorch-dev): 1, 1, 1, 1, 0.5 ... the first decay at
        // the 4th step(); PyTorch's would come at the 3rd
        check_sequence(lr_sequence(opt, scheduler, 10),
                       {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125});
        CHECK(scheduler.last_epoch() == 10);
        const auto last = scheduler.get_last_lr();
        REQUIRE(last.size() == 2);
        CHECK(last[0] == doctest::Approx(0.125));
        CHECK(last[1] == doctest::Approx(0.4 * 0.125));
    }

    TEST_CASE("StepLR: the optimizer steps with the scheduled lr") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        optim::StepLR scheduler(opt, 1, 0.1);
        scheduler.step();  // lr 1 (LibTorch's first step() keeps it)
        scheduler.step();  // lr 0.1
        (p * 2.0).sum().backward();
        opt.step();
        CHECK(p.item<double>() == doctest::Approx(1.0 - 0.1 * 2.0));
    }

    TEST_CASE("StepLR: rejects a step_size that is not positive") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::StepLR(opt, 0), "StepLR: step_size must be > 0, got 0",
                             std::invalid_argument);
    }

    TEST_CASE("MultiStepLR: multiplies the lr by gamma at each milestone, given in any order") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        optim::MultiStepLR scheduler(opt, {5, 2}, 0.1);
        check_sequence(lr_sequence(opt, scheduler, 6), {1, 1, 0.1, 0.1, 0.1, 0.01, 0.01});
    }

    TEST_CASE("ExponentialLR: multiplies the lr by gamma every epoch") {
        auto p = param();
        optim::Adam opt({p}, optim::AdamOptions(2.0));
        optim::ExponentialLR scheduler(opt, 0.5);
        check_sequence(lr_sequence(opt, scheduler, 3), {2, 1, 0.5, 0.25});
    }

    TEST_CASE(
        "CosineAnnealingLR: follows half a cosine from the base lr down to eta_min and back") {
        // lr = 0.1 + (1.1 - 0.1) * (1 + cos(pi * e / 4)) / 2; cos(pi / 4) = sqrt(1/2)
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.1));
        optim::CosineAnnealingLR scheduler(opt, /*T_max=*/4, /*eta_min=*/0.1);
        const double h = std::sqrt(0.5);
        check_sequence(
            lr_sequence(opt, scheduler, 6),
            {1.1, 0.1 + (1 + h) / 2, 0.6, 0.1 + (1 - h) / 2, 0.1, 0.1 + (1 - h) / 2, 0.6});
    }

    TEST_CASE("CosineAnnealingLR: rejects a T_max that is not positive") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::CosineAnnealingLR(opt, -3),
                             "CosineAnnealingLR: T_max must be > 0, got -3", std::invalid_argument);
    }

    TEST_CASE("LinearWarmup: sets start_factor * lr at once and reaches the base lr after warmup") {
        // lr = 0.8 * (0.25 + 0.75 * min(e, 4) / 4)
        auto p = param();
        optim::AdamW opt({p}, optim::AdamWOptions(0.8));
        optim::LinearWarmup scheduler(opt, /*warmup_steps=*/4, /*start_factor=*/0.25);
        check_sequence(lr_sequence(opt, scheduler, 6), {0.2, 0.35, 0.5, 0.65, 0.8, 0.8, 0.8});
    }

    TEST_CASE("LinearWarmup: rejects warmup_steps that are not positive") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::LinearWarmup(opt, 0),
                             "LinearWarmup: warmup_steps must be > 0, got 0",
                             std::invalid_argument);
    }

    TEST_CASE("LinearWarmup: rejects a start_factor that is not above 0 and at most 1") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::LinearWarmup(opt, 5, 0.0),
                             "LinearWarmup: start_factor must be in (0, 1], got 0",
                             std::invalid_argument);
    }

    TEST_CASE(
        "ReduceLROnPlateau: halves the lr after patience bad epochs, with cooldown and min_lr") {
        // best must improve by 10% (rel threshold 0.1) to count; patience 2; cooldown 1; min 0.2
        //  e  metric  best  bad  lr
        //  1  10      10    0    1
        //  2  9.5     10    1    1
        //  3  9.2     10    2    1
        //  4  9.1     10    3 -> 0.5 (cooldown 1)
        //  5  9.3     10    0 (cooldown)
        //  6  9.3     10    1
        //  7  8.0     8     0        (8 < 9)
        //  8..10 8.0        1,2,3 -> 0.25 at e10;  e11 cooldown;  e12..14 -> 0.2 at e14 (min_lr)
        //  15 cooldown; 16..18 -> max(0.1, 0.2) = 0.2, no change
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        optim::ReduceLROnPlateau scheduler(opt, optim::ReduceLROnPlateau::min, /*factor=*/0.5,
                                           /*patience=*/2, /*threshold=*/0.1,
                                           optim::ReduceLROnPlateau::rel, /*cooldown=*/1,
                                           /*min_lr=*/{0.2});
        std::vector<double> metrics{10, 9.5, 9.2, 9.1, 9.3, 9.3, 8.0};
        metrics.resize(18, 8.0);
        std::vector<double> lrs;
        for (double m : metrics) {
            scheduler.step(m);
            lrs.push_back(scheduler.get_last_lr()[0]);
        }
        check_sequence(lrs, {1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2,
                             0.2, 0.2, 0.2, 0.2});
        CHECK(scheduler.best() == 8.0);
    }

    TEST_CASE("ReduceLROnPlateau: in max mode with an absolute threshold, waits for a real rise") {
        //  e  metric  best  improved (> best + 0.5)  lr (patience 0, factor 0.1)
        //  1  1.0     1.0   yes                      1
        //  2  1.4     1.0   no                       0.1
        //  3  1.6     1.6   yes                      0.1
        //  4  1.7     1.6   no                       0.01
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        optim::ReduceLROnPlateau scheduler(opt, optim::ReduceLROnPlateau::max, 0.1, /*patience=*/0,
                                           /*threshold=*/0.5, optim::ReduceLROnPlateau::abs);
        std::vector<double> lrs;
        for (double m : {1.0, 1.4, 1.6, 1.7}) {
            scheduler.step(m);
            lrs.push_back(opt.param_groups()[0].options().get_lr());
        }
        check_sequence(lrs, {1, 0.1, 0.1, 0.01});
    }

    TEST_CASE("ReduceLROnPlateau: rejects a factor below 0 or not below 1") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(opt, optim::ReduceLROnPlateau::min, 1.5),
                             "ReduceLROnPlateau: factor must be in [0, 1), got 1.5",
                             std::invalid_argument);
    }

    TEST_CASE("ReduceLROnPlateau: rejects a negative patience") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(opt, optim::ReduceLROnPlateau::min, 0.1, -1),
                             "ReduceLROnPlateau: patience must be >= 0, got -1",
                             std::invalid_argument);
    }

    TEST_CASE("ReduceLROnPlateau: rejects a negative cooldown") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::ReduceLROnPlateau(opt, optim::ReduceLROnPlateau::min, 0.1, 10,
                                                      1e-4, optim::ReduceLROnPlateau::rel, -2),
                             "ReduceLROnPlateau: cooldown must be >= 0, got -2",
                             std::invalid_argument);
    }

    TEST_CASE("ReduceLROnPlateau: rejects a min_lr list that does not match the groups") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(
            optim::ReduceLROnPlateau(opt, optim::ReduceLROnPlateau::min, 0.1, 10, 1e-4,
                                     optim::ReduceLROnPlateau::rel, 0, {0.1, 0.2}),
            "ReduceLROnPlateau: got 2 min_lr values for 1 parameter groups; give one, or one per "
            "group",
            std::invalid_argument);
    }

    TEST_CASE(
        "LambdaLR: refuses a list of functions that does not match the groups, or an empty one") {
        auto a = param(), b = param();
        std::vector<optim::OptimizerParamGroup> groups{optim::OptimizerParamGroup({a}),
                                                       optim::OptimizerParamGroup({b})};
        optim::SGD opt(groups, optim::SGDOptions(1.0));
        const optim::LRLambda one = [](int64_t) { return 1.0; };
        CHECK_THROWS_WITH_AS(
            optim::LambdaLR(opt, std::vector<optim::LRLambda>{one, one, one}),
            "LambdaLR: got 3 lr_lambda values for 2 parameter groups; give one, or "
            "one per group",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::MultiplicativeLR(opt, optim::LRLambda()),
                             "MultiplicativeLR: lr_lambda 0 is empty", std::invalid_argument);
    }

    TEST_CASE("LinearLR: refuses factors out of range and a total_iters that is not positive") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::LinearLR(opt, 0.5, 1.5),
                             "LinearLR: end_factor must be in [0, 1], "
                             "got 1.5",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::LinearLR(opt, 0.5, 1.0, 0),
                             "LinearLR: total_iters must be > 0, "
                             "got 0",
                             std::invalid_argument);
    }

    TEST_CASE("LRScheduler: a second scheduler starts from the lr the first one found") {
        // PyTorch's initial_lr: LambdaLR's base is 1, not the 0.5 LinearLR has set by then
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        optim::LinearLR warmup(opt, 0.5, 1.0, 4);
        CHECK(opt.param_groups()[0].options().get_lr() == 0.5);
        optim::LambdaLR lambda(opt, [](int64_t) { return 0.25; });
        CHECK(opt.param_groups()[0].options().get_lr() == 0.25);
        CHECK(opt.param_groups()[0].initial_lr() == 1.0);
    }

    namespace {
    // A scheduler written as for LibTorch: get_lrs() sees step_count_, the step() calls before.
    class HalveEverySecond : public optim::LRScheduler {
    public:
        using LRScheduler::LRScheduler;

    protected:
        std::vector<double> get_lrs() override {
            auto lrs = get_current_lrs();
            if (step_count_ % 2 == 1)
                for (double& lr : lrs) lr /= 2;
            return lrs;
        }
    };
    }  // namespace

    TEST_CASE("LRScheduler: a subclass written as for LibTorch keeps LibTorch's step counting") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(1.0));
        HalveEverySecond scheduler(opt);
        CHECK(opt.param_groups()[0].options().get_lr() == 1.0);  // no step at construction
        check_sequence(lr_sequence(opt, scheduler, 4), {1, 1, 0.5, 0.5, 0.25});
    }
}
