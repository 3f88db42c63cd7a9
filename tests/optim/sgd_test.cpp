#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
tg::Tensor param32() {
    return tg::tensor({1.0, -2.0}, tg::kFloat32).requires_grad_();
}
tg::Tensor param64(double v) {
    return tg::tensor({v}, tg::kFloat64).requires_grad_();
}
}  // namespace

TEST_SUITE("optim/sgd") {
    TEST_CASE("SGD: rejects a negative learning rate") {
        CHECK_THROWS_WITH_AS(optim::SGD({param32()}, optim::SGDOptions(-0.1)),
                             "SGD: learning rate must be >= 0, got -0.1", std::invalid_argument);
    }

    TEST_CASE("SGD: rejects a negative momentum") {
        CHECK_THROWS_WITH_AS(optim::SGD({param32()}, optim::SGDOptions(0.1).momentum(-0.5)),
                             "SGD: momentum must be >= 0, got -0.5", std::invalid_argument);
    }

    TEST_CASE("SGD: rejects a negative weight_decay") {
        CHECK_THROWS_WITH_AS(optim::SGD({param32()}, optim::SGDOptions(0.1).weight_decay(-1e-4)),
                             "SGD: weight_decay must be >= 0, got -0.0001", std::invalid_argument);
    }

    TEST_CASE("SGD: rejects nesterov without momentum or with dampening") {
        CHECK_THROWS_WITH_AS(
            optim::SGD({param32()}, optim::SGDOptions(0.1).nesterov(true)),
            "SGD: nesterov momentum needs momentum > 0 and dampening = 0, got momentum 0 and "
            "dampening 0",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::SGD({param32()},
                       optim::SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
            "SGD: nesterov momentum needs momentum > 0 and dampening = 0, got momentum 0.9 and "
            "dampening 0.1",
            std::invalid_argument);
    }

    TEST_CASE("SGDOptions: setters chain and the defaults are PyTorch's") {
        auto o = optim::SGDOptions(0.1);
        CHECK(o.lr() == 0.1);
        CHECK(o.momentum() == 0);
        CHECK(o.dampening() == 0);
        CHECK(o.weight_decay() == 0);
        CHECK_FALSE(o.nesterov());
        auto m = optim::SGDOptions(0.2).momentum(0.9).nesterov(true);
        CHECK(m.momentum() == 0.9);
        CHECK(m.nesterov());
    }

    TEST_CASE("SGD: momentum, dampening and weight decay over two float32 steps, worked by hand") {
        // loss = sum(p^2), grad = 2p; lr 0.1, momentum 0.9, dampening 0.5, weight_decay 0.1
        // step 1: d = 2p + 0.1p = [2.1, -4.2]; buf = d;  p = [1, -2] - 0.1 d = [0.79, -1.58]
        // step 2: d = 2.1p = [1.659, -3.318]; buf = 0.9 buf + 0.5 d = [2.7195, -5.439]
        //         p = [0.79, -1.58] - 0.1 buf = [0.51805, -1.0361]
        auto p = param32();
        optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.9).dampening(0.5).weight_decay(0.1));
        for (int i = 0; i < 2; ++i) {
            opt.zero_grad();
            (p * p).sum().backward();
            opt.step();
        }
        auto v = p.to_vector<float>();
        CHECK(v[0] == doctest::Approx(0.51805).epsilon(1e-6));
        CHECK(v[1] == doctest::Approx(-1.0361).epsilon(1e-6));
    }

    TEST_CASE("SGD: nesterov momentum over two steps, worked by hand") {
        // loss = p^2 from p = 1; lr 0.1, momentum 0.9
        // step 1: g = 2,    buf = 2,                  d = 2 + 0.9 * 2 = 3.8,        p = 0.62
        // step 2: g = 1.24, buf = 0.9 * 2 + 1.24 = 3.04, d = 1.24 + 0.9 * 3.04 = 3.976, p = 0.2224
        auto p = param64(1.0);
        optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
        for (int i = 0; i < 2; ++i) {
            opt.zero_grad();
            (p * p).sum().backward();
            opt.step();
        }
        CHECK(p.item<double>() == doctest::Approx(0.2224).epsilon(1e-12));
    }

    TEST_CASE("SGD: over the whole data set is plain gradient descent on least squares") {
        // y = 3x + 2 exactly on 5 points; loss = mean((w x + b - y)^2). Gradient descent by hand:
        // w -= lr * 2/n * sum(r x),  b -= lr * 2/n * sum(r),  r = w x + b - y.
        const std::vector<double> xs{-1.0, -0.5, 0.0, 0.5, 1.0};
        std::vector<double> ys;
        for (double x : xs) ys.push_back(3 * x + 2);
        auto x = tg::tensor(xs, tg::kFloat64);
        auto y = tg::tensor(ys, tg::kFloat64);
        auto w = param64(0.0), b = param64(0.0);
        const double lr = 0.1;
        optim::SGD opt({w, b}, optim::SGDOptions(lr));
        double hw = 0, hb = 0;
        for (int step = 0; step < 200; ++step) {
            opt.zero_grad();
            (w * x + b - y).square().mean().backward();
            opt.step();
            double gw = 0, gb = 0;
            for (size_t i = 0; i < xs.size(); ++i) {
                const double r = hw * xs[i] + hb - ys[i];
                gw += 2.0 / xs.size() * r * xs[i];
                gb += 2.0 / xs.size() * r;
            }
            hw -= lr * gw;
            hb -= lr * gb;
            REQUIRE(w.item<double>() == doctest::Approx(hw).epsilon(1e-12));
            REQUIRE(b.item<double>() == doctest::Approx(hb).epsilon(1e-12));
        }
        CHECK(w.item<double>() == doctest::Approx(3.0).epsilon(1e-6));
        CHECK(b.item<double>() == doctest::Approx(2.0).epsilon(1e-6));
    }
}
