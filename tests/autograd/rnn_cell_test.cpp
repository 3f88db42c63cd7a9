// fused_lstm_cell: the fused element-wise part of an LSTM step against the composed ops, its
// first and second derivatives, and its errors.

#include "autograd/ops/rnn_cell.hpp"

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

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

    TEST_CASE("fused_lstm_cell: rejects gates that are not [B, 4H] for c [B, H]") {
        CHECK_THROWS_CONTAINS(
            fused_lstm_cell(zeros({3, 7}), zeros({3, 2})), std::invalid_argument,
            "fused_lstm_cell: gates must be [B, 4H] and c [B, H], got gates [3, 7] and c [3, 2]");
        CHECK_THROWS_CONTAINS(fused_lstm_cell(zeros({3, 8}), zeros({3, 2}, kFloat64)),
                              std::invalid_argument, "same floating dtype");
    }
}
