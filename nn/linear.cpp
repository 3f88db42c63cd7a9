#include "nn/linear.hpp"

#include <cmath>
#include <ostream>

#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tapegrad {
namespace nn {

LinearImpl::LinearImpl(const LinearOptions& opts) : options(opts) {
    reset();
}

void LinearImpl::reset() {
    weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
    bias = options.bias() ? register_parameter("bias", empty({options.out_features()})) : Tensor();
    reset_parameters();
}

void LinearImpl::reset_parameters() {
    // PyTorch's default: kaiming_uniform_ with a = sqrt(5) gives U(-1/sqrt(in), 1/sqrt(in)).
    init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (bias.defined()) {
        const int64_t fan_in = options.in_features();
        const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
        init::uniform_(bias, -bound, bound);
    }
}

Tensor LinearImpl::forward(const Tensor& input) {
    return linear(input, weight, bias);
}

void LinearImpl::pretty_print(std::ostream& stream) const {
    stream << "Linear(in_features=" << options.in_features()
           << ", out_features=" << options.out_features()
           << ", bias=" << (options.bias() ? "true" : "false") << ")";
}

void IdentityImpl::pretty_print(std::ostream& stream) const {
    stream << "Identity()";
}

FlattenImpl::FlattenImpl(const FlattenOptions& opts) : options(opts) {}

Tensor FlattenImpl::forward(const Tensor& input) {
    return input.flatten(options.start_dim(), options.end_dim());
}

void FlattenImpl::pretty_print(std::ostream& stream) const {
    stream << "Flatten(start_dim=" << options.start_dim() << ", end_dim=" << options.end_dim()
           << ")";
}

}  // namespace nn
}  // namespace tapegrad
