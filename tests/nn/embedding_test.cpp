// Embedding: lookup values, gradients with repeated ids, padding_idx and errors.

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/nn/golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("nn/embedding") {
    TEST_CASE("Embedding: returns the weight rows of the ids, shaped [*ids, dim]") {
        nn::Embedding emb(4, 2);
        emb->to(kFloat64);
        {
            NoGradGuard no_grad;
            emb->weight.copy_(tensor({{0.0, 1.0}, {2.0, 3.0}, {4.0, 5.0}, {6.0, 7.0}}, kFloat64));
        }
        Tensor y = emb(make_i64({3, 0, 3, 1}, {2, 2}));
        CHECK_SHAPE(y, {2, 2, 2});
        CHECK_VALUES(y, {6.0, 7.0, 0.0, 1.0, 6.0, 7.0, 2.0, 3.0});
    }

    TEST_CASE("Embedding: gradients match finite differences, with repeated ids") {
        manual_seed(8);
        nn::Embedding emb(5, 3);
        emb->to(kFloat64);
        Tensor ids = make_i64({1, 4, 1, 0}, {4});
        auto f = [&](const std::vector<Tensor>&) { return emb(ids); };
        CHECK_GRADIENTS(f, {emb->weight});
    }

    TEST_CASE("Embedding: the padding_idx row is zero and gets no gradient") {
        manual_seed(9);
        nn::Embedding emb(nn::EmbeddingOptions(4, 3).padding_idx(-1));
        CHECK(*emb->options.padding_idx() == 3);
        CHECK(emb->weight[3].abs().sum().item<double>() == 0.0);
        emb(make_i64({3, 2, 3}, {3})).sum().backward();
        CHECK(emb->weight.grad()[3].abs().sum().item<double>() == 0.0);
        CHECK_VALUES(emb->weight.grad()[2], {1.0, 1.0, 1.0});
    }

    TEST_CASE("Embedding: rejects ids that are not int64") {
        nn::Embedding emb(4, 2);
        CHECK_THROWS_CONTAINS(emb(ones({2})), std::invalid_argument,
                              "Embedding: indices must be int64, got float32");
    }

    TEST_CASE("Embedding: rejects an id out of range") {
        nn::Embedding emb(4, 2);
        CHECK_THROWS_CONTAINS(
            emb(make_i64({1, 4}, {2})), std::invalid_argument,
            "Embedding: index 4 (at flat position 1) is out of range for 4 embeddings");
    }

    TEST_CASE("Embedding: rejects a padding_idx out of range") {
        CHECK_THROWS_CONTAINS(nn::Embedding(nn::EmbeddingOptions(4, 2).padding_idx(4)),
                              std::invalid_argument,
                              "Embedding: padding_idx 4 is out of range for 4 embeddings");
    }

    TEST_CASE("Embedding: max_norm rescales the rows looked up, in the weight, before the lookup") {
        nn::Embedding emb(nn::EmbeddingOptions(3, 2).max_norm(1.0));
        emb->to(kFloat64);
        {
            NoGradGuard no_grad;
            emb->weight.copy_(tensor({{3.0, 4.0}, {0.3, 0.4}, {6.0, 8.0}}, kFloat64));
        }
        Tensor y = emb(make_i64({0, 1, 0}, {3}));
        const double s = 1.0 / (5.0 + 1e-7);  // PyTorch's max_norm / (norm + 1e-7)
        CHECK_VALUES(y, {3.0 * s, 4.0 * s, 0.3, 0.4, 3.0 * s, 4.0 * s});
        // row 2 was not looked up: unchanged
        CHECK_VALUES(emb->weight, {3.0 * s, 4.0 * s, 0.3, 0.4, 6.0, 8.0});
    }

    TEST_CASE(
        "Embedding: scale_grad_by_freq divides each row's gradient by its count in the batch") {
        nn::Embedding emb(nn::EmbeddingOptions(3, 2).scale_grad_by_freq(true));
        emb->to(kFloat64);
        emb(make_i64({1, 2, 1, 1}, {4})).sum().backward();
        CHECK_VALUES(emb->weight.grad(), {0.0, 0.0, 1.0, 1.0, 1.0, 1.0});
        // deliberately not the true gradient (PyTorch's rule); the values are the plain lookup's
        CHECK(emb(make_i64({2, 2}, {2})).equal(stack({emb->weight[2], emb->weight[2]}, 0)));
    }

    TEST_CASE("Embedding::from_pretrained uses the tensor as is, frozen unless told otherwise") {
        Tensor w = tensor({{1.0, 2.0}, {3.0, 4.0}}, kFloat64);
        auto frozen = nn::Embedding::from_pretrained(w);
        CHECK(frozen->weight.is_same(w));
        CHECK_FALSE(frozen->weight.requires_grad());
        CHECK_VALUES(frozen(make_i64({1}, {1})), {3.0, 4.0});
        auto trained = nn::Embedding::from_pretrained(
            tensor({{1.0, 2.0}, {3.0, 4.0}}, kFloat64),
            nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(0));
        CHECK(trained->weight.requires_grad());
        // the padding row keeps its pretrained values but gets no gradient
        Tensor y = trained(make_i64({0, 1}, {2}));
        CHECK_VALUES(y, {1.0, 2.0, 3.0, 4.0});
        y.sum().backward();
        CHECK_VALUES(trained->weight.grad(), {0.0, 0.0, 1.0, 1.0});
        auto copy = std::dynamic_pointer_cast<nn::EmbeddingImpl>(trained->clone());
        CHECK(copy->weight.equal(trained->weight));
        CHECK_FALSE(copy->weight.is_same(trained->weight));
        CHECK_THROWS_CONTAINS(nn::Embedding::from_pretrained(ones({3})), std::invalid_argument,
                              "Embedding::from_pretrained: embeddings must be a 2-D tensor");
    }

    TEST_CASE("Embedding: refuses sparse gradients and a _weight of the wrong shape") {
        CHECK_THROWS_CONTAINS(nn::Embedding(nn::EmbeddingOptions(3, 2).sparse(true)),
                              std::invalid_argument,
                              "Embedding: sparse gradients are not supported");
        CHECK_THROWS_CONTAINS(nn::Embedding(nn::EmbeddingOptions(3, 2)._weight(ones({2, 2}))),
                              std::invalid_argument,
                              "Embedding: _weight has shape [2, 2], expected [3, 2]");
    }

    TEST_CASE("functional::embedding: looks up rows of any weight") {
        Tensor w = tensor({{1.0, 2.0}, {3.0, 4.0}}, kFloat64).requires_grad_();
        Tensor y = nn::functional::embedding(make_i64({1, 1, 0}, {3}), w,
                                             nn::functional::EmbeddingFuncOptions().padding_idx(1));
        CHECK_VALUES(y, {3.0, 4.0, 3.0, 4.0, 1.0, 2.0});
        y.sum().backward();
        CHECK_VALUES(w.grad(), {1.0, 1.0, 0.0, 0.0});
        CHECK_THROWS_CONTAINS(nn::functional::embedding(make_i64({0}, {1}), ones({3})),
                              std::invalid_argument, "embedding: weight must be 2-D");
    }
    TEST_CASE("Embedding: max_norm, norm_type, padding_idx and scale_grad_by_freq match LibTorch") {
        using nn::functional::EmbeddingFuncOptions;
        check_nn_golden("embedding_max_norm",
                        [](const auto& in) {
                            return nn::functional::embedding(in[1], in[0],
                                                             EmbeddingFuncOptions().max_norm(1.5));
                        },
                        {1});
        check_nn_golden("embedding_max_norm_p1_weight",
                        [](const auto& in) {
                            nn::functional::embedding(
                                in[1], in[0], EmbeddingFuncOptions().max_norm(2.0).norm_type(1.0));
                            return in[0];
                        },
                        {1});
        check_nn_golden("embedding_scale_grad_by_freq_padding",
                        [](const auto& in) {
                            auto emb = nn::Embedding::from_pretrained(
                                in[0], nn::EmbeddingFromPretrainedOptions()
                                           .freeze(false)
                                           .padding_idx(0)
                                           .scale_grad_by_freq(true));
                            return emb(in[1]);
                        },
                        {1});
    }
}
