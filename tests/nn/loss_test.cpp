// Losses: PyTorch golden values and gradients, gradient checks in float64, reductions,
// options, stability, and one case per error.

#include <cmath>
#include <limits>
#include <sstream>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/nn/golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

namespace {
const GoldenCase& golden(const std::string& name) {
    for (const GoldenCase& c : golden_cases())
        if (c.name == name) return c;
    throw std::runtime_error("no golden case " + name);
}

// Runs a golden loss case: the forward value, then backward(gout) into each listed gradient.
void check_golden(const std::string& name,
                  const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                  const std::vector<Tensor>& extra = {}) {
    const GoldenCase& c = golden(name);
    INFO("golden case ", c.name, ": ", c.op);
    std::vector<Tensor> in;
    for (size_t i = 0; i < c.inputs.size(); ++i)
        in.push_back(make_f64(c.inputs[i].values, c.inputs[i].shape, c.has_grad[i]));
    for (const Tensor& t : extra) in.push_back(t);
    const Tensor out = fn(in);
    CHECK(out.sizes() == c.out.shape);
    CHECK_VALUES(out, c.out.values, 1e-12, 1e-14);
    out.backward(make_f64(c.gout, c.out.shape));
    for (size_t i = 0; i < c.inputs.size(); ++i)
        if (c.has_grad[i]) CHECK_VALUES(in[i].grad(), c.grads[i], 1e-10, 1e-14);
}

// The golden file's class targets.
Tensor targets() {
    return make_i64({2, 0, 1, 2}, {4});
}
}  // namespace

TEST_SUITE("nn/functional/loss") {
    TEST_CASE(
        "mse_loss, binary_cross_entropy(_with_logits), cross_entropy, nll_loss: match PyTorch") {
        check_golden("mse_loss", [](const auto& in) { return mse_loss(in[0], in[1]); });
        check_golden("binary_cross_entropy",
                     [](const auto& in) { return binary_cross_entropy(in[0], in[1]); });
        check_golden("binary_cross_entropy_with_logits",
                     [](const auto& in) { return binary_cross_entropy_with_logits(in[0], in[1]); });
        check_golden("cross_entropy",
                     [](const auto& in) { return cross_entropy(in[0], targets()); });
        check_golden("nll_loss",
                     [](const auto& in) { return nll_loss(log_softmax(in[0], 1), targets()); });
    }

    TEST_CASE("mse_loss and l1_loss: reductions none, sum and mean") {
        Tensor a = tensor({1.0, -2.0, 3.0}, kFloat64);
        Tensor b = tensor({0.0, 0.0, 1.0}, kFloat64);
        CHECK_VALUES(mse_loss(a, b, kNone), {1.0, 4.0, 4.0});
        CHECK_VALUES(mse_loss(a, b, F::MSELossFuncOptions().reduction(kSum)), {9.0});
        CHECK_VALUES(mse_loss(a, b), {3.0});
        CHECK_VALUES(l1_loss(a, b, kNone), {1.0, 2.0, 2.0});
        CHECK_VALUES(l1_loss(a, b, kSum), {5.0});
        CHECK_VALUES(F::l1_loss(a, b), {5.0 / 3.0});
    }

    TEST_CASE("mse_loss, l1_loss, binary_cross_entropy: gradients match finite differences") {
        auto mse = [](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], kNone); };
        CHECK_GRADIENTS(mse, {grid({2, 3}), grid({2, 3}, 0.5, 0.1)});
        auto l1 = [](const std::vector<Tensor>& in) { return l1_loss(in[0], in[1], kSum); };
        CHECK_GRADIENTS(l1, {grid({2, 3}), grid({2, 3}, 0.5, 0.1)});
        auto bce = [](const std::vector<Tensor>& in) {
            return binary_cross_entropy(in[0], in[1],
                                        F::BinaryCrossEntropyFuncOptions().weight(in[2]));
        };
        CHECK_GRADIENTS(
            bce, {grid({2, 3}, 0.4, 0.5), grid({2, 3}, 0.3, 0.5), grid({3}, 1.0, 2.0, false)});
    }

    TEST_CASE("binary_cross_entropy: the fused gradient is itself differentiable") {
        auto bce = [](const std::vector<Tensor>& in) {
            return binary_cross_entropy(in[0], in[1], kNone);
        };
        CHECK_GRADGRADIENTS(bce, {grid({2, 3}, 0.4, 0.5), grid({2, 3}, 0.3, 0.5, false)});
    }

    TEST_CASE(
        "binary_cross_entropy: probabilities of exactly 0 and 1 give finite losses and gradients") {
        Tensor x = tensor({0.0, 1.0, 0.0, 1.0}, kFloat64).requires_grad_();
        Tensor t = tensor({0.0, 1.0, 1.0, 0.0}, kFloat64);
        Tensor loss = binary_cross_entropy(x, t, kNone);
        CHECK_VALUES(loss, {0.0, 0.0, 100.0, 100.0});
        loss.sum().backward();
        for (double g : x.grad().to_vector<double>()) CHECK(std::isfinite(g));
    }

    TEST_CASE(
        "binary_cross_entropy_with_logits: equals binary_cross_entropy of the sigmoid, with "
        "pos_weight") {
        Tensor x = grid({2, 3}, 3.0);
        Tensor t = grid({2, 3}, 0.4, 0.5, false);
        Tensor pw = tensor({1.0, 2.0, 0.5}, kFloat64);
        Tensor p = sigmoid(x.detach());
        Tensor expected = -(pw * t * log(p) + (1.0 - t) * log(1.0 - p));
        CHECK(binary_cross_entropy_with_logits(
                  x, t, F::BinaryCrossEntropyWithLogitsFuncOptions(kNone).pos_weight(pw))
                  .allclose(expected, 1e-12, 1e-14));
        auto f = [&](const std::vector<Tensor>& in) {
            return binary_cross_entropy_with_logits(
                in[0], in[1], F::BinaryCrossEntropyWithLogitsFuncOptions(kSum).pos_weight(pw));
        };
        CHECK_GRADIENTS(f, {x, grid({2, 3}, 0.4, 0.5)});
    }

    TEST_CASE("binary_cross_entropy_with_logits: is finite for huge logits and smooth at 0") {
        Tensor x = tensor({1000.0, -1000.0, 0.0}, kFloat64).requires_grad_();
        Tensor t = tensor({0.0, 1.0, 1.0}, kFloat64);
        Tensor loss = binary_cross_entropy_with_logits(x, t, kNone);
        CHECK_VALUES(loss, {1000.0, 1000.0, std::log(2.0)}, 1e-12);
        loss.sum().backward();
        // d/dx = sigmoid(x) - t
        CHECK_VALUES(x.grad(), {1.0, -1.0, -0.5});
    }

    TEST_CASE("cross_entropy: the fused gradient matches finite differences, with every option") {
        auto plain = [](const std::vector<Tensor>& in) { return cross_entropy(in[0], targets()); };
        CHECK_GRADIENTS(plain, {grid({4, 3}, 2.0)});
        Tensor w = tensor({0.5, 2.0, 1.0}, kFloat64);
        for (Reduction r : {kNone, kSum, kMean}) {
            auto full = [&](const std::vector<Tensor>& in) {
                return cross_entropy(in[0], make_i64({2, -100, 1, 0}, {4}),
                                     F::CrossEntropyFuncOptions(r).weight(w).label_smoothing(0.2));
            };
            CHECK_GRADIENTS(full, {grid({4, 3}, 2.0)});
        }
    }

    TEST_CASE("cross_entropy: the fused gradient is itself differentiable") {
        auto f = [](const std::vector<Tensor>& in) {
            return cross_entropy(in[0], targets(),
                                 F::CrossEntropyFuncOptions().label_smoothing(0.1));
        };
        CHECK_GRADGRADIENTS(f, {grid({4, 3}, 2.0)});
    }

    TEST_CASE("cross_entropy: label smoothing and weights match the composed formula") {
        Tensor x = grid({4, 3}, 2.0, 0.0, false);
        Tensor w = tensor({0.5, 2.0, 1.0}, kFloat64);
        const double s = 0.2;
        Tensor one_hot = make_f64({0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, {4, 3});
        Tensor target = one_hot * (1.0 - s) + s / 3.0;
        Tensor logp = log_softmax(x, 1);
        // PyTorch: the weighted sum of both terms over the sum of the targets' weights
        Tensor per_row = -(target * logp * w).sum(1);
        const double wsum = 1.0 + 0.5 + 2.0 + 1.0;
        const double expected = per_row.sum().item<double>() / wsum;
        const Tensor got =
            cross_entropy(x, targets(), F::CrossEntropyFuncOptions().weight(w).label_smoothing(s));
        CHECK(got.item<double>() == doctest::Approx(expected).epsilon(1e-12));
    }

    TEST_CASE("cross_entropy: ignore_index drops samples from the loss and the mean") {
        Tensor x = grid({4, 3}, 2.0, 0.0, false);
        Tensor per = cross_entropy(x, targets(), kNone);
        Tensor ignored = cross_entropy(x, make_i64({2, -100, 1, -100}, {4}), kNone);
        const std::vector<double> p = per.to_vector<double>();
        CHECK_VALUES(ignored, {p[0], 0.0, p[2], 0.0});
        CHECK(cross_entropy(x, make_i64({2, 7, 1, 7}, {4}),
                            F::CrossEntropyFuncOptions().ignore_index(7))
                  .item<double>() == doctest::Approx((p[0] + p[2]) / 2).epsilon(1e-12));
    }

    TEST_CASE("cross_entropy: probability targets give the same loss as their class indices") {
        Tensor x = grid({4, 3}, 2.0);
        Tensor one_hot = make_f64({0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1}, {4, 3});
        CHECK(cross_entropy(x, one_hot).item<double>() ==
              doctest::Approx(cross_entropy(x, targets()).item<double>()).epsilon(1e-12));
        auto f = [&](const std::vector<Tensor>& in) {
            return cross_entropy(in[0], in[1], F::CrossEntropyFuncOptions().label_smoothing(0.1));
        };
        CHECK_GRADIENTS(
            f, {grid({4, 3}, 2.0), softmax(grid({4, 3}, 1.0, 0.0, false), 1).requires_grad_()});
    }

    TEST_CASE("cross_entropy: huge logits give finite losses and gradients in float32") {
        Tensor x = tensor({{1e4f, 0.0f, -1e4f}, {-3e4f, 3e4f, 0.0f}}).requires_grad_();
        Tensor loss = cross_entropy(x, make_i64({2, 1}, {2}));
        CHECK(std::isfinite(loss.item<double>()));
        CHECK(loss.item<double>() == doctest::Approx(1e4));  // (2e4 + 0) / 2
        loss.backward();
        for (float g : x.grad().to_vector<float>()) CHECK(std::isfinite(g));
        CHECK_VALUES_F32(x.grad(), {0.5, 0.0, -0.5, 0.0, 0.0, 0.0});
    }

    TEST_CASE("nll_loss: weights and reductions") {
        Tensor logp = make_f64({-1.0, -2.0, -3.0, -0.5}, {2, 2});
        Tensor t = make_i64({1, 0}, {2});
        CHECK_VALUES(nll_loss(logp, t, kNone), {2.0, 3.0});
        CHECK_VALUES(nll_loss(logp, t, kSum), {5.0});
        Tensor w = tensor({1.0, 3.0}, kFloat64);
        // (3*2 + 1*3) / (3 + 1)
        CHECK_VALUES(nll_loss(logp, t, F::NLLLossFuncOptions().weight(w)), {9.0 / 4.0});
        auto f = [&](const std::vector<Tensor>& in) {
            return nll_loss(in[0], make_i64({1, -100}, {2}), F::NLLLossFuncOptions().weight(w));
        };
        CHECK_GRADIENTS(f, {grid({2, 2})});
    }

    TEST_CASE("loss modules: forward to their functions with their options") {
        Tensor x = grid({4, 3}, 2.0, 0.0, false);
        nn::CrossEntropyLoss ce(nn::CrossEntropyLossOptions().label_smoothing(0.1));
        CHECK(ce(x, targets())
                  .allclose(cross_entropy(x, targets(),
                                          F::CrossEntropyFuncOptions().label_smoothing(0.1))));
        CHECK(nn::NLLLoss()(log_softmax(x, 1), targets()).allclose(cross_entropy(x, targets())));
        CHECK(nn::MSELoss(kSum)(x, zeros_like(x)).allclose((x * x).sum()));
        CHECK(nn::L1Loss()(x, zeros_like(x)).allclose(x.abs().mean()));
        Tensor p = sigmoid(x);
        Tensor t = grid({4, 3}, 0.4, 0.5, false);
        CHECK(nn::BCELoss()(p, t).allclose(nn::BCEWithLogitsLoss()(x, t), 1e-10));
    }

    TEST_CASE(
        "mse_loss, l1_loss, binary_cross_entropy(_with_logits): reject a target of another shape") {
        CHECK_THROWS_CONTAINS(mse_loss(ones({4, 1}), ones({4})), std::invalid_argument,
                              "mse_loss: target shape [4] differs from input shape [4, 1]");
        CHECK_THROWS_CONTAINS(l1_loss(ones({2}), ones({3})), std::invalid_argument,
                              "l1_loss: target shape");
        CHECK_THROWS_CONTAINS(binary_cross_entropy(ones({2}), ones({3})), std::invalid_argument,
                              "binary_cross_entropy: target shape");
        CHECK_THROWS_CONTAINS(binary_cross_entropy_with_logits(ones({2}), ones({3})),
                              std::invalid_argument,
                              "binary_cross_entropy_with_logits: target shape");
    }

    TEST_CASE("binary_cross_entropy: rejects inputs outside [0, 1]") {
        CHECK_THROWS_CONTAINS(binary_cross_entropy(tensor({0.5, 1.5}), ones({2})),
                              std::invalid_argument,
                              "binary_cross_entropy: input 1.5 at flat index 1 is outside [0, 1]");
    }

    TEST_CASE("cross_entropy: rejects a target out of range, naming the batch index") {
        CHECK_THROWS_CONTAINS(
            cross_entropy(zeros({4, 10}), make_i64({0, 1, 2, 12}, {4})), std::invalid_argument,
            "cross_entropy: target 12 is out of range for 10 classes (batch index 3)");
        CHECK_THROWS_CONTAINS(nll_loss(zeros({2, 3}), make_i64({-1, 0}, {2})),
                              std::invalid_argument,
                              "nll_loss: target -1 is out of range for 3 classes (batch index 0)");
    }

    TEST_CASE("cross_entropy: rejects input that is not [batch, classes]") {
        CHECK_THROWS_CONTAINS(cross_entropy(zeros({10}), make_i64({1}, {1})), std::invalid_argument,
                              "cross_entropy: expected input of shape [batch, classes], got [10]");
    }

    TEST_CASE("cross_entropy: rejects class targets that are not int64") {
        CHECK_THROWS_CONTAINS(nll_loss(zeros({2, 3}), zeros({2})), std::invalid_argument,
                              "nll_loss: class targets must be int64, got float32");
    }

    TEST_CASE("cross_entropy: rejects targets of the wrong length") {
        CHECK_THROWS_CONTAINS(
            cross_entropy(zeros({4, 3}), make_i64({0, 1}, {2})), std::invalid_argument,
            "cross_entropy: target has shape [2], expected [4] for input of shape [4, 3]");
    }

    TEST_CASE("cross_entropy: rejects a weight that is not one per class") {
        CHECK_THROWS_CONTAINS(cross_entropy(zeros({2, 3}), make_i64({0, 1}, {2}),
                                            F::CrossEntropyFuncOptions().weight(ones({2}))),
                              std::invalid_argument,
                              "cross_entropy: weight has shape [2], expected [3] (one per class)");
    }

    TEST_CASE("cross_entropy: rejects probability targets of another shape") {
        CHECK_THROWS_CONTAINS(
            cross_entropy(zeros({2, 3}), zeros({2, 4})), std::invalid_argument,
            "cross_entropy: probability targets have shape [2, 4], expected the input's "
            "shape [2, 3]");
    }

    TEST_CASE("cross_entropy: rejects label smoothing outside [0, 1]") {
        CHECK_THROWS_CONTAINS(cross_entropy(zeros({2, 3}), make_i64({0, 1}, {2}),
                                            F::CrossEntropyFuncOptions().label_smoothing(1.5)),
                              std::invalid_argument,
                              "cross_entropy: label_smoothing must be in [0, 1], got 1.5");
    }

    TEST_CASE(
        "nll_loss: ATen's argument order (weight, reduction, ignore_index) matches LibTorch") {
        check_nn_golden(
            "nll_loss_aten_mean",
            [](const auto& in) { return nll_loss(in[0], in[1], in[2], kMean, /*ignore_index=*/0); },
            {1});
        check_nn_golden("nll_loss_aten_sum",
                        [](const auto& in) { return nll_loss(in[0], in[1], in[2], kSum); }, {1});
        check_nn_golden("nll_loss_aten_none",
                        [](const auto& in) { return nll_loss(in[0], in[1], Tensor(), kNone, 1); },
                        {1});
        check_nn_golden("nll_loss_aten_mean",
                        [](const auto& in) {
                            return nn::NLLLoss(nn::NLLLossOptions().weight(in[2]).ignore_index(0))(
                                in[0], in[1]);
                        },
                        {1});
    }

    TEST_CASE("binary_cross_entropy: input [N, 1] against target [N] as LibTorch 1.13 does") {
        // torch::binary_cross_entropy (ATen) pairs the elements, the loss shaped like the input
        check_nn_golden("binary_cross_entropy_n1_n_none", [](const auto& in) {
            return binary_cross_entropy(in[0], in[1], Tensor(), kNone);
        });
        check_nn_golden("binary_cross_entropy_n1_n_weight",
                        [](const auto& in) { return binary_cross_entropy(in[0], in[1], in[2]); });
        check_nn_golden("binary_cross_entropy_n1_n_weight", [](const auto& in) {
            return binary_cross_entropy(in[0], in[1],
                                        F::BinaryCrossEntropyFuncOptions().weight(in[2]));
        });
        // ... and so does the other way round, never broadcasting to [N, N]
        Tensor p = tensor({0.2, 0.7, 0.9}, kFloat64);
        Tensor t = tensor({0.0, 1.0, 1.0}, kFloat64);
        CHECK_SHAPE(binary_cross_entropy(p, t.reshape({3, 1}), Tensor(), kNone), {3});
        CHECK(binary_cross_entropy(p, t.reshape({1, 3})).allclose(binary_cross_entropy(p, t)));
        // F:: and BCELoss refuse it with LibTorch's message, as LibTorch's do
        const char* libtorch =
            "binary_cross_entropy: Using a target size ([3]) that is different to the input size "
            "([3, 1]) is deprecated. Please ensure they have the same size.";
        CHECK_THROWS_WITH_AS(F::binary_cross_entropy(p.reshape({3, 1}), t), libtorch,
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(nn::BCELoss()(p.reshape({3, 1}), t), libtorch, std::invalid_argument);
        CHECK_THROWS_CONTAINS(binary_cross_entropy(ones({2, 2}) * 0.5, ones({4})),
                              std::invalid_argument,
                              "binary_cross_entropy: target shape [4] differs from input shape "
                              "[2, 2], even with their size-1 dims removed");
    }

    TEST_CASE("binary cross entropy: a weight must broadcast to the input's shape, not beyond") {
        Tensor p = full({4, 1}, 0.5);
        CHECK_THROWS_WITH_AS(
            binary_cross_entropy(p, ones({4, 1}),
                                 F::BinaryCrossEntropyFuncOptions().weight(ones({4}))),
            "binary_cross_entropy: weight of shape [4] does not broadcast to the input's shape [4, "
            "1]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(
            binary_cross_entropy_with_logits(
                p, ones({4, 1}),
                F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(ones({4}))),
            std::invalid_argument,
            "binary_cross_entropy_with_logits: pos_weight of shape [4] does not broadcast");
    }

    TEST_CASE("binary_cross_entropy_with_logits: weight and pos_weight match LibTorch") {
        check_nn_golden("binary_cross_entropy_with_logits_weights", [](const auto& in) {
            return nn::BCEWithLogitsLoss(
                nn::BCEWithLogitsLossOptions().weight(in[2]).pos_weight(in[3]))(in[0], in[1]);
        });
    }

    TEST_CASE("loss modules: print as LibTorch's and clone") {
        std::ostringstream os;
        os << nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(0.1)) << ' '
           << nn::TripletMarginLoss() << ' ' << nn::KLDivLoss(kBatchMean);
        CHECK(os.str() == "CrossEntropyLoss() TripletMarginLoss() KLDivLoss()");
        nn::HuberLoss huber(nn::HuberLossOptions().delta(0.3));
        auto copy = std::dynamic_pointer_cast<nn::HuberLossImpl>(huber->clone());
        REQUIRE(copy);
        CHECK(copy->options.delta() == 0.3);
    }
}
