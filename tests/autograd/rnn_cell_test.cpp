// fused_lstm_cell and fused_lstm_sequence: the fused LSTM step and the fused LSTM direction
// against the composed ops, their first and second derivatives, and their errors.

#include "autograd/ops/rnn_cell.hpp"

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

// fused_lstm_sequence's recurrence with linear, sigmoid and tanh alone: (output, h_n, c_n)
std::vector<Tensor> lstm_sequence_reference(const std::vector<Tensor>& in, bool reverse) {
    const Tensor &x = in[0], &w_ih = in[3], &w_hh = in[4], &b_ih = in[5], &b_hh = in[6];
    const int64_t T = x.size(0);
    std::vector<Tensor> outputs(static_cast<size_t>(T));
    Tensor h = in[1], c = in[2];
    for (int64_t k = 0; k < T; ++k) {
        const int64_t t = reverse ? T - 1 - k : k;
        const auto g = (linear(x[t], w_ih, b_ih) + linear(h, w_hh, b_hh)).chunk(4, 1);
        c = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
        h = sigmoid(g[3]) * tanh(c);
        outputs[static_cast<size_t>(t)] = h;
    }
    return {stack(outputs, 0), h, c};
}

// input [T, B, I], h0, c0 [B, H], weight_ih, weight_hh, bias_ih, bias_hh
std::vector<Tensor> sequence_inputs(int64_t T, int64_t B, int64_t I, int64_t H,
                                    TensorOptions options) {
    return {randn({T, B, I}, options),  randn({B, H}, options),     randn({B, H}, options),
            randn({4 * H, I}, options), randn({4 * H, H}, options), randn({4 * H}, options),
            randn({4 * H}, options)};
}

std::tuple<Tensor, Tensor, Tensor> run_sequence(const std::vector<Tensor>& in, bool reverse) {
    return fused_lstm_sequence(in[0], in[1], in[2], in[3], in[4], in[5], in[6], reverse);
}

}  // namespace

TEST_SUITE("ops/rnn_cell") {
    TEST_CASE("fused_lstm_cell: equals the composed sigmoid/tanh ops, in float32 and float64") {
        manual_seed(11);
        for (ScalarType dt : {kFloat64, kFloat32}) {
            const Tensor gates = randn({3, 8}, dt) * 2.0, c = randn({3, 2}, dt);
            auto [h1, c1] = fused_lstm_cell(gates, c);
            const auto g = gates.chunk(4, 1);
            const Tensor c_ref = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
            const Tensor h_ref = sigmoid(g[3]) * tanh(c_ref);
            CHECK(c1.allclose(c_ref, 1e-6, 1e-6));
            CHECK(h1.allclose(h_ref, 1e-6, 1e-6));
            CHECK_SHAPE(h1, {3, 2});
        }
    }

    TEST_CASE("fused_lstm_cell: gradients match finite differences, and second derivatives too") {
        manual_seed(12);
        auto fn = [](const std::vector<Tensor>& in) {
            auto [h, c] = fused_lstm_cell(in[0], in[1]);
            return cat({h * 1.5, c}, 1);  // both outputs, weighted differently
        };
        CHECK_GRADIENTS(fn, {randn({3, 8}, f64()), randn({3, 2}, f64())});
        CHECK_GRADGRADIENTS(fn, {randn({2, 4}, f64()), randn({2, 1}, f64())});
    }

    TEST_CASE(
        "fused_lstm_sequence: values and gradients equal the composed ops, both directions, "
        "float32 and float64") {
        manual_seed(13);
        for (ScalarType dt : {kFloat64, kFloat32}) {
            const double tol = dt == kFloat64 ? 1e-12 : 1e-6;
            for (bool reverse : {false, true}) {
                CAPTURE(reverse);
                const std::vector<Tensor> in =
                    sequence_inputs(5, 3, 3, 2, TensorOptions(dt).requires_grad(true));
                auto [out, h_n, c_n] = run_sequence(in, reverse);
                const std::vector<Tensor> ref = lstm_sequence_reference(in, reverse);
                CHECK(out.allclose(ref[0], tol, tol));
                CHECK(h_n.allclose(ref[1], tol, tol));
                CHECK(c_n.allclose(ref[2], tol, tol));
                // weights on every output so that each gradient path counts
                const Tensor r0 = randn({5, 3, 2}, dt), r1 = randn({3, 2}, dt),
                             r2 = randn({3, 2}, dt);
                const tensor_list got =
                    autograd::grad({(out * r0).sum() + (h_n * r1).sum() + (c_n * r2).sum()}, in);
                const tensor_list want = autograd::grad(
                    {(ref[0] * r0).sum() + (ref[1] * r1).sum() + (ref[2] * r2).sum()}, in);
                for (size_t i = 0; i < in.size(); ++i) {
                    CAPTURE(i);
                    CHECK(got[i].allclose(want[i], tol, tol));
                }
            }
        }
    }

    TEST_CASE(
        "fused_lstm_sequence: gradients match finite differences, and second derivatives too") {
        manual_seed(14);
        for (bool reverse : {false, true}) {
            CAPTURE(reverse);
            auto fn = [reverse](const std::vector<Tensor>& in) {
                auto [out, h_n, c_n] = run_sequence(in, reverse);
                return cat({out.flatten(), 1.5 * h_n.flatten(), c_n.flatten()}, 0);
            };
            CHECK_GRADIENTS(fn, sequence_inputs(4, 2, 3, 2, f64()));
            CHECK_GRADGRADIENTS(fn, sequence_inputs(3, 2, 2, 1, f64()));
        }
    }

    TEST_CASE("fused_lstm_sequence: without biases, and with only some inputs needing gradients") {
        manual_seed(15);
        const Tensor x = randn({3, 2, 3}), w_ih = randn({8, 3}).requires_grad_(),
                     w_hh = randn({8, 2}).requires_grad_();
        auto [out, h_n, c_n] = fused_lstm_sequence(x, zeros({2, 2}), zeros({2, 2}), w_ih, w_hh);
        const std::vector<Tensor> ref = lstm_sequence_reference(
            {x, zeros({2, 2}), zeros({2, 2}), w_ih, w_hh, Tensor(), Tensor()}, false);
        CHECK(out.allclose(ref[0], 1e-6, 1e-6));
        // only c_n used: output and h_n get no gradient
        const tensor_list got = autograd::grad({c_n.sum()}, {w_ih, w_hh});
        const tensor_list want = autograd::grad({ref[2].sum()}, {w_ih, w_hh});
        CHECK(got[0].allclose(want[0], 1e-6, 1e-6));
        CHECK(got[1].allclose(want[1], 1e-6, 1e-6));
        CHECK(got[0].abs().sum().item<double>() > 0);
    }

    TEST_CASE("fused_lstm_sequence: rejects inconsistent shapes and dtypes, naming them") {
        CHECK_THROWS_CONTAINS(fused_lstm_sequence(zeros({3, 2, 4}), zeros({2, 2}), zeros({2, 2}),
                                                  zeros({7, 4}), zeros({8, 2})),
                              std::invalid_argument,
                              "fused_lstm_sequence: expected input [T, B, I], h0 and c0 [B, H], "
                              "weight_ih [4H, I]",
                              "got input [3, 2, 4], h0 [2, 2], c0 [2, 2], weight_ih [7, 4], "
                              "weight_hh [8, 2], bias_ih undefined");
        CHECK_THROWS_CONTAINS(fused_lstm_sequence(zeros({0, 2, 4}), zeros({2, 2}), zeros({2, 2}),
                                                  zeros({8, 4}), zeros({8, 2})),
                              std::invalid_argument, "T, B, I, H > 0");
        CHECK_THROWS_CONTAINS(fused_lstm_sequence(zeros({3, 2, 4}), zeros({2, 2}), zeros({2, 2}),
                                                  zeros({8, 4}), zeros({8, 2}, kFloat64)),
                              std::invalid_argument, "same floating dtype");
    }

    TEST_CASE("fused_lstm_cell: rejects gates that are not [B, 4H] for c [B, H]") {
        CHECK_THROWS_CONTAINS(
            fused_lstm_cell(zeros({3, 7}), zeros({3, 2})), std::invalid_argument,
            "fused_lstm_cell: gates must be [B, 4H] and c [B, H], got gates [3, 7] and c [3, 2]");
        CHECK_THROWS_CONTAINS(fused_lstm_cell(zeros({3, 8}), zeros({3, 2}, kFloat64)),
                              std::invalid_argument, "same floating dtype");
    }
}
