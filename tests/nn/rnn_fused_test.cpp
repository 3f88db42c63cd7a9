// The LSTM layer's fused path (fused_lstm_sequence, taken when every sequence runs every step
// and there is no proj_size) against LSTM's equations written with sigmoid, tanh and linear
// alone: outputs, final states and every gradient, in float32 and float64.

#include <string>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

// (output [T, B, D * H], h_n, c_n) of an LSTM without proj_size, input [T, B, I] and states
// [L * D, B, H], step by step with composed ops only
std::vector<Tensor> lstm_reference(nn::LSTM& lstm, const Tensor& x, const Tensor& h0,
                                   const Tensor& c0) {
    const auto& o = lstm->options;
    const int64_t D = o.bidirectional() ? 2 : 1, T = x.size(0);
    auto params = lstm->named_parameters();
    Tensor layer_input = x;
    std::vector<Tensor> h_n, c_n;
    for (int64_t layer = 0; layer < o.num_layers(); ++layer) {
        std::vector<Tensor> directions;
        for (int64_t d = 0; d < D; ++d) {
            const int64_t k = layer * D + d;
            const std::string sfx = std::to_string(layer) + (d == 1 ? "_reverse" : "");
            const Tensor w_ih = params["weight_ih_l" + sfx], w_hh = params["weight_hh_l" + sfx];
            const Tensor b_ih = o.bias() ? params["bias_ih_l" + sfx] : Tensor();
            const Tensor b_hh = o.bias() ? params["bias_hh_l" + sfx] : Tensor();
            Tensor h = h0[k], c = c0[k];
            std::vector<Tensor> outputs(static_cast<size_t>(T));
            for (int64_t s = 0; s < T; ++s) {
                const int64_t t = d == 1 ? T - 1 - s : s;
                const auto g =
                    (linear(layer_input[t], w_ih, b_ih) + linear(h, w_hh, b_hh)).chunk(4, 1);
                c = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
                h = sigmoid(g[3]) * tanh(c);
                outputs[static_cast<size_t>(t)] = h;
            }
            directions.push_back(stack(outputs, 0));
            h_n.push_back(h);
            c_n.push_back(c);
        }
        layer_input = cat(directions, 2);
    }
    return {layer_input, stack(h_n, 0), stack(c_n, 0)};
}

// the layer and the reference from the same weights, h0/c0 given or not: equal results and
// equal gradients for the input, the states and every parameter
void check_against_reference(nn::LSTMOptions options, ScalarType dt, bool with_state) {
    const double tol = dt == kFloat64 ? 1e-12 : 1e-6;
    nn::LSTM lstm(options);
    lstm->to(dt);
    const int64_t LD = options.num_layers() * (options.bidirectional() ? 2 : 1);
    const TensorOptions req = TensorOptions(dt).requires_grad(true);
    const Tensor x = randn({5, 3, options.input_size()}, req);
    const Tensor h0 = with_state ? randn({LD, 3, options.hidden_size()}, req)
                                 : zeros({LD, 3, options.hidden_size()}, dt);
    const Tensor c0 = with_state ? randn({LD, 3, options.hidden_size()}, req)
                                 : zeros({LD, 3, options.hidden_size()}, dt);
    auto [out, hc] = with_state ? lstm(x, std::make_tuple(h0, c0)) : lstm(x);
    const std::vector<Tensor> got{out, std::get<0>(hc), std::get<1>(hc)};
    const std::vector<Tensor> want = lstm_reference(lstm, x, h0, c0);
    Tensor loss_got = zeros({}, dt), loss_want = zeros({}, dt);
    for (size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        REQUIRE(got[i].sizes() == want[i].sizes());
        CHECK(got[i].allclose(want[i], tol, tol));
        const Tensor r = randn(got[i].sizes(), dt);  // each output weighted differently
        loss_got = loss_got + (got[i] * r).sum();
        loss_want = loss_want + (want[i] * r).sum();
    }
    std::vector<Tensor> inputs{x};
    if (with_state) inputs.insert(inputs.end(), {h0, c0});
    for (const Tensor& w : lstm->parameters()) inputs.push_back(w);
    const tensor_list g_got = autograd::grad({loss_got}, inputs);
    const tensor_list g_want = autograd::grad({loss_want}, inputs);
    for (size_t i = 0; i < inputs.size(); ++i) {
        CAPTURE(i);
        CHECK(g_got[i].allclose(g_want[i], tol, tol));
    }
}

}  // namespace

TEST_SUITE("nn/rnn fused") {
    TEST_CASE("LSTM: the fused path equals the composed equations, with and without h0/c0") {
        manual_seed(21);
        for (ScalarType dt : {kFloat64, kFloat32}) {
            for (bool with_state : {false, true}) {
                CAPTURE(std::string(to_string(dt)));
                CAPTURE(with_state);
                check_against_reference(nn::LSTMOptions(3, 4), dt, with_state);
            }
        }
    }

    TEST_CASE("LSTM: the fused path equals the composed equations, two bidirectional layers") {
        manual_seed(22);
        for (ScalarType dt : {kFloat64, kFloat32}) {
            CAPTURE(std::string(to_string(dt)));
            check_against_reference(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true), dt,
                                    true);
            check_against_reference(nn::LSTMOptions(3, 4).num_layers(2).bias(false), dt, false);
        }
    }

    TEST_CASE(
        "LSTM: a packed batch of equal lengths (fused) and of unequal ones (per step) agree") {
        // the same two sequences, once alone at full length and once next to a shorter one
        manual_seed(23);
        nn::LSTM lstm(nn::LSTMOptions(3, 4).bidirectional(true));
        lstm->to(kFloat64);
        const Tensor x = randn({4, 2, 3}, f64());
        auto full = nn::utils::rnn::pack_padded_sequence(x, tensor({4, 4}, TensorOptions(kInt64)));
        auto ragged = nn::utils::rnn::pack_padded_sequence(
            cat({x, randn({4, 1, 3}, kFloat64)}, 1), tensor({4, 4, 2}, TensorOptions(kInt64)));
        auto [out_full, hc_full] = lstm->forward_with_packed_input(full);
        auto [out_ragged, hc_ragged] = lstm->forward_with_packed_input(ragged);
        auto [pad_full, len_full] = nn::utils::rnn::pad_packed_sequence(out_full);
        auto [pad_ragged, len_ragged] = nn::utils::rnn::pad_packed_sequence(out_ragged);
        CHECK(pad_full.allclose(pad_ragged.narrow(1, 0, 2), 1e-12, 1e-12));
        CHECK(std::get<0>(hc_full).allclose(std::get<0>(hc_ragged).narrow(1, 0, 2), 1e-12, 1e-12));
        CHECK(std::get<1>(hc_full).allclose(std::get<1>(hc_ragged).narrow(1, 0, 2), 1e-12, 1e-12));
    }
}
