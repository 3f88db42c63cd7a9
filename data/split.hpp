#pragma once
// Random splits of a TensorDataset, e.g. a validation set cut from the training data.

#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

#include "data/dataset.hpp"

namespace tapegrad {
namespace data {

/// The sizes of the parts of a split, as whole numbers ({800, 200}) that sum to the dataset
/// size, or as fractions ({0.8, 0.2}) that sum to 1. Integers mean counts, floating values
/// mean fractions, as in PyTorch's random_split.
class SplitLengths {
public:
    template <class T, class = std::enable_if_t<std::is_arithmetic_v<T>>>
    SplitLengths(std::initializer_list<T> values) : fractions_(!std::is_integral_v<T>) {
        for (T v : values) values_.push_back(static_cast<double>(v));
        if constexpr (std::is_integral_v<T>) {
            for (T v : values) counts_.push_back(static_cast<int64_t>(v));
        }
    }
    SplitLengths(const std::vector<double>& fractions) : values_(fractions), fractions_(true) {}
    SplitLengths(const std::vector<int64_t>& counts)
        : values_(counts.begin(), counts.end()), counts_(counts), fractions_(false) {}

    /// True for fractions, false for counts.
    bool fractions() const { return fractions_; }
    const std::vector<double>& values() const { return values_; }
    const std::vector<int64_t>& counts() const { return counts_; }

private:
    std::vector<double> values_;
    std::vector<int64_t> counts_;
    bool fractions_;
};

/// Splits `dataset` into parts of the given sizes, drawing the samples of each part from one
/// random permutation (the DataLoader's shuffle, under `seed`). Fractions are turned into
/// counts by rounding down and then giving one more sample to the first parts until all are
/// used, as PyTorch does.
std::vector<TensorDataset> random_split(const TensorDataset& dataset, const SplitLengths& lengths,
                                        uint64_t seed = 42);

/// {train, validation}: a random round(val_fraction * n) samples go to validation, the rest to
/// train. val_fraction must be in [0, 1].
std::pair<TensorDataset, TensorDataset> train_val_split(const TensorDataset& dataset,
                                                        double val_fraction, uint64_t seed = 42);

}  // namespace data
}  // namespace tapegrad
