#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
tg::Tensor param32() {
    return tg::tensor({1.0, -2.0}, tg::kFloat32).requires_grad_();
}
}  // namespace

TEST_SUITE("optim/adagrad") {
    TEST_CASE("Adagrad: rejects a negative learning rate") {
        CHECK_THROWS_WITH_AS(optim::Adagrad({param32()}, optim::AdagradOptions(-1)),
                             "Adagrad: learning rate must be >= 0, got -1", std::invalid_argument);
    }

    TEST_CASE("Adagrad: rejects a negative lr_decay") {
        CHECK_THROWS_WITH_AS(optim::Adagrad({param32()}, optim::AdagradOptions().lr_decay(-0.5)),
                             "Adagrad: lr_decay must be >= 0, got -0.5", std::invalid_argument);
    }

    TEST_CASE("Adagrad: rejects a negative weight_decay") {
        CHECK_THROWS_WITH_AS(
            optim::Adagrad({param32()}, optim::AdagradOptions().weight_decay(-0.5)),
            "Adagrad: weight_decay must be >= 0, got -0.5", std::invalid_argument);
    }

    TEST_CASE("Adagrad: rejects a negative initial_accumulator_value") {
        CHECK_THROWS_WITH_AS(
            optim::Adagrad({param32()}, optim::AdagradOptions().initial_accumulator_value(-0.5)),
            "Adagrad: initial_accumulator_value must be >= 0, got -0.5", std::invalid_argument);
    }

    TEST_CASE("Adagrad: rejects a negative eps") {
        CHECK_THROWS_WITH_AS(optim::Adagrad({param32()}, optim::AdagradOptions().eps(-1e-10)),
                             "Adagrad: eps must be >= 0, got -1e-10", std::invalid_argument);
    }

    TEST_CASE("AdagradOptions: the defaults are PyTorch's") {
        optim::AdagradOptions o;
        CHECK(o.lr() == 1e-2);
        CHECK(o.lr_decay() == 0);
        CHECK(o.weight_decay() == 0);
        CHECK(o.initial_accumulator_value() == 0);
        CHECK(o.eps() == 1e-10);
    }

    TEST_CASE(
        "Adagrad: two float32 steps with lr_decay and an initial accumulator, worked by hand") {
        // loss = sum(p^2), grad = 2p; lr 0.5, lr_decay 0.5, initial_accumulator_value 0.1
        // step 1: clr = 0.5;             sum = 0.1 + g^2; p -= clr * g / sqrt(sum)
        // step 2: clr = 0.5 / (1 + 0.5); sum += g^2;      p -= clr * g / sqrt(sum)
        auto p = param32();
        optim::Adagrad opt({p},
                           optim::AdagradOptions(0.5).lr_decay(0.5).initial_accumulator_value(0.1));
        std::vector<double> hp{1.0, -2.0}, sum{0.1, 0.1};
        const double clr[2] = {0.5, 0.5 / 1.5};
        for (int s = 0; s < 2; ++s) {
            opt.zero_grad();
            (p * p).sum().backward();
            opt.step();
            for (size_t i = 0; i < 2; ++i) {
                const double g = 2 * hp[i];
                sum[i] += g * g;
                hp[i] -= clr[s] * g / (std::sqrt(sum[i]) + 1e-10);
            }
        }
        auto v = p.to_vector<float>();
        CHECK(v[0] == doctest::Approx(hp[0]).epsilon(1e-6));
        CHECK(v[1] == doctest::Approx(hp[1]).epsilon(1e-6));
        const auto& state =
            static_cast<const optim::AdagradParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        CHECK(state.step() == 2);
        CHECK(state.sum().to_vector<float>()[1] == doctest::Approx(sum[1]).epsilon(1e-6));
    }
}
