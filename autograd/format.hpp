#pragma once
// The formatting helpers the library's messages and files share: a number through a printf
// format, and the printed name of an enumerator. (Shapes: shape_str in autograd/tensor.hpp.)

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>

namespace tapegrad {
namespace detail {

/// v printed by snprintf with `format`, one double conversion ("%g", "%.2f", ...); NaN prints
/// as "nan" whatever its sign bit.
inline std::string format_number(double v, const char* format = "%g") {
    if (std::isnan(v)) return "nan";
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

/// names[e] for an enum whose enumerators are 0, 1, 2, ... in the order of `names`; "?" for a
/// value past the table (a value cast from an integer, or an enumerator the table lacks).
/// One table per enum instead of a switch of `case X: return "x";`.
template <class Enum, size_t N>
constexpr const char* enum_name(Enum e, const char* const (&names)[N]) {
    const auto i = static_cast<size_t>(e);
    return i < N ? names[i] : "?";
}

}  // namespace detail
}  // namespace tapegrad
