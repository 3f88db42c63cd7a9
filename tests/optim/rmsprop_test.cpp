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

TEST_SUITE("optim/rmsprop") {
    TEST_CASE("RMSprop: rejects a negative learning rate") {
        CHECK_THROWS_WITH_AS(optim::RMSprop({param32()}, optim::RMSpropOptions(-0.01)),
                             "RMSprop: learning rate must be >= 0, got -0.01",
                             std::invalid_argument);
    }

    TEST_CASE("RMSprop: rejects a negative alpha") {
        CHECK_THROWS_WITH_AS(optim::RMSprop({param32()}, optim::RMSpropOptions().alpha(-0.9)),
                             "RMSprop: alpha must be >= 0, got -0.9", std::invalid_argument);
    }

    TEST_CASE("RMSprop: rejects a negative eps") {
        CHECK_THROWS_WITH_AS(optim::RMSprop({param32()}, optim::RMSpropOptions().eps(-1)),
                             "RMSprop: eps must be >= 0, got -1", std::invalid_argument);
    }

    TEST_CASE("RMSprop: rejects a negative weight_decay") {
        CHECK_THROWS_WITH_AS(optim::RMSprop({param32()}, optim::RMSpropOptions().weight_decay(-1)),
                             "RMSprop: weight_decay must be >= 0, got -1", std::invalid_argument);
    }

    TEST_CASE("RMSprop: rejects a negative momentum") {
        CHECK_THROWS_WITH_AS(optim::RMSprop({param32()}, optim::RMSpropOptions().momentum(-0.5)),
                             "RMSprop: momentum must be >= 0, got -0.5", std::invalid_argument);
    }

    TEST_CASE("RMSpropOptions: the defaults are PyTorch's") {
        optim::RMSpropOptions o;
        CHECK(o.lr() == 1e-2);
        CHECK(o.alpha() == 0.99);
        CHECK(o.eps() == 1e-8);
        CHECK(o.weight_decay() == 0);
        CHECK(o.momentum() == 0);
        CHECK_FALSE(o.centered());
    }

    TEST_CASE(
        "RMSprop: two centered float32 steps with momentum and weight decay, worked by hand") {
        // loss = sum(p^2); g = 2p + 0.1p; square_avg = 0.9 sq + 0.1 g^2; grad_avg = 0.9 ga + 0.1 g
        // avg = sqrt(sq - ga^2) + eps; buf = 0.5 buf + g / avg; p -= 0.01 buf
        auto p = param32();
        optim::RMSprop opt(
            {p},
            optim::RMSpropOptions(0.01).alpha(0.9).momentum(0.5).centered(true).weight_decay(0.1));
        std::vector<double> hp{1.0, -2.0}, sq{0, 0}, ga{0, 0}, buf{0, 0};
        for (int s = 0; s < 2; ++s) {
            opt.zero_grad();
            (p * p).sum().backward();
            opt.step();
            for (size_t i = 0; i < 2; ++i) {
                const double g = 2 * hp[i] + 0.1 * hp[i];
                sq[i] = 0.9 * sq[i] + 0.1 * g * g;
                ga[i] = 0.9 * ga[i] + 0.1 * g;
                const double avg = std::sqrt(sq[i] - ga[i] * ga[i]) + 1e-8;
                buf[i] = 0.5 * buf[i] + g / avg;
                hp[i] -= 0.01 * buf[i];
            }
        }
        auto v = p.to_vector<float>();
        CHECK(v[0] == doctest::Approx(hp[0]).epsilon(1e-6));
        CHECK(v[1] == doctest::Approx(hp[1]).epsilon(1e-6));
    }

    TEST_CASE("RMSprop: a plain first step divides by sqrt(1 - alpha) |g|") {
        // square_avg = (1 - alpha) g^2, so p -= lr * g / (sqrt(1 - alpha) |g| + eps)
        auto p = param32();
        optim::RMSprop opt({p}, optim::RMSpropOptions(0.01));
        (p * p).sum().backward();
        opt.step();
        auto v = p.to_vector<float>();
        CHECK(v[0] == doctest::Approx(1.0 - 0.01 / std::sqrt(0.01)).epsilon(1e-6));
        CHECK(v[1] == doctest::Approx(-2.0 + 0.01 / std::sqrt(0.01)).epsilon(1e-6));
    }
}
