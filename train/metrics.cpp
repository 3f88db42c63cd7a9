#include "train/metrics.hpp"

#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace train {

namespace {
[[noreturn]] void throw_shapes(const Tensor& output, const Tensor& target) {
    throw std::invalid_argument("count_correct: output " + shape_str(output.sizes()) +
                                " does not fit target " + shape_str(target.sizes()) +
                                "; expected [N, C] with [N] or [N, C], or [N] / [N, 1] with "
                                "[N] / [N, 1]");
}
}  // namespace

int64_t count_correct(const Tensor& output, const Tensor& target, double threshold) {
    NoGradGuard no_grad;
    if (output.dim() == 0 || output.size(0) != (target.dim() == 0 ? -1 : target.size(0))) {
        throw_shapes(output, target);
    }
    const int64_t n = output.size(0);
    Tensor predicted;
    Tensor expected;
    if (output.dim() == 2 && output.size(1) > 1) {
        predicted = output.argmax(1);
        if (target.dim() == 1 && target.dtype() == kInt64) {
            expected = target;
        } else if (target.sizes() == output.sizes()) {
            expected = target.argmax(1);  // one-hot or probability targets
        } else {
            throw_shapes(output, target);
        }
    } else if (output.numel() == n && target.numel() == n) {
        predicted = output.reshape({n}).gt(threshold);
        // targets are 0/1 labels, float or int64; 0.5 splits them whatever the threshold
        expected = target.reshape({n}).to(kFloat64).gt(0.5);
    } else {
        throw_shapes(output, target);
    }
    return predicted.eq(expected).sum().item<int64_t>();
}

bool has_accuracy(const Tensor& output, const Tensor& target) {
    if (output.dim() == 0 || target.dim() == 0 || output.size(0) != target.size(0)) return false;
    const int64_t n = output.size(0);
    if (output.dim() == 2 && output.size(1) > 1) {
        return (target.dim() == 1 && target.dtype() == kInt64) || target.sizes() == output.sizes();
    }
    return output.numel() == n && target.numel() == n;
}

double accuracy(const Tensor& output, const Tensor& target, double threshold) {
    const int64_t n = output.dim() == 0 ? 0 : output.size(0);
    if (n == 0) return 0.0;
    return static_cast<double>(count_correct(output, target, threshold)) / static_cast<double>(n);
}

}  // namespace train
}  // namespace tapegrad
