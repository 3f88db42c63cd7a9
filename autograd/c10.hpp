#pragma once
// Opt-in: the few c10:: utilities LibTorch programs commonly use, so that a port needs this one
// include (`#include <autograd/c10.hpp>` after `#include <tapegrad.hpp>`) and no edits. The
// rename maps `torch::` only; these keep their `c10::` names. Not included by tapegrad.hpp,
// as it defines a namespace c10 that would clash with LibTorch's in a program using both.

#include <optional>
#include <type_traits>

#include "autograd/grad_mode.hpp"
#include "autograd/print.hpp"

namespace c10 {

/// The integers begin, begin + 1, ..., end - 1 (none when end <= begin): c10::irange.
template <class I>
class integer_range {
    static_assert(std::is_integral_v<I>, "c10::irange: needs an integer type");

public:
    class iterator {
    public:
        explicit iterator(I v) : v_(v) {}
        I operator*() const { return v_; }
        iterator& operator++() {
            ++v_;
            return *this;
        }
        bool operator==(const iterator& o) const { return v_ == o.v_; }
        bool operator!=(const iterator& o) const { return v_ != o.v_; }

    private:
        I v_;
    };
    integer_range(I begin, I end) : begin_(begin), end_(end < begin ? begin : end) {}
    iterator begin() const { return iterator(begin_); }
    iterator end() const { return iterator(end_); }

private:
    I begin_, end_;
};

/// for (const auto i : c10::irange(n)) visits 0 .. n-1.
template <class I, class = std::enable_if_t<std::is_integral_v<I>>>
integer_range<I> irange(I end) {
    return integer_range<I>(I(0), end);
}
/// for (const auto i : c10::irange(a, b)) visits a .. b-1, in b's type.
template <class I1, class I2,
          class = std::enable_if_t<std::is_integral_v<I1> && std::is_integral_v<I2>>>
integer_range<I2> irange(I1 begin, I2 end) {
    return integer_range<I2>(static_cast<I2>(begin), end);
}

using std::make_optional;
using std::nullopt;
using std::optional;
using tapegrad::str;
using InferenceMode = tapegrad::InferenceMode;

}  // namespace c10
