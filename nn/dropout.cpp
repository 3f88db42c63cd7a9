#include "nn/dropout.hpp"

#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "autograd/ops.hpp"
#include "nn/functional.hpp"
#include "nn/image.hpp"

namespace tapegrad {

void nn::detail::check_probability(const char* op, double p) {
    if (!(p >= 0.0 && p <= 1.0)) {
        std::ostringstream msg;
        msg << op << ": probability has to be between 0 and 1, got " << p;
        throw std::invalid_argument(msg.str());
    }
}

using nn::detail::check_probability;

namespace {
// m / (1 - p) with m ~ Bernoulli(1 - p): the factor dropout multiplies by (0 when p = 1).
Tensor dropout_scale(const Tensor& input, double p) {
    if (p == 1.0) return zeros_like(input);
    Tensor mask = bernoulli(input.sizes(), 1.0 - p, input.dtype());
    mask.mul_(1.0 / (1.0 - p));
    return mask;
}
}  // namespace

// y = x * m / (1 - p), m ~ Bernoulli(1 - p)       grad_x = grad_out * m / (1 - p) (via mul)
Tensor dropout(const Tensor& input, double p, bool train) {
    check_probability("dropout", p);
    if (!train || p == 0.0) return input;
    return input * dropout_scale(input, p);
}

namespace nn {

// inplace: x *= m / (1 - p), recorded (mul_'s backward is dropout's).
Tensor functional::dropout(const Tensor& input, const DropoutFuncOptions& options) {
    if (!options.inplace()) return tapegrad::dropout(input, options.p(), options.training());
    check_probability("dropout", options.p());
    if (!options.training() || options.p() == 0.0) return input;
    return input.mul_(dropout_scale(input, options.p()));
}

namespace detail {

// The layer's name ("Dropout", "Dropout2d") from its type: name() is not ready while a base's
// constructor runs reset().
template <class Derived>
void DropoutNdImpl<Derived>::reset() {
    check_probability(readable_type_name(typeid(Derived)).c_str(), options.p());
}

template <class Derived>
void DropoutNdImpl<Derived>::pretty_print(std::ostream& stream) const {
    stream << readable_type_name(typeid(Derived)) << "(p=" << options.p()
           << ", inplace=" << (options.inplace() ? "true" : "false") << ")";
}

template class DropoutNdImpl<DropoutImpl>;
template class DropoutNdImpl<Dropout2dImpl>;

}  // namespace detail

Tensor DropoutImpl::forward(const Tensor& input) {
    return functional::dropout(input, functional::DropoutFuncOptions()
                                          .p(options.p())
                                          .training(is_training())
                                          .inplace(options.inplace()));
}

}  // namespace nn
}  // namespace tapegrad
