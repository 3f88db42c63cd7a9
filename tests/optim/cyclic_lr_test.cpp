// CyclicLR and OneCycleLR: what they refuse and their edges (their sequences are checked
// against PyTorch in scheduler_golden_test.cpp).
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
tg::Tensor param() {
    return tg::tensor({1.0}, tg::kFloat64).requires_grad_();
}
}  // namespace

TEST_SUITE("optim/cyclic_lr") {
    TEST_CASE("CyclicLR: cycling momentum needs an optimizer with momentum") {
        optim::Adam adam({param()}, optim::AdamOptions(0.1));
        CHECK_THROWS_WITH_AS(optim::CyclicLR(adam, optim::CyclicLROptions(0.01, 0.1)),
                             "CyclicLR: the optimizer has no momentum to cycle; pass "
                             "cycle_momentum(false)",
                             std::invalid_argument);
        CHECK(adam.param_groups()[0].options().get_lr() ==
              0.1);  // a refused scheduler changes nothing
        optim::CyclicLR scheduler(
            adam, optim::CyclicLROptions(0.01, 0.1).step_size_up(2).cycle_momentum(false));
        scheduler.step();
        CHECK(adam.param_groups()[0].options().get_lr() == doctest::Approx(0.055));
    }

    TEST_CASE(
        "CyclicLR: refuses non-finite lrs, steps that are not positive and wrong list lengths") {
        optim::SGD opt({param()}, optim::SGDOptions(0.1).momentum(0.9));
        CHECK_THROWS_WITH_AS(optim::CyclicLR(opt, optim::CyclicLROptions(0.01, 1.0 / 0.0)),
                             "CyclicLR: max_lr must be finite, got inf", std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::CyclicLR(opt, optim::CyclicLROptions(0.01, 0.1).step_size_up(0)),
            "CyclicLR: step_size_up must be > 0, got 0", std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::CyclicLR(opt, optim::CyclicLROptions({0.01, 0.02}, {0.1})),
            "CyclicLR: got 2 base_lr values for 1 parameter groups; give one, or one "
            "per group",
            std::invalid_argument);
    }

    TEST_CASE("OneCycleLR: needs total_steps, or epochs and steps_per_epoch") {
        optim::SGD opt({param()}, optim::SGDOptions(0.1).momentum(0.9));
        CHECK_THROWS_WITH_AS(optim::OneCycleLR(opt, optim::OneCycleLROptions(0.1)),
                             "OneCycleLR: give total_steps, or epochs and steps_per_epoch",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::OneCycleLR(opt, optim::OneCycleLROptions(0.1).total_steps(-5)),
                             "OneCycleLR: total_steps must be > 0, got -5", std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::OneCycleLR(opt, optim::OneCycleLROptions(0.1).total_steps(10).pct_start(1.5)),
            "OneCycleLR: pct_start must be in [0, 1], got 1.5", std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::OneCycleLR(opt, optim::OneCycleLROptions(0.1).total_steps(10).div_factor(0)),
            "OneCycleLR: div_factor must be > 0, got 0", std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::OneCycleLR(opt, optim::OneCycleLROptions(0.1).total_steps(3)),
            "OneCycleLR: phase 0 has no steps; pct_start * total_steps must be > 1 "
            "and below total_steps",
            std::invalid_argument);
    }

    TEST_CASE("OneCycleLR: holds the last value at total_steps and refuses to step further") {
        // linear, two phases: 0.01 -> 0.1 over epochs 0..4, then 0.1 -> 1e-6 over epochs 4..9
        optim::SGD opt({param()}, optim::SGDOptions(0.1));
        optim::OneCycleLR scheduler(opt, optim::OneCycleLROptions(0.1)
                                             .total_steps(10)
                                             .pct_start(0.5)
                                             .div_factor(10)
                                             .final_div_factor(1e4)
                                             .anneal_strategy(optim::AnnealStrategy::linear)
                                             .cycle_momentum(false));
        CHECK(opt.param_groups()[0].options().get_lr() == doctest::Approx(0.01));
        for (int i = 0; i < 9; ++i) scheduler.step();
        CHECK(opt.param_groups()[0].options().get_lr() == doctest::Approx(1e-6));
        scheduler.step();  // epoch 10 = total_steps: PyTorch would go below min_lr (negative here)
        CHECK(opt.param_groups()[0].options().get_lr() == doctest::Approx(1e-6));
        CHECK_THROWS_WITH_AS(scheduler.step(),
                             "OneCycleLR: tried to step 12 times; the specified number of total "
                             "steps is 10",
                             std::logic_error);
    }

    TEST_CASE("OneCycleLR: cycles Adam's beta1 and keeps beta2") {
        optim::Adam opt({param()}, optim::AdamOptions(0.1).betas({0.5, 0.99}));
        optim::OneCycleLR scheduler(opt, optim::OneCycleLROptions(0.1).total_steps(10));
        const auto& o = static_cast<const optim::AdamOptions&>(opt.param_groups()[0].options());
        CHECK(std::get<0>(o.betas()) == 0.95);  // max_momentum at the start
        CHECK(std::get<1>(o.betas()) == 0.99);
        scheduler.step();
        CHECK(std::get<0>(o.betas()) < 0.95);
        CHECK(std::get<1>(o.betas()) == 0.99);
    }
}
