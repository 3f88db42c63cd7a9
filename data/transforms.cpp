#include "data/transforms.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "autograd/format.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace data {
namespace transforms {

namespace {

[[noreturn]] void fail(const char* op, const std::string& message) {
    throw std::invalid_argument(std::string(op) + ": " + message);
}

std::string number(double v) {
    return tapegrad::detail::format_number(v);
}

}  // namespace

Example<> Stack<Example<>>::apply_batch(std::vector<Example<>> examples) {
    if (examples.empty()) fail("Stack", "the batch has no examples");
    std::vector<Tensor> data, targets;
    data.reserve(examples.size());
    targets.reserve(examples.size());
    for (Example<>& e : examples) {
        data.push_back(std::move(e.data));
        targets.push_back(std::move(e.target));
    }
    return {stack(data), stack(targets)};
}

TensorExample Stack<TensorExample>::apply_batch(std::vector<TensorExample> examples) {
    if (examples.empty()) fail("Stack", "the batch has no examples");
    std::vector<Tensor> data;
    data.reserve(examples.size());
    for (TensorExample& e : examples) data.push_back(std::move(e.data));
    return stack(data);
}

Tensor detail::channel_stats(const char* what, ArrayRef<double> values, bool positive) {
    if (values.empty()) fail("Normalize", std::string(what) + " is empty");
    for (size_t c = 0; c < values.size(); ++c) {
        const double v = values[c];
        const bool ok = positive ? (std::isfinite(v) && v > 0) : std::isfinite(v);
        if (!ok) {
            fail("Normalize", std::string(what) + "[" + std::to_string(c) + "] is " + number(v) +
                                  (positive ? ", expected a positive finite value"
                                            : ", expected a finite value"));
        }
    }
    const std::vector<double> copy = values.vec();
    return tensor(copy).to(kFloat32).reshape({static_cast<int64_t>(copy.size()), 1, 1});
}

void detail::check_channels(const Tensor& mean, const Tensor& stddev) {
    const int64_t m = mean.size(0), s = stddev.size(0);
    if (m != s && m != 1 && s != 1) {
        fail("Normalize",
             "mean has " + std::to_string(m) + " channels but stddev has " + std::to_string(s));
    }
}

// y = (x - mean) / stddev, mean and stddev [C, 1, 1] broadcast over x [..., C, H, W]
Tensor detail::normalize(const Tensor& input, const Tensor& mean, const Tensor& stddev) {
    const int64_t channels = std::max(mean.size(0), stddev.size(0));
    if (!input.defined()) fail("Normalize", "the data tensor is undefined");
    if (channels > 1 && (input.dim() < 3 || input.size(-3) != channels)) {
        fail("Normalize", "data is " + shape_str(input.sizes()) + ", but mean and stddev have " +
                              std::to_string(channels) + " channels (expected [" +
                              std::to_string(channels) + ", H, W])");
    }
    return input.sub(mean).div(stddev);
}

}  // namespace transforms
}  // namespace data
}  // namespace tapegrad
