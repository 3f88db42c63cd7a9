// Deep graphs: a 100,000-layer nn::Sequential runs forward, backward and destruction without
// deep recursion (the 1,000,000-op chain is in tests/autograd/engine_test.cpp, the
// 100,000-deep module tree in tests/nn/module_test.cpp).

#include <cmath>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

TEST_SUITE("reliability/deep") {
    TEST_CASE("Sequential: 100,000 layers run forward, backward and destruction") {
        constexpr int kLayers = 100000;
        // Linear(2, 2) layers set to the identity plus a tiny bias, between Tanh layers: the
        // signal shrinks slowly and stays finite, and so does its gradient.
        nn::Sequential seq;
        std::vector<Tensor> biases;
        {
            NoGradGuard no_grad;
            for (int i = 0; i < kLayers; ++i) {
                if (i % 2 == 0) {
                    nn::Linear fc(2, 2);
                    fc->weight.copy_(eye(2));
                    fc->bias.fill_(1e-6);
                    biases.push_back(fc->bias);
                    seq->push_back(fc);
                } else {
                    seq->push_back(nn::Tanh());  // keeps the chain of recorded ops varied
                }
            }
        }
        REQUIRE(seq->size() == static_cast<size_t>(kLayers));
        CHECK(seq->parameters().size() == static_cast<size_t>(kLayers));

        Tensor x = full({1, 2}, 0.25).requires_grad_();
        Tensor y = seq->forward(x).sum();
        CHECK(std::isfinite(y.item<float>()));
        y.backward();
        REQUIRE(x.grad().defined());
        // d tanh^n(x)/dx shrinks through 50,000 tanh layers but stays positive and finite
        for (float g : x.grad().to_vector<float>()) {
            CHECK(std::isfinite(g));
            CHECK(g > 0.0f);
        }
        // the first and last biases both got a gradient
        CHECK(biases.front().grad().defined());
        CHECK(biases.back().grad().defined());
        // destruction of the module list and the (already freed) graph must not recurse
        y = Tensor();
        biases.clear();
        seq = nn::Sequential(nullptr);
        CHECK(x.is_leaf());
    }

    TEST_CASE("Sequential: a 100,000-layer graph dropped without backward is destroyed") {
        constexpr int kLayers = 100000;
        nn::Sequential seq;
        for (int i = 0; i < kLayers; ++i) seq->push_back(nn::Sigmoid());
        Tensor x = full({4}, 0.5).requires_grad_();
        {
            Tensor y = seq->forward(x);  // 100,000 nodes, each saving its output
            CHECK(y.requires_grad());
        }  // the graph goes here, without a backward having freed anything
        CHECK(x.is_leaf());
    }

}  // TEST_SUITE
