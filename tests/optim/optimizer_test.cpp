#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
tg::Tensor param(std::vector<double> values) {
    return tg::tensor(values, tg::kFloat64).requires_grad_();
}
}  // namespace

TEST_SUITE("optim/optimizer") {
    TEST_CASE("Optimizer: rejects an empty parameter list") {
        CHECK_THROWS_WITH_AS(optim::SGD(std::vector<tg::Tensor>{}, optim::SGDOptions(0.1)),
                             "Optimizer: got an empty parameter list", std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects a parameter that is not a leaf, naming the op that made it") {
        auto a = param({1.0}), b = param({2.0});
        auto c = a * b;
        CHECK_THROWS_WITH_AS(optim::SGD({a, b, c}, optim::SGDOptions(0.1)),
                             "Optimizer: parameter 2 is not a leaf tensor (made by mul); optimize "
                             "leaves such as model parameters",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects an int64 parameter") {
        auto a = param({1.0});
        auto n = tg::tensor({1, 2, 3});
        CHECK_THROWS_WITH_AS(optim::Adam({a, n}),
                             "Optimizer: parameter 1 has dtype int64; only float32 and float64 "
                             "tensors can be optimized",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects an undefined parameter") {
        CHECK_THROWS_WITH_AS(optim::Adam({param({1.0}), tg::Tensor()}),
                             "Optimizer: parameter 1 is an undefined tensor",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects a tensor given twice, also across groups") {
        auto a = param({1.0}), b = param({2.0});
        CHECK_THROWS_WITH_AS(
            optim::SGD({a, b, a}, optim::SGDOptions(0.1)),
            "Optimizer: parameter 2 is the same tensor as parameter 0; a tensor can "
            "be optimized only once",
            std::invalid_argument);
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(
            opt.add_param_group(optim::OptimizerParamGroup({b, a})),
            "Optimizer: parameter 1 of group 1 is the same tensor as parameter 0; a "
            "tensor can be optimized only once",
            std::invalid_argument);
        CHECK(opt.param_groups().size() == 1);
    }

    TEST_CASE("Optimizer: rejects a group whose options belong to another optimizer") {
        auto a = param({1.0}), b = param({2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(opt.add_param_group(optim::OptimizerParamGroup(
                                 {b}, std::make_unique<optim::AdamOptions>())),
                             "Optimizer: parameter group 1 has options made for another optimizer",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: checks the options of an added group") {
        auto a = param({1.0}), b = param({2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(opt.add_param_group(optim::OptimizerParamGroup(
                                 {b}, std::make_unique<optim::SGDOptions>(-2.0))),
                             "SGD: learning rate must be >= 0, got -2", std::invalid_argument);
    }

    TEST_CASE("Optimizer: step rejects a gradient whose shape differs from its parameter's") {
        auto a = param({1.0, 2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        a.mutable_grad() = tg::zeros({2}, tg::kFloat32);  // set_grad itself refuses this
        CHECK_THROWS_WITH_AS(opt.step(),
                             "SGD: parameter 0 is float64 [2] but its gradient is float32 [2]",
                             std::logic_error);
    }

    TEST_CASE("OptimizerParamGroup: options() of a group without options is misuse") {
        optim::OptimizerParamGroup group({param({1.0})});
        CHECK_FALSE(group.has_options());
        CHECK_THROWS_WITH_AS(group.options(), "OptimizerParamGroup: this group has no options yet",
                             std::logic_error);
    }

    TEST_CASE(
        "Optimizer: groups keep their own options, and groups without options take the defaults") {
        auto a = param({1.0}), b = param({1.0}), c = param({1.0});
        std::vector<optim::OptimizerParamGroup> groups;
        groups.emplace_back(std::vector<tg::Tensor>{a});
        groups.emplace_back(std::vector<tg::Tensor>{b}, std::make_unique<optim::SGDOptions>(0.5));
        optim::SGD opt(groups, optim::SGDOptions(0.1));
        opt.add_param_group(
            optim::OptimizerParamGroup({c}, std::make_unique<optim::SGDOptions>(0.25)));
        REQUIRE(opt.param_groups().size() == 3);
        CHECK(opt.size() == 3);
        CHECK(opt.param_groups()[0].options().get_lr() == 0.1);
        CHECK(opt.param_groups()[1].options().get_lr() == 0.5);
        CHECK(opt.param_groups()[2].options().get_lr() == 0.25);
        // d/dp of 2p is 2, so each parameter moves by 2 * its group's lr
        (2.0 * (a + b + c)).sum().backward();
        opt.step();
        CHECK(a.item<double>() == doctest::Approx(1.0 - 0.2));
        CHECK(b.item<double>() == doctest::Approx(1.0 - 1.0));
        CHECK(c.item<double>() == doctest::Approx(1.0 - 0.5));
    }

    TEST_CASE(
        "Optimizer: zero_grad zeroes gradients in place by default (LibTorch 1.13), or releases "
        "them with set_to_none") {
        auto a = param({1.0, 2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        (a * a).sum().backward();
        const tg::Tensor grad = a.grad();
        CHECK(grad.to_vector<double>() == std::vector<double>{2.0, 4.0});
        opt.zero_grad();
        REQUIRE(a.grad().defined());
        CHECK(a.grad().is_same(grad));
        CHECK(a.grad().to_vector<double>() == std::vector<double>{0.0, 0.0});
        opt.zero_grad(/*set_to_none=*/false);
        CHECK(a.grad().is_same(grad));
        opt.zero_grad(/*set_to_none=*/true);
        CHECK_FALSE(a.grad().defined());
    }

    TEST_CASE("Optimizer: zero_grad cuts a gradient made with create_graph from its graph") {
        auto a = param({3.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        (a * a * a).sum().backward(tg::Tensor(), /*retain_graph=*/true, /*create_graph=*/true);
        REQUIRE_FALSE(a.grad().is_leaf());
        opt.zero_grad(/*set_to_none=*/false);
        CHECK(a.grad().is_leaf());
        CHECK(a.grad().item<double>() == 0.0);
    }

    TEST_CASE("Optimizer: step skips parameters without a gradient and makes no state for them") {
        auto a = param({1.0}), b = param({1.0});
        optim::Adam opt({a, b}, optim::AdamOptions(0.1));
        (a * 3.0).sum().backward();
        opt.step();
        CHECK(b.item<double>() == 1.0);
        CHECK(a.item<double>() < 1.0);
        CHECK(opt.state().count(a.unsafeGetTensorImpl()) == 1);
        CHECK(opt.state().count(b.unsafeGetTensorImpl()) == 0);
    }

    TEST_CASE("Optimizer: step updates in place without recording on the tape") {
        auto a = param({1.0, -1.0});
        const auto storage_before = a.raw_data();
        optim::SGD opt({a}, optim::SGDOptions(0.5).momentum(0.9));
        (a * a).sum().backward();
        opt.step();
        CHECK(a.is_leaf());
        CHECK(a.requires_grad());
        CHECK(a.raw_data() == storage_before);
        CHECK(a.to_vector<double>() == std::vector<double>{0.0, 0.0});
        const auto& state =
            static_cast<const optim::SGDParamState&>(*opt.state().at(a.unsafeGetTensorImpl()));
        CHECK_FALSE(state.momentum_buffer().requires_grad());
    }

    TEST_CASE(
        "Optimizer: step(closure) evaluates the closure with grad mode on and returns its loss") {
        auto a = param({2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.25));
        int calls = 0;
        auto closure = [&] {
            ++calls;
            opt.zero_grad();
            auto loss = (a * a).sum();
            loss.backward();
            return loss;
        };
        tg::NoGradGuard no_grad;  // the closure must still record its forward
        auto loss = opt.step(closure);
        CHECK(calls == 1);
        CHECK(loss.item<double>() == 4.0);
        CHECK(a.item<double>() == 2.0 - 0.25 * 4.0);
        CHECK_FALSE(opt.step().defined());
    }
}
