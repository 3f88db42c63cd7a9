#pragma once
// The small types every part of tapegrad::data speaks: an Example (data and target), a
// non-owning ArrayRef of indices, and `optional`, spelled as LibTorch spells them.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {

// LibTorch's datasets return torch::optional<size_t>; after the rename that is this.
using std::nullopt;
using std::optional;

namespace data {

/// A read-only view of contiguous elements (a pointer and a count), as c10::ArrayRef: what a
/// batch request and Normalize's means are passed as. It never owns what it points to.
template <class T>
class ArrayRef {
public:
    using value_type = T;
    using const_iterator = const T*;

    ArrayRef() = default;
    /// One element.
    ArrayRef(const T& one) : data_(&one), size_(1) {}  // NOLINT: implicit, as c10's
    ArrayRef(const T* data, size_t size) : data_(data), size_(size) {}
    ArrayRef(const std::vector<T>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
    template <size_t N>
    ArrayRef(const std::array<T, N>& a) : data_(a.data()), size_(N) {}  // NOLINT
    // The list lives until the end of the full expression that wrote it, which is as long as
    // an argument needs (GCC warns about any pointer into a list).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
    ArrayRef(std::initializer_list<T> list)  // NOLINT
        : data_(list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    const T* begin() const {
        return data_;
    }
    const T* end() const {
        return data_ + size_;
    }
    const T* data() const {
        return data_;
    }
    size_t size() const {
        return size_;
    }
    bool empty() const {
        return size_ == 0;
    }
    const T& operator[](size_t i) const {
        return data_[i];
    }
    std::vector<T> vec() const {
        return std::vector<T>(begin(), end());
    }

private:
    const T* data_ = nullptr;
    size_t size_ = 0;
};

namespace example {
/// The Target of an Example that has none (TensorExample).
using NoTarget = void;
}  // namespace example

/// One sample, or a batch of samples stacked along a new first dimension: `data` and `target`.
template <class Data = Tensor, class Target = Tensor>
struct Example {
    using DataType = Data;
    using TargetType = Target;

    Example() = default;
    Example(Data data, Target target) : data(std::move(data)), target(std::move(target)) {}

    Data data;
    Target target;
};

/// An Example with data only; it converts to and from its data.
template <class Data>
struct Example<Data, example::NoTarget> {
    using DataType = Data;
    using TargetType = example::NoTarget;

    Example() = default;
    Example(Data data) : data(std::move(data)) {}  // NOLINT: implicit, as LibTorch's

    operator Data&() { return data; }
    operator const Data&() const { return data; }

    Data data;
};

/// A sample that is a single tensor.
using TensorExample = Example<Tensor, example::NoTarget>;

/// A batch as data::DataLoader yields it: `data` is [batch, ...], `target` is [batch, ...].
using Batch = Example<>;

}  // namespace data
}  // namespace tapegrad
