#pragma once
// TAPEGRAD_ARG: declares one chained option, as LibTorch's TORCH_ARG. Inside an options
// struct, `TAPEGRAD_ARG(bool, bias) = true;` gives a setter `bias(false)` that returns the
// options (so setters chain) and a getter `bias()`.

#include <utility>

#define TAPEGRAD_ARG(T, name) TAPEGRAD_ARG_IMPL(decltype(*this), *this, T, name)

// TAPEGRAD_BASE_ARG: TAPEGRAD_ARG inside a base that several options structs share, written
// `template <class Derived> struct Base`: the setter returns the Derived options, so that
// `LSTMOptions(10, 20).num_layers(2).proj_size(5)` chains through the base's setters.
#define TAPEGRAD_BASE_ARG(T, name) \
    TAPEGRAD_ARG_IMPL(Derived&, static_cast<Derived&>(*this), T, name)

// The body of both: setters that return `self` as `Self`, the getters, and the member.
#define TAPEGRAD_ARG_IMPL(Self, self, T, name) \
public:                                        \
    auto name(const T& new_##name)->Self {     \
        this->name##_ = new_##name;            \
        return self;                           \
    }                                          \
    auto name(T&& new_##name)->Self {          \
        this->name##_ = std::move(new_##name); \
        return self;                           \
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
