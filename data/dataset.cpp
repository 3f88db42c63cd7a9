#include "data/dataset.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace data {

void datasets::detail::check_index(const char* op, size_t index, size_t size) {
    if (index < size) return;
    // a negative index passed as size_t reads better as itself
    const std::string shown = index > static_cast<size_t>(INT64_MAX)
                                  ? std::to_string(static_cast<int64_t>(index))
                                  : std::to_string(index);
    throw std::invalid_argument(std::string(op) + ": index " + shown +
                                " is out of range for a dataset of " + std::to_string(size) +
                                " samples");
}

TensorDataset::TensorDataset(Tensor data, Tensor targets)
    : data_(std::move(data)), targets_(std::move(targets)) {
    if (!data_.defined() || !targets_.defined()) {
        throw std::invalid_argument(std::string("TensorDataset: ") +
                                    (data_.defined() ? "targets" : "data") + " is undefined");
    }
    if (data_.dim() == 0 || targets_.dim() == 0) {
        throw std::invalid_argument(
            "TensorDataset: data and targets need a first (sample) dimension: data is " +
            shape_str(data_.sizes()) + ", targets is " + shape_str(targets_.sizes()));
    }
    if (data_.size(0) != targets_.size(0)) {
        throw std::invalid_argument("TensorDataset: data has " + std::to_string(data_.size(0)) +
                                    " samples but targets has " + std::to_string(targets_.size(0)) +
                                    ": data is " + shape_str(data_.sizes()) + ", targets is " +
                                    shape_str(targets_.sizes()));
    }
}

optional<size_t> TensorDataset::size() const {
    return data_.defined() ? static_cast<size_t>(data_.size(0)) : 0;
}

Example<> TensorDataset::get(size_t index) const {
    datasets::detail::check_index("TensorDataset::get", index, *size());
    const auto i = static_cast<int64_t>(index);
    return {data_.select(0, i), targets_.select(0, i)};
}

Example<> TensorDataset::get_batch(ArrayRef<size_t> indices) const {
    if (indices.empty()) throw std::invalid_argument("TensorDataset::get_batch: no indices");
    const size_t n = *size();
    std::vector<int64_t> rows(indices.size());
    for (size_t k = 0; k < indices.size(); ++k) {
        datasets::detail::check_index("TensorDataset::get_batch", indices[k], n);
        rows[k] = static_cast<int64_t>(indices[k]);
    }
    Tensor index = from_blob(rows.data(), {static_cast<int64_t>(rows.size())}, kInt64);
    return {data_.index_select(0, index), targets_.index_select(0, index)};
}

// ---- LibTorch's one-tensor TensorDataset ------------------------------------------------------

datasets::TensorDataset::TensorDataset(const std::vector<Tensor>& tensors)
    : TensorDataset(stack(tensors)) {}

datasets::TensorDataset::TensorDataset(Tensor tensor) : tensor(std::move(tensor)) {
    if (!this->tensor.defined() || this->tensor.dim() == 0) {
        throw std::invalid_argument(
            "TensorDataset: the tensor needs a first (sample) dimension, got " +
            (this->tensor.defined() ? shape_str(this->tensor.sizes()) : std::string("undefined")));
    }
}

TensorExample datasets::TensorDataset::get(size_t index) {
    detail::check_index("TensorDataset::get", index, *size());
    return tensor.select(0, static_cast<int64_t>(index));
}

optional<size_t> datasets::TensorDataset::size() const {
    return static_cast<size_t>(tensor.size(0));
}

}  // namespace data
}  // namespace tapegrad
