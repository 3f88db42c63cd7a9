// The distributed samplers on real ranks: each rank draws its shard, the shards are gathered,
// and together they must cover the dataset once (disjoint apart from LibTorch's padding).
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/distributed/world.hpp"

namespace tg = tapegrad;
using tapegrad_test::world;
using tg::Tensor;

namespace {

template <class Sampler>
std::vector<int64_t> epoch_indices(Sampler& sampler, size_t epoch) {
    sampler.set_epoch(epoch);
    sampler.reset();
    std::vector<int64_t> out;
    while (auto b = sampler.next(4))
        for (size_t i : *b) out.push_back(static_cast<int64_t>(i));
    return out;
}

// Every rank's indices, concatenated in rank order.
std::vector<int64_t> gather(const std::vector<int64_t>& mine) {
    const auto& pg = world();
    Tensor t = tg::zeros({static_cast<int64_t>(mine.size())}, tg::TensorOptions(tg::kInt64));
    for (size_t i = 0; i < mine.size(); ++i) t[static_cast<int64_t>(i)] = mine[i];
    std::vector<std::vector<Tensor>> all(1);
    for (int r = 0; r < pg->getSize(); ++r) all[0].push_back(tg::zeros_like(t));
    pg->allgather(all, {t})->wait();
    std::vector<int64_t> out;
    for (const Tensor& s : all[0]) {
        std::vector<int64_t> v = s.to_vector<int64_t>();
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

template <class Sampler>
void check_partition(size_t size) {
    const auto& pg = world();
    const size_t n = static_cast<size_t>(pg->getSize());
    Sampler padded(size, n, static_cast<size_t>(pg->getRank()), /*allow_duplicates=*/true);
    for (size_t epoch = 0; epoch < 3; ++epoch) {
        std::vector<int64_t> all = gather(epoch_indices(padded, epoch));
        CHECK(all.size() == n * ((size + n - 1) / n));
        std::vector<int64_t> sorted = all;
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        CHECK(sorted.size() == size);  // complete: every sample, padding only repeats
        CHECK(sorted.front() == 0);
        CHECK(sorted.back() == static_cast<int64_t>(size) - 1);
        // reproducible: the same epoch draws the same shard again
        CHECK(epoch_indices(padded, epoch) == epoch_indices(padded, epoch));
    }
    Sampler exact(size, n, static_cast<size_t>(pg->getRank()), /*allow_duplicates=*/false);
    std::vector<int64_t> all = gather(epoch_indices(exact, 1));
    std::vector<int64_t> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // disjoint
    CHECK(all.size() == n * (size / n));
}

}  // namespace

TEST_SUITE("distributed/samplers") {
    TEST_CASE(
        "DistributedRandomSampler: shards across ranks are disjoint, complete and per-epoch "
        "reproducible") {
        check_partition<tg::data::samplers::DistributedRandomSampler>(23);
        check_partition<tg::data::samplers::DistributedRandomSampler>(24);
    }
    TEST_CASE("DistributedSequentialSampler: shards across ranks are disjoint and complete") {
        check_partition<tg::data::samplers::DistributedSequentialSampler>(23);
        check_partition<tg::data::samplers::DistributedSequentialSampler>(24);
    }
    TEST_CASE("DistributedRandomSampler: epochs differ, and every rank shuffles alike") {
        const auto& pg = world();
        tg::data::samplers::DistributedRandomSampler s(40, static_cast<size_t>(pg->getSize()),
                                                       static_cast<size_t>(pg->getRank()));
        CHECK(gather(epoch_indices(s, 0)) != gather(epoch_indices(s, 1)));
    }
}
