// margin_ranking_loss, cosine_embedding_loss, triplet_margin_loss, soft_margin_loss,
// multilabel_soft_margin_loss: LibTorch's values and gradients, gradient checks in float64,
// every call form (functional, module, ATen order), and the errors.

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/nn/golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

TEST_SUITE("nn/functional/margin_loss") {
    TEST_CASE("margin_ranking_loss: matches LibTorch and its gradients finite differences") {
        check_nn_golden("margin_ranking_loss", [](const auto& in) {
            return margin_ranking_loss(in[0], in[1], in[2], 0.3);  // ATen's order
        });
        check_nn_golden("margin_ranking_loss_none", [](const auto& in) {
            return nn::MarginRankingLoss(nn::MarginRankingLossOptions(kNone))(in[0], in[1], in[2]);
        });
        Tensor y = tensor({1.0, -1.0, 1.0, 1.0, -1.0}, kFloat64);
        auto f = [&](const std::vector<Tensor>& in) {
            return F::margin_ranking_loss(in[0], in[1], y,
                                          F::MarginRankingLossFuncOptions(kNone).margin(0.3));
        };
        CHECK_GRADIENTS(f, {grid({5}), grid({5}, 0.8, 0.1)});
    }

    TEST_CASE("cosine_embedding_loss: matches LibTorch, batched and for one pair") {
        check_nn_golden("cosine_embedding_loss", [](const auto& in) {
            return F::cosine_embedding_loss(in[0], in[1], in[2],
                                            F::CosineEmbeddingLossFuncOptions().margin(0.2));
        });
        check_nn_golden("cosine_embedding_loss_none", [](const auto& in) {
            return cosine_embedding_loss(in[0], in[1], in[2], -0.5, kNone);
        });
        check_nn_golden("cosine_embedding_loss_1d", [](const auto& in) {
            return nn::CosineEmbeddingLoss()(in[0], in[1], in[2]);
        });
        Tensor y = tensor({1.0, -1.0, -1.0, 1.0}, kFloat64);
        auto f = [&](const std::vector<Tensor>& in) {
            return cosine_embedding_loss(in[0], in[1], y, -0.5, kNone);
        };
        CHECK_GRADIENTS(f, {grid({4, 3}), grid({4, 3}, 0.9, 0.3)});
    }

    TEST_CASE("cosine_embedding_loss: refuses targets other than 1 and -1, which ATen scores 0") {
        CHECK_THROWS_WITH_AS(
            cosine_embedding_loss(ones({2, 3}), ones({2, 3}), tensor({1.0, 0.0}), 0.0),
            "cosine_embedding_loss: target must hold 1 (similar) or -1 (dissimilar), got 0 at "
            "index 1",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(F::cosine_embedding_loss(ones({3}), ones({3}), ones({3})),
                              std::invalid_argument,
                              "expected inputs [N, D] with target [N], or inputs [D] with a 0-d "
                              "target; got inputs [3] and target [3]");
        CHECK_THROWS_CONTAINS(F::cosine_embedding_loss(ones({2, 3}), ones({2, 2}), ones({2})),
                              std::invalid_argument,
                              "input1 has shape [2, 3], input2 [2, 2]; they must match");
    }

    TEST_CASE("triplet_margin_loss: matches LibTorch with p = 2, 1 (with swap) and 3") {
        check_nn_golden("triplet_margin_loss", [](const auto& in) {
            return nn::TripletMarginLoss()(in[0], in[1], in[2]);
        });
        check_nn_golden("triplet_margin_loss_p1_swap_none", [](const auto& in) {
            return triplet_margin_loss(in[0], in[1], in[2], 0.5, 1.0, 1e-6, true, kNone);
        });
        check_nn_golden("triplet_margin_loss_p3_sum", [](const auto& in) {
            return F::triplet_margin_loss(in[0], in[1], in[2],
                                          F::TripletMarginLossFuncOptions(kSum).margin(2.0).p(3.0));
        });
        for (double p : {1.0, 2.0, 3.0}) {
            auto f = [p](const std::vector<Tensor>& in) {
                return F::triplet_margin_loss(
                    in[0], in[1], in[2],
                    F::TripletMarginLossFuncOptions(kNone).margin(2.0).p(p).swap(p == 1.0));
            };
            CHECK_GRADIENTS(f, {grid({4, 3}), grid({4, 3}, 0.9, 0.3), grid({4, 3}, 1.2, -0.2)});
        }
    }

    TEST_CASE("triplet_margin_loss: refuses inputs of different shapes and a non-positive p") {
        CHECK_THROWS_WITH_AS(
            triplet_margin_loss(ones({2, 3}), ones({2, 3}), ones({3}), 1.0),
            "triplet_margin_loss: anchor, positive and negative must have one shape, got [2, 3], "
            "[2, 3] and [3]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(F::triplet_margin_loss(ones({3}), ones({3}), ones({3}),
                                                     F::TripletMarginLossFuncOptions().p(0)),
                              std::invalid_argument, "triplet_margin_loss: p must be positive");
    }

    TEST_CASE("soft_margin_loss and multilabel_soft_margin_loss: match LibTorch") {
        check_nn_golden("soft_margin_loss",
                        [](const auto& in) { return soft_margin_loss(in[0], in[1]); });
        check_nn_golden("soft_margin_loss_none",
                        [](const auto& in) { return soft_margin_loss(in[0], in[1], kNone); });
        check_nn_golden("multilabel_soft_margin_loss", [](const auto& in) {
            return nn::MultiLabelSoftMarginLoss(
                nn::MultiLabelSoftMarginLossOptions().weight(in[2]))(in[0], in[1]);
        });
        check_nn_golden("multilabel_soft_margin_loss_none", [](const auto& in) {
            return F::multilabel_soft_margin_loss(in[0], in[1],
                                                  F::MultilabelSoftMarginLossFuncOptions(kNone));
        });
    }

    TEST_CASE(
        "soft_margin_loss and multilabel_soft_margin_loss: gradients, finite for huge inputs") {
        Tensor y = tensor({{1.0, -1.0, -1.0}, {1.0, 1.0, -1.0}}, kFloat64);
        auto f = [&](const std::vector<Tensor>& in) { return soft_margin_loss(in[0], y, kNone); };
        CHECK_GRADIENTS(f, {grid({2, 3}, 2.0)});
        Tensor labels = tensor({{1.0, 0.0, 0.0}, {1.0, 1.0, 0.0}}, kFloat64);
        Tensor w = tensor({0.5, 1.0, 2.0}, kFloat64);
        auto g = [&](const std::vector<Tensor>& in) {
            return F::multilabel_soft_margin_loss(
                in[0], labels, F::MultilabelSoftMarginLossFuncOptions(kNone).weight(w));
        };
        CHECK_GRADIENTS(g, {grid({2, 3}, 2.0)});
        Tensor huge = tensor({{1e4, -1e4, 0.0}}, kFloat64).requires_grad_();
        Tensor loss = F::multilabel_soft_margin_loss(huge, tensor({{0.0, 1.0, 1.0}}, kFloat64));
        CHECK_VALUES(loss, {(1e4 + 1e4 + std::log(2.0)) / 3.0});
        loss.backward();
        CHECK_VALUES(huge.grad(), {1.0 / 3.0, -1.0 / 3.0, -0.5 / 3.0});
    }

    TEST_CASE("margin losses: refuse mismatched shapes and a weight that does not fit") {
        CHECK_THROWS_CONTAINS(margin_ranking_loss(ones({3}), ones({3}), ones({3, 1}), 0.0),
                              std::invalid_argument,
                              "margin_ranking_loss: input1, input2 and target must have one "
                              "shape, got [3], [3] and [3, 1]");
        CHECK_THROWS_CONTAINS(soft_margin_loss(ones({4, 1}), ones({4})), std::invalid_argument,
                              "soft_margin_loss: target shape [4] differs from input shape [4, 1]");
        CHECK_THROWS_CONTAINS(
            F::multilabel_soft_margin_loss(
                ones({2, 3}), ones({2, 3}),
                F::MultilabelSoftMarginLossFuncOptions().weight(ones({2}))),
            std::invalid_argument,
            "multilabel_soft_margin_loss: weight of shape [2] does not broadcast to the input's "
            "shape [2, 3]");
    }
}
