#include <doctest/doctest.h>

#include <stdexcept>

#include "tapegrad.hpp"

namespace tg = tapegrad;
using tg::train::accuracy;
using tg::train::count_correct;

TEST_SUITE("train/metrics") {
    TEST_CASE("count_correct: compares the argmax of [N, C] outputs with class indices") {
        auto out = tg::tensor({{0.1f, 0.9f, 0.0f}, {2.0f, 1.0f, 0.0f}, {0.0f, 0.0f, 1.0f}});
        CHECK(count_correct(out, tg::tensor({1, 0, 0})) == 2);
        CHECK(accuracy(out, tg::tensor({1, 0, 2})) == doctest::Approx(1.0));
    }

    TEST_CASE("count_correct: compares with the argmax of one-hot or probability targets") {
        auto out = tg::tensor({{0.1f, 0.9f}, {2.0f, 1.0f}});
        CHECK(count_correct(out, tg::tensor({{0.0f, 1.0f}, {0.2f, 0.8f}})) == 1);
    }

    TEST_CASE("count_correct: thresholds a single output, for [N] and [N, 1] shapes") {
        auto out = tg::tensor({{0.2f}, {0.6f}, {0.9f}, {0.4f}});
        CHECK(count_correct(out, tg::tensor({{0.0f}, {1.0f}, {0.0f}, {0.0f}})) == 3);
        CHECK(count_correct(out.reshape({4}), tg::tensor({0, 1, 0, 0})) == 3);
        CHECK(count_correct(out, tg::tensor({0, 1, 1, 0}), /*threshold=*/0.5) == 4);
        CHECK(count_correct(out, tg::tensor({0, 1, 1, 0}), /*threshold=*/0.7) == 3);
    }

    TEST_CASE("count_correct: rejects outputs and targets that do not fit, naming both shapes") {
        CHECK_THROWS_WITH_AS(count_correct(tg::zeros({4, 3}), tg::zeros({3}, tg::kInt64)),
                             doctest::Contains("output [4, 3] does not fit target [3]"),
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(count_correct(tg::zeros({4, 3}), tg::zeros({4, 2})),
                             doctest::Contains("output [4, 3] does not fit target [4, 2]"),
                             std::invalid_argument);
    }
}
