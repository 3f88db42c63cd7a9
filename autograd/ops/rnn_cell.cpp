#include "autograd/ops/rnn_cell.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "autograd/detail.hpp"
#include "autograd/engine.hpp"
#include "autograd/function.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/kernels/blas.hpp"
#include "autograd/kernels/rnn_cell.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {

using detail::Grads;
using detail::record;

namespace {

std::string shape_or_undefined(const Tensor& t) {
    return t.defined() ? shape_str(t.sizes()) : std::string("undefined");
}

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
            shape_or_undefined(gates_in) + " and c " + shape_or_undefined(c_in));
    if (!is_floating_point(gates_in.dtype()) || gates_in.dtype() != c_in.dtype())
        throw std::invalid_argument(
            "fused_lstm_cell: gates and c must have the same floating dtype");
    const Tensor gates = gates_in.contiguous(), c = c_in.contiguous();
    const int64_t B = c.size(0), H = c.size(1);
    Tensor hc = detail::make_tensor({2, B, H}, c.dtype());
    // saved for the backward: the activated gates and tanh(c')
    Tensor act = detail::make_tensor({B, 4 * H}, c.dtype());
    Tensor tanh_c = detail::make_tensor({B, H}, c.dtype());
    detail::dispatch_floating(c.dtype(), [&](auto zero) {
        using T = decltype(zero);
        std::vector<T> pre(gates.data_ptr<T>(), gates.data_ptr<T>() + B * 4 * H);  // clobbered
        T* h_next = hc.data_ptr<T>();
        kernels::lstm_cell_forward(pre.data(), nullptr, nullptr, c.data_ptr<T>(), act.data_ptr<T>(),
                                   h_next, h_next + B * H, tanh_c.data_ptr<T>(), B, H);
    });
    hc = record(
        "fused_lstm_cell", hc, {gates, c},
        [gates, c, act, tanh_c](const Tensor& grad_out) {
            if (GradMode::is_enabled()) return lstm_cell_backward_composed(grad_out, gates, c);
            const Tensor g = grad_out.contiguous();
            const int64_t B = c.size(0), H = c.size(1);
            Tensor grad_gates = detail::make_tensor({B, 4 * H}, c.dtype());
            Tensor grad_c = detail::make_tensor({B, H}, c.dtype());
            detail::dispatch_floating(c.dtype(), [&](auto zero) {
                using T = decltype(zero);
                const T* grad_h = g.data_ptr<T>();
                std::copy(grad_h + B * H, grad_h + 2 * B * H, grad_c.data_ptr<T>());  // grad_c'
                kernels::lstm_cell_backward(grad_h, grad_c.data_ptr<T>(), c.data_ptr<T>(),
                                            act.data_ptr<T>(), tanh_c.data_ptr<T>(),
                                            grad_gates.data_ptr<T>(), B, H);
            });
            return Grads{grad_gates, grad_c};
        },
        "dc = grad_c' + grad_h' o (1 - tanh(c')^2); grad_gates = [dc g i(1-i), dc c f(1-f), "
        "dc i (1-g^2), grad_h' tanh(c') o(1-o)]; grad_c = dc f");
    return {hc.select(0, 0), hc.select(0, 1)};
}

namespace {

// The same recurrence step by step with recorded ops, for a differentiable backward
// (create_graph): fused_lstm_cell's backward is itself recorded then.
std::tuple<Tensor, Tensor, Tensor> lstm_sequence_composed(const Tensor& xw, const Tensor& h0,
                                                          const Tensor& c0, const Tensor& w_hh,
                                                          bool reverse) {
    const int64_t T = xw.size(0);
    std::vector<Tensor> outputs(static_cast<size_t>(T));
    const Tensor w_t = w_hh.t();
    Tensor h = h0, c = c0;
    for (int64_t k = 0; k < T; ++k) {
        const int64_t t = reverse ? T - 1 - k : k;
        std::tie(h, c) = fused_lstm_cell(xw.select(0, t) + matmul(h, w_t), c);
        outputs[static_cast<size_t>(t)] = h;
    }
    return {stack(outputs, 0), h, c};
}

// Buffers of one sequence, laid out so that every step reads and writes whole [B, *] blocks
// (act, cs and tanh_c one after the other in one allocation, `saved`): act [T, B, 4H] first holds
// the input products of all steps (one GEMM), then step by step the activated gates; out [T, B, H]
// holds h after step t at row t; cs [T + 1, B, H] c0 and every c_t (row t + 1 going forward, row t
// going backward, c0 at the free end); tanh_c [T, B, H] tanh(c_t) for the backward.
//
// Forward, step t (t = 0 .. T-1, or T-1 .. 0 with reverse; h_prev, c_prev the previous step's):
//   gates = x[t] W_ih^T + b_ih + b_hh + h_prev W_hh^T;  (h_t, c_t) = fused_lstm_cell(gates, c_prev)
// Backward, steps in the opposite order, with grad_h_t = grad_out[t] (+ grad_h_n at the last
// step) + what the next step sent back, and grad_c carried likewise:
//   grad_gates_t = the cell's backward;  grad_h_prev += grad_gates_t W_hh
// then for all steps at once (G = every grad_gates_t, [T * B, 4H]):
//   grad_x = G W_ih;  grad_W_ih = G^T x;  grad_b_ih = grad_b_hh = sum of G's rows;
//   grad_W_hh = sum_t grad_gates_t^T h_prev(t)
struct FusedLSTMSequence : autograd::Function<FusedLSTMSequence> {
    static int64_t saved_size(int64_t T, int64_t B, int64_t H) {
        return T * B * 4 * H + (T + 1) * B * H + T * B * H;  // act, cs, tanh_c
    }

    static tensor_list forward(autograd::AutogradContext* ctx, Tensor input, Tensor h0_in,
                               Tensor c0_in, Tensor w_ih_in, Tensor w_hh_in, Tensor b_ih,
                               Tensor b_hh, bool reverse) {
        const Tensor x = input.contiguous(), h0 = h0_in.contiguous(), c0 = c0_in.contiguous(),
                     w_ih = w_ih_in.contiguous(), w_hh = w_hh_in.contiguous();
        const int64_t T = x.size(0), B = x.size(1), I = x.size(2), H = h0.size(1);
        const ScalarType dt = x.scalar_type();
        Tensor out = detail::make_tensor({T, B, H}, dt);
        // act, cs and tanh_c in one allocation (see the layout above): one large block per
        // sequence rather than three (with glibc, a block this size also raises the heap's
        // trim threshold, so the pages stay mapped from one training step to the next)
        Tensor saved = detail::make_tensor({saved_size(T, B, H)}, dt);
        Tensor h_n = detail::make_tensor({B, H}, dt), c_n = detail::make_tensor({B, H}, dt);
        detail::dispatch_floating(dt, [&](auto zero) {
            using Real = decltype(zero);
            const int64_t bh = B * H, bg = B * 4 * H;
            std::vector<Real> bias;  // b_ih + b_hh, added in the cell kernel
            for (const Tensor& b : {b_ih, b_hh}) {
                if (!b.defined()) continue;
                const Tensor bc = b.contiguous();
                const Real* p = bc.data_ptr<Real>();
                if (bias.empty())
                    bias.assign(p, p + 4 * H);
                else
                    for (int64_t j = 0; j < 4 * H; ++j) bias[j] += p[j];
            }
            Real* A = saved.data_ptr<Real>();
            Real* C = A + T * bg;
            Real* TC = C + (T + 1) * bh;
            Real* O = out.data_ptr<Real>();
            kernels::gemm(false, true, T * B, 4 * H, I, Real(1), x.data_ptr<Real>(),
                          w_ih.data_ptr<Real>(), Real(0), A);
            std::copy(c0.data_ptr<Real>(), c0.data_ptr<Real>() + bh, C + (reverse ? T * bh : 0));
            std::vector<Real> gates(static_cast<size_t>(bg));  // one step's, reused
            const Real* h_prev = h0.data_ptr<Real>();
            for (int64_t k = 0; k < T; ++k) {
                const int64_t t = reverse ? T - 1 - k : k;
                const int64_t c_in = reverse ? t + 1 : t, c_out = reverse ? t : t + 1;
                kernels::gemm(false, true, B, 4 * H, H, Real(1), h_prev, w_hh.data_ptr<Real>(),
                              Real(0), gates.data());
                // act[t] holds x[t] W_ih^T on the way in, the activations on the way out
                kernels::lstm_cell_forward(
                    gates.data(), A + t * bg, bias.empty() ? nullptr : bias.data(), C + c_in * bh,
                    A + t * bg, O + t * bh, C + c_out * bh, TC + t * bh, B, H);
                h_prev = O + t * bh;
            }
            std::copy(h_prev, h_prev + bh, h_n.data_ptr<Real>());
            const Real* c_last = C + (reverse ? 0 : T * bh);
            std::copy(c_last, c_last + bh, c_n.data_ptr<Real>());
        });
        ctx->save_for_backward({input, h0_in, c0_in, w_ih_in, w_hh_in, b_ih, b_hh, out, saved});
        ctx->saved_data["reverse"] = reverse;
        ctx->set_materialize_grads(false);  // no zero-filled [T, B, H] when output gets none
        return {out, h_n, c_n};
    }

    static tensor_list backward(autograd::AutogradContext* ctx, tensor_list grads) {
        const tensor_list s = ctx->get_saved_variables();
        const bool reverse = ctx->saved_data["reverse"].toBool();
        if (GradMode::is_enabled()) return composed_backward(ctx, s, reverse, grads);
        const Tensor &out = s[7], &saved = s[8];
        const int64_t T = out.size(0), B = out.size(1), H = out.size(2), I = s[0].size(2);
        const ScalarType dt = out.scalar_type();
        auto working = [&](const Tensor& g) {  // a [B, H] copy we may write, zeros if none
            return g.defined() ? g.contiguous().clone() : zeros({B, H}, TensorOptions(dt));
        };
        // the gradients reaching the current step's h and c: grad_h_n and grad_c_n at the last
        // step, then what each step sends back (grad_out[t] is added as the step comes)
        Tensor grad_h = working(grads[1]), grad_c = working(grads[2]);
        const Tensor grad_out = grads[0].defined() ? grads[0].contiguous() : Tensor();
        Tensor grad_gates = detail::make_tensor({T, B, 4 * H}, dt);
        Tensor grad_x, grad_w_ih, grad_w_hh, grad_b;
        detail::dispatch_floating(dt, [&](auto zero) {
            using Real = decltype(zero);
            const int64_t bh = B * H, bg = B * 4 * H;
            Real* GH = grad_h.data_ptr<Real>();
            Real* GC = grad_c.data_ptr<Real>();
            const Real* A = saved.data_ptr<Real>();
            const Real* C = A + T * bg;
            const Real* TC = C + (T + 1) * bh;
            Real* GG = grad_gates.data_ptr<Real>();
            const Tensor w_hh = s[4].contiguous();
            for (int64_t k = T - 1; k >= 0; --k) {
                const int64_t t = reverse ? T - 1 - k : k;
                const int64_t c_in = reverse ? t + 1 : t;
                if (grad_out.defined()) {
                    const Real* g = grad_out.data_ptr<Real>() + t * bh;
                    for (int64_t j = 0; j < bh; ++j) GH[j] += g[j];
                }
                kernels::lstm_cell_backward(GH, GC, C + c_in * bh, A + t * bg, TC + t * bh,
                                            GG + t * bg, B, H);
                // the previous step's h (h0 after the first step) gets grad_gates_t W_hh
                kernels::gemm(false, false, B, H, 4 * H, Real(1), GG + t * bg,
                              w_hh.data_ptr<Real>(), Real(0), GH);
            }
            if (ctx->needs_input_grad(0)) {
                const Tensor w_ih = s[3].contiguous();
                grad_x = detail::make_tensor({T, B, I}, dt);
                kernels::gemm(false, false, T * B, I, 4 * H, Real(1), GG, w_ih.data_ptr<Real>(),
                              Real(0), grad_x.data_ptr<Real>());
            }
            if (ctx->needs_input_grad(3)) {
                const Tensor x = s[0].contiguous();
                grad_w_ih = detail::make_tensor({4 * H, I}, dt);
                kernels::gemm(true, false, 4 * H, I, T * B, Real(1), GG, x.data_ptr<Real>(),
                              Real(0), grad_w_ih.data_ptr<Real>());
            }
            if (ctx->needs_input_grad(4)) {
                // the steps whose h_prev is in out in one GEMM, then the first step's with h0
                const Tensor h0 = s[1].contiguous();
                grad_w_hh = detail::make_tensor({4 * H, H}, dt);
                Real* GW = grad_w_hh.data_ptr<Real>();
                const Real* O = out.data_ptr<Real>();
                if (T > 1)
                    kernels::gemm(true, false, 4 * H, H, (T - 1) * B, Real(1),
                                  reverse ? GG : GG + bg, reverse ? O + bh : O, Real(0), GW);
                kernels::gemm(true, false, 4 * H, H, B, Real(1), GG + (reverse ? T - 1 : 0) * bg,
                              h0.data_ptr<Real>(), T > 1 ? Real(1) : Real(0), GW);
            }
            if (ctx->needs_input_grad(5) || ctx->needs_input_grad(6)) {
                grad_b = zeros({4 * H}, TensorOptions(dt));
                Real* gb = grad_b.data_ptr<Real>();
                for (int64_t r = 0; r < T * B; ++r)
                    for (int64_t j = 0; j < 4 * H; ++j) gb[j] += GG[r * 4 * H + j];
            }
        });
        const bool both_b = ctx->needs_input_grad(5) && ctx->needs_input_grad(6);
        return {grad_x,
                ctx->needs_input_grad(1) ? grad_h : Tensor(),
                ctx->needs_input_grad(2) ? grad_c : Tensor(),
                grad_w_ih,
                grad_w_hh,
                ctx->needs_input_grad(5) ? grad_b : Tensor(),
                ctx->needs_input_grad(6) ? (both_b ? grad_b.clone() : grad_b) : Tensor(),
                Tensor()};
    }

    // create_graph: differentiate a recorded recomputation, so that the gradient is itself
    // differentiable
    static tensor_list composed_backward(autograd::AutogradContext* ctx, const tensor_list& s,
                                         bool reverse, tensor_list grads) {
        Tensor xw = linear(s[0], s[3], s[5]);
        if (s[6].defined()) xw = xw + s[6];
        auto [out, h_n, c_n] = lstm_sequence_composed(xw, s[1], s[2], s[4], reverse);
        const tensor_list outputs{out, h_n, c_n};
        for (size_t i = 0; i < 3; ++i)
            if (!grads[i].defined()) grads[i] = zeros_like(outputs[i]);
        tensor_list inputs;
        std::vector<size_t> which;
        for (size_t i = 0; i < 7; ++i) {
            if (!ctx->needs_input_grad(i)) continue;
            inputs.push_back(s[i]);
            which.push_back(i);
        }
        const tensor_list g = autograd::grad(outputs, inputs, grads, /*retain_graph=*/true,
                                             /*create_graph=*/true, /*allow_unused=*/true);
        tensor_list result(8);
        for (size_t k = 0; k < which.size(); ++k) result[which[k]] = g[k];
        return result;
    }

    static constexpr const char* backward_rule =
        "per step, last first: grad_gates_t = fused_lstm_cell's backward, grad_h_prev += "
        "grad_gates_t W_hh; then grad_x = G W_ih, grad_W_ih = G^T x, grad_b = sum of G's rows, "
        "grad_W_hh = sum_t grad_gates_t^T h_prev";
};

}  // namespace

std::tuple<Tensor, Tensor, Tensor> fused_lstm_sequence(const Tensor& input, const Tensor& h0,
                                                       const Tensor& c0, const Tensor& weight_ih,
                                                       const Tensor& weight_hh,
                                                       const Tensor& bias_ih, const Tensor& bias_hh,
                                                       bool reverse) {
    auto sizes_are = [](const Tensor& t, std::vector<int64_t> sizes) {
        return t.defined() && t.sizes() == sizes;
    };
    const bool defined = input.defined() && h0.defined() && weight_ih.defined();
    const int64_t H = h0.defined() && h0.dim() == 2 ? h0.size(1) : 0;
    const bool shapes_ok = defined && input.dim() == 3 && input.numel() > 0 && H > 0 &&
                           sizes_are(h0, {input.size(1), H}) && sizes_are(c0, {input.size(1), H}) &&
                           sizes_are(weight_ih, {4 * H, input.size(2)}) &&
                           sizes_are(weight_hh, {4 * H, H}) &&
                           (!bias_ih.defined() || sizes_are(bias_ih, {4 * H})) &&
                           (!bias_hh.defined() || sizes_are(bias_hh, {4 * H}));
    if (!shapes_ok)
        throw std::invalid_argument(
            "fused_lstm_sequence: expected input [T, B, I], h0 and c0 [B, H], weight_ih [4H, I], "
            "weight_hh [4H, H], biases [4H] or undefined, with T, B, I, H > 0; got input " +
            shape_or_undefined(input) + ", h0 " + shape_or_undefined(h0) + ", c0 " +
            shape_or_undefined(c0) + ", weight_ih " + shape_or_undefined(weight_ih) +
            ", weight_hh " + shape_or_undefined(weight_hh) + ", bias_ih " +
            shape_or_undefined(bias_ih) + ", bias_hh " + shape_or_undefined(bias_hh));
    const ScalarType dt = input.scalar_type();
    bool same = is_floating_point(dt);
    for (const Tensor* t : {&h0, &c0, &weight_ih, &weight_hh, &bias_ih, &bias_hh})
        same = same && (!t->defined() || t->scalar_type() == dt);
    if (!same)
        throw std::invalid_argument(
            "fused_lstm_sequence: input, states, weights and biases must have the same floating "
            "dtype");
    const tensor_list r =
        FusedLSTMSequence::apply(input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse);
    return {r[0], r[1], r[2]};
}

}  // namespace tapegrad
