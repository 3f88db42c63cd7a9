#include "train/detail.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace train {
namespace detail {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
        out += names[i];
    }
    return out.empty() ? "(none)" : out;
}

void throw_shapes(const char* who, const Tensor& output, const Tensor& target,
                  const char* expected) {
    throw std::invalid_argument(
        std::string(who) + ": output " +
        (output.defined() ? shape_str(output.sizes()) : std::string("(undefined)")) +
        " does not fit target " +
        (target.defined() ? shape_str(target.sizes()) : std::string("(undefined)")) +
        "; expected " +
        (expected ? expected
                  : "[N, C] with [N] or [N, C], [N] / [N, 1] with [N] / [N, 1], or int64 classes "
                    "[N] with [N]"));
}

std::vector<double> values_of(const Tensor& t) {
    return t.contiguous().to_vector<double>();
}

// The true class of each sample: int64 [N] as they are, [N, C] rows by their argmax.
std::vector<int64_t> classes_of_target(const char* who, const Tensor& output,
                                       const Tensor& target) {
    if (target.dim() == 1 && target.dtype() == kInt64)
        return target.contiguous().to_vector<int64_t>();
    if (output.dim() == 2 && target.sizes() == output.sizes()) {
        return target.argmax(1).contiguous().to_vector<int64_t>();
    }
    throw_shapes(who, output, target);
}

// 0/1 labels of binary targets: values in [0, 1], class 1 above 0.5.
std::vector<int64_t> binary_labels(const char* who, const Tensor& target) {
    std::vector<int64_t> labels;
    for (double v : values_of(target)) {
        if (!(v >= 0.0 && v <= 1.0)) {
            throw std::invalid_argument(std::string(who) + ": a binary target is " +
                                        detail::format_number(v) +
                                        "; binary targets are 0 or 1 (values in [0, 1] count as "
                                        "class 1 above 0.5)");
        }
        labels.push_back(v > 0.5 ? 1 : 0);
    }
    return labels;
}

}  // namespace detail
}  // namespace train
}  // namespace tapegrad
