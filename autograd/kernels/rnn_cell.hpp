#pragma once
// The element-wise part of one LSTM step, fused: the four gate activations, the new cell state
// and the new hidden state in one pass over each row, and their backward in one more. No graph
// code here (the op is autograd/ops/rnn_cell.cpp).

#include <cstdint>

namespace tapegrad {
namespace kernels {

/// From gates [B, 4H] (pre-activations i, f, g, o) and c [B, H]: hc [2, B, H] holds h' then c',
/// act [B, 5H] keeps sigmoid(i), sigmoid(f), tanh(g), sigmoid(o), tanh(c') for the backward.
void lstm_cell_forward(const float* gates, const float* c, float* hc, float* act, int64_t batch,
                       int64_t hidden);
void lstm_cell_forward(const double* gates, const double* c, double* hc, double* act, int64_t batch,
                       int64_t hidden);

/// From grad_hc [2, B, H] (gradients of h' and c'), c and act as the forward left them:
/// grad_gates [B, 4H] and grad_c [B, H].
void lstm_cell_backward(const float* grad_hc, const float* c, const float* act, float* grad_gates,
                        float* grad_c, int64_t batch, int64_t hidden);
void lstm_cell_backward(const double* grad_hc, const double* c, const double* act,
                        double* grad_gates, double* grad_c, int64_t batch, int64_t hidden);

}  // namespace kernels
}  // namespace tapegrad
