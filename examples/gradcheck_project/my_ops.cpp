#include "my_ops.hpp"

namespace my_ops {

using tapegrad::Tensor;
using tapegrad::tensor_list;
using tapegrad::autograd::AutogradContext;

namespace {
// y = log(1 + exp(x)), computed as max(x, 0) + log(1 + exp(-|x|)) so it cannot overflow
Tensor softplus_forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return tapegrad::relu(x) + tapegrad::log(tapegrad::exp(-tapegrad::abs(x)) + 1.0);
}

struct Softplus : tapegrad::autograd::Function<Softplus> {
    // grad_x = sigmoid(x) * grad_out, since d/dx log(1 + e^x) = e^x / (1 + e^x)
    static constexpr const char* backward_rule = "grad_x = sigmoid(x) * grad_out";
    static Tensor forward(AutogradContext* ctx, Tensor x) { return softplus_forward(ctx, x); }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        const Tensor x = ctx->get_saved_variables()[0];
        return {tapegrad::sigmoid(x) * grad_outputs[0]};
    }
};

struct SoftplusWrong : tapegrad::autograd::Function<SoftplusWrong> {
    static constexpr const char* backward_rule = "grad_x = exp(x) * grad_out (wrong)";
    static Tensor forward(AutogradContext* ctx, Tensor x) { return softplus_forward(ctx, x); }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        const Tensor x = ctx->get_saved_variables()[0];
        return {tapegrad::exp(x) * grad_outputs[0]};  // forgot "/ (1 + exp(x))"
    }
};
}  // namespace

Tensor softplus(const Tensor& x) {
    return Softplus::apply(x);
}
Tensor softplus_wrong(const Tensor& x) {
    return SoftplusWrong::apply(x);
}

}  // namespace my_ops
