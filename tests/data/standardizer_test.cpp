#include "data/standardizer.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "autograd/ops.hpp"

using namespace tapegrad;
using tapegrad::data::Standardizer;
using tapegrad::data::TensorDataset;

namespace {

void check_close(const Tensor& t, const std::vector<double>& expected) {
    const std::vector<double> got = t.to_vector<double>();
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i)
        CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-6));
}

}  // namespace

TEST_SUITE("data/standardizer") {
    TEST_CASE("Standardizer: per feature gives each feature mean 0 and std 1") {
        // feature 0: 1, 3 (mean 2, std 1); feature 1: 10, 30 (mean 20, std 10)
        Tensor x = tensor({{1.0, 10.0}, {3.0, 30.0}});
        Standardizer s;
        Tensor z = s.fit_transform(x);
        check_close(s.mean(), {2, 20});
        check_close(s.std(), {1, 10});
        CHECK(z.dtype() == kFloat32);
        check_close(z, {-1, -1, 1, 1});
    }

    TEST_CASE("Standardizer: fits a strided view by its values, not its memory order") {
        // the transpose of [[1, 3], [10, 30]] is the x above, laid out column by column
        Tensor x = tensor({{1.0, 3.0}, {10.0, 30.0}}).t();
        Standardizer s;
        s.fit(x);
        check_close(s.mean(), {2, 20});
        check_close(s.std(), {1, 10});
    }

    TEST_CASE("Standardizer: per feature keeps the feature shape of multi-dimensional samples") {
        Tensor x = arange(12).to(kFloat32).reshape({2, 2, 3});
        Standardizer s;
        s.fit(x);
        CHECK(s.mean().sizes() == std::vector<int64_t>{2, 3});
        check_close(s.mean(), {3, 4, 5, 6, 7, 8});
        check_close(s.std(), {3, 3, 3, 3, 3, 3});
    }

    TEST_CASE("Standardizer: global uses one mean and std over all values") {
        // 1, 3, 5, 7: mean 4, variance (9 + 1 + 1 + 9) / 4 = 5
        Tensor x = tensor({{1.0, 3.0}, {5.0, 7.0}});
        Standardizer s(/*per_feature=*/false);
        Tensor z = s.fit_transform(x);
        CHECK(s.mean().dim() == 0);
        CHECK(s.mean().item<double>() == doctest::Approx(4.0));
        CHECK(s.std().item<double>() == doctest::Approx(std::sqrt(5.0)));
        const double r = std::sqrt(5.0);
        check_close(z, {-3 / r, -1 / r, 1 / r, 3 / r});
    }

    TEST_CASE("Standardizer: a constant feature maps to 0 instead of dividing by zero") {
        Tensor x = tensor({{0.3, 1.0}, {0.3, 2.0}, {0.3, 3.0}});
        Standardizer s;
        Tensor z = s.fit_transform(x);
        check_close(s.std().select(0, 0), {1.0});
        const std::vector<float> v = z.to_vector<float>();
        CHECK(std::fabs(v[0]) < 1e-6f);
        CHECK(std::fabs(v[2]) < 1e-6f);
        CHECK(std::fabs(v[4]) < 1e-6f);
    }

    TEST_CASE("Standardizer: stays precise for a large mean and keeps float64") {
        Tensor x = tensor({{1e8 + 1.0}, {1e8 - 1.0}}, kFloat64);
        Standardizer s;
        Tensor z = s.fit_transform(x);
        CHECK(z.dtype() == kFloat64);
        CHECK(s.std().item<double>() == 1.0);
        check_close(z, {1, -1});
    }

    TEST_CASE("Standardizer: transform applies the fitted statistics to new data") {
        Standardizer s;
        s.fit(tensor({{1.0, 10.0}, {3.0, 30.0}}));
        check_close(s.transform(tensor({{2.0, 0.0}, {5.0, 40.0}, {0.0, 20.0}})),
                    {0, -2, 3, 2, -2, 0});
    }

    TEST_CASE("standardize: fits on train only and transforms both train and test") {
        TensorDataset train(tensor({{1.0}, {3.0}}), tensor({0, 1}));
        TensorDataset test(tensor({{5.0}}), tensor({1}));
        Standardizer s = data::standardize(train, test);
        check_close(s.mean(), {2});
        check_close(train.data(), {-1, 1});
        check_close(test.data(), {3});
        CHECK(train.targets().to_vector<int64_t>() == std::vector<int64_t>{0, 1});
        CHECK(test.targets().to_vector<int64_t>() == std::vector<int64_t>{1});
    }

    TEST_CASE("Standardizer: fit rejects integer data") {
        CHECK_THROWS_WITH_AS(Standardizer().fit(arange(6).reshape({3, 2})),
                             "Standardizer::fit: expected float32 or float64 data, got int64",
                             std::invalid_argument);
    }

    TEST_CASE("Standardizer: fit rejects an undefined tensor") {
        CHECK_THROWS_WITH_AS(Standardizer().fit(Tensor()), "Standardizer::fit: x is undefined",
                             std::invalid_argument);
    }

    TEST_CASE("Standardizer: fit rejects a 0-d tensor") {
        CHECK_THROWS_WITH_AS(Standardizer().fit(tensor(1.0)),
                             "Standardizer::fit: expected data [samples, ...], got a 0-d tensor",
                             std::invalid_argument);
    }

    TEST_CASE("Standardizer: fit rejects data without samples") {
        CHECK_THROWS_WITH_AS(Standardizer().fit(zeros({0, 3})),
                             "Standardizer::fit: no samples: x is [0, 3]", std::invalid_argument);
    }

    TEST_CASE("Standardizer: transform before fit is refused") {
        CHECK_THROWS_WITH_AS(Standardizer().transform(zeros({2, 3})),
                             "Standardizer::transform: not fitted; call fit() first",
                             std::logic_error);
    }

    TEST_CASE("Standardizer: transform rejects data with another feature shape") {
        Standardizer s;
        s.fit(zeros({4, 3}));
        CHECK_THROWS_WITH_AS(s.transform(zeros({5, 4})),
                             "Standardizer::transform: x is [5, 4], expected [n, 3] as in fit()",
                             std::invalid_argument);
    }
}
