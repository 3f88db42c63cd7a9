#pragma once
// nn::init: in-place initialisers with PyTorch's formulas, drawn from the generator that
// manual_seed() seeds, so an initialisation repeats exactly under the same seed.

#include <cstdint>
#include <tuple>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace nn {
namespace init {

/// Which fan the Kaiming initialisers scale by.
enum class FanModeType { FanIn, FanOut };
/// The nonlinearity a layer feeds, for calculate_gain and the Kaiming initialisers.
enum class NonlinearityType {
    Linear,
    Conv1D,
    Conv2D,
    Conv3D,
    Sigmoid,
    Tanh,
    ReLU,
    LeakyReLU,
    SELU
};

}  // namespace init
}  // namespace nn

constexpr nn::init::FanModeType kFanIn = nn::init::FanModeType::FanIn;
constexpr nn::init::FanModeType kFanOut = nn::init::FanModeType::FanOut;
constexpr nn::init::NonlinearityType kLinear = nn::init::NonlinearityType::Linear;
constexpr nn::init::NonlinearityType kConv1D = nn::init::NonlinearityType::Conv1D;
constexpr nn::init::NonlinearityType kConv2D = nn::init::NonlinearityType::Conv2D;
constexpr nn::init::NonlinearityType kConv3D = nn::init::NonlinearityType::Conv3D;
constexpr nn::init::NonlinearityType kSigmoid = nn::init::NonlinearityType::Sigmoid;
constexpr nn::init::NonlinearityType kTanh = nn::init::NonlinearityType::Tanh;
constexpr nn::init::NonlinearityType kReLU = nn::init::NonlinearityType::ReLU;
constexpr nn::init::NonlinearityType kLeakyReLU = nn::init::NonlinearityType::LeakyReLU;
constexpr nn::init::NonlinearityType kSELU = nn::init::NonlinearityType::SELU;

namespace nn {
namespace init {

/// The recommended gain for `nonlinearity` (param is LeakyReLU's negative slope): 1 for
/// linear and sigmoid, 5/3 for tanh, sqrt(2) for ReLU, sqrt(2 / (1 + slope^2)) for LeakyReLU.
double calculate_gain(NonlinearityType nonlinearity, double param = 0.01);
/// (fan_in, fan_out) of a weight of shape [out, in, *kernel]; needs at least 2 dims.
std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor);

/// Fills with U(low, high); returns the tensor.
Tensor uniform_(Tensor tensor, double low = 0, double high = 1);
/// Fills with N(mean, std^2).
Tensor normal_(Tensor tensor, double mean = 0, double std = 1);
Tensor constant_(Tensor tensor, Scalar value);
Tensor ones_(Tensor tensor);
Tensor zeros_(Tensor tensor);
/// U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
/// N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
/// U(-b, b) with b = sqrt(3) * calculate_gain(nonlinearity, a) / sqrt(fan); with
/// a = sqrt(5) this is nn::Linear's default, b = 1 / sqrt(fan_in).
Tensor kaiming_uniform_(Tensor tensor, double a = 0, FanModeType mode = kFanIn,
                        NonlinearityType nonlinearity = kLeakyReLU);
/// N(0, s^2) with s = calculate_gain(nonlinearity, a) / sqrt(fan).
Tensor kaiming_normal_(Tensor tensor, double a = 0, FanModeType mode = kFanIn,
                       NonlinearityType nonlinearity = kLeakyReLU);

}  // namespace init
}  // namespace nn
}  // namespace tapegrad
