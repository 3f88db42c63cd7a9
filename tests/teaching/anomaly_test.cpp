// Anomaly mode: a NaN or Inf made by a forward or a backward raises, naming the op, the shape
// and the ops that led to the node; outside anomaly mode nothing is checked.

#include <cmath>
#include <limits>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using autograd::AnomalyMode;
using autograd::DetectAnomalyGuard;

TEST_SUITE("anomaly") {
    TEST_CASE("DetectAnomalyGuard: a NaN made by a forward raises naming the op, shape and path") {
        DetectAnomalyGuard guard;
        Tensor x = make_f64({-1, 1}, {2}, true);
        Tensor y = x * 2.0;
        CHECK_THROWS_WITH_AS(log(y),
                             "anomaly: the forward of 'log' produced NaN or Inf in its output of "
                             "shape [2]; the op was reached by log <- mul <- (leaf)",
                             std::runtime_error);
    }

    TEST_CASE(
        "DetectAnomalyGuard: an Inf made by a backward raises naming the op and its creation") {
        Tensor x = make_f64({0, 4}, {2}, true);
        Tensor loss;
        {
            DetectAnomalyGuard guard;
            loss = sqrt(x * 1.0).sum();  // sqrt(0) is fine; its derivative there is not
        }
        {
            DetectAnomalyGuard guard;
            CHECK_THROWS_WITH_AS(
                loss.backward(),
                "anomaly: the backward of 'sqrt' produced NaN or Inf in the gradient "
                "for input 0 (shape [2]); the node was created by sqrt <- mul <- (leaf)",
                std::runtime_error);
        }
    }

    TEST_CASE(
        "DetectAnomalyGuard: a NaN arriving from outside through the seed gradient is caught "
        "at the first op it passes") {
        DetectAnomalyGuard guard;
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y = exp(x);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        CHECK_THROWS_CONTAINS(y.backward(make_f64({1, nan}, {2})), std::runtime_error,
                              "the backward of 'exp'", "shape [2]", "created by exp <- (leaf)");
    }

    TEST_CASE("anomaly mode: off by default, NaN and Inf pass silently and no context is kept") {
        REQUIRE_FALSE(AnomalyMode::is_enabled());
        Tensor x = make_f64({-1, 0}, {2}, true);
        Tensor y = log(x);
        CHECK(std::isnan(y.to_vector<double>()[0]));
        CHECK(y.grad_fn()->creation_context().empty());
        y.sum().backward();
        CHECK(std::isinf(x.grad().to_vector<double>()[1]));
    }

    TEST_CASE("anomaly mode: the creation context lists the ops along the first inputs") {
        DetectAnomalyGuard guard;
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y = relu(tanh(x * 3.0) + 1.0);
        CHECK(y.grad_fn()->creation_context() == "relu <- add <- tanh <- mul <- (leaf)");
        Tensor c = make_f64({1, 2}, {2});
        CHECK((c * x).grad_fn()->creation_context() == "mul <- (input without grad)");
    }

    TEST_CASE("DetectAnomalyGuard: nests, and restores the switch it found") {
        CHECK_FALSE(AnomalyMode::is_enabled());
        {
            DetectAnomalyGuard outer;
            CHECK(AnomalyMode::is_enabled());
            {
                DetectAnomalyGuard inner;
                CHECK(AnomalyMode::is_enabled());
            }
            CHECK(AnomalyMode::is_enabled());
        }
        CHECK_FALSE(AnomalyMode::is_enabled());
    }

    TEST_CASE("AnomalyMode::set_enabled: the switch without a guard turns checking on and off") {
        AnomalyMode::set_enabled(true);
        Tensor x = make_f64({-1}, {1}, true);
        const std::string msg = thrown_message<std::runtime_error>([&] { (void)sqrt(x); });
        AnomalyMode::set_enabled(false);
        CHECK(msg.find("anomaly: the forward of 'sqrt'") == 0);
        CHECK_NOTHROW((void)sqrt(x));
    }
}
