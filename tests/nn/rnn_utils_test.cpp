// nn::utils::rnn: pad_sequence, pack_padded_sequence, pad_packed_sequence, PackedSequence, and
// the recurrent layers on packed batches against LibTorch's values (tests/golden/rnn_golden.txt).

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/nn/rnn_golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace rnn_utils = tapegrad::nn::utils::rnn;

namespace {

// (padded output, h_n[, c_n]) of a layer run on x [T, B, I] packed with `lengths`
template <class Layer>
RNNGoldenCall packed_call(Layer& layer, std::vector<int64_t> lengths, bool enforce_sorted) {
    return [&layer, lengths, enforce_sorted](const Tensor& x, const std::vector<Tensor>& s) {
        const auto packed = rnn_utils::pack_padded_sequence(
            x, make_i64(lengths, {int64_t(lengths.size())}), false, enforce_sorted);
        std::vector<Tensor> results;
        if constexpr (std::is_same_v<Layer, nn::LSTM>) {
            auto [out, hc] = layer->forward_with_packed_input(packed, std::make_tuple(s[0], s[1]));
            results = {std::get<0>(rnn_utils::pad_packed_sequence(out)), std::get<0>(hc),
                       std::get<1>(hc)};
        } else {
            auto [out, h] = layer->forward_with_packed_input(packed, s[0]);
            results = {std::get<0>(rnn_utils::pad_packed_sequence(out)), h};
        }
        return results;
    };
}

}  // namespace

TEST_SUITE("nn/rnn_utils") {
    TEST_CASE("LSTM: a packed unsorted batch through two bidirectional layers matches LibTorch") {
        nn::LSTM lstm(nn::LSTMOptions(4, 5).num_layers(2).bidirectional(true));
        check_rnn_golden("lstm_packed_unsorted_bidirectional", *lstm, 2,
                         packed_call(lstm, {3, 6, 1, 4}, false));
    }

    TEST_CASE("GRU, RNN: packed batches, sorted and unsorted, match LibTorch") {
        nn::GRU gru(nn::GRUOptions(4, 5).bidirectional(true));
        check_rnn_golden("gru_packed_sorted", *gru, 1, packed_call(gru, {6, 4, 4, 2}, true));
        nn::RNN rnn(4, 5);
        check_rnn_golden("rnn_packed_unsorted", *rnn, 1, packed_call(rnn, {2, 5, 3}, false));
    }

    TEST_CASE("LSTM, GRU: gradients through a packed unsorted batch match finite differences") {
        manual_seed(10);
        nn::LSTM lstm(nn::LSTMOptions(2, 2).bidirectional(true));
        nn::GRU gru(nn::GRUOptions(2, 2).num_layers(2));
        lstm->to(kFloat64);
        gru->to(kFloat64);
        const Tensor lengths = make_i64({2, 4, 1}, {3});
        auto lstm_fn = [&](const std::vector<Tensor>& in) {
            auto packed = rnn_utils::pack_padded_sequence(in[0], lengths, false, false);
            auto [out, hc] = lstm->forward_with_packed_input(packed, std::make_tuple(in[1], in[2]));
            return flat({std::get<0>(rnn_utils::pad_packed_sequence(out)), std::get<0>(hc),
                         std::get<1>(hc)});
        };
        auto gru_fn = [&](const std::vector<Tensor>& in) {
            auto packed = rnn_utils::pack_padded_sequence(in[0], lengths, false, false);
            auto [out, h] = gru->forward_with_packed_input(packed, in[1]);
            return flat({std::get<0>(rnn_utils::pad_packed_sequence(out)), h});
        };
        const Tensor x = randn({4, 3, 2}, f64());
        std::vector<Tensor> lstm_in{x, randn({2, 3, 2}, f64()), randn({2, 3, 2}, f64())};
        for (const Tensor& p : lstm->parameters()) lstm_in.push_back(p);
        CHECK_GRADIENTS(lstm_fn, lstm_in);
        std::vector<Tensor> gru_in{x, randn({2, 3, 2}, f64())};
        for (const Tensor& p : gru->parameters()) gru_in.push_back(p);
        CHECK_GRADIENTS(gru_fn, gru_in);
    }

    TEST_CASE(
        "pack_padded_sequence: packs step by step and pad_packed_sequence restores the batch") {
        // x[t, b] = 10 t + b; lengths 2, 3, 1 (unsorted)
        Tensor x = make_f64({0, 1, 2, 10, 11, 12, 20, 21, 22}, {3, 3, 1});
        auto packed = rnn_utils::pack_padded_sequence(x, make_i64({2, 3, 1}, {3}), false, false);
        CHECK(packed.batch_sizes().to_vector<int64_t>() == std::vector<int64_t>{3, 2, 1});
        CHECK(packed.sorted_indices().to_vector<int64_t>() == std::vector<int64_t>{1, 0, 2});
        CHECK(packed.unsorted_indices().to_vector<int64_t>() == std::vector<int64_t>{1, 0, 2});
        CHECK_VALUES(packed.data(), {1, 0, 2, 11, 10, 21});
        auto [padded, lengths] =
            rnn_utils::pad_packed_sequence(packed, /*batch_first=*/true, -1.0, 4);
        CHECK_SHAPE(padded, {3, 4, 1});
        CHECK_VALUES(padded, {0, 10, -1, -1, 1, 11, 21, -1, 2, -1, -1, -1});
        CHECK(lengths.to_vector<int64_t>() == std::vector<int64_t>{2, 3, 1});
    }

    TEST_CASE("pack_padded_sequence: gradient reaches the padded input, zero at the padding") {
        Tensor x = randn({3, 2, 2}, f64());
        auto pack = [](const std::vector<Tensor>& in) {
            return rnn_utils::pack_padded_sequence(in[0], make_i64({3, 1}, {2})).data();
        };
        CHECK_GRADIENTS(pack, {x});
        rnn_utils::pack_padded_sequence(x, make_i64({3, 1}, {2})).data().sum().backward();
        CHECK_VALUES(x.grad(), {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0});
    }

    TEST_CASE(
        "RNN, LSTM, GRU: with a packed batch, outputs past each length are zero and h_n is each "
        "sequence's last state") {
        manual_seed(9);
        nn::LSTM lstm(3, 4);
        const Tensor x = randn({5, 3, 3});
        const std::vector<int64_t> lengths{2, 5, 3};
        auto [out, hc] = lstm->forward_with_packed_input(
            rnn_utils::pack_padded_sequence(x, make_i64(lengths, {3}), false, false));
        auto [padded, unused] = rnn_utils::pad_packed_sequence(out);
        for (int64_t b = 0; b < 3; ++b) {
            const int64_t n = lengths[static_cast<size_t>(b)];
            // the sequence alone gives the same states
            auto [alone, alone_hc] = lstm(x.narrow(0, 0, n).narrow(1, b, 1));
            CHECK(padded.narrow(0, 0, n).narrow(1, b, 1).allclose(alone, 1e-5, 1e-6));
            CHECK(std::get<0>(hc).narrow(1, b, 1).allclose(std::get<0>(alone_hc), 1e-5, 1e-6));
            CHECK(std::get<1>(hc).narrow(1, b, 1).allclose(std::get<1>(alone_hc), 1e-5, 1e-6));
            if (n < 5)
                CHECK(padded.narrow(0, n, 5 - n).narrow(1, b, 1).abs().max().item<double>() == 0.0);
        }
    }

    TEST_CASE("pad_sequence: stacks sequences of different lengths, time-major or batch_first") {
        const Tensor a = make_f64({1, 2, 3}, {3, 1}), b = make_f64({4}, {1, 1});
        const Tensor tm = rnn_utils::pad_sequence({a, b});
        CHECK_SHAPE(tm, {3, 2, 1});
        CHECK_VALUES(tm, {1, 4, 2, 0, 3, 0});
        const Tensor bf = rnn_utils::pad_sequence({a, b}, true, 9.0);
        CHECK_SHAPE(bf, {2, 3, 1});
        CHECK_VALUES(bf, {1, 2, 3, 4, 9, 9});
        auto packed = rnn_utils::pack_sequence({a, b});
        CHECK_VALUES(packed.data(), {1, 4, 2, 3});
        CHECK_THROWS_CONTAINS(rnn_utils::pad_sequence({a, make_f64({1, 2}, {1, 2})}),
                              std::invalid_argument,
                              "pad_sequence: sequence 1 has shape [1, 2], sequence 0 has [3, 1]");
    }

    TEST_CASE(
        "pack_padded_sequence: unsorted lengths with enforce_sorted raise, as do lengths out of "
        "range") {
        const Tensor x = zeros({4, 3, 2});
        CHECK_THROWS_CONTAINS(
            rnn_utils::pack_padded_sequence(x, make_i64({2, 4, 1}, {3})), std::invalid_argument,
            "pack_padded_sequence: lengths [2, 4, 1] must be sorted in decreasing order",
            "enforce_sorted=false");
        CHECK_THROWS_CONTAINS(rnn_utils::pack_padded_sequence(x, make_i64({5, 4, 1}, {3})),
                              std::invalid_argument,
                              "pack_padded_sequence: length 5 of sequence 0 is outside [1, 4]");
        CHECK_THROWS_CONTAINS(rnn_utils::pack_padded_sequence(x, make_i64({4, 1}, {2})),
                              std::invalid_argument, "one entry per sequence (3), got [2]");
    }

    TEST_CASE("PackedSequence: rejects batch sizes that grow or do not match the data") {
        CHECK_THROWS_CONTAINS(
            rnn_utils::PackedSequence(zeros({5, 2}), make_i64({2, 3}, {2})), std::invalid_argument,
            "PackedSequence: batch_sizes [2, 3] must be positive and non-increasing");
        CHECK_THROWS_CONTAINS(rnn_utils::PackedSequence(zeros({4, 2}), make_i64({3, 2}, {2})),
                              std::invalid_argument,
                              "batch_sizes [3, 2] add up to 5 rows, data is [4, 2]");
    }

    TEST_CASE("LSTM: a packed batch with the wrong feature size or h0 shape raises") {
        nn::LSTM lstm(3, 4);
        auto packed = rnn_utils::pack_padded_sequence(zeros({4, 2, 5}), make_i64({4, 2}, {2}));
        CHECK_THROWS_CONTAINS(lstm->forward_with_packed_input(packed), std::invalid_argument,
                              "LSTM: packed data must be [rows, input_size 3], got [6, 5]");
        auto good = rnn_utils::pack_padded_sequence(zeros({4, 2, 3}), make_i64({4, 2}, {2}));
        CHECK_THROWS_CONTAINS(lstm->forward_with_packed_input(
                                  good, std::make_tuple(zeros({1, 3, 4}), zeros({1, 3, 4}))),
                              std::invalid_argument,
                              "LSTM: h0 has shape [1, 3, 4], expected [1, 2, 4]");
    }
}
