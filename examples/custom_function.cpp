// A new op defined LibTorch's way, as an autograd::Function with its own forward and backward:
// softplus(x) = log(1 + e^x). The example checks the hand-written backward against finite
// differences to first and second order, shows the op on the tape, then trains a small net
// that uses it as its activation. Exits non-zero when a check fails or the net does not learn.
//
//   custom_function [--steps N]
#include <tapegrad.hpp>

#include "args.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
namespace tg = tapegrad;
using tg::autograd::AutogradContext;

// y = log(1 + e^x), computed as relu(x) + log(1 + e^-|x|) so large |x| cannot overflow
// grad_x = grad_out * sigmoid(x)
struct Softplus : tg::autograd::Function<Softplus> {
    static constexpr const char* backward_rule = "grad_x = grad_out * sigmoid(x)";

    static tg::Tensor forward(AutogradContext* ctx, const tg::Tensor& x) {
        ctx->save_for_backward({x});
        return tg::relu(x) + tg::log(1.0 + tg::exp(-tg::abs(x)));
    }
    // Written with tapegrad ops, so under create_graph the backward is itself recorded and
    // second derivatives work (gradgradcheck below checks that).
    static tg::tensor_list backward(AutogradContext* ctx, tg::tensor_list grad_outputs) {
        const tg::Tensor x = ctx->get_saved_variables()[0];
        return {grad_outputs[0] * tg::sigmoid(x)};
    }
};

// The same op with a backward that is wrong where x < 0 (it forgets the sigmoid there), to
// show what a failed check reports.
struct BrokenSoftplus : tg::autograd::Function<BrokenSoftplus> {
    static tg::Tensor forward(AutogradContext* ctx, const tg::Tensor& x) {
        ctx->save_for_backward({x});
        return tg::relu(x) + tg::log(1.0 + tg::exp(-tg::abs(x)));
    }
    static tg::tensor_list backward(AutogradContext* ctx, tg::tensor_list grad_outputs) {
        const tg::Tensor x = ctx->get_saved_variables()[0];
        return {grad_outputs[0] * tg::where(x > 0.0, tg::sigmoid(x), tg::ones_like(x))};
    }
};

int main(int argc, char** argv) {
    Args args(argc, argv, "[--steps N]");
    const int steps = static_cast<int>(args.integer("--steps", 300));
    args.done();

    tg::manual_seed(0);
    auto op = [](const std::vector<tg::Tensor>& in) { return Softplus::apply(in[0]); };
    auto x = tg::randn({3, 4}, tg::kFloat64).mul(3.0).requires_grad_();
    const auto first = tg::autograd::gradcheck(op, {x});
    const auto second = tg::autograd::gradgradcheck(op, {x});
    std::printf("gradcheck      Softplus: %s\n", first ? "ok" : first.message.c_str());
    std::printf("gradgradcheck  Softplus: %s\n", second ? "ok" : second.message.c_str());
    auto broken = [](const std::vector<tg::Tensor>& in) { return BrokenSoftplus::apply(in[0]); };
    const auto caught = tg::autograd::gradcheck(broken, {x});
    std::printf("gradcheck      BrokenSoftplus: %s\n",
                caught ? "ok (should have failed!)" : caught.message.c_str());

    // on the tape the op is one node, named after the class, with its rule
    tg::autograd::print_tape(Softplus::apply(x).sum());

    // learn y = |x| on [-2, 2] with one hidden layer of softplus units
    tg::manual_seed(1);
    auto inputs = tg::linspace(-2.0, 2.0, 64).reshape({64, 1});
    auto targets = tg::abs(inputs);
    tg::nn::Linear hidden(1, 16), out(16, 1);
    std::vector<tg::Tensor> params = hidden->parameters();
    for (const auto& p : out->parameters()) params.push_back(p);
    tg::optim::Adam optimizer(params, tg::optim::AdamOptions(0.05));
    double initial = 0, loss_value = 0;
    for (int step = 0; step < steps; ++step) {
        optimizer.zero_grad();
        auto loss = tg::mse_loss(out(Softplus::apply(hidden(inputs))), targets);
        loss.backward();
        optimizer.step();
        loss_value = loss.item<double>();
        if (step == 0) initial = loss_value;
    }
    std::printf("fit |x| with softplus units: loss %.4f -> %.4f after %d steps\n", initial,
                loss_value, steps);

    const bool learned = loss_value < 0.2 * initial;
    if (!first || !second || caught || !learned) {
        std::fprintf(stderr, "custom_function: a check failed\n");
        return 1;
    }
    return 0;
}
