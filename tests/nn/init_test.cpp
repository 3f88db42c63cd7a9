// nn::init: formulas, statistics, reproducibility, errors.

#include <cmath>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {
double std_of(const Tensor& t) {
    const Tensor c = t - t.mean();
    return std::sqrt((c * c).mean().item<double>());
}
}  // namespace

TEST_SUITE("nn/init") {
    TEST_CASE("calculate_gain: gives PyTorch's gains") {
        CHECK(nn::init::calculate_gain(kLinear) == 1.0);
        CHECK(nn::init::calculate_gain(kSigmoid) == 1.0);
        CHECK(nn::init::calculate_gain(kTanh) == doctest::Approx(5.0 / 3.0));
        CHECK(nn::init::calculate_gain(kReLU) == doctest::Approx(std::sqrt(2.0)));
        CHECK(nn::init::calculate_gain(kLeakyReLU, 0.2) == doctest::Approx(std::sqrt(2.0 / 1.04)));
    }

    TEST_CASE("_calculate_fan_in_and_fan_out: counts the receptive field") {
        const auto [fan_in, fan_out] = nn::init::_calculate_fan_in_and_fan_out(zeros({8, 4, 3, 3}));
        CHECK(fan_in == 36);
        CHECK(fan_out == 72);
    }

    TEST_CASE("_calculate_fan_in_and_fan_out: needs at least 2 dims") {
        CHECK_THROWS_CONTAINS(
            nn::init::_calculate_fan_in_and_fan_out(zeros({5})), std::invalid_argument,
            "_calculate_fan_in_and_fan_out: fan in and fan out need a tensor with "
            "at least 2 dimensions, got shape [5]");
    }

    TEST_CASE("xavier_uniform_ and kaiming_uniform_: stay within their bounds and fill them") {
        manual_seed(21);
        Tensor w = empty({200, 300});
        nn::init::xavier_uniform_(w, 2.0);
        const double xb = 2.0 * std::sqrt(6.0 / 500.0);
        CHECK(w.abs().max().item<double>() <= xb);
        CHECK(w.abs().max().item<double>() > 0.99 * xb);
        nn::init::kaiming_uniform_(w, 0.0, kFanIn, kReLU);
        const double kb = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(300.0);
        CHECK(w.abs().max().item<double>() <= kb);
        CHECK(w.abs().max().item<double>() > 0.99 * kb);
        nn::init::kaiming_uniform_(w, 0.0, kFanOut, kReLU);
        CHECK(w.abs().max().item<double>() > 0.99 * std::sqrt(6.0 / 200.0));
    }

    TEST_CASE("xavier_normal_, kaiming_normal_ and normal_: have the requested spread") {
        manual_seed(22);
        Tensor w = empty({200, 300});
        nn::init::xavier_normal_(w);
        CHECK(std_of(w) == doctest::Approx(std::sqrt(2.0 / 500.0)).epsilon(0.02));
        nn::init::kaiming_normal_(w, 0.0, kFanIn, kReLU);
        CHECK(std_of(w) == doctest::Approx(std::sqrt(2.0 / 300.0)).epsilon(0.02));
        nn::init::normal_(w, 3.0, 0.5);
        CHECK(w.mean().item<double>() == doctest::Approx(3.0).epsilon(0.01));
        CHECK(std_of(w) == doctest::Approx(0.5).epsilon(0.02));
        nn::init::uniform_(w, -2.0, -1.0);
        CHECK(w.max().item<double>() < -1.0);
        CHECK(w.min().item<double>() >= -2.0);
    }

    TEST_CASE("constant_, ones_ and zeros_: fill every element") {
        Tensor w = empty({2, 2}, kFloat64);
        nn::init::constant_(w, 2.5);
        CHECK_VALUES(w, {2.5, 2.5, 2.5, 2.5});
        nn::init::ones_(w);
        CHECK_VALUES(w, {1.0, 1.0, 1.0, 1.0});
        nn::init::zeros_(w);
        CHECK_VALUES(w, {0.0, 0.0, 0.0, 0.0});
    }

    TEST_CASE("init: draws repeat under manual_seed and are not recorded on parameters") {
        Tensor a = empty({10, 10}).requires_grad_();
        manual_seed(31);
        nn::init::kaiming_normal_(a);
        const Tensor first = a.detach().clone();
        manual_seed(31);
        nn::init::kaiming_normal_(a);
        CHECK(a.equal(first));
        CHECK(a.is_leaf());
    }

    TEST_CASE("init: fan-based initialisers need at least 2 dims") {
        CHECK_THROWS_CONTAINS(nn::init::xavier_uniform_(zeros({3})), std::invalid_argument,
                              "xavier_uniform_: fan in and fan out need a tensor with at least 2 "
                              "dimensions, got shape [3]");
    }

    TEST_CASE("init: rejects an undefined tensor") {
        CHECK_THROWS_CONTAINS(nn::init::zeros_(Tensor()), std::invalid_argument,
                              "constant_: the tensor is undefined");
    }

}  // TEST_SUITE
