#pragma once
// The fused element-wise part of an LSTM step (LibTorch keeps its own as the internal
// _thnn_fused_lstm_cell): one recorded op instead of about a dozen; and a whole direction of an
// LSTM layer as one recorded op, its steps run by BLAS and that kernel over buffers allocated
// once per sequence.

#include <tuple>

#include "autograd/tensor.hpp"

namespace tapegrad {

/// (h', c') from the gate pre-activations gates [B, 4H] (i, f, g, o, as LSTM's weights order
/// them) and the cell state c [B, H]: c' = sigmoid(f) * c + sigmoid(i) * tanh(g),
/// h' = sigmoid(o) * tanh(c'); both [B, H].
std::tuple<Tensor, Tensor> fused_lstm_cell(const Tensor& gates, const Tensor& c);

/// One direction of one LSTM layer over T steps, as nn::LSTM runs it: from input [T, B, I],
/// the state h0, c0 [B, H], weight_ih [4H, I], weight_hh [4H, H] and the biases [4H] (either
/// may be undefined), returns (output [T, B, H]: h after each step, h_n, c_n [B, H]). Step t's
/// gates are input[t] W_ih^T + b_ih + h W_hh^T + b_hh, then as fused_lstm_cell; with reverse
/// the steps run from T - 1 down to 0.
std::tuple<Tensor, Tensor, Tensor> fused_lstm_sequence(const Tensor& input, const Tensor& h0,
                                                       const Tensor& c0, const Tensor& weight_ih,
                                                       const Tensor& weight_hh,
                                                       const Tensor& bias_ih = {},
                                                       const Tensor& bias_hh = {},
                                                       bool reverse = false);

}  // namespace tapegrad
