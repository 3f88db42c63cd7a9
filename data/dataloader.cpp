#include "data/dataloader.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace tapegrad {
namespace data {

std::vector<int64_t> shuffled_indices(int64_t n, std::mt19937_64& rng) {
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), int64_t{0});
    // Written out rather than std::shuffle: the order must be the same with every standard
    // library, because benchmarks replay it in LibTorch.
    for (int64_t i = n - 1; i >= 1; --i) {
        const auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
        std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
    }
    return perm;
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options), rng_(options.seed()) {
    if (!dataset_) throw std::invalid_argument("DataLoader: dataset is null");
    if (options_.batch_size() <= 0) {
        throw std::invalid_argument("DataLoader: batch_size must be positive, got " +
                                    std::to_string(options_.batch_size()));
    }
}

DataLoader::DataLoader(const TensorDataset& dataset, DataLoaderOptions options)
    : DataLoader(std::make_shared<const TensorDataset>(dataset), options) {}

int64_t DataLoader::size() const {
    const int64_t n = dataset_->size();
    const int64_t b = options_.batch_size();
    return options_.drop_last() ? n / b : n / b + (n % b != 0);
}

DataLoader::Iterator DataLoader::begin() {
    const int64_t n = dataset_->size();
    std::vector<int64_t> order;
    if (options_.shuffle()) {
        order = shuffled_indices(n, rng_);
    } else {
        order.resize(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), int64_t{0});
    }
    if (options_.drop_last()) order.resize(static_cast<size_t>(size() * options_.batch_size()));
    return Iterator(dataset_, std::make_shared<const std::vector<int64_t>>(std::move(order)),
                    options_.batch_size(), 0);
}

DataLoader::Iterator DataLoader::end() const {
    return Iterator(dataset_, nullptr, options_.batch_size(), size());
}

DataLoader::Iterator::Iterator(std::shared_ptr<const Dataset> dataset,
                               std::shared_ptr<const std::vector<int64_t>> order,
                               int64_t batch_size, int64_t batch)
    : dataset_(std::move(dataset)),
      order_(std::move(order)),
      batch_size_(batch_size),
      batch_(batch) {}

const Batch& DataLoader::Iterator::operator*() const {
    if (!loaded_) {
        const auto n = static_cast<int64_t>(order_ ? order_->size() : 0);
        const int64_t start = batch_ * batch_size_;
        if (start >= n) throw std::logic_error("DataLoader: dereferenced the end iterator");
        const int64_t stop = std::min(n, start + batch_size_);
        std::vector<int64_t> indices(order_->begin() + start, order_->begin() + stop);
        current_ = dataset_->get_batch(indices);
        loaded_ = true;
    }
    return current_;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
    ++batch_;
    current_ = Batch();
    loaded_ = false;
    return *this;
}

}  // namespace data
}  // namespace tapegrad
