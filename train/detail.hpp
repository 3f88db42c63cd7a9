#pragma once
// Internals shared by the files of train/ (not public API): the atomic file writer, number
// formatting for CSV files, and how the metrics read outputs and targets.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "autograd/format.hpp"
#include "autograd/platform.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace train {
namespace detail {

// The library's one atomic writer (autograd/platform.hpp), by its short name here.
using tapegrad::detail::write_file_atomically;

/// `v` printed with `format` ("%.6g" by default), or "nan".
inline std::string format_number(double v, const char* format = "%.6g") {
    return tapegrad::detail::format_number(v, format);
}

/// True when `s` ends with `suffix`.
bool ends_with(const std::string& s, const std::string& suffix);

/// "a, b and c": names joined for error messages.
std::string join_names(const std::vector<std::string>& names);

/// Throws std::invalid_argument: `who`'s output and target shapes do not fit; `expected` says
/// what fits (by default the shapes of train/classification.hpp).
[[noreturn]] void throw_shapes(const char* who, const Tensor& output, const Tensor& target,
                               const char* expected = nullptr);
/// The values of `t` as doubles.
std::vector<double> values_of(const Tensor& t);
/// The true class of each sample: int64 targets [N] as they are, [N, C] rows (one-hot or
/// probabilities, shaped as the output) by their argmax.
std::vector<int64_t> classes_of_target(const char* who, const Tensor& output, const Tensor& target);
/// 0/1 labels of binary targets, values in [0, 1] (class 1 above 0.5); others throw.
std::vector<int64_t> binary_labels(const char* who, const Tensor& target);

/// Throws std::invalid_argument unless every weight is finite and >= 0 (`what` names them).
void check_weights(const char* what, const std::vector<double>& values);

}  // namespace detail
}  // namespace train
}  // namespace tapegrad
