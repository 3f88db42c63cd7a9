// log1p and expm1: log(1 + a) and exp(a) - 1 without the cancellation the composed ops suffer
// for small |a| (log(1 + 1e-10) in float32 is 0; log1p is 1e-10).

#include <cmath>

#include "autograd/ops.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/unary.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

// y = log(1 + a);  grad_a = grad_out / (1 + a)
Tensor log1p(const Tensor& a_in) {
    const Tensor a = detail::floating_input("log1p", a_in);
    Tensor y = detail::map_floating(a, [](auto x) { return std::log1p(x); });
    return record(
        "log1p", y, {a}, [a](const Tensor& grad_out) { return Grads{grad_out / (a + 1.0)}; },
        "grad_a = grad_out / (1 + a)");
}

// y = exp(a) - 1;  grad_a = grad_out * (y + 1)
Tensor expm1(const Tensor& a_in) {
    const Tensor a = detail::floating_input("expm1", a_in);
    Tensor y = detail::map_floating(a, [](auto x) { return std::expm1(x); });
    return record(
        "expm1", y, {a},
        [](const Tensor& grad_out, const Tensor& out) { return Grads{grad_out * (out + 1.0)}; },
        "grad_a = grad_out * (y + 1)");
}

Tensor Tensor::log1p() const {
    return tapegrad::log1p(*this);
}
Tensor Tensor::expm1() const {
    return tapegrad::expm1(*this);
}

}  // namespace tapegrad
