#include "nn/init.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"

namespace tapegrad {
namespace nn {
namespace init {

namespace {
void check_fillable(const char* op, const Tensor& t) {
    if (!t.defined()) throw std::invalid_argument(std::string(op) + ": the tensor is undefined");
}

int64_t fan(const char* op, const Tensor& t, FanModeType mode) {
    check_fillable(op, t);
    if (t.dim() < 2) {
        throw std::invalid_argument(std::string(op) +
                                    ": fan in and fan out need a tensor with at least 2 "
                                    "dimensions, got shape " +
                                    shape_str(t.sizes()));
    }
    const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(t);
    return mode == kFanIn ? fan_in : fan_out;
}
}  // namespace

double calculate_gain(NonlinearityType nonlinearity, double param) {
    switch (nonlinearity) {
        case NonlinearityType::Tanh:
            return 5.0 / 3.0;
        case NonlinearityType::ReLU:
            return std::sqrt(2.0);
        case NonlinearityType::LeakyReLU:
            return std::sqrt(2.0 / (1.0 + param * param));
        case NonlinearityType::SELU:
            return 3.0 / 4.0;
        default:
            return 1.0;
    }
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
    if (tensor.dim() < 2) {
        throw std::invalid_argument(
            "_calculate_fan_in_and_fan_out: fan in and fan out need a tensor with at least 2 "
            "dimensions, got shape " +
            shape_str(tensor.sizes()));
    }
    int64_t receptive = 1;
    for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= tensor.size(d);
    return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

Tensor uniform_(Tensor tensor, double low, double high) {
    check_fillable("uniform_", tensor);
    NoGradGuard no_grad;
    tensor.uniform_(low, high);
    return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
    check_fillable("normal_", tensor);
    NoGradGuard no_grad;
    tensor.normal_(mean, std);
    return tensor;
}

Tensor constant_(Tensor tensor, Scalar value) {
    check_fillable("constant_", tensor);
    NoGradGuard no_grad;
    tensor.fill_(value);
    return tensor;
}

Tensor ones_(Tensor tensor) {
    return constant_(std::move(tensor), 1);
}
Tensor zeros_(Tensor tensor) {
    return constant_(std::move(tensor), 0);
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
    const int64_t fan_in = fan("xavier_uniform_", tensor, kFanIn);
    const int64_t fan_out = fan("xavier_uniform_", tensor, kFanOut);
    const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
    return uniform_(std::move(tensor), -bound, bound);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
    const int64_t fan_in = fan("xavier_normal_", tensor, kFanIn);
    const int64_t fan_out = fan("xavier_normal_", tensor, kFanOut);
    const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
    return normal_(std::move(tensor), 0.0, std);
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
    const int64_t f = fan("kaiming_uniform_", tensor, mode);
    const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
    const double bound = std::sqrt(3.0) * std;
    return uniform_(std::move(tensor), -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
    const int64_t f = fan("kaiming_normal_", tensor, mode);
    const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
    return normal_(std::move(tensor), 0.0, std);
}

}  // namespace init
}  // namespace nn
}  // namespace tapegrad
