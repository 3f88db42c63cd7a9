#pragma once
// TensorDataset: samples held as two whole tensors, data [n, ...] and targets [n, ...]. It
// serves a batch with one index_select per tensor, already stacked, which is what a loader over
// in-memory data wants. (LibTorch's datasets::TensorDataset holds one tensor and no targets.)

#include <cstddef>
#include <cstdint>

#include "autograd/tensor.hpp"
#include "data/datasets.hpp"
#include "data/example.hpp"

namespace tapegrad {
namespace data {

/// Samples held as two whole tensors whose first dimension is the sample:
/// data [n, ...] and targets [n, ...]. Its batches are Example<> (stacked already).
class TensorDataset : public datasets::BatchDataset<TensorDataset, Example<>> {
public:
    /// An empty dataset (size 0), to be assigned later.
    TensorDataset() = default;
    /// Throws std::invalid_argument unless both are defined, at least 1-D, and agree on n.
    TensorDataset(Tensor data, Tensor targets);

    /// The number of samples (always known).
    optional<size_t> size() const override;
    /// data[index] and targets[index], as views that share the dataset's storage.
    Example<> get(size_t index) const;
    /// The samples at `indices`, stacked: one index_select per tensor, fresh [k, ...] tensors.
    Example<> get_batch(ArrayRef<size_t> indices) const;
    Example<> get_batch(ArrayRef<size_t> indices) override {
        return static_cast<const TensorDataset&>(*this).get_batch(indices);
    }

    /// All samples' data, [n, ...].
    const Tensor& data() const { return data_; }
    /// All samples' targets, [n, ...].
    const Tensor& targets() const { return targets_; }

private:
    Tensor data_;
    Tensor targets_;
};

}  // namespace data
}  // namespace tapegrad
