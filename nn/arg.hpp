#pragma once
// TAPEGRAD_ARG: declares one chained option, as LibTorch's TORCH_ARG. Inside an options
// struct, `TAPEGRAD_ARG(bool, bias) = true;` gives a setter `bias(false)` that returns the
// options (so setters chain) and a getter `bias()`.

#include <utility>

#define TAPEGRAD_ARG(T, name)                         \
public:                                               \
    auto name(const T& new_##name)->decltype(*this) { \
        this->name##_ = new_##name;                   \
        return *this;                                 \
    }                                                 \
    auto name(T&& new_##name)->decltype(*this) {      \
        this->name##_ = std::move(new_##name);        \
        return *this;                                 \
    }                                                 \
    const T& name() const noexcept {                  \
        return this->name##_;                         \
    }                                                 \
    T& name() noexcept {                              \
        return this->name##_;                         \
    }                                                 \
                                                      \
private:                                              \
    T name##_

// TORCH_ARG survives the rename of torch:: to tapegrad:: (macros have no namespace).
#if !defined(TAPEGRAD_NO_TORCH_MACROS) && !defined(TORCH_ARG)
#define TORCH_ARG(T, name) TAPEGRAD_ARG(T, name)
#endif
