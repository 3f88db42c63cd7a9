// smooth_l1_loss, huber_loss, kl_div, poisson_nll_loss: LibTorch's values and gradients, gradient
// checks in float64, every call form (functional, module, ATen order), and the errors.

#include <cmath>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/nn/golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

TEST_SUITE("nn/functional/regression_loss") {
    TEST_CASE("smooth_l1_loss: matches LibTorch in every call form, beta included") {
        check_nn_golden("smooth_l1_loss",
                        [](const auto& in) { return smooth_l1_loss(in[0], in[1]); });
        check_nn_golden("smooth_l1_loss",
                        [](const auto& in) { return nn::SmoothL1Loss()(in[0], in[1]); });
        check_nn_golden("smooth_l1_loss_beta_none", [](const auto& in) {
            return F::smooth_l1_loss(in[0], in[1], F::SmoothL1LossFuncOptions(kNone).beta(0.5));
        });
        check_nn_golden("smooth_l1_loss_beta_none", [](const auto& in) {
            return smooth_l1_loss(in[0], in[1], kNone, 0.5);  // ATen's order
        });
        check_nn_golden("smooth_l1_loss_beta_none", [](const auto& in) {
            // LibTorch 1.13's functional form with beta as its fourth argument
            return F::smooth_l1_loss(in[0], in[1], F::SmoothL1LossFuncOptions(kNone), 0.5);
        });
        check_nn_golden("smooth_l1_loss_beta0_sum", [](const auto& in) {
            return nn::SmoothL1Loss(nn::SmoothL1LossOptions(kSum).beta(0.0))(in[0], in[1]);
        });
    }

    TEST_CASE("huber_loss: matches LibTorch, and is delta times smooth_l1_loss with beta = delta") {
        check_nn_golden("huber_loss", [](const auto& in) { return huber_loss(in[0], in[1]); });
        check_nn_golden("huber_loss_delta_none", [](const auto& in) {
            return nn::HuberLoss(nn::HuberLossOptions(kNone).delta(0.7))(in[0], in[1]);
        });
        Tensor x = grid({2, 3}, 2.0), t = grid({2, 3}, 1.0, 0.3, false);
        CHECK(huber_loss(x, t, kNone, 0.7)
                  .allclose(0.7 * smooth_l1_loss(x, t, kNone, 0.7), 1e-12, 1e-15));
    }

    TEST_CASE("smooth_l1_loss and huber_loss: gradients match finite differences, twice") {
        for (double beta : {0.0, 0.5, 1.0}) {
            auto f = [beta](const std::vector<Tensor>& in) {
                return smooth_l1_loss(in[0], in[1], kNone, beta);
            };
            CHECK_GRADIENTS(f, {grid({2, 3}, 2.0), grid({2, 3}, 1.0, 0.3)});
        }
        auto h = [](const std::vector<Tensor>& in) {
            return F::huber_loss(in[0], in[1], F::HuberLossFuncOptions(kSum).delta(0.7));
        };
        CHECK_GRADIENTS(h, {grid({2, 3}, 2.0), grid({2, 3}, 1.0, 0.3)});
        CHECK_GRADGRADIENTS(h, {grid({2, 3}, 2.0), grid({2, 3}, 1.0, 0.3)});
    }

    TEST_CASE("kl_div: matches LibTorch for every reduction, batchmean and log targets") {
        check_nn_golden("kl_div_batchmean", [](const auto& in) {
            return F::kl_div(in[0], in[1], F::KLDivFuncOptions(kBatchMean));
        });
        check_nn_golden("kl_div_batchmean", [](const auto& in) {
            return nn::KLDivLoss(nn::KLDivLossOptions().reduction(kBatchMean))(in[0], in[1]);
        });
        check_nn_golden("kl_div_mean", [](const auto& in) { return kl_div(in[0], in[1]); });
        check_nn_golden("kl_div_sum_positive_target",
                        [](const auto& in) { return kl_div(in[0], in[1], kSum); });
        check_nn_golden("kl_div_log_target_none", [](const auto& in) {
            return kl_div(in[0], in[1], kNone, /*log_target=*/true);
        });
    }

    TEST_CASE("kl_div: gradients match finite differences, for input and target") {
        Tensor logp = log_softmax(grid({3, 4}, 1.5, 0.0, false), 1).detach().requires_grad_();
        Tensor q = softmax(grid({3, 4}, 0.7, 0.2, false), 1).detach().requires_grad_();
        auto f = [](const std::vector<Tensor>& in) {
            return F::kl_div(in[0], in[1], F::KLDivFuncOptions(kBatchMean));
        };
        CHECK_GRADIENTS(f, {logp, q});
        auto g = [](const std::vector<Tensor>& in) {
            return F::kl_div(in[0], in[1], F::KLDivFuncOptions(kNone).log_target(true));
        };
        CHECK_GRADIENTS(g, {logp, q.log().detach().requires_grad_()});
    }

    TEST_CASE("kl_div: a zero target contributes 0 (0 log 0), a negative one NaN, as in PyTorch") {
        Tensor logp = tensor({-1.0, -2.0, -0.5}, kFloat64).requires_grad_();
        Tensor loss = kl_div(logp, tensor({0.0, 0.5, -0.1}, kFloat64), kNone);
        const std::vector<double> v = loss.to_vector<double>();
        CHECK(v[0] == 0.0);
        CHECK(v[1] == doctest::Approx(0.5 * (std::log(0.5) + 2.0)));
        CHECK(std::isnan(v[2]));
        loss.sum().backward();
        CHECK(logp.grad().to_vector<double>()[0] == 0.0);
    }

    TEST_CASE("poisson_nll_loss: matches LibTorch, with log_input off and the Stirling term") {
        check_nn_golden("poisson_nll_loss",
                        [](const auto& in) { return poisson_nll_loss(in[0], in[1]); });
        check_nn_golden("poisson_nll_loss_rate_full_none", [](const auto& in) {
            return nn::PoissonNLLLoss(nn::PoissonNLLLossOptions(kNone).log_input(false).full(true))(
                in[0], in[1]);
        });
        check_nn_golden("poisson_nll_loss_rate_full_none", [](const auto& in) {
            return poisson_nll_loss(in[0], in[1], false, true, 1e-8, kNone);  // ATen's order
        });
        Tensor counts = tensor({{0.0, 1.0, 2.0}, {3.0, 0.5, 4.0}}, kFloat64);
        for (bool log_input : {true, false}) {
            auto f = [&](const std::vector<Tensor>& in) {
                return F::poisson_nll_loss(
                    in[0], counts, F::PoissonNLLLossFuncOptions().log_input(log_input).full(true));
            };
            CHECK_GRADIENTS(f, {grid({2, 3}, 0.5, 1.0)});
        }
    }

    TEST_CASE("regression losses: refuse a target that would broadcast, instead of [N, N]") {
        for (auto loss : {+[](const Tensor&x, const Tensor&t) { return smooth_l1_loss(x, t); },
                          +[](const Tensor&x, const Tensor&t) { return huber_loss(x, t); },
                          +[](const Tensor&x, const Tensor&t) { return kl_div(x, t); },
                          +[](const Tensor&x, const Tensor&t) { return poisson_nll_loss(x, t); }}) {
            CHECK_THROWS_CONTAINS(loss(ones({4, 1}), ones({4})), std::invalid_argument,
                                  "target shape [4] differs from input shape [4, 1]");
        }
    }

    TEST_CASE("regression losses: refuse a negative beta, a non-positive delta, a negative eps") {
        CHECK_THROWS_WITH_AS(smooth_l1_loss(ones({2}), ones({2}), kMean, -1.0),
                             "smooth_l1_loss: beta must be non-negative, got -1",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(huber_loss(ones({2}), ones({2}), kMean, 0.0),
                             "huber_loss: delta must be positive, got 0", std::invalid_argument);
        CHECK_THROWS_CONTAINS(
            F::huber_loss(ones({2}), ones({2}), F::HuberLossFuncOptions().delta(std::nan(""))),
            std::invalid_argument, "huber_loss: delta must be positive, got nan");
        CHECK_THROWS_CONTAINS(
            poisson_nll_loss(ones({2}), ones({2}), F::PoissonNLLLossFuncOptions().eps(-1.0)),
            std::invalid_argument, "poisson_nll_loss: eps must be non-negative, got -1");
        CHECK_THROWS_WITH_AS(
            F::smooth_l1_loss(ones({2}), ones({2}), F::SmoothL1LossFuncOptions().beta(0.5), 0.25),
            "smooth_l1_loss: beta is 0.5 in the options and 0.25 as an argument; give it once",
            std::invalid_argument);
    }

    TEST_CASE("regression losses: pass to fit() by name") {
        train::LossFn a = tapegrad::smooth_l1_loss;
        train::LossFn b = tapegrad::kl_div;
        Tensor x = tensor({1.0, 3.0}, kFloat64), t = tensor({0.0, 0.0}, kFloat64);
        CHECK_VALUES(a(x, t), {(0.5 + 2.5) / 2});
        CHECK(b(x, t).item<double>() == 0.0);
    }
}
