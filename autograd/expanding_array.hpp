#pragma once
// ExpandingArray<D>: one integer or D of them, as LibTorch's torch::ExpandingArray. A kernel
// size of `3` means {3, 3} for a 2-d layer; `{3, 5}` gives each dim its own value.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tapegrad {

/// D integers, given as one value (repeated D times) or as a list of D values. A list of one
/// value also expands (as ATen's int-list arguments do). Default-constructed or built from
/// `{}` it is empty: pooling ops read an empty stride as "the kernel size", as LibTorch does.
template <size_t D, class T = int64_t>
class ExpandingArray {
public:
    ExpandingArray() = default;
    ExpandingArray(T single) : empty_(false) { values_.fill(single); }  // NOLINT: implicit
    ExpandingArray(std::initializer_list<T> list) { assign(list.begin(), list.size()); }
    ExpandingArray(const std::vector<T>& vec) { assign(vec.data(), vec.size()); }       // NOLINT
    ExpandingArray(const std::array<T, D>& values) : values_(values), empty_(false) {}  // NOLINT

    const std::array<T, D>& operator*() const { return values_; }
    std::array<T, D>& operator*() { return values_; }
    const std::array<T, D>* operator->() const { return &values_; }
    std::array<T, D>* operator->() { return &values_; }
    T operator[](size_t i) const { return values_[i]; }
    size_t size() const noexcept { return D; }
    /// True when no value was given.
    bool empty() const noexcept { return empty_; }
    std::vector<T> vec() const { return std::vector<T>(values_.begin(), values_.end()); }
    /// The values as a list, as LibTorch's conversion to ArrayRef.
    operator std::vector<T>() const { return vec(); }  // NOLINT: implicit, as LibTorch
    bool operator==(const ExpandingArray& o) const {
        return empty_ == o.empty_ && values_ == o.values_;
    }
    bool operator!=(const ExpandingArray& o) const { return !(*this == o); }

private:
    void assign(const T* p, size_t n) {
        if (n == 0) return;
        if (n != 1 && n != D) {
            throw std::invalid_argument("ExpandingArray: expected 1 or " + std::to_string(D) +
                                        " values, got " + std::to_string(n));
        }
        for (size_t i = 0; i < D; ++i) values_[i] = p[n == 1 ? 0 : i];
        empty_ = false;
    }

    std::array<T, D> values_{};
    bool empty_ = true;
};

/// Prints `[3, 3]` (a single value for D = 1), as LibTorch's module descriptions show it.
template <size_t D, class T>
std::ostream& operator<<(std::ostream& os, const ExpandingArray<D, T>& a) {
    if (D == 1) return os << a[0];
    os << "[";
    for (size_t i = 0; i < D; ++i) os << (i ? ", " : "") << a[i];
    return os << "]";
}

}  // namespace tapegrad
