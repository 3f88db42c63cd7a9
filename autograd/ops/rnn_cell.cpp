#include "autograd/ops/rnn_cell.hpp"

#include <stdexcept>
#include <string>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/kernels/rnn_cell.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

// The backward with tapegrad's ops, recorded when create_graph asks for a differentiable
// gradient: the activations are recomputed from the saved inputs.
Grads lstm_cell_backward_composed(const Tensor& grad_hc, const Tensor& gates, const Tensor& c) {
    const std::vector<Tensor> g4 = gates.chunk(4, 1);
    const Tensor i = sigmoid(g4[0]), f = sigmoid(g4[1]), g = tanh(g4[2]), o = sigmoid(g4[3]);
    const Tensor tc = tanh(f * c + i * g);
    const Tensor gh = grad_hc.select(0, 0), gc = grad_hc.select(0, 1);
    const Tensor dc = gc + gh * o * (1.0 - tc * tc);
    return Grads{cat({dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g * g),
                      gh * tc * o * (1.0 - o)},
                     1),
                 dc * f};
}

}  // namespace

// hc = [h', c'] stacked [2, B, H]: c' = f * c + i * g, h' = o * tanh(c'), with i, f, o the
// sigmoids and g the tanh of the gates' four [B, H] blocks.
// dc = grad_c' + grad_h' * o * (1 - tanh(c')^2);  grad_gates = [dc g i(1-i), dc c f(1-f),
// dc i (1-g^2), grad_h' tanh(c') o(1-o)];  grad_c = dc * f
std::tuple<Tensor, Tensor> fused_lstm_cell(const Tensor& gates_in, const Tensor& c_in) {
    if (!gates_in.defined() || !c_in.defined() || gates_in.dim() != 2 || c_in.dim() != 2 ||
        gates_in.size(0) != c_in.size(0) || gates_in.size(1) != 4 * c_in.size(1))
        throw std::invalid_argument(
            "fused_lstm_cell: gates must be [B, 4H] and c [B, H], got gates " +
            (gates_in.defined() ? shape_str(gates_in.sizes()) : std::string("undefined")) +
            " and c " + (c_in.defined() ? shape_str(c_in.sizes()) : std::string("undefined")));
    if (!is_floating_point(gates_in.dtype()) || gates_in.dtype() != c_in.dtype())
        throw std::invalid_argument(
            "fused_lstm_cell: gates and c must have the same floating dtype");
    const Tensor gates = gates_in.contiguous(), c = c_in.contiguous();
    const int64_t B = c.size(0), H = c.size(1);
    Tensor hc = detail::make_tensor({2, B, H}, c.dtype());
    Tensor act = detail::make_tensor({B, 5 * H}, c.dtype());  // saved activations
    detail::dispatch_floating(c.dtype(), [&](auto zero) {
        using T = decltype(zero);
        kernels::lstm_cell_forward(gates.data_ptr<T>(), c.data_ptr<T>(), hc.data_ptr<T>(),
                                   act.data_ptr<T>(), B, H);
    });
    hc = record(
        "fused_lstm_cell", hc, {gates, c},
        [gates, c, act](const Tensor& grad_out) {
            if (GradMode::is_enabled()) return lstm_cell_backward_composed(grad_out, gates, c);
            const Tensor g = grad_out.contiguous();
            const int64_t B = c.size(0), H = c.size(1);
            Tensor grad_gates = detail::make_tensor({B, 4 * H}, c.dtype());
            Tensor grad_c = detail::make_tensor({B, H}, c.dtype());
            detail::dispatch_floating(c.dtype(), [&](auto zero) {
                using T = decltype(zero);
                kernels::lstm_cell_backward(g.data_ptr<T>(), c.data_ptr<T>(), act.data_ptr<T>(),
                                            grad_gates.data_ptr<T>(), grad_c.data_ptr<T>(), B, H);
            });
            return Grads{grad_gates, grad_c};
        },
        "dc = grad_c' + grad_h' o (1 - tanh(c')^2); grad_gates = [dc g i(1-i), dc c f(1-f), "
        "dc i (1-g^2), grad_h' tanh(c') o(1-o)]; grad_c = dc f");
    return {hc.select(0, 0), hc.select(0, 1)};
}

}  // namespace tapegrad
