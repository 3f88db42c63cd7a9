// LossFn's per-sample losses, and the weighted batch loss fit trains on with class_weight or
// sample_weight.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "train/detail.hpp"
#include "train/fit.hpp"

namespace tapegrad {
namespace train {

namespace detail {

// The weight of each sample's class, float64 [N]: classes as count_correct reads targets.
static Tensor class_weights_of(const Tensor& target, const std::map<int64_t, double>& table) {
    NoGradGuard no_grad;
    std::vector<int64_t> classes;
    if (target.dim() == 1 && target.dtype() == kInt64) {
        classes = target.contiguous().to_vector<int64_t>();
    } else if (target.dim() == 2 && target.size(1) > 1) {
        classes = target.argmax(1).contiguous().to_vector<int64_t>();
    } else if (target.dim() >= 1 && target.numel() == target.size(0)) {
        for (double v : target.contiguous().to_vector<double>()) classes.push_back(v > 0.5 ? 1 : 0);
    } else {
        throw std::invalid_argument(
            "fit: class_weight needs class targets: int64 [N], one-hot "
            "[N, C] or 0/1 values [N] / [N, 1]; the targets are " +
            shape_str(target.sizes()));
    }
    std::vector<double> weights;
    weights.reserve(classes.size());
    for (int64_t c : classes) {
        const auto it = table.find(c);
        if (it == table.end()) {
            std::vector<std::string> given;
            for (const auto& [k, w] : table) given.push_back(std::to_string(k));
            throw std::invalid_argument("fit: class_weight has no weight for class " +
                                        std::to_string(c) + "; it gives classes " +
                                        detail::join_names(given));
        }
        weights.push_back(it->second);
    }
    return from_blob(weights.data(), {static_cast<int64_t>(weights.size())}, kFloat64).clone();
}

void check_weights(const char* what, const std::vector<double>& values) {
    for (double w : values) {
        if (!std::isfinite(w) || w < 0) {
            throw std::invalid_argument(std::string("fit: ") + what +
                                        " must be finite and >= 0, got " +
                                        detail::format_number(w));
        }
    }
}

// The batch loss fit backpropagates: the loss as given, or with sample or class weights
// sum_i w_i * loss_i / N (as Keras), from the loss of each sample.
Tensor weighted_loss(const LossFn& loss, const Tensor& output, const Tensor& target, Tensor weights,
                     const std::map<int64_t, double>& class_weight) {
    if (!class_weight.empty()) {
        const Tensor by_class = class_weights_of(target, class_weight);
        weights = weights.defined() ? weights.to(kFloat64) * by_class : by_class;
    }
    if (!weights.defined()) return loss(output, target);
    if (!loss.has_per_sample()) {
        throw std::logic_error(
            "fit: class_weight and sample_weight need the loss of each sample, but this loss "
            "gives only their mean (a lambda): pass a loss function such as "
            "tapegrad::cross_entropy, a loss module, or wrap the lambda in "
            "train::per_sample_loss");
    }
    const Tensor per_sample = loss.per_sample(output, target);
    return (per_sample * weights.to(per_sample.dtype())).mean();
}

}  // namespace detail

Tensor LossFn::per_sample(const Tensor& output, const Tensor& target) const {
    if (!per_sample_) {
        throw std::logic_error(
            "LossFn::per_sample: this loss (a lambda) gives one value for the batch; wrap a "
            "function returning the loss of each sample in train::per_sample_loss");
    }
    const Tensor values = per_sample_(output, target);
    const int64_t n = output.dim() > 0 ? output.size(0) : 0;
    if (values.dim() == 0 || values.size(0) != n) {
        throw std::invalid_argument("LossFn::per_sample: the per-sample losses have shape " +
                                    shape_str(values.sizes()) + ", expected [" + std::to_string(n) +
                                    ", ...] for the output " + shape_str(output.sizes()));
    }
    return values.dim() == 1 ? values : values.reshape({n, -1}).mean(1);
}

LossFn per_sample_loss(std::function<Tensor(const Tensor&, const Tensor&)> fn) {
    if (!fn) throw std::invalid_argument("per_sample_loss: the function is empty");
    LossFn loss;
    loss.per_sample_ = fn;
    loss.fn_ = [loss_of_each = std::move(fn)](const Tensor& output, const Tensor& target) {
        const Tensor values = loss_of_each(output, target);
        return values.mean();
    };
    return loss;
}

}  // namespace train
}  // namespace tapegrad
