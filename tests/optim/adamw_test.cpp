#include <doctest/doctest.h>

#include <stdexcept>
#include <tuple>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
tg::Tensor param32() {
    return tg::tensor({1.0, -2.0}, tg::kFloat32).requires_grad_();
}
}  // namespace

TEST_SUITE("optim/adamw") {
    TEST_CASE("AdamW: rejects a negative learning rate") {
        CHECK_THROWS_WITH_AS(optim::AdamW({param32()}, optim::AdamWOptions(-0.1)),
                             "AdamW: learning rate must be >= 0, got -0.1", std::invalid_argument);
    }

    TEST_CASE("AdamW: rejects betas below 0 or not below 1") {
        CHECK_THROWS_WITH_AS(optim::AdamW({param32()}, optim::AdamWOptions().betas({0.9, 1.5})),
                             "AdamW: betas must be in [0, 1), got (0.9, 1.5)",
                             std::invalid_argument);
    }

    TEST_CASE("AdamW: rejects a negative eps") {
        CHECK_THROWS_WITH_AS(optim::AdamW({param32()}, optim::AdamWOptions().eps(-1)),
                             "AdamW: eps must be >= 0, got -1", std::invalid_argument);
    }

    TEST_CASE("AdamW: rejects a negative weight_decay") {
        CHECK_THROWS_WITH_AS(optim::AdamW({param32()}, optim::AdamWOptions().weight_decay(-0.01)),
                             "AdamW: weight_decay must be >= 0, got -0.01", std::invalid_argument);
    }

    TEST_CASE("AdamWOptions: the defaults are PyTorch's, with weight_decay 1e-2") {
        optim::AdamWOptions o;
        CHECK(o.lr() == 1e-3);
        CHECK(std::get<0>(o.betas()) == 0.9);
        CHECK(std::get<1>(o.betas()) == 0.999);
        CHECK(o.eps() == 1e-8);
        CHECK(o.weight_decay() == 1e-2);
        CHECK_FALSE(o.amsgrad());
    }

    TEST_CASE("AdamW: decays the weights directly, outside the moments") {
        // step 1: p *= 1 - lr * wd, then p -= lr * g / |g| (Adam's first step)
        //         [1, -2] * 0.95 = [0.95, -1.9]  ->  [0.85, -1.8]
        auto p = param32();
        optim::AdamW opt({p}, optim::AdamWOptions(0.1).weight_decay(0.5));
        (p * p).sum().backward();
        opt.step();
        auto v = p.to_vector<float>();
        CHECK(v[0] == doctest::Approx(0.85).epsilon(1e-6));
        CHECK(v[1] == doctest::Approx(-1.8).epsilon(1e-6));
        // the moments hold the plain gradient, with no decay term in it
        const auto& state =
            static_cast<const optim::AdamWParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        CHECK(state.exp_avg().to_vector<float>()[0] == doctest::Approx(0.1 * 2.0).epsilon(1e-6));
    }
}
