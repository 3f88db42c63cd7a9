#pragma once
// LibTorch's dataset vocabulary (torch::data::datasets): a dataset is a class that derives from
// Dataset<Self> (CRTP) and defines get(index) and size(); map() wraps it with transforms.
//
//   struct Squares : data::datasets::Dataset<Squares> {
//       data::Example<> get(size_t i) override { return {tensor({double(i)}), tensor(int64_t(i *
//       i))}; } optional<size_t> size() const override { return 10; }
//   };
//   auto ds = Squares().map(data::transforms::Stack<>());   // batches become stacked tensors

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "data/example.hpp"

namespace tapegrad {
namespace data {
namespace datasets {

template <class Source, class Transform>
class MapDataset;
template <class D, class T>
MapDataset<D, T> map(D dataset, T transform);

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<optional<T>> : std::true_type {};

/// Throws std::invalid_argument "<op>: index <i> is out of range for a dataset of <n> samples",
/// printing an index that is a negative number converted to size_t as that negative number.
void check_index(const char* op, size_t index, size_t size);
}  // namespace detail

/// A dataset that serves whole batches: get_batch(request) returns a Batch. `Self` is the
/// deriving class (CRTP), so that map() can return a MapDataset of the right type.
template <class Self, class Batch = std::vector<Example<>>, class BatchRequest = ArrayRef<size_t>>
class BatchDataset {
public:
    using SelfType = Self;
    using BatchType = Batch;
    using BatchRequestType = BatchRequest;
    /// True for datasets whose get_batch returns an optional (LibTorch's stateful datasets,
    /// which tapegrad's loaders do not take).
    constexpr static bool is_stateful = detail::is_optional<BatchType>::value;

    virtual ~BatchDataset() = default;

    /// The batch for `request` (usually the sample indices a sampler chose).
    virtual Batch get_batch(BatchRequest request) = 0;

    /// The number of samples, if known.
    virtual optional<size_t> size() const = 0;

    /// This dataset, with `transform` applied to every batch it returns.
    template <class TransformType>
    MapDataset<Self, TransformType> map(TransformType transform) & {
        return datasets::map(static_cast<Self&>(*this), std::move(transform));
    }
    template <class TransformType>
    MapDataset<Self, TransformType> map(TransformType transform) && {
        return datasets::map(std::move(static_cast<Self&>(*this)), std::move(transform));
    }
};

/// A dataset of single examples: define get(index) and size(); a batch is the vector of the
/// examples at the requested indices (map a transforms::Stack<> to stack them).
template <class Self, class SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
public:
    using ExampleType = SingleExample;

    /// The example at `index`, for index < size().
    virtual ExampleType get(size_t index) = 0;

    /// get(i) for each index, in order.
    std::vector<ExampleType> get_batch(ArrayRef<size_t> indices) override {
        std::vector<ExampleType> batch;
        batch.reserve(indices.size());
        for (const size_t i : indices) batch.push_back(get(i));
        return batch;
    }
};

/// `dataset` with `transform` applied to each batch it returns; made by dataset.map(transform).
template <class Source, class Transform>
class MapDataset
    : public BatchDataset<MapDataset<Source, Transform>, typename Transform::OutputBatchType,
                          typename Source::BatchRequestType> {
public:
    using DatasetType = Source;
    using TransformType = Transform;
    using BatchRequestType = typename Source::BatchRequestType;
    using OutputBatchType = typename Transform::OutputBatchType;

    MapDataset(DatasetType dataset, TransformType transform)
        : dataset_(std::move(dataset)), transform_(std::move(transform)) {}

    OutputBatchType get_batch(BatchRequestType request) override {
        return transform_.apply_batch(dataset_.get_batch(std::move(request)));
    }
    optional<size_t> size() const noexcept override { return dataset_.size(); }

    /// The wrapped dataset and the transform.
    const Source& dataset() noexcept { return dataset_; }
    const Transform& transform() noexcept { return transform_; }

private:
    Source dataset_;
    Transform transform_;
};

/// MapDataset(dataset, transform), checking that the transform takes the dataset's batches.
template <class D, class T>
MapDataset<D, T> map(D dataset, T transform) {
    static_assert(!D::is_stateful, "tapegrad::data: stateful datasets are not supported");
    static_assert(std::is_same<typename D::BatchType, typename T::InputBatchType>::value,
                  "BatchType type of dataset does not match input type of transform");
    return {std::move(dataset), std::move(transform)};
}

/// LibTorch's TensorDataset: the rows of one tensor, each a TensorExample (no target). For data
/// with targets, use tapegrad::data::TensorDataset(data, targets).
struct TensorDataset : public Dataset<TensorDataset, TensorExample> {
    /// The tensors stacked along a new first dimension.
    explicit TensorDataset(const std::vector<Tensor>& tensors);
    explicit TensorDataset(Tensor tensor);

    /// tensor[index], a view.
    TensorExample get(size_t index) override;
    optional<size_t> size() const override;

    Tensor tensor;
};

}  // namespace datasets

// LibTorch brings these two into torch::data as well.
using datasets::BatchDataset;
using datasets::Dataset;

}  // namespace data
}  // namespace tapegrad
