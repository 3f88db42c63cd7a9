#pragma once
// DataLoader: cuts a dataset into batches, in order or shuffled under a seed, one epoch per pass.
//
//   data::DataLoader loader(train, data::DataLoaderOptions().batch_size(64).shuffle(true));
//   for (const data::Batch& b : loader) { ... b.data ... b.target ... }

#include <cstdint>
#include <iterator>
#include <memory>
#include <random>
#include <vector>

#include "data/dataset.hpp"

namespace tapegrad {
namespace data {

/// How a DataLoader batches: chain the setters, as LibTorch's DataLoaderOptions.
class DataLoaderOptions {
  public:
    DataLoaderOptions() = default;
    explicit DataLoaderOptions(int64_t batch_size) : batch_size_(batch_size) {}

    /// Samples per batch (default 1); must be positive.
    DataLoaderOptions& batch_size(int64_t v) {
        batch_size_ = v;
        return *this;
    }
    /// Draw a new order of the samples every epoch (default false).
    DataLoaderOptions& shuffle(bool v) {
        shuffle_ = v;
        return *this;
    }
    /// Skip the last batch when it would be smaller than batch_size (default false).
    DataLoaderOptions& drop_last(bool v) {
        drop_last_ = v;
        return *this;
    }
    /// Seed of the loader's own std::mt19937_64, from which every epoch's order is drawn
    /// (default 42).
    DataLoaderOptions& seed(uint64_t v) {
        seed_ = v;
        return *this;
    }

    int64_t batch_size() const { return batch_size_; }
    bool shuffle() const { return shuffle_; }
    bool drop_last() const { return drop_last_; }
    uint64_t seed() const { return seed_; }

  private:
    int64_t batch_size_ = 1;
    bool shuffle_ = false;
    bool drop_last_ = false;
    uint64_t seed_ = 42;
};

/// Fills `perm` with 0..n-1 shuffled by Fisher-Yates with j = rng() % (i + 1), i from n-1 down
/// to 1. DataLoader and random_split both use it, so a seed gives the same order everywhere.
std::vector<int64_t> shuffled_indices(int64_t n, std::mt19937_64& rng);

/// Yields a dataset in batches. Each pass (each call of begin()) is one epoch; with shuffle on,
/// each epoch takes a fresh permutation from the loader's random stream, so epoch k's order
/// depends only on the seed and k.
class DataLoader {
  public:
    /// Walks one epoch; a range-for over the loader uses it. Holds what it needs, so it stays
    /// valid even if the loader goes away.
    class Iterator {
      public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Batch;
        using difference_type = std::ptrdiff_t;
        using pointer = const Batch*;
        using reference = const Batch&;

        /// The current batch (gathered on first access).
        const Batch& operator*() const;
        const Batch* operator->() const { return &**this; }
        Iterator& operator++();
        bool operator==(const Iterator& other) const { return batch_ == other.batch_; }
        bool operator!=(const Iterator& other) const { return batch_ != other.batch_; }

      private:
        friend class DataLoader;
        Iterator(std::shared_ptr<const Dataset> dataset,
                 std::shared_ptr<const std::vector<int64_t>> order, int64_t batch_size,
                 int64_t batch);

        std::shared_ptr<const Dataset> dataset_;
        std::shared_ptr<const std::vector<int64_t>> order_;
        int64_t batch_size_ = 1;
        int64_t batch_ = 0;
        mutable Batch current_;
        mutable bool loaded_ = false;
    };

    /// Throws std::invalid_argument if the dataset is null or the batch size is not positive.
    DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options = {});
    /// Keeps a copy of the handles (no data is copied).
    DataLoader(const TensorDataset& dataset, DataLoaderOptions options = {});

    /// Starts a new epoch: draws its order when shuffling.
    Iterator begin();
    Iterator end() const;

    /// Number of batches per epoch.
    int64_t size() const;
    const Dataset& dataset() const { return *dataset_; }
    const DataLoaderOptions& options() const { return options_; }

  private:
    std::shared_ptr<const Dataset> dataset_;
    DataLoaderOptions options_;
    std::mt19937_64 rng_;
};

}  // namespace data
}  // namespace tapegrad
