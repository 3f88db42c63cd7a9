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

// TAPEGRAD_BASE_ARG: TAPEGRAD_ARG inside a base that several options structs share, written
// `template <class Derived> struct Base`: the setter returns the Derived options, so that
// `LSTMOptions(10, 20).num_layers(2).proj_size(5)` chains through the base's setters.
#define TAPEGRAD_BASE_ARG(T, name)             \
public:                                        \
    Derived& name(const T& new_##name) {       \
        this->name##_ = new_##name;            \
        return static_cast<Derived&>(*this);   \
    }                                          \
    Derived& name(T&& new_##name) {            \
        this->name##_ = std::move(new_##name); \
        return static_cast<Derived&>(*this);   \
    }                                          \
    const T& name() const noexcept {           \
        return this->name##_;                  \
    }                                          \
    T& name() noexcept {                       \
        return this->name##_;                  \
    }                                          \
                                               \
private:                                       \
    T name##_

// TORCH_ARG survives the rename of torch:: to tapegrad:: (macros have no namespace).
#if !defined(TAPEGRAD_NO_TORCH_MACROS) && !defined(TORCH_ARG)
#define TORCH_ARG(T, name) TAPEGRAD_ARG(T, name)
#endif
