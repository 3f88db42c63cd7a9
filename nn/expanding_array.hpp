#pragma once
// ExpandingArray<D>: D values given as a list of D or as one value repeated, as LibTorch's
// torch::ExpandingArray (kernel sizes, strides: `ExpandingArray<2>(3)` is {3, 3}).

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tapegrad {

/// D values of type T; converts to std::vector<T> for the ops that take sizes.
template <size_t D, class T = int64_t>
class ExpandingArray {
public:
    /// Exactly D values: `{3, 5}`.
    ExpandingArray(std::initializer_list<T> list)  // NOLINT: implicit, as LibTorch
        : ExpandingArray(std::vector<T>(list)) {}
    ExpandingArray(const std::vector<T>& values) {  // NOLINT
        if (values.size() != D) {
            throw std::invalid_argument("ExpandingArray: expected " + std::to_string(D) +
                                        " values, got " + std::to_string(values.size()));
        }
        for (size_t i = 0; i < D; ++i) values_[i] = values[i];
    }
    /// One value for every position: `3` is {3, 3} for D = 2.
    ExpandingArray(T single_size) { values_.fill(single_size); }         // NOLINT
    ExpandingArray(const std::array<T, D>& values) : values_(values) {}  // NOLINT

    std::array<T, D>& operator*() { return values_; }
    const std::array<T, D>& operator*() const { return values_; }
    std::array<T, D>* operator->() { return &values_; }
    const std::array<T, D>* operator->() const { return &values_; }
    operator std::vector<T>() const { return std::vector<T>(values_.begin(), values_.end()); }
    size_t size() const noexcept { return D; }

protected:
    std::array<T, D> values_;
};

/// "3" for one value, "[3, 5]" for more, as LibTorch prints them.
template <size_t D, class T>
std::ostream& operator<<(std::ostream& stream, const ExpandingArray<D, T>& array) {
    if (D == 1) return stream << (*array)[0];
    stream << '[';
    for (size_t i = 0; i < D; ++i) stream << (i ? ", " : "") << (*array)[i];
    return stream << ']';
}

}  // namespace tapegrad
