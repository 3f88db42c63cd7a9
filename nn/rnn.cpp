#include "nn/rnn.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <stdexcept>

#include "autograd/function.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/ops/rnn_cell.hpp"
#include "nn/dropout.hpp"

namespace tapegrad {
namespace nn {

using utils::rnn::PackedSequence;

namespace detail {
namespace {

const char* mode_name(RNNMode mode) {
    switch (mode) {
        case RNNMode::LSTM:
            return "LSTM";
        case RNNMode::GRU:
            return "GRU";
        default:
            return "RNN";
    }
}

int64_t gate_count(RNNMode mode) {
    switch (mode) {
        case RNNMode::LSTM:
            return 4;
        case RNNMode::GRU:
            return 3;
        default:
            return 1;
    }
}

RNNMode rnn_mode(init::NonlinearityType nonlinearity, const char* name) {
    if (nonlinearity == kTanh) return RNNMode::RNN_TANH;
    if (nonlinearity == kReLU) return RNNMode::RNN_RELU;
    throw std::invalid_argument(std::string(name) + ": nonlinearity must be kTanh or kReLU");
}

void check_sizes(const char* name, int64_t input_size, int64_t hidden_size) {
    if (input_size <= 0 || hidden_size <= 0)
        throw std::invalid_argument(
            std::string(name) + ": input_size and hidden_size must be positive, got " +
            std::to_string(input_size) + " and " + std::to_string(hidden_size));
}

// An input must have `dims` dimensions (or one fewer, unbatched) and input_size features last.
// The input must have the parameters' dtype: no silent conversion either way.
void check_dtype(const std::string& name, const Tensor& input, const Tensor& weight) {
    if (input.scalar_type() != weight.scalar_type())
        throw std::invalid_argument(
            name + ": input is " + std::string(to_string(input.scalar_type())) +
            " but the parameters are " + std::string(to_string(weight.scalar_type())) +
            "; convert one of them (e.g. module->to(kFloat64))");
}

void check_input(const std::string& name, const Tensor& input, int64_t dims, const char* shapes,
                 int64_t input_size, const Tensor& weight) {
    if (!input.defined()) throw std::invalid_argument(name + ": input is undefined");
    check_dtype(name, input, weight);
    if (input.dim() != dims && input.dim() != dims - 1)
        throw std::invalid_argument(name + ": input must be " + shapes + ", got " +
                                    shape_str(input.sizes()));
    if (input.size(-1) != input_size)
        throw std::invalid_argument(name + ": input has " + std::to_string(input.size(-1)) +
                                    " features, expected input_size " + std::to_string(input_size) +
                                    " (input is " + shape_str(input.sizes()) + ")");
}

void check_state(const std::string& what, const Tensor& state,
                 const std::vector<int64_t>& expected) {
    if (state.sizes() != expected)
        throw std::invalid_argument(what + " has shape " + shape_str(state.sizes()) +
                                    ", expected " + shape_str(expected));
}

// The input product of a whole layer at once: x W_ih^T + b_ih, with b_hh added here too
// except for GRU, whose b_hn sits inside r * (h W_hn^T + b_hn).
Tensor input_product(RNNMode mode, const Tensor& x, const Tensor& w_ih, const Tensor& b_ih,
                     const Tensor& b_hh) {
    if (!b_ih.defined()) return linear(x, w_ih);
    if (mode == RNNMode::GRU) return linear(x, w_ih, b_ih);
    return linear(x, w_ih, b_ih + b_hh);
}

struct StepWeights {
    Tensor w_hh;
    Tensor b_hh;  // GRU's only: the others have it in the input product
    Tensor w_hr;  // LSTM with proj_size only
};

// One time step from the input product xw [B, G * H] and the state h [B, Hout], c [B, H]:
// returns (h', c'), c' undefined but for LSTM.
std::tuple<Tensor, Tensor> cell_step(RNNMode mode, const Tensor& xw, const Tensor& h,
                                     const Tensor& c, const StepWeights& w) {
    switch (mode) {
        case RNNMode::RNN_TANH:
            return {tanh(xw + linear(h, w.w_hh)), Tensor()};
        case RNNMode::RNN_RELU:
            return {relu(xw + linear(h, w.w_hh)), Tensor()};
        case RNNMode::LSTM: {
            // gates i, f, g, o: c' = f * c + i * g, h' = o * tanh(c'), in one recorded op
            auto [h_next, c_next] = fused_lstm_cell(xw + linear(h, w.w_hh), c);
            if (w.w_hr.defined()) h_next = linear(h_next, w.w_hr);
            return {h_next, c_next};
        }
        case RNNMode::GRU: {
            const std::vector<Tensor> x = xw.chunk(3, 1);  // r, z, n
            const std::vector<Tensor> hh = linear(h, w.w_hh, w.b_hh).chunk(3, 1);
            const Tensor r = sigmoid(x[0] + hh[0]);
            const Tensor z = sigmoid(x[1] + hh[1]);
            const Tensor n = tanh(x[2] + r * hh[2]);
            return {n + z * (h - n), Tensor()};  // (1 - z) * n + z * h
        }
    }
    return {};
}

// The steps of a packed batch: step t has rows offsets[t] .. offsets[t] + sizes[t] of the data,
// sizes non-increasing (a sequence that has ended leaves the bottom of the batch).
struct Steps {
    std::vector<int64_t> sizes;
    std::vector<int64_t> offsets;
};

Steps make_steps(std::vector<int64_t> sizes) {
    Steps s{std::move(sizes), {}};
    int64_t offset = 0;
    for (int64_t b : s.sizes) {
        s.offsets.push_back(offset);
        offset += b;
    }
    return s;
}

// The rows of xw cut into one piece per time step (step t: sizes[t] rows), as one recorded op.
// A narrow() per step would send back, for every step, a zero-filled gradient as large as all of
// xw, and the engine would sum the T of them: O(T^2) memory traffic. This backward concatenates
// the steps' gradients once.
// pieces[t] = xw[offsets[t] : offsets[t] + sizes[t]]     grad_xw = cat(grad_pieces, 0)
struct SplitSteps : autograd::Function<SplitSteps> {
    static tensor_list forward(autograd::AutogradContext*, Tensor xw, std::vector<int64_t> sizes) {
        tensor_list pieces;
        int64_t at = 0;
        for (int64_t b : sizes) {
            pieces.push_back(xw.narrow(0, at, b));
            at += b;
        }
        return pieces;
    }
    static tensor_list backward(autograd::AutogradContext*, tensor_list grad_pieces) {
        return {cat(grad_pieces, 0), Tensor()};
    }
    static constexpr const char* backward_rule = "grad_xw = cat(grad_pieces, 0)";
};

struct DirectionResult {
    Tensor output;  // [rows, Hout]
    Tensor h;       // [B, Hout]
    Tensor c;       // [B, H] (LSTM)
};

// One direction of one layer over the packed rows. Forward in time, the rows of sequences that
// have ended are set aside with their final state; backward in time, each sequence starts at
// its own last step from h0, so rows join the batch as t goes down.
DirectionResult run_direction(RNNMode mode, const Tensor& xw, const Steps& steps, const Tensor& h0,
                              const Tensor& c0, const StepWeights& w, bool reverse) {
    const int64_t T = static_cast<int64_t>(steps.sizes.size());
    const int64_t B = h0.size(0);
    const bool lstm = mode == RNNMode::LSTM;
    std::vector<Tensor> outputs(static_cast<size_t>(T));
    const tensor_list xs = SplitSteps::apply(xw, steps.sizes);  // xs[t]: step t's input product
    Tensor h = h0, c = c0;
    if (!reverse) {
        std::vector<Tensor> ended_h, ended_c;
        for (int64_t t = 0; t < T; ++t) {
            const int64_t b = steps.sizes[t];
            if (b < h.size(0)) {
                ended_h.push_back(h.narrow(0, b, h.size(0) - b));
                h = h.narrow(0, 0, b);
                if (lstm) {
                    ended_c.push_back(c.narrow(0, b, c.size(0) - b));
                    c = c.narrow(0, 0, b);
                }
            }
            std::tie(h, c) = cell_step(mode, xs[size_t(t)], h, c, w);
            outputs[t] = h;
        }
        if (!ended_h.empty()) {  // ended later means a lower row: put them back in row order
            ended_h.push_back(h);
            std::reverse(ended_h.begin(), ended_h.end());
            h = cat(ended_h, 0);
            if (lstm) {
                ended_c.push_back(c);
                std::reverse(ended_c.begin(), ended_c.end());
                c = cat(ended_c, 0);
            }
        }
    } else {
        const int64_t first = steps.sizes[T - 1];
        if (first < B) {
            h = h0.narrow(0, 0, first);
            if (lstm) c = c0.narrow(0, 0, first);
        }
        for (int64_t t = T - 1; t >= 0; --t) {
            const int64_t b = steps.sizes[t];
            if (b > h.size(0)) {
                const int64_t have = h.size(0);
                h = cat({h, h0.narrow(0, have, b - have)}, 0);
                if (lstm) c = cat({c, c0.narrow(0, have, b - have)}, 0);
            }
            std::tie(h, c) = cell_step(mode, xs[size_t(t)], h, c, w);
            outputs[t] = h;
        }
    }
    return {T == 1 ? outputs[0] : cat(outputs, 0), h, c};
}

}  // namespace

// ---- RNNImplBase ---------------------------------------------------------------------------

template <class Derived>
RNNImplBase<Derived>::RNNImplBase(const RNNOptionsBase& options)
    : options_base(options) {  // the name comes from the type (LSTMImpl: "LSTM")
    const char* name = mode_name(options.mode);
    check_sizes(name, options.input_size, options.hidden_size);
    if (options.num_layers < 1)
        throw std::invalid_argument(std::string(name) + ": num_layers must be at least 1, got " +
                                    std::to_string(options.num_layers));
    if (!(options.dropout >= 0.0 && options.dropout <= 1.0))
        throw std::invalid_argument(std::string(name) + ": dropout must be in [0, 1], got " +
                                    std::to_string(options.dropout));
    if (options.proj_size < 0 ||
        (options.proj_size > 0 && options.proj_size >= options.hidden_size))
        throw std::invalid_argument(std::string(name) +
                                    ": proj_size must be in [0, hidden_size), got " +
                                    std::to_string(options.proj_size) + " with hidden_size " +
                                    std::to_string(options.hidden_size));
    reset();
}

template <class Derived>
void RNNImplBase<Derived>::reset() {
    const RNNOptionsBase& o = options_base;
    const int64_t D = o.bidirectional ? 2 : 1;
    const int64_t H = o.hidden_size;
    const int64_t out_size = o.proj_size > 0 ? o.proj_size : H;
    const int64_t G = gate_count(o.mode) * H;
    weights_.clear();
    for (int64_t layer = 0; layer < o.num_layers; ++layer) {
        for (int64_t d = 0; d < D; ++d) {
            const std::string sfx = std::to_string(layer) + (d == 1 ? "_reverse" : "");
            const int64_t in = layer == 0 ? o.input_size : out_size * D;
            weights_.push_back(this->register_parameter("weight_ih_l" + sfx, empty({G, in})));
            weights_.push_back(this->register_parameter("weight_hh_l" + sfx, empty({G, out_size})));
            weights_.push_back(o.bias ? this->register_parameter("bias_ih_l" + sfx, empty({G}))
                                      : Tensor());
            weights_.push_back(o.bias ? this->register_parameter("bias_hh_l" + sfx, empty({G}))
                                      : Tensor());
            weights_.push_back(o.proj_size > 0 ? this->register_parameter("weight_hr_l" + sfx,
                                                                          empty({o.proj_size, H}))
                                               : Tensor());
        }
    }
    reset_parameters();
}

template <class Derived>
void RNNImplBase<Derived>::reset_parameters() {
    const double bound = 1.0 / std::sqrt(static_cast<double>(options_base.hidden_size));
    for (Tensor& w : weights_)
        if (w.defined()) init::uniform_(w, -bound, bound);
}

template <class Derived>
std::vector<Tensor> RNNImplBase<Derived>::all_weights() const {
    std::vector<Tensor> out;
    for (const Tensor& w : weights_)
        if (w.defined()) out.push_back(w);
    return out;
}

template <class Derived>
void RNNImplBase<Derived>::pretty_print(std::ostream& stream) const {
    const RNNOptionsBase& o = options_base;
    stream << mode_name(o.mode) << "(input_size=" << o.input_size
           << ", hidden_size=" << o.hidden_size << ", num_layers=" << o.num_layers;
    if (o.mode == RNNMode::RNN_RELU) stream << ", nonlinearity=relu";
    if (!o.bias) stream << ", bias=false";
    if (o.batch_first) stream << ", batch_first=true";
    if (o.dropout > 0) stream << ", dropout=" << o.dropout;
    if (o.bidirectional) stream << ", bidirectional=true";
    if (o.proj_size > 0) stream << ", proj_size=" << o.proj_size;
    stream << ")";
}

namespace {

// Every layer and direction over the packed rows data [rows, input_size]; h0 [L * D, B, Hout]
// and c0 [L * D, B, H] already in the packed batch's order. Returns (output [rows, D * Hout],
// h_n, c_n).
std::tuple<Tensor, Tensor, Tensor> run_layers(const RNNOptionsBase& o,
                                              const std::vector<Tensor>& weights,
                                              const Tensor& data, const Steps& steps,
                                              const Tensor& h0, const Tensor& c0, bool training) {
    const int64_t D = o.bidirectional ? 2 : 1;
    const bool lstm = o.mode == RNNMode::LSTM;
    // an LSTM without proj_size in which every sequence runs every step takes the fused path
    const int64_t T = static_cast<int64_t>(steps.sizes.size()), B = steps.sizes.front();
    const bool fused = lstm && o.proj_size == 0 && steps.sizes.back() == B;
    Tensor layer_input = data;
    std::vector<Tensor> h_n, c_n;
    for (int64_t layer = 0; layer < o.num_layers; ++layer) {
        std::vector<Tensor> outputs;
        for (int64_t d = 0; d < D; ++d) {
            const int64_t k = layer * D + d;
            const Tensor* w = &weights[static_cast<size_t>(k) * 5];  // ih, hh, b_ih, b_hh, hr
            DirectionResult r;
            if (fused) {  // the whole direction as one recorded op
                auto [out, h, c] = fused_lstm_sequence(
                    layer_input.reshape({T, B, layer_input.size(1)}), h0.select(0, k),
                    c0.select(0, k), w[0], w[1], w[2], w[3], d == 1);
                r = {out.view({T * B, out.size(2)}), h, c};
            } else {
                const Tensor xw = input_product(o.mode, layer_input, w[0], w[2], w[3]);
                const StepWeights sw{w[1], o.mode == RNNMode::GRU ? w[3] : Tensor(), w[4]};
                r = run_direction(o.mode, xw, steps, h0.select(0, k),
                                  lstm ? c0.select(0, k) : Tensor(), sw, d == 1);
            }
            outputs.push_back(r.output);
            h_n.push_back(r.h);
            if (lstm) c_n.push_back(r.c);
        }
        layer_input = D == 1 ? outputs[0] : cat(outputs, 1);
        if (o.dropout > 0 && training && layer + 1 < o.num_layers)
            layer_input = tapegrad::dropout(layer_input, o.dropout, true);
    }
    return {layer_input, stack(h_n, 0), lstm ? stack(c_n, 0) : Tensor()};
}

}  // namespace

template <class Derived>
std::tuple<Tensor, Tensor, Tensor> RNNImplBase<Derived>::run(const Tensor& input, const Tensor& h0,
                                                             const Tensor& c0) {
    const RNNOptionsBase& o = options_base;
    const std::string name = mode_name(o.mode);
    check_input(name, input, 3,
                "[T, B, input_size], or [B, T, input_size] with batch_first, or [T, input_size] "
                "unbatched",
                o.input_size, weights_.front());
    const bool batched = input.dim() == 3;
    Tensor x = batched ? input : input.unsqueeze(1);
    if (batched && o.batch_first) x = x.transpose(0, 1);
    const int64_t T = x.size(0), B = x.size(1);
    if (T == 0 || B == 0)
        throw std::invalid_argument(name + ": input " + shape_str(input.sizes()) +
                                    " has no steps or no sequences");
    const int64_t D = o.bidirectional ? 2 : 1;
    const int64_t out_size = o.proj_size > 0 ? o.proj_size : o.hidden_size;
    auto state = [&](const Tensor& given, const char* what, int64_t size) {
        std::vector<int64_t> expected{o.num_layers * D, B, size};
        if (!batched) expected.erase(expected.begin() + 1);
        if (!given.defined()) return zeros({o.num_layers * D, B, size}, input.options());
        check_state(name + ": " + what, given, expected);
        return batched ? given : given.unsqueeze(1);
    };
    const Tensor h = state(h0, "h0", out_size);
    const Tensor c = o.mode == RNNMode::LSTM ? state(c0, "c0", o.hidden_size) : Tensor();
    auto [out, h_n, c_n] = run_layers(o, weights_, x.reshape({T * B, o.input_size}),
                                      make_steps(std::vector<int64_t>(static_cast<size_t>(T), B)),
                                      h, c, this->is_training());
    out = out.reshape({T, B, D * out_size});
    if (!batched) return {out.squeeze(1), h_n.squeeze(1), c_n.defined() ? c_n.squeeze(1) : c_n};
    if (o.batch_first) out = out.transpose(0, 1);
    return {out, h_n, c_n};
}

template <class Derived>
std::tuple<PackedSequence, Tensor, Tensor> RNNImplBase<Derived>::run_packed(
    const PackedSequence& input, const Tensor& h0, const Tensor& c0) {
    const RNNOptionsBase& o = options_base;
    const std::string name = mode_name(o.mode);
    const Tensor& data = input.data();
    if (!data.defined() || data.dim() != 2 || data.size(1) != o.input_size)
        throw std::invalid_argument(
            name + ": packed data must be [rows, input_size " + std::to_string(o.input_size) +
            "], got " + (data.defined() ? shape_str(data.sizes()) : std::string("undefined")));
    check_dtype(name, data, weights_.front());
    const Steps steps = make_steps(input.batch_sizes().contiguous().to_vector<int64_t>());
    const int64_t B = steps.sizes.front();
    const int64_t D = o.bidirectional ? 2 : 1;
    const int64_t out_size = o.proj_size > 0 ? o.proj_size : o.hidden_size;
    // the states are in the caller's batch order; the packed rows in sorted order
    auto state = [&](const Tensor& given, const char* what, int64_t size) {
        if (!given.defined()) return zeros({o.num_layers * D, B, size}, data.options());
        check_state(name + ": " + what, given, {o.num_layers * D, B, size});
        return input.sorted_indices().defined() ? given.index_select(1, input.sorted_indices())
                                                : given;
    };
    const Tensor h = state(h0, "h0", out_size);
    const Tensor c = o.mode == RNNMode::LSTM ? state(c0, "c0", o.hidden_size) : Tensor();
    auto [out, h_n, c_n] = run_layers(o, weights_, data, steps, h, c, this->is_training());
    if (input.unsorted_indices().defined()) {
        h_n = h_n.index_select(1, input.unsorted_indices());
        if (c_n.defined()) c_n = c_n.index_select(1, input.unsorted_indices());
    }
    return {input.with_data(out), h_n, c_n};
}

template <class Derived>
std::tuple<Tensor, Tensor> RNNImplBase<Derived>::forward(const Tensor& input, Tensor hx) {
    auto [out, h_n, c_n] = run(input, hx, Tensor());
    return {out, h_n};
}

template <class Derived>
std::tuple<PackedSequence, Tensor> RNNImplBase<Derived>::forward_with_packed_input(
    const PackedSequence& packed_input, Tensor hx) {
    auto [out, h_n, c_n] = run_packed(packed_input, hx, Tensor());
    return {out, h_n};
}

template class RNNImplBase<RNNImpl>;
template class RNNImplBase<LSTMImpl>;
template class RNNImplBase<GRUImpl>;

// ---- RNNCellImplBase -----------------------------------------------------------------------

template <class Derived>
RNNCellImplBase<Derived>::RNNCellImplBase(const RNNOptionsBase& options)
    : options_base(options) {  // the name comes from the type (GRUCellImpl: "GRUCell")
    // not this->name(): while the base is being built, the type is not yet the cell's
    check_sizes((std::string(mode_name(options.mode)) + "Cell").c_str(), options.input_size,
                options.hidden_size);
    reset();
}

template <class Derived>
void RNNCellImplBase<Derived>::reset() {
    const int64_t G = gate_count(options_base.mode) * options_base.hidden_size;
    weight_ih = this->register_parameter("weight_ih", empty({G, options_base.input_size}));
    weight_hh = this->register_parameter("weight_hh", empty({G, options_base.hidden_size}));
    bias_ih = options_base.bias ? this->register_parameter("bias_ih", empty({G})) : Tensor();
    bias_hh = options_base.bias ? this->register_parameter("bias_hh", empty({G})) : Tensor();
    reset_parameters();
}

template <class Derived>
void RNNCellImplBase<Derived>::reset_parameters() {
    const double bound = 1.0 / std::sqrt(static_cast<double>(options_base.hidden_size));
    for (Tensor* w : {&weight_ih, &weight_hh, &bias_ih, &bias_hh})
        if (w->defined()) init::uniform_(*w, -bound, bound);
}

template <class Derived>
void RNNCellImplBase<Derived>::pretty_print(std::ostream& stream) const {
    stream << this->name() << "(" << options_base.input_size << ", " << options_base.hidden_size;
    if (!options_base.bias) stream << ", bias=false";
    if (options_base.mode == RNNMode::RNN_RELU) stream << ", nonlinearity=relu";
    stream << ")";
}

template <class Derived>
std::tuple<Tensor, Tensor> RNNCellImplBase<Derived>::step(const Tensor& input, const Tensor& h,
                                                          const Tensor& c) {
    const std::string& n = this->name();
    check_input(n, input, 2, "[B, input_size] or [input_size] unbatched", options_base.input_size,
                weight_ih);
    const bool batched = input.dim() == 2;
    const Tensor x = batched ? input : input.unsqueeze(0);
    const std::vector<int64_t> expected =
        batched ? std::vector<int64_t>{x.size(0), options_base.hidden_size}
                : std::vector<int64_t>{options_base.hidden_size};
    auto state = [&](const Tensor& given, const char* what) {
        if (!given.defined()) return zeros({x.size(0), options_base.hidden_size}, input.options());
        check_state(n + ": " + what, given, expected);
        return batched ? given : given.unsqueeze(0);
    };
    const Tensor h0 = state(h, "hx");
    const Tensor c0 = options_base.mode == RNNMode::LSTM ? state(c, "cx") : Tensor();
    const Tensor xw = input_product(options_base.mode, x, weight_ih, bias_ih, bias_hh);
    auto [h1, c1] = cell_step(
        options_base.mode, xw, h0, c0,
        StepWeights{weight_hh, options_base.mode == RNNMode::GRU ? bias_hh : Tensor(), Tensor()});
    if (batched) return {h1, c1};
    return {h1.squeeze(0), c1.defined() ? c1.squeeze(0) : c1};
}

template <class Derived>
Tensor RNNCellImplBase<Derived>::forward(const Tensor& input, Tensor hx) {
    return std::get<0>(step(input, hx, Tensor()));
}

template class RNNCellImplBase<RNNCellImpl>;
template class RNNCellImplBase<LSTMCellImpl>;
template class RNNCellImplBase<GRUCellImpl>;

// ---- the public options ---------------------------------------------------------------------

namespace {

// what every options type has
template <class Options>
RNNOptionsBase cell_options(RNNMode mode, const Options& o) {
    RNNOptionsBase b;
    b.mode = mode;
    b.input_size = o.input_size();
    b.hidden_size = o.hidden_size();
    b.bias = o.bias();
    return b;
}

template <class Options>
RNNOptionsBase layer_options(RNNMode mode, const Options& o) {
    RNNOptionsBase b = cell_options(mode, o);
    b.num_layers = o.num_layers();
    b.batch_first = o.batch_first();
    b.dropout = o.dropout();
    b.bidirectional = o.bidirectional();
    return b;
}

}  // namespace

RNNOptionsBase to_base(const RNNOptions& o) {
    return layer_options(rnn_mode(o.nonlinearity(), "RNN"), o);
}
RNNOptionsBase to_base(const LSTMOptions& o) {
    RNNOptionsBase b = layer_options(RNNMode::LSTM, o);
    b.proj_size = o.proj_size();
    return b;
}
RNNOptionsBase to_base(const GRUOptions& o) {
    return layer_options(RNNMode::GRU, o);
}
RNNOptionsBase to_base(const RNNCellOptions& o) {
    return cell_options(rnn_mode(o.nonlinearity(), "RNNCell"), o);
}
RNNOptionsBase to_base(const LSTMCellOptions& o) {
    return cell_options(RNNMode::LSTM, o);
}
RNNOptionsBase to_base(const GRUCellOptions& o) {
    return cell_options(RNNMode::GRU, o);
}

}  // namespace detail

// ---- the layers ----------------------------------------------------------------------------

namespace {

std::tuple<Tensor, Tensor> split_hx(const std::optional<std::tuple<Tensor, Tensor>>& hx) {
    return hx ? *hx : std::tuple<Tensor, Tensor>{};
}

}  // namespace

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTMImpl::forward(
    const Tensor& input, std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
    auto [h0, c0] = split_hx(hx_opt);
    auto [out, h_n, c_n] = run(input, h0, c0);
    return {out, {h_n, c_n}};
}

std::tuple<PackedSequence, std::tuple<Tensor, Tensor>> LSTMImpl::forward_with_packed_input(
    const PackedSequence& packed_input, std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
    auto [h0, c0] = split_hx(hx_opt);
    auto [out, h_n, c_n] = run_packed(packed_input, h0, c0);
    return {out, {h_n, c_n}};
}

// ---- the cells -----------------------------------------------------------------------------

std::tuple<Tensor, Tensor> LSTMCellImpl::forward(const Tensor& input,
                                                 std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
    auto [h, c] = split_hx(hx_opt);
    return step(input, h, c);
}

}  // namespace nn
}  // namespace tapegrad
