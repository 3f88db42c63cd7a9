#include "data/dataloader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "autograd/ops.hpp"

using namespace tapegrad;
using tapegrad::data::Batch;
using tapegrad::data::DataLoader;
using tapegrad::data::DataLoaderOptions;
using tapegrad::data::TensorDataset;
using Example = tapegrad::data::Example<>;

namespace {

// n samples: data row i is [i, 100 + i] (float32), target i (int64).
TensorDataset counting_dataset(int64_t n) {
    Tensor i = arange(n).to(kFloat32).unsqueeze(1);
    return TensorDataset(cat({i, i + 100.0}, 1), arange(n));
}

// Every target of one epoch, in the order the loader yields them, and the batch sizes.
std::pair<std::vector<int64_t>, std::vector<int64_t>> one_epoch(DataLoader& loader) {
    std::vector<int64_t> targets, sizes;
    for (const Batch& b : loader) {
        const std::vector<int64_t> t = b.target.to_vector<int64_t>();
        targets.insert(targets.end(), t.begin(), t.end());
        sizes.push_back(b.data.size(0));
    }
    return {targets, sizes};
}

// The documented shuffle, written out independently of the library.
std::vector<int64_t> reference_permutation(int64_t n, std::mt19937_64& rng) {
    std::vector<int64_t> perm(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
    for (int64_t i = n - 1; i >= 1; --i) {
        const uint64_t j = rng() % static_cast<uint64_t>(i + 1);
        std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
    }
    return perm;
}

// A generic dataset (not a TensorDataset): sample i is data [2*i] and target 0-d i.
class DoublingDataset : public data::datasets::Dataset<DoublingDataset> {
public:
    optional<size_t> size() const override { return 5; }
    Example get(size_t i) override {
        return {tensor({2.0 * static_cast<double>(i)}), tensor(static_cast<int64_t>(i))};
    }
};

// A dataset whose size() is whatever it is given, e.g. -1 returned as size_t.
class SizedDataset : public data::datasets::Dataset<SizedDataset> {
public:
    explicit SizedDataset(optional<size_t> n) : n_(n) {}
    optional<size_t> size() const override { return n_; }
    Example get(size_t i) override { return {tensor({1.0}), tensor(static_cast<int64_t>(i))}; }

private:
    optional<size_t> n_;
};

}  // namespace

TEST_SUITE("data/dataloader") {
    TEST_CASE("DataLoader: without shuffling yields batches in order with a short last batch") {
        DataLoader loader(counting_dataset(10), DataLoaderOptions().batch_size(4));
        CHECK(loader.size() == 3);
        auto [targets, sizes] = one_epoch(loader);
        CHECK(sizes == std::vector<int64_t>{4, 4, 2});
        std::vector<int64_t> expected(10);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(targets == expected);
    }

    TEST_CASE("DataLoader: drop_last skips the short last batch") {
        DataLoader loader(counting_dataset(10), DataLoaderOptions(4).drop_last(true).shuffle(true));
        CHECK(loader.size() == 2);
        auto [targets, sizes] = one_epoch(loader);
        CHECK(sizes == std::vector<int64_t>{4, 4});
        CHECK(targets.size() == 8);
    }

    TEST_CASE("DataLoader: drop_last keeps a last batch that is full") {
        DataLoader loader(counting_dataset(8), DataLoaderOptions(4).drop_last(true));
        CHECK(loader.size() == 2);
        CHECK(one_epoch(loader).second == std::vector<int64_t>{4, 4});
    }

    TEST_CASE("DataLoader: shuffling follows the documented Fisher-Yates over mt19937_64(seed)") {
        DataLoader loader(counting_dataset(37), DataLoaderOptions(8).shuffle(true).seed(1234));
        std::mt19937_64 rng(1234);
        // Each epoch continues the same stream.
        CHECK(one_epoch(loader).first == reference_permutation(37, rng));
        CHECK(one_epoch(loader).first == reference_permutation(37, rng));
    }

    TEST_CASE("DataLoader: each epoch is a new permutation that yields every sample once") {
        DataLoader loader(counting_dataset(50), DataLoaderOptions(7).shuffle(true));
        std::vector<int64_t> first = one_epoch(loader).first;
        std::vector<int64_t> second = one_epoch(loader).first;
        CHECK(first != second);
        for (std::vector<int64_t> epoch : {first, second}) {
            std::sort(epoch.begin(), epoch.end());
            std::vector<int64_t> expected(50);
            std::iota(expected.begin(), expected.end(), 0);
            CHECK(epoch == expected);
        }
    }

    TEST_CASE("DataLoader: the same seed repeats the batches and another seed changes them") {
        DataLoader a(counting_dataset(30), DataLoaderOptions(5).shuffle(true).seed(7));
        DataLoader b(counting_dataset(30), DataLoaderOptions(5).shuffle(true).seed(7));
        DataLoader c(counting_dataset(30), DataLoaderOptions(5).shuffle(true).seed(8));
        const std::vector<int64_t> order = one_epoch(a).first;
        CHECK(one_epoch(b).first == order);
        CHECK(one_epoch(c).first != order);
    }

    TEST_CASE("DataLoader: keeps each sample's data and target together when shuffling") {
        DataLoader loader(counting_dataset(20), DataLoaderOptions(6).shuffle(true).seed(3));
        int batches = 0;
        for (const Batch& b : loader) {
            ++batches;
            CHECK(b.data.dtype() == kFloat32);
            CHECK(b.data.size(1) == 2);
            const std::vector<float> data = b.data.to_vector<float>();
            const std::vector<int64_t> target = b.target.to_vector<int64_t>();
            for (size_t i = 0; i < target.size(); ++i) {
                CHECK(data[2 * i] == static_cast<float>(target[i]));
                CHECK(data[2 * i + 1] == static_cast<float>(target[i] + 100));
            }
        }
        CHECK(batches == 4);
    }

    TEST_CASE("DataLoader: stacks the samples of a generic Dataset") {
        DataLoader loader(DoublingDataset(), DataLoaderOptions(2));
        std::vector<std::vector<float>> data;
        std::vector<std::vector<int64_t>> targets;
        for (const Batch& b : loader) {
            data.push_back(b.data.to_vector<float>());
            targets.push_back(b.target.to_vector<int64_t>());
        }
        CHECK(data == std::vector<std::vector<float>>{{0, 2}, {4, 6}, {8}});
        CHECK(targets == std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}, {4}});
    }

    TEST_CASE("DataLoader: an empty dataset yields no batches") {
        DataLoader loader(TensorDataset(zeros({0, 3}), zeros({0}, kInt64)), DataLoaderOptions(4));
        CHECK(loader.size() == 0);
        CHECK(one_epoch(loader).second.empty());
    }

    TEST_CASE("DataLoader: an iterator keeps working after its loader is gone") {
        auto loader = std::make_unique<DataLoader>(counting_dataset(5), DataLoaderOptions(2));
        DataLoader::Iterator it = loader->begin();
        DataLoader::Iterator end = loader->end();
        loader.reset();
        ++it;
        CHECK(it->target.to_vector<int64_t>() == std::vector<int64_t>{2, 3});
        ++it;
        ++it;
        CHECK(it == end);
    }

    TEST_CASE("DataLoader: rejects a batch size that is not positive") {
        CHECK_THROWS_WITH_AS(DataLoader(counting_dataset(4), DataLoaderOptions().batch_size(0)),
                             "DataLoader: batch_size must be positive, got 0",
                             std::invalid_argument);
    }

    TEST_CASE("DataLoader: a dataset whose size() is -1 gets a message that says so") {
        // size_t(-1) once made a vector of that size: "cannot create std::vector larger than
        // max_size()"
        CHECK_THROWS_WITH_AS(
            DataLoader(SizedDataset(static_cast<size_t>(-1)), DataLoaderOptions(2)),
            "DataLoader: size 18446744073709551615 is -1 converted to size_t: a "
            "dataset's size() must return its number of samples",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            data::make_data_loader(SizedDataset(static_cast<size_t>(-5))),
            "make_data_loader: size 18446744073709551611 is -5 converted to size_t: a dataset's "
            "size() must return its number of samples",
            std::invalid_argument);
    }

    TEST_CASE("DataLoader: a dataset of absurd size is refused before anything is allocated") {
        // a shuffled order of 2^62 indices would need 32 EiB
        CHECK_THROWS_WITH_AS(
            DataLoader(SizedDataset(size_t{1} << 62), DataLoaderOptions(2).shuffle(true)),
            "SeededRandomSampler: 4611686018427387904 samples are more than a shuffled sampler "
            "holds (2^37: the indices alone would take 34359738368 GiB); check the dataset's "
            "size()",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(data::make_data_loader(SizedDataset(size_t{1} << 62)),
                             "RandomSampler: 4611686018427387904 samples are more than a shuffled "
                             "sampler holds (2^37: the indices alone would take 34359738368 GiB); "
                             "check the dataset's size()",
                             std::invalid_argument);
    }

    TEST_CASE("DataLoader: a dataset of unknown size needs a sampler") {
        CHECK_THROWS_WITH_AS(DataLoader(SizedDataset(nullopt)),
                             "DataLoader: the dataset's size() is unknown (nullopt): pass a "
                             "sampler that does not need it",
                             std::invalid_argument);
    }

    TEST_CASE("DataLoader: a copy is an independent loader that continues from the same point") {
        DataLoader a(counting_dataset(12), DataLoaderOptions(4).shuffle(true).seed(5));
        one_epoch(a);
        DataLoader b = a;
        const std::vector<int64_t> second = one_epoch(a).first;
        CHECK(one_epoch(b).first == second);
    }

    TEST_CASE("DataLoader: takes a sampler, and passes set_epoch on to it") {
        DataLoader loader(counting_dataset(10), data::samplers::DistributedRandomSampler(10, 2, 1),
                          DataLoaderOptions(3));
        CHECK(loader.size() == 2);  // 5 samples per shard
        CHECK(loader.samples() == 5);
        const std::vector<int64_t> epoch0 = one_epoch(loader).first;
        CHECK(one_epoch(loader).first == epoch0);  // the order changes only with the epoch
        loader.set_epoch(1);
        const std::vector<int64_t> epoch1 = one_epoch(loader).first;
        CHECK(epoch1.size() == 5);
        CHECK(epoch1 != epoch0);
    }

    TEST_CASE("DataLoader: shuffle is refused next to an explicit sampler") {
        CHECK_THROWS_AS(DataLoader(counting_dataset(4), data::samplers::SequentialSampler(4),
                                   DataLoaderOptions(2).shuffle(true)),
                        std::invalid_argument);
    }

    TEST_CASE("DataLoader: dereferencing the end iterator is refused") {
        DataLoader loader(counting_dataset(4), DataLoaderOptions(2));
        CHECK_THROWS_WITH_AS(*loader.end(), "DataLoader: dereferenced the end iterator",
                             std::logic_error);
    }
}
