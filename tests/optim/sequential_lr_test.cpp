// SequentialLR and ChainedScheduler: what they refuse, and that fit-style code can drive them
// through LRScheduler& (their sequences are checked against PyTorch in
// scheduler_golden_test.cpp).
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

TEST_SUITE("optim/sequential_lr") {
    TEST_CASE("SequentialLR: refuses milestones that do not fit the schedulers") {
        optim::SGD opt({param()}, optim::SGDOptions(1.0));
        optim::ExponentialLR a(opt, 0.9), b(opt, 0.5), c(opt, 0.1);
        CHECK_THROWS_WITH_AS(optim::SequentialLR(opt, {a, b}, {2, 4}),
                             "SequentialLR: got 2 schedulers and 2 milestones; give one milestone "
                             "fewer than schedulers",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::SequentialLR(opt, {a, b, c}, {4, 2}),
                             "SequentialLR: milestones must increase from >= 0, got 2 at index 1",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::SequentialLR(opt, {a, b}, {-1}),
                             "SequentialLR: milestones must increase from >= 0, got -1 at index 0",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::SequentialLR(opt, {}, {}), "SequentialLR: got no schedulers",
                             std::invalid_argument);
    }

    TEST_CASE("SequentialLR and ChainedScheduler: refuse schedulers of another optimizer") {
        optim::SGD opt({param()}, optim::SGDOptions(1.0)), other({param()}, optim::SGDOptions(1.0));
        optim::ExponentialLR a(opt, 0.9), b(other, 0.5);
        CHECK_THROWS_WITH_AS(optim::SequentialLR(opt, {a, b}, {2}),
                             "SequentialLR: scheduler 1 drives another optimizer; all must drive "
                             "the same one",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::ChainedScheduler({a, b}),
            "ChainedScheduler: scheduler 1 drives another optimizer; all must drive "
            "the same one",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::ChainedScheduler({}), "ChainedScheduler: got no schedulers",
                             std::invalid_argument);
    }

    TEST_CASE("ChainedScheduler: steps through LRScheduler&, as fit() does, compounding both") {
        // LinearLR from 0.5 to 1 over 2 epochs, times 0.5 each epoch: lr = factor * 0.5^e
        optim::SGD opt({param()}, optim::SGDOptions(1.0));
        optim::LinearLR warmup(opt, 0.5, 1.0, 2);
        optim::ExponentialLR decay(opt, 0.5);
        optim::ChainedScheduler chained({warmup, decay});
        optim::LRScheduler& scheduler = chained;
        const std::vector<double> expected{0.5, 0.75 * 0.5, 1.0 * 0.25, 0.125};
        for (size_t e = 0; e < expected.size(); ++e) {
            INFO("epoch " << e);
            CHECK(opt.param_groups()[0].options().get_lr() == doctest::Approx(expected[e]));
            CHECK(scheduler.get_last_lr()[0] == doctest::Approx(expected[e]));
            scheduler.step();
        }
    }
}
