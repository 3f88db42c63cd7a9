#include "data/dataset.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "autograd/ops.hpp"

using namespace tapegrad;
using tapegrad::data::TensorDataset;
using Example = tapegrad::data::Example<>;

namespace {

// data [4, 3] = 0..11 row by row, targets [4] = 10, 11, 12, 13
TensorDataset small_dataset() {
    return TensorDataset(arange(12).reshape({4, 3}).to(kFloat32), arange(10, 14));
}

}  // namespace

TEST_SUITE("data/dataset") {
    TEST_CASE("TensorDataset: size is the first dimension of the data") {
        CHECK(small_dataset().size() == 4);
    }

    TEST_CASE("TensorDataset: get returns the sample's row of data and its target") {
        Example e = small_dataset().get(2);
        CHECK(e.data.sizes() == std::vector<int64_t>{3});
        CHECK(e.data.to_vector<float>() == std::vector<float>{6, 7, 8});
        CHECK(e.target.item<int64_t>() == 12);
    }

    TEST_CASE("TensorDataset: get_batch gathers the rows at the given indices, in their order") {
        Example b = small_dataset().get_batch({3, 0, 3});
        CHECK(b.data.sizes() == std::vector<int64_t>{3, 3});
        CHECK(b.data.to_vector<float>() == std::vector<float>{9, 10, 11, 0, 1, 2, 9, 10, 11});
        CHECK(b.target.dtype() == kInt64);
        CHECK(b.target.to_vector<int64_t>() == std::vector<int64_t>{13, 10, 13});
    }

    TEST_CASE(
        "TensorDataset: get_batch returns copies, so changing a batch leaves the data alone") {
        TensorDataset ds = small_dataset();
        Example b = ds.get_batch({0, 1});
        b.data.fill_(-1.0);
        CHECK(ds.data().to_vector<float>()[0] == 0.0f);
    }

    TEST_CASE("TensorDataset: a default-constructed dataset is empty") {
        CHECK(TensorDataset().size() == 0);
    }

    TEST_CASE("TensorDataset: rejects data and targets with different sample counts") {
        CHECK_THROWS_WITH_AS(TensorDataset(zeros({4, 3}), zeros({3})),
                             "TensorDataset: data has 4 samples but targets has 3: data is [4, 3], "
                             "targets is [3]",
                             std::invalid_argument);
    }

    TEST_CASE("TensorDataset: rejects an undefined tensor") {
        CHECK_THROWS_WITH_AS(TensorDataset(zeros({4, 3}), Tensor()),
                             "TensorDataset: targets is undefined", std::invalid_argument);
    }

    TEST_CASE("TensorDataset: rejects a 0-d tensor, which has no sample dimension") {
        CHECK_THROWS_WITH_AS(
            TensorDataset(zeros({4, 3}), tensor(1.0)),
            "TensorDataset: data and targets need a first (sample) dimension: data "
            "is [4, 3], targets is []",
            std::invalid_argument);
    }

    TEST_CASE("TensorDataset: get rejects an index out of range") {
        CHECK_THROWS_WITH_AS(
            small_dataset().get(4),
            "TensorDataset::get: index 4 is out of range for a dataset of 4 samples",
            std::invalid_argument);
    }

    TEST_CASE("TensorDataset: get_batch rejects an index out of range") {
        CHECK_THROWS_WITH_AS(
            small_dataset().get_batch({0, 4}),
            "TensorDataset::get_batch: index 4 is out of range for a dataset of 4 samples",
            std::invalid_argument);
    }

    TEST_CASE("TensorDataset: get shows a negative index passed as size_t as negative") {
        CHECK_THROWS_WITH_AS(
            small_dataset().get(static_cast<size_t>(-1)),
            "TensorDataset::get: index -1 is out of range for a dataset of 4 samples",
            std::invalid_argument);
    }

    TEST_CASE("TensorDataset: get_batch rejects an empty index list") {
        CHECK_THROWS_WITH_AS(small_dataset().get_batch({}), "TensorDataset::get_batch: no indices",
                             std::invalid_argument);
    }
}
