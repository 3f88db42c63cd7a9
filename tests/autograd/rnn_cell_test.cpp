// fused_lstm_cell and fused_lstm_sequence: the fused LSTM step and the fused LSTM direction
// against the composed ops, their first and second derivatives, and their errors.

#include "autograd/ops/rnn_cell.hpp"

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

// fused_lstm_sequence's recurrence with sigmoid, tanh and matmul alone: (output, h_n, c_n)
std::vector<Tensor> lstm_sequence_reference(const Tensor& xw, const Tensor& h0, const Tensor& c0,
                                            const Tensor& w_hh, bool reverse) {
    const int64_t T = xw.size(0);
    std::vector<Tensor> outputs(static_cast<size_t>(T));
    Tensor h = h0, c = c0;
    for (int64_t k = 0; k < T; ++k) {
        const int64_t t = reverse ? T - 1 - k : k;
        const auto g = (xw.select(0, t) + matmul(h, w_hh.t())).chunk(4, 1);
        c = sigmoid(g[1]) * c + sigmoid(g[0]) * tanh(g[2]);
        h = sigmoid(g[3]) * tanh(c);
        outputs[static_cast<size_t>(t)] = h;
    }
    return {stack(outputs, 0), h, c};
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
                const TensorOptions req = TensorOptions(dt).requires_grad(true);
                const Tensor xw = randn({5, 3, 8}, req), h0 = randn({3, 2}, req),
                             c0 = randn({3, 2}, req),
                             w = (0.5 * randn({8, 2}, dt)).requires_grad_();
                const std::vector<Tensor> in{xw, h0, c0, w};
                auto [out, h_n, c_n] = fused_lstm_sequence(xw, h0, c0, w, reverse);
                const std::vector<Tensor> ref = lstm_sequence_reference(xw, h0, c0, w, reverse);
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
                auto [out, h_n, c_n] = fused_lstm_sequence(in[0], in[1], in[2], in[3], reverse);
                return cat({out.flatten(), 1.5 * h_n.flatten(), c_n.flatten()}, 0);
            };
            CHECK_GRADIENTS(fn, {randn({4, 2, 8}, f64()), randn({2, 2}, f64()),
                                 randn({2, 2}, f64()), randn({8, 2}, f64())});
            CHECK_GRADGRADIENTS(fn, {randn({3, 2, 4}, f64()), randn({2, 1}, f64()),
                                     randn({2, 1}, f64()), randn({4, 1}, f64())});
        }
    }

    TEST_CASE("fused_lstm_sequence: a state that needs no gradient gets none") {
        manual_seed(15);
        const Tensor xw = randn({3, 2, 8}).requires_grad_(), w = randn({8, 2}).requires_grad_();
        auto [out, h_n, c_n] = fused_lstm_sequence(xw, zeros({2, 2}), zeros({2, 2}), w);
        (out.sum() + c_n.sum()).backward();
        CHECK_SHAPE(xw.grad(), {3, 2, 8});
        CHECK_SHAPE(w.grad(), {8, 2});
        CHECK(xw.grad().abs().sum().item<double>() > 0);
    }

    TEST_CASE("fused_lstm_sequence: rejects inconsistent shapes and dtypes, naming them") {
        CHECK_THROWS_CONTAINS(
            fused_lstm_sequence(zeros({3, 2, 7}), zeros({2, 2}), zeros({2, 2}), zeros({8, 2})),
            std::invalid_argument,
            "fused_lstm_sequence: expected xw [T, B, 4H], h0 and c0 [B, H], weight_hh [4H, H]",
            "got xw [3, 2, 7], h0 [2, 2], c0 [2, 2], weight_hh [8, 2]");
        CHECK_THROWS_CONTAINS(
            fused_lstm_sequence(zeros({0, 2, 8}), zeros({2, 2}), zeros({2, 2}), zeros({8, 2})),
            std::invalid_argument, "T, B, H > 0");
        CHECK_THROWS_CONTAINS(fused_lstm_sequence(zeros({3, 2, 8}), zeros({2, 2}), zeros({2, 2}),
                                                  zeros({8, 2}, kFloat64)),
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
