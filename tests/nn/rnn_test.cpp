// Recurrent cells and layers: LibTorch's values and gradients on fixed weights
// (tests/golden/rnn_golden.txt, written by tests/golden/gen_rnn.py), float64 gradient checks,
// parameter names and initialisation, and the errors.

#include <cmath>
#include <sstream>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/nn/rnn_golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

Tensor state_or_none(const std::vector<Tensor>& s, size_t i) {
    return i < s.size() ? s[i] : Tensor();
}

// LSTM's (h0, c0) from the states, or nothing when none are given
std::optional<std::tuple<Tensor, Tensor>> lstm_state(const std::vector<Tensor>& s) {
    if (s.empty()) return std::nullopt;
    return std::make_tuple(s[0], s[1]);
}

template <class Layer>
RNNGoldenCall layer_call(Layer& layer) {
    return [&layer](const Tensor& x, const std::vector<Tensor>& s) {
        auto [out, h] = layer->forward(x, state_or_none(s, 0));
        return std::vector<Tensor>{out, h};
    };
}

RNNGoldenCall lstm_call(nn::LSTM& lstm) {
    return [&lstm](const Tensor& x, const std::vector<Tensor>& s) {
        auto [out, hc] = lstm->forward(x, lstm_state(s));
        return std::vector<Tensor>{out, std::get<0>(hc), std::get<1>(hc)};
    };
}

// sum of every result, weighted, for the gradient checks
std::vector<Tensor> with_parameters(std::vector<Tensor> inputs, const nn::Module& module) {
    for (const Tensor& p : module.parameters()) inputs.push_back(p);
    return inputs;
}

}  // namespace

TEST_SUITE("nn/rnn") {
    TEST_CASE("RNNCell: tanh and relu match LibTorch's values and gradients") {
        nn::RNNCell tanh_cell(4, 5);
        check_rnn_golden("rnn_cell_tanh", *tanh_cell, 1,
                         [&](const Tensor& x, const std::vector<Tensor>& s) {
                             return std::vector<Tensor>{tanh_cell(x, s[0])};
                         });
        nn::RNNCell relu_cell(nn::RNNCellOptions(4, 5).nonlinearity(kReLU));
        check_rnn_golden("rnn_cell_relu", *relu_cell, 1,
                         [&](const Tensor& x, const std::vector<Tensor>& s) {
                             return std::vector<Tensor>{relu_cell(x, s[0])};
                         });
    }

    TEST_CASE("LSTMCell: matches LibTorch's values and gradients") {
        nn::LSTMCell cell(4, 5);
        check_rnn_golden("lstm_cell", *cell, 2, [&](const Tensor& x, const std::vector<Tensor>& s) {
            auto [h, c] = cell(x, std::make_tuple(s[0], s[1]));
            return std::vector<Tensor>{h, c};
        });
    }

    TEST_CASE("GRUCell: matches LibTorch's values and gradients, with and without bias and state") {
        nn::GRUCell cell(4, 5);
        check_rnn_golden("gru_cell", *cell, 1, [&](const Tensor& x, const std::vector<Tensor>& s) {
            return std::vector<Tensor>{cell(x, s[0])};
        });
        nn::GRUCell bare(nn::GRUCellOptions(4, 5).bias(false));
        check_rnn_golden("gru_cell_no_state", *bare, 0,
                         [&](const Tensor& x, const std::vector<Tensor>&) {
                             return std::vector<Tensor>{bare(x)};
                         });
    }

    TEST_CASE("RNN: two layers (tanh) and bidirectional (relu) match LibTorch") {
        nn::RNN two(nn::RNNOptions(4, 5).num_layers(2));
        check_rnn_golden("rnn_tanh_2_layers", *two, 1, layer_call(two));
        nn::RNN bi(nn::RNNOptions(4, 5).nonlinearity(kReLU).bidirectional(true));
        check_rnn_golden("rnn_relu_bidirectional", *bi, 1, layer_call(bi));
    }

    TEST_CASE(
        "LSTM: one layer, two bidirectional batch_first layers, no bias, proj_size and unbatched "
        "match LibTorch") {
        nn::LSTM one(4, 5);
        check_rnn_golden("lstm", *one, 2, lstm_call(one));
        nn::LSTM deep(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true).batch_first(true));
        check_rnn_golden("lstm_2_layers_bidirectional_batch_first", *deep, 2, lstm_call(deep));
        nn::LSTM bare(nn::LSTMOptions(4, 5).bias(false));
        check_rnn_golden("lstm_no_bias_no_state", *bare, 0, lstm_call(bare));
        nn::LSTM proj(nn::LSTMOptions(4, 5).num_layers(2).proj_size(3).bidirectional(true));
        check_rnn_golden("lstm_proj", *proj, 2, lstm_call(proj));
        nn::LSTM unbatched(nn::LSTMOptions(4, 5).bidirectional(true));
        check_rnn_golden("lstm_unbatched", *unbatched, 2, lstm_call(unbatched));
    }

    TEST_CASE("GRU: two bidirectional layers and batch_first match LibTorch") {
        nn::GRU deep(nn::GRUOptions(4, 5).num_layers(2).bidirectional(true));
        check_rnn_golden("gru_2_layers_bidirectional", *deep, 1, layer_call(deep));
        nn::GRU bf(nn::GRUOptions(4, 5).batch_first(true));
        check_rnn_golden("gru_batch_first", *bf, 1, layer_call(bf));
    }

    TEST_CASE("RNN, LSTM, GRU: output and state shapes are LibTorch's") {
        nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true).batch_first(true));
        auto [out, hc] = lstm(zeros({5, 7, 3}));  // [B, T, I]
        CHECK_SHAPE(out, {5, 7, 8});
        CHECK_SHAPE(std::get<0>(hc), {4, 5, 4});
        CHECK_SHAPE(std::get<1>(hc), {4, 5, 4});
        nn::LSTM proj(nn::LSTMOptions(3, 4).proj_size(2));
        auto [pout, phc] = proj(zeros({7, 5, 3}));
        CHECK_SHAPE(pout, {7, 5, 2});
        CHECK_SHAPE(std::get<0>(phc), {1, 5, 2});
        CHECK_SHAPE(std::get<1>(phc), {1, 5, 4});
        nn::GRU gru(nn::GRUOptions(3, 4).num_layers(3));
        auto [gout, gh] = gru(zeros({7, 3}));  // unbatched [T, I]
        CHECK_SHAPE(gout, {7, 4});
        CHECK_SHAPE(gh, {3, 4});
        nn::RNNCell cell(3, 4);
        CHECK_SHAPE(cell(zeros({3})), {4});
    }

    TEST_CASE("RNN, LSTM, GRU: the last step of the output is h_n of the last layer") {
        manual_seed(2);
        nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2));
        auto [out, hc] = lstm(randn({6, 2, 3}));
        CHECK(out.select(0, 5).allclose(std::get<0>(hc).select(0, 1)));
        nn::GRU gru(nn::GRUOptions(3, 4).bidirectional(true));
        auto [gout, h] = gru(randn({6, 2, 3}));
        // forward direction ends at the last step, backward direction at the first
        CHECK(gout.select(0, 5).narrow(1, 0, 4).allclose(h.select(0, 0)));
        CHECK(gout.select(0, 0).narrow(1, 4, 4).allclose(h.select(0, 1)));
    }

    TEST_CASE("RNNCell, LSTMCell, GRUCell: gradients match finite differences") {
        manual_seed(5);
        nn::RNNCell rnn(3, 2);
        nn::LSTMCell lstm(3, 2);
        nn::GRUCell gru(3, 2);
        for (nn::Module* m : std::vector<nn::Module*>{rnn.get(), lstm.get(), gru.get()})
            m->to(kFloat64);
        const Tensor x = randn({2, 3}, f64()), h = randn({2, 2}, f64()), c = randn({2, 2}, f64());
        auto rnn_fn = [&](const std::vector<Tensor>& in) { return rnn(in[0], in[1]); };
        auto lstm_fn = [&](const std::vector<Tensor>& in) {
            auto [h1, c1] = lstm(in[0], std::make_tuple(in[1], in[2]));
            return flat({h1, c1});
        };
        auto gru_fn = [&](const std::vector<Tensor>& in) { return gru(in[0], in[1]); };
        CHECK_GRADIENTS(rnn_fn, with_parameters({x, h}, *rnn));
        CHECK_GRADIENTS(lstm_fn, with_parameters({x, h, c}, *lstm));
        CHECK_GRADIENTS(gru_fn, with_parameters({x, h}, *gru));
    }

    TEST_CASE("RNN, LSTM, GRU: gradients match finite differences with two bidirectional layers") {
        manual_seed(6);
        nn::RNN rnn(nn::RNNOptions(3, 2).num_layers(2).bidirectional(true).nonlinearity(kTanh));
        nn::LSTM lstm(nn::LSTMOptions(3, 2).num_layers(2).bidirectional(true).batch_first(true));
        nn::GRU gru(nn::GRUOptions(3, 2).num_layers(2).bidirectional(true));
        for (nn::Module* m : std::vector<nn::Module*>{rnn.get(), lstm.get(), gru.get()})
            m->to(kFloat64);
        const Tensor x = randn({4, 2, 3}, f64()), h = randn({4, 2, 2}, f64()),
                     c = randn({4, 2, 2}, f64());
        auto rnn_fn = [&](const std::vector<Tensor>& in) {
            auto [out, h_n] = rnn(in[0], in[1]);
            return flat({out, h_n});
        };
        auto lstm_fn = [&](const std::vector<Tensor>& in) {
            auto [out, hc] =
                lstm(in[0].transpose(0, 1), std::make_tuple(in[1], in[2]));  // batch_first
            return flat({out, std::get<0>(hc), std::get<1>(hc)});
        };
        auto gru_fn = [&](const std::vector<Tensor>& in) {
            auto [out, h_n] = gru(in[0], in[1]);
            return flat({out, h_n});
        };
        CHECK_GRADIENTS(rnn_fn, with_parameters({x, h}, *rnn));
        CHECK_GRADIENTS(lstm_fn, with_parameters({x, h, c}, *lstm));
        CHECK_GRADIENTS(gru_fn, with_parameters({x, h}, *gru));
    }

    TEST_CASE("LSTM, GRU: second derivatives match finite differences, packed lengths included") {
        // create_graph through every step: the cut of the input product into steps, the fused
        // LSTM cell's recorded backward, and steps whose batch shrinks as sequences end
        manual_seed(8);
        nn::LSTM lstm(nn::LSTMOptions(2, 2));
        nn::GRU gru(nn::GRUOptions(2, 2));
        lstm->to(kFloat64);
        gru->to(kFloat64);
        const Tensor x = randn({3, 2, 2}, f64());
        const Tensor lengths = tensor({3, 2}, TensorOptions(kInt64));
        auto lstm_fn = [&](const std::vector<Tensor>& in) {
            auto packed = nn::utils::rnn::pack_padded_sequence(in[0], lengths);
            auto [out, hc] = lstm->forward_with_packed_input(packed);
            return flat({out.data(), std::get<0>(hc), std::get<1>(hc)});
        };
        auto gru_fn = [&](const std::vector<Tensor>& in) {
            auto [out, h_n] = gru(in[0]);
            return flat({out, h_n});
        };
        CHECK_GRADGRADIENTS(lstm_fn, with_parameters({x}, *lstm));
        CHECK_GRADGRADIENTS(gru_fn, with_parameters({x}, *gru));
    }

    TEST_CASE("LSTM: gradients match finite differences with proj_size") {
        manual_seed(7);
        nn::LSTM lstm(nn::LSTMOptions(3, 3).proj_size(2).bidirectional(true));
        lstm->to(kFloat64);
        const Tensor x = randn({3, 2, 3}, f64()), h = randn({2, 2, 2}, f64()),
                     c = randn({2, 2, 3}, f64());
        auto lstm_fn = [&](const std::vector<Tensor>& in) {
            auto [out, hc] = lstm(in[0], std::make_tuple(in[1], in[2]));
            return flat({out, std::get<0>(hc), std::get<1>(hc)});
        };
        CHECK_GRADIENTS(lstm_fn, with_parameters({x, h, c}, *lstm));
    }

    TEST_CASE("RNN, LSTM, GRU: parameters are named and shaped as LibTorch's") {
        nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true).proj_size(2));
        std::vector<std::string> names;
        for (const auto& item : lstm->named_parameters()) names.push_back(item.key());
        CHECK(names == std::vector<std::string>{
                           "weight_ih_l0",         "weight_hh_l0",         "bias_ih_l0",
                           "bias_hh_l0",           "weight_hr_l0",         "weight_ih_l0_reverse",
                           "weight_hh_l0_reverse", "bias_ih_l0_reverse",   "bias_hh_l0_reverse",
                           "weight_hr_l0_reverse", "weight_ih_l1",         "weight_hh_l1",
                           "bias_ih_l1",           "bias_hh_l1",           "weight_hr_l1",
                           "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse",
                           "bias_hh_l1_reverse",   "weight_hr_l1_reverse"});
        const auto p = lstm->named_parameters();
        CHECK_SHAPE(p["weight_ih_l0"], {16, 3});
        CHECK_SHAPE(p["weight_hh_l0"], {16, 2});
        CHECK_SHAPE(p["weight_hr_l0"], {2, 4});
        CHECK_SHAPE(p["weight_ih_l1_reverse"], {16, 4});
        CHECK(lstm->all_weights().size() == 20);
        nn::GRU gru(nn::GRUOptions(3, 4).bias(false));
        CHECK(gru->parameters().size() == 2);
        CHECK_SHAPE(gru->named_parameters()["weight_hh_l0"], {12, 4});
        nn::GRUCell cell(3, 4);
        CHECK_SHAPE(cell->weight_ih, {12, 3});
        CHECK_SHAPE(cell->bias_hh, {12});
    }

    TEST_CASE(
        "RNN, LSTM, GRU: initialised from U(-1/sqrt(hidden), 1/sqrt(hidden)), repeatable under "
        "manual_seed") {
        manual_seed(3);
        nn::LSTM a(nn::LSTMOptions(20, 25).num_layers(2));
        manual_seed(3);
        nn::LSTM b(nn::LSTMOptions(20, 25).num_layers(2));
        const double bound = 1.0 / std::sqrt(25.0);
        for (size_t i = 0; i < a->parameters().size(); ++i) {
            const Tensor w = a->parameters()[i];
            CHECK(w.equal(b->parameters()[i]));
            CHECK(w.abs().max().item<double>() <= bound);
        }
        const Tensor w = a->named_parameters()["weight_hh_l1"];  // 2500 draws
        CHECK(w.abs().max().item<double>() > 0.98 * bound);
        CHECK(std::abs(w.mean().item<double>()) < 0.01);
    }

    TEST_CASE("RNN, LSTM, GRU: dropout acts between layers while training only") {
        manual_seed(4);
        nn::GRU gru(nn::GRUOptions(3, 4).num_layers(2).dropout(0.5));
        const Tensor x = randn({5, 2, 3});
        gru->eval();
        auto [eval_out, eval_h] = gru(x);
        auto [eval_out2, eval_h2] = gru(x);
        CHECK(eval_out.equal(eval_out2));
        gru->train();
        auto [train_out, train_h] = gru(x);
        CHECK_FALSE(train_out.allclose(eval_out));
        // the first layer's final state does not see the dropout
        CHECK(train_h.select(0, 0).allclose(eval_h.select(0, 0)));
        CHECK_THROWS_CONTAINS(nn::GRU(nn::GRUOptions(3, 4).dropout(1.5)), std::invalid_argument,
                              "GRU: dropout must be in [0, 1]");
    }

    TEST_CASE("RNN, LSTM, GRU: truncated backpropagation with detach() of the carried state") {
        manual_seed(8);
        nn::LSTM lstm(3, 4);
        const Tensor x = randn({6, 2, 3});
        auto [out1, state1] = lstm(x.narrow(0, 0, 3));
        const auto carried =
            std::make_tuple(std::get<0>(state1).detach(), std::get<1>(state1).detach());
        auto [out2, state2] = lstm(x.narrow(0, 3, 3), carried);
        out2.sum().backward();
        // the second chunk's gradient reaches the weights but not the first chunk's graph
        CHECK(lstm->named_parameters()["weight_ih_l0"].grad().defined());
        CHECK_FALSE(std::get<0>(carried).requires_grad());
        // values equal those of one pass over the whole sequence
        auto [whole, unused] = lstm(x);
        CHECK(whole.narrow(0, 3, 3).allclose(out2));
    }

    TEST_CASE("RNN, LSTM, GRU: a wrong input feature size names the layer and the shapes") {
        nn::LSTM lstm(4, 5);
        CHECK_THROWS_CONTAINS(
            lstm(zeros({6, 3, 7})), std::invalid_argument,
            "LSTM: input has 7 features, expected input_size 4 (input is [6, 3, 7])");
        nn::GRU gru(4, 5);
        CHECK_THROWS_CONTAINS(gru(zeros({6, 3, 4, 1})), std::invalid_argument,
                              "GRU: input must be [T, B, input_size]", "[6, 3, 4, 1]");
        nn::RNNCell cell(4, 5);
        CHECK_THROWS_CONTAINS(
            cell(zeros({3, 2})), std::invalid_argument,
            "RNNCell: input has 2 features, expected input_size 4 (input is [3, 2])");
    }

    TEST_CASE("RNN, LSTM, GRU: an input of another dtype than the parameters raises") {
        nn::GRU gru(4, 5);
        CHECK_THROWS_CONTAINS(gru(zeros({6, 3, 4}, kFloat64)), std::invalid_argument,
                              "GRU: input is float64 but the parameters are float32");
        nn::LSTMCell cell(4, 5);
        CHECK_THROWS_CONTAINS(cell(zeros({3, 4}, kFloat64)), std::invalid_argument,
                              "LSTMCell: input is float64 but the parameters are float32");
    }

    TEST_CASE("RNN, LSTM, GRU: a wrong hx shape names the layer and both shapes") {
        nn::RNN rnn(nn::RNNOptions(4, 5).num_layers(2));
        CHECK_THROWS_CONTAINS(rnn(zeros({6, 3, 4}), zeros({1, 3, 5})), std::invalid_argument,
                              "RNN: h0 has shape [1, 3, 5], expected [2, 3, 5]");
        nn::LSTM lstm(nn::LSTMOptions(4, 5).bidirectional(true));
        CHECK_THROWS_CONTAINS(
            lstm(zeros({6, 3, 4}), std::make_tuple(zeros({2, 3, 5}), zeros({2, 3, 4}))),
            std::invalid_argument, "LSTM: c0 has shape [2, 3, 4], expected [2, 3, 5]");
        nn::LSTMCell cell(4, 5);
        CHECK_THROWS_CONTAINS(cell(zeros({3, 4}), std::make_tuple(zeros({2, 5}), zeros({3, 5}))),
                              std::invalid_argument,
                              "LSTMCell: hx has shape [2, 5], expected [3, 5]");
    }

    TEST_CASE("RNN, LSTM: bad options are refused") {
        CHECK_THROWS_CONTAINS(nn::RNN(nn::RNNOptions(4, 5).nonlinearity(kSigmoid)),
                              std::invalid_argument, "RNN: nonlinearity must be kTanh or kReLU");
        CHECK_THROWS_CONTAINS(
            nn::LSTM(nn::LSTMOptions(4, 5).proj_size(5)), std::invalid_argument,
            "LSTM: proj_size must be in [0, hidden_size), got 5 with hidden_size 5");
        CHECK_THROWS_CONTAINS(nn::GRU(nn::GRUOptions(4, 5).num_layers(0)), std::invalid_argument,
                              "GRU: num_layers must be at least 1, got 0");
    }

    TEST_CASE("RNN, LSTM, GRU: print their options") {
        std::ostringstream os;
        nn::LSTM(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true))->pretty_print(os);
        CHECK(os.str() == "LSTM(input_size=3, hidden_size=4, num_layers=2, bidirectional=true)");
    }
}

TEST_CASE("LSTM, GRUCell: clone() copies the weights deeply, and the copy runs on its own") {
    manual_seed(3);
    nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true));
    nn::GRUCell cell(3, 4);
    auto lstm_copy = std::dynamic_pointer_cast<nn::LSTMImpl>(lstm->clone());
    auto cell_copy = std::dynamic_pointer_cast<nn::GRUCellImpl>(cell->clone());
    REQUIRE(lstm_copy);
    REQUIRE(cell_copy);
    const Tensor x = randn({5, 2, 3});
    CHECK(std::get<0>(lstm->forward(x)).equal(std::get<0>(lstm_copy->forward(x))));
    CHECK(cell->forward(x[0]).equal(cell_copy->forward(x[0])));
    // the copy's parameters are its own: changing them leaves the original alone, and the
    // layer's forward reads the copy's changed weights
    {
        NoGradGuard no_grad;
        for (Tensor& p : lstm_copy->parameters()) p.add_(1.0);
    }
    CHECK_FALSE(std::get<0>(lstm->forward(x)).equal(std::get<0>(lstm_copy->forward(x))));
    CHECK(lstm_copy->named_parameters()["weight_ih_l1_reverse"].equal(
        lstm->named_parameters()["weight_ih_l1_reverse"] + 1.0));
}
