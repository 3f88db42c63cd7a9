#include "nn/loss.hpp"

#include <ostream>

namespace tapegrad {
namespace nn {

Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) {
    return functional::mse_loss(input, target, options);
}
void MSELossImpl::pretty_print(std::ostream& stream) const {
    stream << "MSELoss()";
}

Tensor L1LossImpl::forward(const Tensor& input, const Tensor& target) {
    return functional::l1_loss(input, target, options);
}
void L1LossImpl::pretty_print(std::ostream& stream) const {
    stream << "L1Loss()";
}

Tensor BCELossImpl::forward(const Tensor& input, const Tensor& target) {
    return functional::binary_cross_entropy(input, target, options);
}
void BCELossImpl::pretty_print(std::ostream& stream) const {
    stream << "BCELoss()";
}

Tensor BCEWithLogitsLossImpl::forward(const Tensor& input, const Tensor& target) {
    return functional::binary_cross_entropy_with_logits(input, target, options);
}
void BCEWithLogitsLossImpl::pretty_print(std::ostream& stream) const {
    stream << "BCEWithLogitsLoss()";
}

Tensor NLLLossImpl::forward(const Tensor& input, const Tensor& target) {
    return functional::nll_loss(input, target, options);
}
void NLLLossImpl::pretty_print(std::ostream& stream) const {
    stream << "NLLLoss()";
}

Tensor CrossEntropyLossImpl::forward(const Tensor& input, const Tensor& target) {
    return functional::cross_entropy(input, target, options);
}
void CrossEntropyLossImpl::pretty_print(std::ostream& stream) const {
    stream << "CrossEntropyLoss(label_smoothing=" << options.label_smoothing() << ")";
}

}  // namespace nn
}  // namespace tapegrad
