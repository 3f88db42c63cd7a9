#include "data/dataset.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace data {

namespace {

void check_index(const char* op, int64_t index, int64_t size) {
    if (index < 0 || index >= size) {
        throw std::invalid_argument(std::string(op) + ": index " + std::to_string(index) +
                                    " is out of range for a dataset of " + std::to_string(size) +
                                    " samples");
    }
}

}  // namespace

Example Dataset::get_batch(const std::vector<int64_t>& indices) const {
    if (indices.empty()) throw std::invalid_argument("Dataset::get_batch: no indices");
    std::vector<Tensor> data, targets;
    data.reserve(indices.size());
    targets.reserve(indices.size());
    for (int64_t i : indices) {
        Example e = get(i);
        data.push_back(std::move(e.data));
        targets.push_back(std::move(e.target));
    }
    return {stack(data), stack(targets)};
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

int64_t TensorDataset::size() const {
    return data_.defined() ? data_.size(0) : 0;
}

Example TensorDataset::get(int64_t index) const {
    check_index("TensorDataset::get", index, size());
    return {data_.select(0, index), targets_.select(0, index)};
}

Example TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
    if (indices.empty()) throw std::invalid_argument("TensorDataset::get_batch: no indices");
    const int64_t n = size();
    for (int64_t i : indices) check_index("TensorDataset::get_batch", i, n);
    Tensor index = from_blob(indices.data(), {static_cast<int64_t>(indices.size())}, kInt64);
    return {data_.index_select(0, index), targets_.index_select(0, index)};
}

}  // namespace data
}  // namespace tapegrad
