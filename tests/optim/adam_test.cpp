#include <doctest/doctest.h>

#include <cmath>
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

TEST_SUITE("optim/adam") {
    TEST_CASE("Adam: rejects a negative learning rate") {
        CHECK_THROWS_WITH_AS(optim::Adam({param32()}, optim::AdamOptions(-1e-3)),
                             "Adam: learning rate must be >= 0, got -0.001", std::invalid_argument);
    }

    TEST_CASE("Adam: rejects betas below 0 or not below 1") {
        CHECK_THROWS_WITH_AS(optim::Adam({param32()}, optim::AdamOptions().betas({0.9, 1.5})),
                             "Adam: betas must be in [0, 1), got (0.9, 1.5)",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::Adam({param32()}, optim::AdamOptions().betas({1.0, 0.999})),
                             "Adam: betas must be in [0, 1), got (1, 0.999)",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::Adam({param32()}, optim::AdamOptions().betas({-0.1, 0.999})),
                             "Adam: betas must be in [0, 1), got (-0.1, 0.999)",
                             std::invalid_argument);
    }

    TEST_CASE("Adam: rejects a negative eps") {
        CHECK_THROWS_WITH_AS(optim::Adam({param32()}, optim::AdamOptions().eps(-1e-8)),
                             "Adam: eps must be >= 0, got -1e-08", std::invalid_argument);
    }

    TEST_CASE("Adam: rejects a negative weight_decay") {
        CHECK_THROWS_WITH_AS(optim::Adam({param32()}, optim::AdamOptions().weight_decay(-0.1)),
                             "Adam: weight_decay must be >= 0, got -0.1", std::invalid_argument);
    }

    TEST_CASE("AdamOptions: the defaults are PyTorch's") {
        optim::AdamOptions o;
        CHECK(o.lr() == 1e-3);
        CHECK(std::get<0>(o.betas()) == 0.9);
        CHECK(std::get<1>(o.betas()) == 0.999);
        CHECK(o.eps() == 1e-8);
        CHECK(o.weight_decay() == 0);
        CHECK_FALSE(o.amsgrad());
    }

    TEST_CASE("Adam: the first step moves each element by lr against the sign of its gradient") {
        // bias correction makes exp_avg / sqrt(exp_avg_sq) = g / |g| on the first step
        auto p = param32();
        optim::Adam opt({p}, optim::AdamOptions(0.1));
        (p * p).sum().backward();
        opt.step();
        auto v = p.to_vector<float>();
        CHECK(v[0] == doctest::Approx(0.9).epsilon(1e-6));
        CHECK(v[1] == doctest::Approx(-1.9).epsilon(1e-6));
    }

    TEST_CASE("Adam: amsgrad keeps the largest second moment, worked by hand over three steps") {
        // loss = sum(w * p^2) with w chosen so the gradient shrinks: exp_avg_sq falls, and
        // amsgrad divides by its running maximum instead.
        auto p = tg::tensor({1.0, -2.0}, tg::kFloat32).requires_grad_();
        const double lr = 1.0, b1 = 0.8, b2 = 0.5, wd = 0.1;
        optim::Adam opt({p}, optim::AdamOptions(lr).betas({b1, b2}).weight_decay(wd).amsgrad(true));
        std::vector<double> hp{1.0, -2.0}, m{0, 0}, v{0, 0}, vmax{0, 0};
        for (int s = 1; s <= 3; ++s) {
            opt.zero_grad();
            (p * p).sum().backward();
            opt.step();
            for (size_t i = 0; i < 2; ++i) {
                const double g = 2 * hp[i] + wd * hp[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                vmax[i] = std::max(vmax[i], v[i]);
                const double denom = std::sqrt(vmax[i]) / std::sqrt(1 - std::pow(b2, s)) + 1e-8;
                hp[i] -= lr / (1 - std::pow(b1, s)) * m[i] / denom;
            }
        }
        auto got = p.to_vector<float>();
        CHECK(got[0] == doctest::Approx(hp[0]).epsilon(1e-6));
        CHECK(got[1] == doctest::Approx(hp[1]).epsilon(1e-6));
        const auto& state =
            static_cast<const optim::AdamParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        CHECK(state.step() == 3);
        CHECK(state.max_exp_avg_sq().to_vector<float>()[1] ==
              doctest::Approx(vmax[1]).epsilon(1e-6));
        CHECK(vmax[1] > v[1]);  // the maximum was really used
    }
}
