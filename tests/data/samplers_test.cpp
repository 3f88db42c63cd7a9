#include "data/samplers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"
#include "tests/data/golden.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using namespace tapegrad::data::samplers;
using tapegrad_test::golden_values;

namespace {

// Every index of one epoch, in order, taken in batches of `batch`.
template <class S>
std::vector<size_t> epoch_of(S& sampler, size_t batch = 3) {
    std::vector<size_t> all;
    while (auto b = sampler.next(batch)) {
        CHECK(!b->empty());
        CHECK(b->size() <= batch);
        all.insert(all.end(), b->begin(), b->end());
    }
    return all;
}

std::vector<size_t> iota(size_t n) {
    std::vector<size_t> v(n);
    std::iota(v.begin(), v.end(), size_t{0});
    return v;
}

std::vector<size_t> sorted(std::vector<size_t> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::string key(const char* kind, size_t size, size_t replicas, bool duplicates) {
    return std::string(kind) + " " + std::to_string(size) + " " + std::to_string(replicas) + " " +
           std::to_string(duplicates ? 1 : 0);
}

}  // namespace

TEST_SUITE("data/samplers") {
    TEST_CASE("SequentialSampler: hands out 0..n-1 in batches, then nullopt, every epoch") {
        SequentialSampler s(7);
        CHECK(epoch_of(s) == iota(7));
        CHECK(!s.next(3).has_value());
        CHECK(s.index() == 7);
        s.reset();
        CHECK(epoch_of(s, 4) == iota(7));
        s.reset(3);
        CHECK(epoch_of(s) == iota(3));
    }

    TEST_CASE("RandomSampler: every epoch is a permutation, a new one, set by manual_seed") {
        manual_seed(11);
        RandomSampler s(50);
        const std::vector<size_t> first = epoch_of(s, 7);
        CHECK(sorted(first) == iota(50));
        s.reset();
        const std::vector<size_t> second = epoch_of(s, 7);
        CHECK(sorted(second) == iota(50));
        CHECK(first != second);
        manual_seed(11);
        RandomSampler again(50);
        CHECK(epoch_of(again, 7) == first);
    }

    TEST_CASE("RandomSampler: rejects a negative size and a size too large to shuffle") {
        CHECK_THROWS_WITH_AS(RandomSampler(-1), "RandomSampler: size must be non-negative, got -1",
                             std::invalid_argument);
        CHECK_THROWS_AS(RandomSampler(int64_t{1} << 40), std::invalid_argument);
        CHECK_THROWS_WITH_AS(RandomSampler(4, kFloat32),
                             "RandomSampler: index_dtype must be an integer type, got float32",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(RandomSampler(300, kUInt8),
                             "RandomSampler: index_dtype uint8 cannot hold the indices of 300 "
                             "samples",
                             std::invalid_argument);
    }

    TEST_CASE("RandomSampler: narrower index dtypes give the same orders as int64") {
        manual_seed(5);
        RandomSampler wide(256);
        manual_seed(5);
        RandomSampler narrow(256, kUInt8);
        CHECK(epoch_of(narrow, 10) == epoch_of(wide, 10));
        manual_seed(6);
        wide.reset();
        manual_seed(6);
        narrow.reset();
        CHECK(epoch_of(narrow, 7) == epoch_of(wide, 7));
    }

    TEST_CASE("SeededRandomSampler: epoch k follows shuffled_indices over mt19937_64(seed)") {
        SeededRandomSampler s(20, 99);
        std::mt19937_64 rng(99);
        for (int epoch = 0; epoch < 3; ++epoch) {
            s.reset();
            const std::vector<int64_t> expected = data::shuffled_indices(20, rng);
            CHECK(epoch_of(s) == std::vector<size_t>(expected.begin(), expected.end()));
        }
    }

    TEST_CASE("DistributedRandomSampler: the same shard orders as LibTorch's, per epoch") {
        struct Case {
            size_t size, replicas;
            bool duplicates;
        };
        for (const Case c : {Case{10, 3, true}, Case{10, 3, false}, Case{12, 4, true},
                             Case{7, 2, true}, Case{1000, 3, true}}) {
            for (size_t epoch : {0, 1, 5}) {
                for (size_t rank = 0; rank < c.replicas; ++rank) {
                    CAPTURE(c.size);
                    CAPTURE(c.replicas);
                    CAPTURE(epoch);
                    CAPTURE(rank);
                    DistributedRandomSampler s(c.size, c.replicas, rank, c.duplicates);
                    s.set_epoch(epoch);
                    s.reset();
                    CHECK(epoch_of(s) ==
                          golden_values<size_t>(
                              key("distributed_random", c.size, c.replicas, c.duplicates) + " " +
                              std::to_string(epoch) + " " + std::to_string(rank)));
                }
            }
        }
    }

    TEST_CASE("DistributedSequentialSampler: the same shards as LibTorch's") {
        struct Case {
            size_t size, replicas;
            bool duplicates;
        };
        for (const Case c : {Case{10, 3, true}, Case{10, 3, false}, Case{12, 4, true},
                             Case{7, 2, true}, Case{1000, 3, true}}) {
            for (size_t rank = 0; rank < c.replicas; ++rank) {
                DistributedSequentialSampler s(c.size, c.replicas, rank, c.duplicates);
                CHECK(epoch_of(s) == golden_values<size_t>(key("distributed_sequential", c.size,
                                                               c.replicas, c.duplicates) +
                                                           " " + std::to_string(rank)));
            }
        }
    }

    TEST_CASE("DistributedRandomSampler: shards are disjoint and together cover every sample") {
        // 101 samples over 4 ranks: 26 each, 3 of them padding repeated from the start
        for (size_t epoch : {0, 3}) {
            std::vector<size_t> all;
            std::vector<size_t> lengths;
            for (size_t rank = 0; rank < 4; ++rank) {
                DistributedRandomSampler s(101, 4, rank);
                s.set_epoch(epoch);
                s.reset();
                const std::vector<size_t> shard = epoch_of(s, 5);
                lengths.push_back(shard.size());
                all.insert(all.end(), shard.begin(), shard.end());
            }
            CHECK(lengths == std::vector<size_t>(4, 26));
            const std::set<size_t> distinct(all.begin(), all.end());
            CHECK(distinct.size() == 101);  // complete
            CHECK(*distinct.rbegin() == 100);
            CHECK(all.size() == 104);  // and only the 3 padding samples appear twice
        }
    }

    TEST_CASE("DistributedSequentialSampler: shards are disjoint, complete, padded at the end") {
        std::vector<size_t> all;
        for (size_t rank = 0; rank < 4; ++rank) {
            DistributedSequentialSampler s(10, 4, rank);
            const std::vector<size_t> shard = epoch_of(s);
            CHECK(shard.size() == 3);
            all.insert(all.end(), shard.begin(), shard.end());
        }
        CHECK(all == std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1});
    }

    TEST_CASE("DistributedRandomSampler: the order repeats per epoch and changes between epochs") {
        DistributedRandomSampler a(40, 2, 0), b(40, 2, 0);
        a.set_epoch(2);
        a.reset();
        b.set_epoch(2);
        b.reset();
        const std::vector<size_t> epoch2 = epoch_of(a);
        CHECK(epoch_of(b) == epoch2);
        a.set_epoch(3);
        a.reset();
        CHECK(epoch_of(a) != epoch2);
        a.set_epoch(2);
        a.reset();
        CHECK(epoch_of(a) == epoch2);
    }

    TEST_CASE("DistributedRandomSampler: more replicas than samples pads with real samples") {
        // LibTorch pads with i - size, which is past the data here
        for (size_t rank = 0; rank < 5; ++rank) {
            DistributedRandomSampler s(2, 5, rank);
            for (size_t i : epoch_of(s)) CHECK(i < 2);
            DistributedSequentialSampler q(2, 5, rank);
            for (size_t i : epoch_of(q)) CHECK(i < 2);
        }
    }

    TEST_CASE("DistributedSampler: rejects a rank outside the replicas, and zero replicas") {
        CHECK_THROWS_WITH_AS(
            DistributedRandomSampler(10, 2, 2),
            "DistributedSampler: rank 2 is out of range for 2 replicas (ranks 0..1)",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(DistributedSequentialSampler(10, 0, 0),
                             "DistributedSampler: num_replicas must be at least 1, got 0",
                             std::invalid_argument);
    }

    TEST_CASE("samplers: save and load resume an epoch where it stopped") {
        tapegrad_test::TempDir dir;
        manual_seed(3);
        RandomSampler random(30);
        DistributedRandomSampler shard(30, 3, 1);
        shard.set_epoch(4);
        shard.reset();
        SequentialSampler sequential(30);
        SeededRandomSampler seeded(30, 8);
        seeded.reset();
        random.next(4);
        shard.next(4);
        sequential.next(4);
        seeded.next(4);
        auto save = [&](const Sampler<>& s, const std::string& name) {
            serialize::OutputArchive out;
            out << s;
            out.save_to(dir.file(name));
        };
        save(random, "random");
        save(shard, "shard");
        save(sequential, "sequential");
        save(seeded, "seeded");
        const std::vector<size_t> rest_random = epoch_of(random);
        const std::vector<size_t> rest_shard = epoch_of(shard);
        const std::vector<size_t> rest_seeded = epoch_of(seeded);
        seeded.reset();
        const std::vector<size_t> next_seeded = epoch_of(seeded);

        auto load = [&](Sampler<>& s, const std::string& name) {
            serialize::InputArchive in;
            in.load_from(dir.file(name));
            in >> s;
        };
        RandomSampler random2(30);
        DistributedRandomSampler shard2(30, 3, 1);
        SequentialSampler sequential2(30);
        SeededRandomSampler seeded2(30, 1);
        load(random2, "random");
        load(shard2, "shard");
        load(sequential2, "sequential");
        load(seeded2, "seeded");
        CHECK(epoch_of(random2) == rest_random);
        CHECK(epoch_of(shard2) == rest_shard);
        CHECK(sequential2.index() == 4);
        CHECK(epoch_of(sequential2).front() == 4);
        CHECK(epoch_of(seeded2) == rest_seeded);
        seeded2.reset();
        CHECK(epoch_of(seeded2) == next_seeded);  // the generator's state came along
    }

    TEST_CASE("samplers: load refuses a position outside the sampler's range") {
        tapegrad_test::TempDir dir;
        serialize::OutputArchive out;
        out.write("index", tensor(int64_t{50}));
        out.save_to(dir.file("s"));
        serialize::InputArchive in;
        in.load_from(dir.file("s"));
        SequentialSampler s(10);
        CHECK_THROWS_WITH_AS(s.load(in),
                             "sampler load: 'index' is 50, outside this sampler's range [0, 10]",
                             std::runtime_error);
    }
}
