#pragma once
// LibTorch's samplers (torch::data::samplers): what decides which sample indices make up each
// batch. A loader calls reset() at the start of every epoch, then next(batch_size) until it
// returns nullopt. save()/load() keep the position within an epoch.
//
//   auto loader = data::make_data_loader<data::samplers::SequentialSampler>(ds, 64);
//   data::samplers::DistributedRandomSampler shard(ds.size().value(), world, rank);

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "autograd/tensor.hpp"
#include "data/archive.hpp"
#include "data/example.hpp"

namespace tapegrad {
namespace data {

/// Fills a vector with 0..n-1 shuffled by Fisher-Yates with j = rng() % (i + 1), i from n-1 down
/// to 1. SeededRandomSampler and random_split both use it, so a seed gives the same order
/// everywhere (and with every standard library).
std::vector<int64_t> shuffled_indices(int64_t n, std::mt19937_64& rng);

namespace samplers {

/// The interface of every sampler: reset for a new epoch, then next() until nullopt.
template <class BatchRequest = std::vector<size_t>>
class Sampler {
public:
    using BatchRequestType = BatchRequest;

    virtual ~Sampler() = default;
    /// Starts a new epoch, over `new_size` samples if given.
    virtual void reset(optional<size_t> new_size) = 0;
    /// The next up to `batch_size` indices of this epoch, or nullopt when it is over.
    virtual optional<BatchRequest> next(size_t batch_size) = 0;
    /// Writes the sampler's position (and what it needs to resume) to `archive`.
    virtual void save(serialize::OutputArchive& archive) const = 0;
    /// Restores what save() wrote.
    virtual void load(serialize::InputArchive& archive) = 0;
};

/// 0, 1, ..., size - 1, in order, every epoch.
class SequentialSampler : public Sampler<> {
public:
    explicit SequentialSampler(size_t size);

    void reset(optional<size_t> new_size = nullopt) override;
    optional<std::vector<size_t>> next(size_t batch_size) override;
    void save(serialize::OutputArchive& archive) const override;
    void load(serialize::InputArchive& archive) override;
    /// How many indices this epoch has handed out.
    size_t index() const noexcept { return index_; }

private:
    size_t size_;
    size_t index_ = 0;
};

/// A fresh random permutation of 0..size-1 every epoch, drawn by randperm from the generator
/// that manual_seed seeds (as LibTorch's, so the order follows the global seed).
class RandomSampler : public Sampler<> {
public:
    /// Indices are held in `index_dtype` (any integer type wide enough: kInt32 halves the
    /// memory). Throws std::invalid_argument for a negative size, a size too large to shuffle,
    /// or an index dtype that is not an integer type or cannot hold size - 1.
    explicit RandomSampler(int64_t size, ScalarType index_dtype = kInt64);
    ~RandomSampler() override;

    void reset(optional<size_t> new_size = nullopt) override;
    optional<std::vector<size_t>> next(size_t batch_size) override;
    void save(serialize::OutputArchive& archive) const override;
    void load(serialize::InputArchive& archive) override;
    size_t index() const noexcept { return static_cast<size_t>(index_); }

private:
    Tensor indices_;
    int64_t index_ = 0;
};

namespace detail {
/// Throws std::invalid_argument naming `op` when `size` is above INT64_MAX: a negative number
/// converted to size_t, as a dataset's size() returning -1 gives.
void check_size(const char* op, size_t size);
/// check_size, and std::invalid_argument unless 0 <= rank < num_replicas.
void check_replicas(const char* op, size_t size, size_t num_replicas, size_t rank);
}  // namespace detail

/// The base of the samplers that give each of `num_replicas` processes its own shard of the
/// data (rank `rank`). With `allow_duplicates`, every shard has ceil(size / num_replicas)
/// samples, the last ones padded with samples from the start; without, floor(size /
/// num_replicas), and the last size % num_replicas samples are never used.
template <class BatchRequest = std::vector<size_t>>
class DistributedSampler : public Sampler<BatchRequest> {
public:
    DistributedSampler(size_t size, size_t num_replicas = 1, size_t rank = 0,
                       bool allow_duplicates = true)
        : size_(size),
          num_replicas_(num_replicas),
          rank_(rank),
          epoch_(0),
          allow_duplicates_(allow_duplicates) {
        detail::check_replicas("DistributedSampler", size, num_replicas, rank);
    }

    /// The epoch whose order the next reset() draws (call it before each epoch, with the same
    /// value on every process, so that their shards stay disjoint).
    void set_epoch(size_t epoch) { epoch_ = epoch; }
    size_t epoch() const { return epoch_; }

    /// The number of samples of this process's shard in one epoch.
    size_t local_sample_count() const {
        return size_ / num_replicas_ + (allow_duplicates_ && size_ % num_replicas_ != 0);
    }
    /// The position within this epoch's shard.
    size_t index() const noexcept { return sample_index_; }

protected:
    size_t size_;
    size_t num_replicas_;
    size_t rank_;
    size_t epoch_;
    bool allow_duplicates_;
    // this process's shard is [begin_index_, end_index_) of the epoch's list
    size_t begin_index_ = 0;
    size_t end_index_ = 0;
    size_t sample_index_ = 0;
};

/// A shard of a permutation of the samples: every process shuffles the same (padded) index
/// list with std::mt19937(epoch) and takes its own contiguous block of it, so the shards of one
/// epoch are disjoint (apart from the padding) and each epoch's order is set by set_epoch().
/// The same order as LibTorch's DistributedRandomSampler (same standard library).
class DistributedRandomSampler : public DistributedSampler<> {
public:
    DistributedRandomSampler(size_t size, size_t num_replicas = 1, size_t rank = 0,
                             bool allow_duplicates = true);

    void reset(optional<size_t> new_size = nullopt) override;
    optional<std::vector<size_t>> next(size_t batch_size) override;
    void save(serialize::OutputArchive& archive) const override;
    void load(serialize::InputArchive& archive) override;

private:
    void populate_indices();

    std::vector<size_t> all_indices_;
};

/// A contiguous block of 0..size-1 per process, in order: rank r takes
/// [r * local_sample_count(), (r + 1) * local_sample_count()), wrapping past the end.
class DistributedSequentialSampler : public DistributedSampler<> {
public:
    DistributedSequentialSampler(size_t size, size_t num_replicas = 1, size_t rank = 0,
                                 bool allow_duplicates = true);

    void reset(optional<size_t> new_size = nullopt) override;
    optional<std::vector<size_t>> next(size_t batch_size) override;
    void save(serialize::OutputArchive& archive) const override;
    void load(serialize::InputArchive& archive) override;

private:
    void populate_indices();
};

/// 0..size-1 in a new order every epoch, drawn from the sampler's own std::mt19937_64(seed)
/// rather than the global generator, so a loader's order depends only on its seed and the
/// epoch (tapegrad's; what data::DataLoader uses for DataLoaderOptions().shuffle(true)).
/// Epoch k (the k-th reset) is shuffled_indices(size, rng) after k - 1 earlier draws.
class SeededRandomSampler : public Sampler<> {
public:
    SeededRandomSampler(size_t size, uint64_t seed);

    void reset(optional<size_t> new_size = nullopt) override;
    optional<std::vector<size_t>> next(size_t batch_size) override;
    /// Writes the position, the epoch's order and the generator's state.
    void save(serialize::OutputArchive& archive) const override;
    void load(serialize::InputArchive& archive) override;
    size_t index() const noexcept { return index_; }

private:
    size_t size_;
    std::mt19937_64 rng_;
    std::vector<int64_t> order_;
    size_t index_ = 0;
};

/// sampler.save(archive), as LibTorch's `archive << sampler`.
template <class BatchRequest>
serialize::OutputArchive& operator<<(serialize::OutputArchive& archive,
                                     const Sampler<BatchRequest>& sampler) {
    sampler.save(archive);
    return archive;
}

/// sampler.load(archive), as LibTorch's `archive >> sampler`.
template <class BatchRequest>
serialize::InputArchive& operator>>(serialize::InputArchive& archive,
                                    Sampler<BatchRequest>& sampler) {
    sampler.load(archive);
    return archive;
}

}  // namespace samplers
}  // namespace data
}  // namespace tapegrad
