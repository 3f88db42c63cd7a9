#pragma once
// The element-wise part of one LSTM step, fused: the four gate activations, the new cell state
// and the new hidden state in one pass over each row, and their backward in one more. No graph
// code here (the ops are autograd/ops/rnn_cell.cpp).

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// From the gate pre-activations pre [B, 4H] (i, f, g, o; used as scratch: clobbered), plus
/// add [B, 4H] and bias [4H] (each row's) where not null, and c [B, H]: act [B, 4H] gets
/// sigmoid(i), sigmoid(f), tanh(g), sigmoid(o); h_next, c_next and tanh_c [B, H] get h', c' and
/// tanh(c'). act may be add (a row is read whole before it is written); the rest do not overlap.
void lstm_cell_forward(float* pre, const float* add, const float* bias, const float* c, float* act,
                       float* h_next, float* c_next, float* tanh_c, int64_t batch, int64_t hidden);
void lstm_cell_forward(double* pre, const double* add, const double* bias, const double* c,
                       double* act, double* h_next, double* c_next, double* tanh_c, int64_t batch,
                       int64_t hidden);

/// From grad_h and grad_c [B, H] (gradients of h' and c'), and c, act, tanh_c as the forward
/// saw and left them: grad_gates [B, 4H], and grad_c becomes the gradient of c (in place, so a
/// sequence carries one buffer). No two arguments overlap.
void lstm_cell_backward(const float* grad_h, float* grad_c, const float* c, const float* act,
                        const float* tanh_c, float* grad_gates, int64_t batch, int64_t hidden);
void lstm_cell_backward(const double* grad_h, double* grad_c, const double* c, const double* act,
                        const double* tanh_c, double* grad_gates, int64_t batch, int64_t hidden);

}  // namespace kernels
}  // namespace tapegrad
