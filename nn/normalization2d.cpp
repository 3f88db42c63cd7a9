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

template <class Options>
NormBase<Options>::NormBase(const Options& opts) : options(opts) {
    const int64_t c = options.num_features();
    if (c <= 0) {
        throw std::invalid_argument(std::string(std::is_same_v<Options, BatchNormOptions>
                                                    ? "BatchNorm2d"
                                                    : "InstanceNorm") +
                                    ": num_features must be positive, got " + std::to_string(c));
    }
    if (options.affine()) {
        weight = register_parameter("weight", empty({c}));
        bias = register_parameter("bias", empty({c}));
    }
    if (options.track_running_stats()) {
        running_mean = register_buffer("running_mean", zeros({c}));
        running_var = register_buffer("running_var", ones({c}));
        num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
    }
    reset_parameters();
}

template <class Options>
void NormBase<Options>::reset_running_stats() {
    if (!options.track_running_stats()) return;
    init::zeros_(running_mean);
    init::ones_(running_var);
    init::zeros_(num_batches_tracked);
}

template <class Options>
void NormBase<Options>::reset_parameters() {
    reset_running_stats();
    if (options.affine()) {
        init::ones_(weight);
        init::zeros_(bias);
    }
}

template <class Options>
void NormBase<Options>::check_input(const char* layer, const Tensor& input,
                                    std::initializer_list<int64_t> dims) const {
    std::string ranks;
    bool ok = false;
    for (int64_t d : dims) {
        ranks += (ranks.empty() ? "" : " or ") + std::to_string(d) + "-d";
        ok = ok || (input.defined() && input.dim() == d);
    }
    if (!ok) {
        throw std::invalid_argument(std::string(layer) + ": expected a " + ranks + " input, got " +
                                    (input.defined() ? "shape " + shape_str(input.sizes())
                                                     : std::string("an undefined tensor")));
    }
    const bool unbatched = dims.size() == 2 && input.dim() == *dims.begin();
    const int64_t channels = input.size(unbatched ? 0 : 1);
    if (channels != options.num_features()) {
        throw std::invalid_argument(std::string(layer) + ": expected " +
                                    std::to_string(options.num_features()) +
                                    " channels, got input of shape " + shape_str(input.sizes()));
    }
}

template class NormBase<BatchNormOptions>;
template class NormBase<InstanceNormOptions>;

// Each (sample, channel) normalised over its own values; the running statistics (when tracked)
// are used in eval mode.
template <size_t D>
Tensor InstanceNormNdImpl<D>::forward(const Tensor& input) {
    const char* layer = D == 1 ? "InstanceNorm1d" : "InstanceNorm2d";
    check_input(layer, input, {D + 1, D + 2});
    const bool batched = input.dim() == static_cast<int64_t>(D) + 2;
    const Tensor x = batched ? input : input.unsqueeze(0);
    const bool use_input_stats = is_training() || !options.track_running_stats();
    const Tensor y = tapegrad::instance_norm(x, weight, bias, running_mean, running_var,
                                             use_input_stats, options.momentum(), options.eps());
    return batched ? y : y.squeeze(0);
}

template <size_t D>
void InstanceNormNdImpl<D>::pretty_print(std::ostream& stream) const {
    stream << "InstanceNorm" << D << "d(" << options.num_features() << ", eps=" << options.eps()
           << ", momentum=" << options.momentum()
           << ", affine=" << (options.affine() ? "true" : "false")
           << ", track_running_stats=" << (options.track_running_stats() ? "true" : "false") << ")";
}

template class InstanceNormNdImpl<1>;
template class InstanceNormNdImpl<2>;

}  // namespace detail

// Training: the batch's statistics (and the running ones updated); eval with tracking: the
// running statistics.
Tensor BatchNorm2dImpl::forward(const Tensor& input) {
    check_input("BatchNorm2d", input, {4});
    const bool training = is_training() || !options.track_running_stats();
    if (is_training() && options.track_running_stats()) {
        NoGradGuard no_grad;
        num_batches_tracked.add_(1);
    }
    return tapegrad::batch_norm(input, weight, bias, running_mean, running_var, training,
                                options.momentum(), options.eps());
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const {
    stream << "BatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
           << ", momentum=" << options.momentum()
           << ", affine=" << (options.affine() ? "true" : "false")
           << ", track_running_stats=" << (options.track_running_stats() ? "true" : "false") << ")";
}

GroupNormImpl::GroupNormImpl(const GroupNormOptions& opts) : options(opts) {
    const int64_t g = options.num_groups(), c = options.num_channels();
    if (g <= 0 || c <= 0 || c % g != 0) {
        throw std::invalid_argument("GroupNorm: num_groups (" + std::to_string(g) +
                                    ") must be positive and divide num_channels (" +
                                    std::to_string(c) + ")");
    }
    if (options.affine()) {
        weight = register_parameter("weight", empty({c}));
        bias = register_parameter("bias", empty({c}));
    }
    reset_parameters();
}

void GroupNormImpl::reset_parameters() {
    if (!options.affine()) return;
    init::ones_(weight);
    init::zeros_(bias);
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

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& o) {
    return tapegrad::batch_norm(input, o.weight(), o.bias(), running_mean, running_var,
                                o.training(), o.momentum(), o.eps());
}

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
