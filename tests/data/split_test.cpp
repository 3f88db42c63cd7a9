#include "data/split.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <vector>

#include "autograd/ops.hpp"
#include "data/dataloader.hpp"

using namespace tapegrad;
using tapegrad::data::random_split;
using tapegrad::data::TensorDataset;
using tapegrad::data::train_val_split;

namespace {

// n samples: data row i is [i] (float32), target i (int64).
TensorDataset counting_dataset(int64_t n) {
    return TensorDataset(arange(n).to(kFloat32).unsqueeze(1), arange(n));
}

std::vector<int64_t> targets_of(const TensorDataset& ds) {
    return ds.targets().to_vector<int64_t>();
}

}  // namespace

TEST_SUITE("data/split") {
    TEST_CASE("random_split: counts give parts of those sizes that hold every sample once") {
        std::vector<TensorDataset> parts = random_split(counting_dataset(10), {7, 3}, 5);
        REQUIRE(parts.size() == 2);
        CHECK(parts[0].size() == 7);
        CHECK(parts[1].size() == 3);
        std::vector<int64_t> all = targets_of(parts[0]);
        const std::vector<int64_t> second = targets_of(parts[1]);
        all.insert(all.end(), second.begin(), second.end());
        std::sort(all.begin(), all.end());
        std::vector<int64_t> expected(10);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(all == expected);
        for (const TensorDataset& part : parts) {
            const std::vector<float> data = part.data().to_vector<float>();
            const std::vector<int64_t> target = targets_of(part);
            for (size_t i = 0; i < target.size(); ++i)
                CHECK(data[i] == static_cast<float>(target[i]));
        }
    }

    TEST_CASE("random_split: takes the samples in the order of the DataLoader's shuffle") {
        std::mt19937_64 rng(99);
        const std::vector<int64_t> order = data::shuffled_indices(12, rng);
        std::vector<TensorDataset> parts = random_split(counting_dataset(12), {5, 7}, 99);
        CHECK(targets_of(parts[0]) == std::vector<int64_t>(order.begin(), order.begin() + 5));
        CHECK(targets_of(parts[1]) == std::vector<int64_t>(order.begin() + 5, order.end()));
    }

    TEST_CASE("random_split: fractions are floored and the remainder goes to the first parts") {
        // 10 * {0.25, 0.25, 0.5} floors to {2, 2, 5}; the one left over goes to the first part
        std::vector<TensorDataset> parts = random_split(counting_dataset(10), {0.25, 0.25, 0.5}, 1);
        REQUIRE(parts.size() == 3);
        CHECK(parts[0].size() == 3);
        CHECK(parts[1].size() == 2);
        CHECK(parts[2].size() == 5);
    }

    TEST_CASE("random_split: the same seed repeats the split and another seed changes it") {
        TensorDataset ds = counting_dataset(40);
        CHECK(targets_of(random_split(ds, {0.5, 0.5}, 3)[0]) ==
              targets_of(random_split(ds, {0.5, 0.5}, 3)[0]));
        CHECK(targets_of(random_split(ds, {0.5, 0.5}, 3)[0]) !=
              targets_of(random_split(ds, {0.5, 0.5}, 4)[0]));
    }

    TEST_CASE("random_split: a part may be empty") {
        std::vector<TensorDataset> parts = random_split(counting_dataset(4), {4, 0});
        CHECK(parts[1].size() == 0);
        CHECK(parts[1].data().sizes() == std::vector<int64_t>{0, 1});
        CHECK(parts[1].targets().dtype() == kInt64);
    }

    TEST_CASE("random_split: accepts run-time vectors of counts and of fractions") {
        const std::vector<int64_t> counts = {2, 3};
        const std::vector<double> fractions = {0.4, 0.6};
        CHECK(random_split(counting_dataset(5), counts)[1].size() == 3);
        CHECK(random_split(counting_dataset(5), fractions)[1].size() == 3);
    }

    TEST_CASE("train_val_split: puts round(val_fraction * n) random samples in validation") {
        auto [train, val] = train_val_split(counting_dataset(25), 0.1, 7);
        CHECK(train.size() == 22);
        CHECK(val.size() == 3);
        std::vector<int64_t> all = targets_of(train);
        const std::vector<int64_t> v = targets_of(val);
        all.insert(all.end(), v.begin(), v.end());
        std::sort(all.begin(), all.end());
        std::vector<int64_t> expected(25);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(all == expected);
    }

    TEST_CASE("random_split: rejects an empty list of lengths") {
        CHECK_THROWS_WITH_AS(random_split(counting_dataset(4), std::vector<int64_t>{}),
                             "random_split: no lengths given", std::invalid_argument);
    }

    TEST_CASE("random_split: rejects a fraction outside [0, 1]") {
        CHECK_THROWS_WITH_AS(random_split(counting_dataset(4), {1.5, -0.5}),
                             "random_split: fraction 1.5 is outside [0, 1]", std::invalid_argument);
    }

    TEST_CASE("random_split: rejects fractions that do not sum to 1") {
        CHECK_THROWS_WITH_AS(random_split(counting_dataset(4), {0.5, 0.4}),
                             "random_split: fractions sum to 0.9, not 1", std::invalid_argument);
    }

    TEST_CASE("random_split: rejects a negative length") {
        CHECK_THROWS_WITH_AS(random_split(counting_dataset(4), {5, -1}),
                             "random_split: length -1 is negative", std::invalid_argument);
    }

    TEST_CASE("random_split: rejects lengths that do not sum to the dataset size") {
        CHECK_THROWS_WITH_AS(random_split(counting_dataset(100), {80, 10}),
                             "random_split: lengths sum to 90, but the dataset has 100 samples",
                             std::invalid_argument);
    }

    TEST_CASE("random_split: rejects lengths whose sum overflows int64") {
        // they wrapped around to 5, passed as the dataset size and read past the data
        const int64_t big = std::numeric_limits<int64_t>::max();
        CHECK_THROWS_WITH_AS(random_split(counting_dataset(5), {big, big, int64_t{7}}),
                             "random_split: lengths [9223372036854775807, 9223372036854775807, 7] "
                             "sum past INT64_MAX",
                             std::invalid_argument);
        CHECK_THROWS_AS(random_split(counting_dataset(5), {big, int64_t{1}}),
                        std::invalid_argument);
    }

    TEST_CASE("random_split: rejects a dataset without samples") {
        CHECK_THROWS_WITH_AS(random_split(TensorDataset(), {0.5, 0.5}),
                             "random_split: the dataset has no samples", std::invalid_argument);
    }

    TEST_CASE("train_val_split: rejects a fraction outside [0, 1]") {
        CHECK_THROWS_WITH_AS(train_val_split(counting_dataset(4), 1.5),
                             "train_val_split: val_fraction must be in [0, 1], got 1.5",
                             std::invalid_argument);
    }

    TEST_CASE("train_val_split: rejects a dataset without samples") {
        CHECK_THROWS_WITH_AS(train_val_split(TensorDataset(), 0.2),
                             "train_val_split: the dataset has no samples", std::invalid_argument);
    }
}
