// LibTorch's dataset and transform vocabulary, used the way a LibTorch program uses it.
#include "data/datasets.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/ops.hpp"
#include "data/dataloader.hpp"
#include "data/transforms.hpp"

using namespace tapegrad;
namespace datasets = tapegrad::data::datasets;
namespace transforms = tapegrad::data::transforms;
using Example = tapegrad::data::Example<>;

namespace {

// A custom dataset in the CRTP style: sample i is data [i, i*i] (float32) and target i.
class SquaresDataset : public data::Dataset<SquaresDataset> {
public:
    explicit SquaresDataset(size_t n) : n_(n) {}
    Example get(size_t index) override {
        const auto i = static_cast<double>(index);
        return {tensor({i, i * i}), tensor(static_cast<int64_t>(index))};
    }
    optional<size_t> size() const override { return n_; }

private:
    size_t n_;
};

// Images [C, 2, 2] whose every value is the channel number plus 1.
class ChannelsDataset : public data::datasets::Dataset<ChannelsDataset> {
public:
    Example get(size_t index) override {
        Tensor x = arange(1, 4).to(kFloat32).reshape({3, 1, 1}).expand({3, 2, 2}).contiguous();
        return {x, tensor(static_cast<int64_t>(index))};
    }
    optional<size_t> size() const override { return 2; }
};

}  // namespace

TEST_SUITE("data/datasets") {
    TEST_CASE("Dataset: a CRTP dataset's get_batch returns the examples at the indices") {
        SquaresDataset ds(5);
        std::vector<Example> batch = ds.get_batch({3, 0});
        REQUIRE(batch.size() == 2);
        CHECK(batch[0].data.to_vector<float>() == std::vector<float>{3, 9});
        CHECK(batch[1].target.item<int64_t>() == 0);
        CHECK(ds.size() == 5);
    }

    TEST_CASE("map: Stack<> stacks a batch's data and targets along a new first dimension") {
        auto ds = SquaresDataset(5).map(transforms::Stack<>());
        static_assert(std::is_same_v<decltype(ds)::BatchType, Example>);
        Example b = ds.get_batch({4, 1, 2});
        CHECK(b.data.sizes() == std::vector<int64_t>{3, 2});
        CHECK(b.data.to_vector<float>() == std::vector<float>{4, 16, 1, 1, 2, 4});
        CHECK(b.target.to_vector<int64_t>() == std::vector<int64_t>{4, 1, 2});
        CHECK(ds.size() == 5);
    }

    TEST_CASE("map: Lambda changes each example, and maps chain") {
        auto ds = SquaresDataset(3)
                      .map(transforms::Lambda<Example>([](Example e) {
                          e.data = e.data * 10.0;
                          return e;
                      }))
                      .map(transforms::Stack<>());
        CHECK(ds.get_batch({2}).data.to_vector<float>() == std::vector<float>{20, 40});
    }

    TEST_CASE("map: TensorLambda changes the data and keeps the target") {
        auto ds = SquaresDataset(3).map(transforms::TensorLambda<>([](Tensor x) { return -x; }));
        std::vector<Example> b = ds.get_batch({2});
        CHECK(b[0].data.to_vector<float>() == std::vector<float>{-2, -4});
        CHECK(b[0].target.item<int64_t>() == 2);
    }

    TEST_CASE("map: a BatchLambda and a Collate see the whole batch") {
        auto count = SquaresDataset(4).map(transforms::BatchLambda<std::vector<Example>, size_t>(
            [](std::vector<Example> b) { return b.size(); }));
        CHECK(count.get_batch({0, 1, 2}) == 3);
        auto sum = SquaresDataset(4).map(transforms::Collate<Example>([](std::vector<Example> b) {
            Tensor total = zeros({2});
            for (const Example& e : b) total = total + e.data;
            return Example(total, tensor(int64_t{0}));
        }));
        CHECK(sum.get_batch({1, 2}).data.to_vector<float>() == std::vector<float>{3, 5});
    }

    TEST_CASE("Normalize: subtracts the mean and divides by the stddev, per channel") {
        auto ds = ChannelsDataset().map(transforms::Normalize<>({1.0, 2.0, 0.0}, {1.0, 0.5, 4.0}));
        std::vector<Example> b = ds.get_batch({0});
        // channel values 1, 2, 3 -> (1-1)/1, (2-2)/0.5, (3-0)/4
        CHECK(b[0].data.to_vector<float>() ==
              std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0.75f, 0.75f, 0.75f, 0.75f});
        // one mean and stddev for every channel
        auto one = ChannelsDataset().map(transforms::Normalize<>(0.5, 2.0));
        CHECK(one.get_batch({1})[0].data.to_vector<float>()[11] == 1.25f);
    }

    TEST_CASE("Normalize: rejects an empty, non-finite or non-positive stddev, and channels") {
        CHECK_THROWS_WITH_AS(transforms::Normalize<>(0.5, 0.0),
                             "Normalize: stddev[0] is 0, expected a positive finite value",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(transforms::Normalize<>(std::vector<double>{}, 1.0),
                             "Normalize: mean is empty", std::invalid_argument);
        CHECK_THROWS_WITH_AS(transforms::Normalize<>({0.1, 0.2}, {1.0, 1.0, 1.0}),
                             "Normalize: mean has 2 channels but stddev has 3",
                             std::invalid_argument);
        transforms::Normalize<> rgb({0.5, 0.5, 0.5}, {0.2, 0.2, 0.2});
        CHECK_THROWS_WITH_AS(rgb(zeros({1, 28, 28})),
                             "Normalize: data is [1, 28, 28], but mean and stddev have 3 channels "
                             "(expected [3, H, W])",
                             std::invalid_argument);
    }

    TEST_CASE("Stack: refuses an empty batch") {
        CHECK_THROWS_WITH_AS(transforms::Stack<>().apply_batch({}),
                             "Stack: the batch has no examples", std::invalid_argument);
    }

    TEST_CASE("datasets::TensorDataset: rows of one tensor as TensorExamples, stackable") {
        datasets::TensorDataset ds(arange(6).reshape({3, 2}));
        CHECK(ds.size() == 3);
        Tensor row = ds.get(1);  // a TensorExample converts to its tensor
        CHECK(row.to_vector<int64_t>() == std::vector<int64_t>{2, 3});
        auto stacked = datasets::TensorDataset(arange(6).reshape({3, 2}))
                           .map(transforms::Stack<data::TensorExample>());
        CHECK(stacked.get_batch({2, 0}).data.to_vector<int64_t>() ==
              std::vector<int64_t>{4, 5, 0, 1});
        CHECK_THROWS_WITH_AS(ds.get(3),
                             "TensorDataset::get: index 3 is out of range for a dataset of 3 "
                             "samples",
                             std::invalid_argument);
    }

    TEST_CASE("make_data_loader: without Stack, each batch is the vector of examples") {
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            SquaresDataset(5), data::DataLoaderOptions().batch_size(2));
        std::vector<size_t> sizes;
        std::vector<int64_t> targets;
        for (std::vector<Example>& batch : *loader) {
            sizes.push_back(batch.size());
            for (const Example& e : batch) targets.push_back(e.target.item<int64_t>());
        }
        CHECK(sizes == std::vector<size_t>{2, 2, 1});
        CHECK(targets == std::vector<int64_t>{0, 1, 2, 3, 4});
    }

    TEST_CASE("make_data_loader: with Stack, batch.data and batch.target are stacked tensors") {
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            SquaresDataset(5).map(transforms::Stack<>()),
            data::DataLoaderOptions().batch_size(2).drop_last(true));
        std::vector<std::vector<int64_t>> targets;
        for (auto& batch : *loader) {
            CHECK(batch.data.sizes() == std::vector<int64_t>{2, 2});
            targets.push_back(batch.target.to_vector<int64_t>());
        }
        CHECK(targets == std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}});
    }

    TEST_CASE("make_data_loader: takes tapegrad's TensorDataset, whose batches come stacked") {
        data::TensorDataset ds(arange(10).to(kFloat32).reshape({5, 2}), arange(5));
        manual_seed(0);
        auto loader = data::make_data_loader(ds, 2);  // a RandomSampler by default
        std::vector<int64_t> seen;
        for (auto& batch : *loader) {
            for (int64_t t : batch.target.to_vector<int64_t>()) seen.push_back(t);
        }
        std::sort(seen.begin(), seen.end());
        CHECK(seen == std::vector<int64_t>{0, 1, 2, 3, 4});
    }

    TEST_CASE("make_data_loader: shuffle belongs to data::DataLoader and is refused here") {
        CHECK_THROWS_WITH_AS(
            data::make_data_loader(SquaresDataset(4), data::DataLoaderOptions(2).shuffle(true)),
            "make_data_loader: DataLoaderOptions::shuffle is data::DataLoader's; "
            "here the sampler decides the order (pass samplers::RandomSampler, "
            "the default, to shuffle)",
            std::invalid_argument);
    }

    TEST_CASE("make_data_loader: loader->sampler() sets a distributed sampler's epoch") {
        auto loader = data::make_data_loader(SquaresDataset(20).map(transforms::Stack<>()),
                                             data::samplers::DistributedRandomSampler(20, 2, 0),
                                             data::DataLoaderOptions(4));
        auto epoch = [&] {
            std::vector<int64_t> order;
            for (auto& batch : *loader) {
                for (int64_t t : batch.target.to_vector<int64_t>()) order.push_back(t);
            }
            return order;
        };
        const std::vector<int64_t> first = epoch();
        CHECK(first.size() == 10);
        CHECK(epoch() == first);  // LibTorch's sampler reshuffles only for a new epoch
        loader->sampler().set_epoch(1);
        CHECK(epoch() != first);
    }

    TEST_CASE("Iterator: dereferencing or incrementing the end is refused") {
        auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
            SquaresDataset(1).map(transforms::Stack<>()), 1);
        auto it = loader->begin();
        CHECK(it != loader->end());
        ++it;
        CHECK(it == loader->end());
        CHECK_THROWS_WITH_AS(*it, "DataLoader: dereferenced the end iterator", std::logic_error);
        CHECK_THROWS_WITH_AS(++it, "DataLoader: incremented the end iterator", std::logic_error);
    }
}
