// Embedding: lookup values, gradients with repeated ids, padding_idx and errors.

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

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

}  // TEST_SUITE
