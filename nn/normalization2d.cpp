#include "nn/normalization2d.hpp"

#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/ops_conv.hpp"
#include "nn/init.hpp"

namespace tapegrad {
namespace nn {

namespace detail {

// Each (sample, channel) normalised over its own values; the running statistics (when tracked)
// are used in eval mode.
template <size_t D, class Derived>
Tensor InstanceNormImpl<D, Derived>::forward(const Tensor& input) {
    this->check_input(input, {D + 1, D + 2}, /*unbatched_rank=*/D + 1);
    const InstanceNormOptions& o = this->options;
    const bool batched = input.dim() == static_cast<int64_t>(D) + 2;
    const Tensor x = batched ? input : input.unsqueeze(0);
    const bool use_input_stats = this->is_training() || !o.track_running_stats();
    const Tensor y =
        tapegrad::instance_norm(x, this->weight, this->bias, this->running_mean, this->running_var,
                                use_input_stats, o.momentum(), o.eps());
    return batched ? y : y.squeeze(0);
}

template <size_t D, class Derived>
void InstanceNormImpl<D, Derived>::pretty_print(std::ostream& stream) const {
    const InstanceNormOptions& o = this->options;
    stream << "InstanceNorm" << D << "d(" << o.num_features() << ", eps=" << o.eps()
           << ", momentum=" << o.momentum() << ", affine=" << (o.affine() ? "true" : "false")
           << ", track_running_stats=" << (o.track_running_stats() ? "true" : "false") << ")";
}

template class InstanceNormImpl<1, InstanceNorm1dImpl>;
template class InstanceNormImpl<2, InstanceNorm2dImpl>;

}  // namespace detail

GroupNormImpl::GroupNormImpl(const GroupNormOptions& opts) : options(opts) {
    const int64_t g = options.num_groups(), c = options.num_channels();
    if (g <= 0 || c <= 0 || c % g != 0) {
        throw std::invalid_argument("GroupNorm: num_groups (" + std::to_string(g) +
                                    ") must be positive and divide num_channels (" +
                                    std::to_string(c) + ")");
    }
    reset();
}

void GroupNormImpl::reset() {
    const int64_t c = options.num_channels();
    if (options.affine()) {
        weight = register_parameter("weight", empty({c}));
        bias = register_parameter("bias", empty({c}));
    }
    reset_parameters();
}

void GroupNormImpl::reset_parameters() {
    detail::reset_affine(weight, bias);
}

Tensor GroupNormImpl::forward(const Tensor& input) {
    if (!input.defined() || input.dim() < 2 || input.size(1) != options.num_channels()) {
        throw std::invalid_argument("GroupNorm: expected an input [N, " +
                                    std::to_string(options.num_channels()) + ", ...], got " +
                                    (input.defined() ? "shape " + shape_str(input.sizes())
                                                     : std::string("an undefined tensor")));
    }
    return tapegrad::group_norm(input, options.num_groups(), weight, bias, options.eps());
}

void GroupNormImpl::pretty_print(std::ostream& stream) const {
    stream << "GroupNorm(" << options.num_groups() << ", " << options.num_channels()
           << ", eps=" << options.eps() << ", affine=" << (options.affine() ? "true" : "false")
           << ")";
}

namespace functional {

Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& o) {
    return tapegrad::instance_norm(input, o.weight(), o.bias(), o.running_mean(), o.running_var(),
                                   o.use_input_stats(), o.momentum(), o.eps());
}

Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& o) {
    return tapegrad::group_norm(input, o.num_groups(), o.weight(), o.bias(), o.eps());
}

}  // namespace functional

}  // namespace nn
}  // namespace tapegrad
