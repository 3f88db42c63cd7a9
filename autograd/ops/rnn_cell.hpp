#pragma once
// The fused element-wise part of an LSTM step (LibTorch keeps its own as the internal
// _thnn_fused_lstm_cell): one recorded op instead of about a dozen.

#include <tuple>

#include "autograd/tensor.hpp"

namespace tapegrad {

/// (h', c') from the gate pre-activations gates [B, 4H] (i, f, g, o, as LSTM's weights order
/// them) and the cell state c [B, H]: c' = sigmoid(f) * c + sigmoid(i) * tanh(g),
/// h' = sigmoid(o) * tanh(c'); both [B, H].
std::tuple<Tensor, Tensor> fused_lstm_cell(const Tensor& gates, const Tensor& c);

}  // namespace tapegrad
