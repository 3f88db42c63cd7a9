#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace train = tapegrad::train;

namespace {
// Two layers called from a custom forward: summary sees the parameters, not the shapes inside.
struct NetImpl : tg::nn::Module {
    tg::nn::Linear fc1{nullptr}, fc2{nullptr};
    NetImpl() {
        fc1 = register_module("fc1", tg::nn::Linear(3, 4));
        fc2 = register_module("fc2", tg::nn::Linear(4, 2));
    }
    tg::Tensor forward(const tg::Tensor& x) { return fc2(tg::relu(fc1(x))); }
};
TAPEGRAD_MODULE(Net);
}  // namespace

TEST_SUITE("train/inspect") {
    TEST_CASE("predict: batched outputs in eval mode equal one forward, mode restored") {
        tg::manual_seed(1);
        tg::nn::Sequential model(tg::nn::Linear(3, 8), tg::nn::ReLU(), tg::nn::Dropout(0.5),
                                 tg::nn::Linear(8, 2));
        auto x = tg::randn({10, 3});
        model->eval();
        const tg::Tensor expected = model(x).detach();
        model->train();
        const tg::Tensor out = train::predict(model, x, /*batch_size=*/3);  // 3 + 3 + 3 + 1
        CHECK(out.sizes() == std::vector<int64_t>{10, 2});
        CHECK(out.allclose(expected));
        CHECK_FALSE(out.requires_grad());
        CHECK(model->is_training());
        tg::data::TensorDataset data(x, tg::zeros({10}, tg::kInt64));
        CHECK(train::predict(model, data, 4).allclose(expected));
        tg::data::DataLoader loader(data, tg::data::DataLoaderOptions(6));
        CHECK(train::predict(model, loader).allclose(expected));
        model->eval();
        train::predict(model, x);
        CHECK_FALSE(model->is_training());  // the previous mode, whichever it was
    }

    TEST_CASE("predict: restores the mode when forward throws, and refuses no samples") {
        tg::nn::Sequential model(tg::nn::Linear(3, 2));
        CHECK_THROWS_AS(train::predict(model, tg::zeros({4, 5})), std::invalid_argument);
        CHECK(model->is_training());
        CHECK_THROWS_WITH_AS(train::predict(model, tg::zeros({0, 3})),
                             "predict: there are no samples", std::invalid_argument);
        CHECK_THROWS_WITH_AS(train::predict(model, tg::zeros({4, 3}), 0),
                             "predict: batch_size must be > 0, got 0", std::invalid_argument);
    }

    TEST_CASE("summary: output shapes and parameter counts of a Sequential, as Keras's") {
        tg::nn::Sequential model(tg::nn::Linear(784, 256), tg::nn::ReLU(), tg::nn::Dropout(0.2),
                                 tg::nn::Linear(256, 10));
        const auto s = train::summary(model, {784});
        REQUIRE(s.layers.size() == 4);
        CHECK(s.layers[0].name == "0");
        CHECK(s.layers[0].type == "Linear");
        CHECK(s.layers[0].output_shape == std::vector<int64_t>{-1, 256});
        CHECK(s.layers[2].output_shape == std::vector<int64_t>{-1, 256});
        CHECK(s.layers[3].output_shape == std::vector<int64_t>{-1, 10});
        CHECK(s.layers[0].params == 784 * 256 + 256);
        CHECK(s.layers[1].params == 0);
        CHECK(s.layers[3].params == 256 * 10 + 10);
        CHECK(s.total_params == 200960 + 2570);
        CHECK(s.trainable_params == s.total_params);
        CHECK(s.non_trainable_params == 0);
        CHECK(s.input_shape == std::vector<int64_t>{-1, 784});
        CHECK(s.output_shape == std::vector<int64_t>{-1, 10});
        CHECK(s.to_string() ==
              "Model: Sequential, input [N, 784], output [N, 10]\n"
              "______________________________________\n"
              " Layer (type)   Output shape   Param #\n"
              "======================================\n"
              " 0 (Linear)     [N, 256]       200,960\n"
              " 1 (ReLU)       [N, 256]             0\n"
              " 2 (Dropout)    [N, 256]             0\n"
              " 3 (Linear)     [N, 10]          2,570\n"
              "======================================\n"
              "Total params: 203,530 (795.04 KB)\n"
              "Trainable params: 203,530 (795.04 KB)\n"
              "Non-trainable params: 0 (0.00 B)\n"
              "______________________________________\n");
        CHECK(model->is_training());
    }

    TEST_CASE("summary: frozen parameters and BatchNorm statistics are non-trainable") {
        tg::nn::Sequential model(tg::nn::Linear(4, 8), tg::nn::BatchNorm1d(8),
                                 tg::nn::Linear(8, 2));
        model->ptr<tg::nn::LinearImpl>(2)->bias.requires_grad_(false);
        const auto s = train::summary(model, {4});
        // BatchNorm: weight and bias train (16), running mean and variance do not (16)
        CHECK(s.layers[1].params == 32);
        CHECK(s.layers[1].trainable == 16);
        CHECK(s.trainable_params == 40 + 16 + 16);
        CHECK(s.non_trainable_params == 16 + 2);
        CHECK(s.total_params == 40 + 32 + 18);
        CHECK(s.non_trainable_bytes == 18 * 4);
    }

    TEST_CASE("summary: nested Sequentials are traced layer by layer, custom modules whole") {
        tg::nn::Sequential inner(tg::nn::Linear(3, 5), tg::nn::ReLU());
        tg::nn::Sequential model(inner, tg::nn::Linear(5, 1));
        const auto s = train::summary(model, {3});
        REQUIRE(s.layers.size() == 4);
        CHECK(s.layers[0].name == "0");
        CHECK(s.layers[0].type == "Sequential");
        CHECK(s.layers[0].output_shape == std::vector<int64_t>{-1, 5});
        CHECK(s.layers[1].name == "0.0");
        CHECK(s.layers[1].depth == 1);
        CHECK(s.layers[2].output_shape == std::vector<int64_t>{-1, 5});
        CHECK(s.layers[3].output_shape == std::vector<int64_t>{-1, 1});

        Net net;
        const auto n = train::summary(net, {3});
        REQUIRE(n.layers.size() == 2);
        CHECK(n.layers[0].name == "fc1");
        CHECK(n.layers[0].output_shape.empty());  // called inside forward: not visible
        CHECK(n.layers[1].params == 10);
        CHECK(n.output_shape == std::vector<int64_t>{-1, 2});
        CHECK(n.total_params == 16 + 10);
        CHECK(n.to_string().find(" fc1 (Linear)   ?") != std::string::npos);
    }

    TEST_CASE("summary: a wrong input shape names the layer that failed") {
        tg::nn::Sequential model(tg::nn::Linear(4, 8), tg::nn::ReLU(), tg::nn::Linear(6, 2));
        CHECK_THROWS_WITH_AS(train::summary(model, {4}),
                             doctest::Contains("summary: layer '2' (Linear) failed on an input of "
                                               "shape [N, 8]"),
                             std::invalid_argument);
        CHECK(model->is_training());
    }
}
