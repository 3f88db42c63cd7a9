#pragma once
// Recurrent layers, as LibTorch's: the cells RNNCell, LSTMCell, GRUCell (one time step) and the
// layers RNN, LSTM, GRU (a whole sequence, several layers, both directions).
//
// Shapes (T steps, B sequences, D = 2 when bidirectional else 1, L layers, H hidden units,
// Hout = proj_size or H):
//   input  [T, B, input_size] ([B, T, input_size] when batch_first; [T, input_size] unbatched)
//   h0, c0 [L * D, B, Hout] (c0: [L * D, B, H]), zeros when not given
//   output [T, B, D * Hout]: the last layer's state at every step, both directions side by side
//   h_n    [L * D, B, Hout]: every layer's state after its last step (c_n likewise)
// Everything is built from recorded tensor ops, so gradients come from the tape like any other
// model's: the input products of all steps of a layer are one matmul, each step adds one
// matmul with the previous state. An LSTM direction in which every sequence runs every step
// (no packing of unequal lengths) and without proj_size is one recorded op,
// fused_lstm_sequence (autograd/ops/rnn_cell.hpp).

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/init.hpp"
#include "nn/module.hpp"
#include "nn/rnn_utils.hpp"

namespace tapegrad {
namespace nn {

namespace detail {

/// The options every cell (RNNCell, LSTMCell, GRUCell) has; the layers' options add theirs.
template <class Derived>
struct RNNCellOptionsBase {
    RNNCellOptionsBase(int64_t input_size, int64_t hidden_size)
        : input_size_(input_size), hidden_size_(hidden_size) {}
    TAPEGRAD_BASE_ARG(int64_t, input_size);
    TAPEGRAD_BASE_ARG(int64_t, hidden_size);
    TAPEGRAD_BASE_ARG(bool, bias) = true;
};

/// The options every layer (RNN, LSTM, GRU) has.
template <class Derived>
struct RNNLayerOptionsBase : public RNNCellOptionsBase<Derived> {
    using RNNCellOptionsBase<Derived>::RNNCellOptionsBase;
    /// Stacked layers: layer k > 0 reads layer k - 1's output.
    TAPEGRAD_BASE_ARG(int64_t, num_layers) = 1;
    /// Input and output as [B, T, *] instead of [T, B, *] (the states keep [L * D, B, H]).
    TAPEGRAD_BASE_ARG(bool, batch_first) = false;
    /// Dropout probability on the outputs of every layer but the last, while training.
    TAPEGRAD_BASE_ARG(double, dropout) = 0.0;
    TAPEGRAD_BASE_ARG(bool, bidirectional) = false;
};

}  // namespace detail

/// Options of RNN: `RNNOptions(28, 128).num_layers(2).nonlinearity(tapegrad::kReLU)`; input_size,
/// hidden_size, bias, num_layers, batch_first, dropout and bidirectional as every layer's.
struct RNNOptions : public detail::RNNLayerOptionsBase<RNNOptions> {
    using RNNLayerOptionsBase::RNNLayerOptionsBase;
    /// kTanh or kReLU.
    TAPEGRAD_ARG(init::NonlinearityType, nonlinearity) = kTanh;
};

/// Options of LSTM: as RNNOptions without nonlinearity, plus proj_size.
struct LSTMOptions : public detail::RNNLayerOptionsBase<LSTMOptions> {
    using RNNLayerOptionsBase::RNNLayerOptionsBase;
    /// When > 0, h is projected to proj_size units by weight_hr (c keeps hidden_size).
    TAPEGRAD_ARG(int64_t, proj_size) = 0;
};

/// Options of GRU: as RNNOptions without nonlinearity.
struct GRUOptions : public detail::RNNLayerOptionsBase<GRUOptions> {
    using RNNLayerOptionsBase::RNNLayerOptionsBase;
};

/// Options of RNNCell: input_size, hidden_size, bias and the nonlinearity.
struct RNNCellOptions : public detail::RNNCellOptionsBase<RNNCellOptions> {
    using RNNCellOptionsBase::RNNCellOptionsBase;
    /// kTanh or kReLU.
    TAPEGRAD_ARG(init::NonlinearityType, nonlinearity) = kTanh;
};

/// Options of LSTMCell: input_size, hidden_size, bias.
struct LSTMCellOptions : public detail::RNNCellOptionsBase<LSTMCellOptions> {
    using RNNCellOptionsBase::RNNCellOptionsBase;
};

/// Options of GRUCell: input_size, hidden_size, bias.
struct GRUCellOptions : public detail::RNNCellOptionsBase<GRUCellOptions> {
    using RNNCellOptionsBase::RNNCellOptionsBase;
};

namespace detail {

/// Which recurrence a layer or cell runs.
enum class RNNMode { RNN_TANH, RNN_RELU, LSTM, GRU };

/// The options every recurrent layer shares (LibTorch's RNNOptionsBase).
struct RNNOptionsBase {
    RNNMode mode = RNNMode::RNN_TANH;
    int64_t input_size = 0;
    int64_t hidden_size = 0;
    int64_t num_layers = 1;
    bool bias = true;
    bool batch_first = false;
    double dropout = 0.0;
    bool bidirectional = false;
    int64_t proj_size = 0;
};

/// What RNN, LSTM and GRU share: the parameters of every layer and direction, and the loop
/// over layers, directions and time steps.
template <class Derived>
class RNNImplBase : public Cloneable<Derived> {
public:
    explicit RNNImplBase(const RNNOptionsBase& options_base);

    /// Registers weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (and weight_hr_l{k}
    /// with proj_size; "_reverse" for the backward direction) and initialises them.
    void reset() override;
    /// Re-draws every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    void reset_parameters();
    /// Every parameter, in registration order.
    std::vector<Tensor> all_weights() const;
    void pretty_print(std::ostream& stream) const override;

    /// RNN's and GRU's: (output, h_n); see the file's comment for the shapes. LSTM declares its
    /// own, with (h, c).
    std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});
    /// RNN's and GRU's: (packed output, h_n) for a PackedSequence; h_n holds each sequence's
    /// state at its own end.
    std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(
        const utils::rnn::PackedSequence& packed_input, Tensor hx = {});

    RNNOptionsBase options_base;

protected:
    /// (output, h_n, c_n) for a padded input; c0 and c_n only for LSTM.
    std::tuple<Tensor, Tensor, Tensor> run(const Tensor& input, const Tensor& h0, const Tensor& c0);
    /// (packed output, h_n, c_n) for a packed input.
    std::tuple<utils::rnn::PackedSequence, Tensor, Tensor> run_packed(
        const utils::rnn::PackedSequence& input, const Tensor& h0, const Tensor& c0);

private:
    // per layer and direction: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr (undefined
    // when absent)
    std::vector<Tensor> weights_;
};

/// What the three cells share: weight_ih [G * H, input_size], weight_hh [G * H, H], bias_ih
/// and bias_hh [G * H], with G gates (1 for RNNCell, 4 for LSTMCell, 3 for GRUCell).
template <class Derived>
class RNNCellImplBase : public Cloneable<Derived> {
public:
    explicit RNNCellImplBase(const RNNOptionsBase& options_base);

    /// Registers weight_ih, weight_hh, bias_ih, bias_hh and initialises them.
    void reset() override;
    /// Re-draws every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
    void reset_parameters();
    void pretty_print(std::ostream& stream) const override;
    /// RNNCell's and GRUCell's: h' from input [B, I] and hx [B, H] (zeros when undefined), or
    /// [I] and [H]. LSTMCell declares its own, with (h, c).
    Tensor forward(const Tensor& input, Tensor hx = {});

    RNNOptionsBase options_base;
    Tensor weight_ih;
    Tensor weight_hh;
    /// Undefined without bias.
    Tensor bias_ih;
    Tensor bias_hh;

protected:
    /// One step: (h', c') from input [B, I] or [I], h and c ([B, H] or [H], zeros when
    /// undefined); c and c' only for LSTMCell.
    std::tuple<Tensor, Tensor> step(const Tensor& input, const Tensor& h, const Tensor& c);
};

/// RNNOptionsBase of each public options type, its mode included.
RNNOptionsBase to_base(const RNNOptions& options);
RNNOptionsBase to_base(const LSTMOptions& options);
RNNOptionsBase to_base(const GRUOptions& options);
RNNOptionsBase to_base(const RNNCellOptions& options);
RNNOptionsBase to_base(const LSTMCellOptions& options);
RNNOptionsBase to_base(const GRUCellOptions& options);

/// A public layer or cell: LibTorch's two constructors around its options type, on Base.
template <class Base, class Options>
class RecurrentModule : public Base {
public:
    RecurrentModule(int64_t input_size, int64_t hidden_size)
        : RecurrentModule(Options(input_size, hidden_size)) {}
    explicit RecurrentModule(const Options& opts) : Base(to_base(opts)), options(opts) {}

    Options options;
};

}  // namespace detail

/// Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.
class RNNImpl : public detail::RecurrentModule<detail::RNNImplBase<RNNImpl>, RNNOptions> {
public:
    using RecurrentModule::RecurrentModule;
};
TAPEGRAD_MODULE(RNN);

/// LSTM with gates i, f, g, o (in that order in the weights' rows):
/// c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t) (then h_t W_hr^T with proj_size).
class LSTMImpl : public detail::RecurrentModule<detail::RNNImplBase<LSTMImpl>, LSTMOptions> {
public:
    using RecurrentModule::RecurrentModule;

    /// (output, (h_n, c_n)); see the file's comment for the shapes.
    std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(
        const Tensor& input, std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
    /// (packed output, (h_n, c_n)) for a PackedSequence.
    std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> forward_with_packed_input(
        const utils::rnn::PackedSequence& packed_input,
        std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
};
TAPEGRAD_MODULE(LSTM);

/// GRU with gates r, z, n: n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),
/// h_t = (1 - z) * n + z * h_{t-1}.
class GRUImpl : public detail::RecurrentModule<detail::RNNImplBase<GRUImpl>, GRUOptions> {
public:
    using RecurrentModule::RecurrentModule;
};
TAPEGRAD_MODULE(GRU);

/// One RNN step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh); [B, I] -> [B, H] ([I] -> [H]).
class RNNCellImpl
    : public detail::RecurrentModule<detail::RNNCellImplBase<RNNCellImpl>, RNNCellOptions> {
public:
    using RecurrentModule::RecurrentModule;
};
TAPEGRAD_MODULE(RNNCell);

/// One LSTM step: (h', c') from input [B, I] and (h, c) [B, H] (zeros when not given).
class LSTMCellImpl
    : public detail::RecurrentModule<detail::RNNCellImplBase<LSTMCellImpl>, LSTMCellOptions> {
public:
    using RecurrentModule::RecurrentModule;
    std::tuple<Tensor, Tensor> forward(const Tensor& input,
                                       std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
};
TAPEGRAD_MODULE(LSTMCell);

/// One GRU step: h' from input [B, I] and hx [B, H] (zeros when undefined).
class GRUCellImpl
    : public detail::RecurrentModule<detail::RNNCellImplBase<GRUCellImpl>, GRUCellOptions> {
public:
    using RecurrentModule::RecurrentModule;
};
TAPEGRAD_MODULE(GRUCell);

}  // namespace nn
}  // namespace tapegrad
