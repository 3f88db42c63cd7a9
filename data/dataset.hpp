#pragma once
// Dataset: samples addressed by index. TensorDataset keeps whole tensors and serves a batch with
// one index_select per tensor, which is what a DataLoader over in-memory data wants.

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace data {

/// One sample, or one batch of samples stacked along a new first dimension.
struct Example {
    Tensor data;
    Tensor target;
};

/// A batch as a DataLoader yields it: `data` is [batch, ...], `target` is [batch, ...].
using Batch = Example;

/// A source of samples addressed by an index in [0, size()).
class Dataset {
  public:
    virtual ~Dataset() = default;
    /// The number of samples.
    virtual int64_t size() const = 0;
    /// Sample `index`, for 0 <= index < size().
    virtual Example get(int64_t index) const = 0;
    /// The samples at `indices`, stacked along a new first dimension. The default calls get()
    /// once per index and stacks; datasets that can gather faster override it.
    virtual Example get_batch(const std::vector<int64_t>& indices) const;
};

/// Samples held as two whole tensors whose first dimension is the sample:
/// data [n, ...] and targets [n, ...].
class TensorDataset : public Dataset {
  public:
    /// An empty dataset (size 0), to be assigned later.
    TensorDataset() = default;
    /// Throws std::invalid_argument unless both are defined, at least 1-D, and agree on n.
    TensorDataset(Tensor data, Tensor targets);

    int64_t size() const override;
    /// data[index] and targets[index], as views that share the dataset's storage.
    Example get(int64_t index) const override;
    /// One index_select per tensor: fresh [k, ...] tensors, never views.
    Example get_batch(const std::vector<int64_t>& indices) const override;

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
