// The LibTorch "custom Net with register_module and cross entropy" loop, renamed to tapegrad:
// it must learn. Plain SGD is written out so this suite does not depend on optim.

#include <cmath>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

namespace {

struct Net : nn::Module {
    Net() {
        fc1 = register_module("fc1", nn::Linear(2, 32));
        fc2 = register_module("fc2", nn::Linear(32, 3));
        drop = register_module("drop", nn::Dropout(0.1));
    }
    Tensor forward(Tensor x) {
        x = relu(fc1->forward(x));
        x = drop->forward(x);
        return fc2->forward(x);
    }
    nn::Linear fc1{nullptr}, fc2{nullptr};
    nn::Dropout drop{nullptr};
};

// Three Gaussian blobs around (2, 0), (-1, 1.7) and (-1, -1.7): labels 0, 1, 2.
void make_blobs(int64_t n, Tensor& x, Tensor& y) {
    Tensor labels = randint(0, 3, {n});
    std::vector<float> pts(static_cast<size_t>(2 * n));
    const std::vector<int64_t> l = labels.to_vector<int64_t>();
    const std::vector<float> noise = (randn({n, 2}) * 0.4).to_vector<float>();
    const float cx[3] = {2.0f, -1.0f, -1.0f}, cy[3] = {0.0f, 1.7f, -1.7f};
    for (int64_t i = 0; i < n; ++i) {
        pts[size_t(2 * i)] = cx[l[size_t(i)]] + noise[size_t(2 * i)];
        pts[size_t(2 * i + 1)] = cy[l[size_t(i)]] + noise[size_t(2 * i + 1)];
    }
    x = from_blob(pts.data(), {n, 2});
    y = labels;
}

}  // namespace

TEST_SUITE("nn/training") {
    TEST_CASE("Module: a custom Net trained with cross_entropy and SGD learns three blobs") {
        manual_seed(42);
        auto net = std::make_shared<Net>();
        Tensor x, y;
        make_blobs(256, x, y);
        const double lr = 0.1;
        double first = 0, last = 0;
        for (int step = 0; step < 200; ++step) {
            net->zero_grad();
            Tensor loss = cross_entropy(net->forward(x), y);
            loss.backward();
            {
                NoGradGuard no_grad;
                for (Tensor& p : net->parameters()) p.sub_(p.grad(), lr);
            }
            if (step == 0) first = loss.item<double>();
            last = loss.item<double>();
        }
        CHECK(first > 0.8);
        CHECK(last < 0.2);
        net->eval();
        Tensor xt, yt;
        make_blobs(256, xt, yt);
        NoGradGuard no_grad;
        const double accuracy =
            net->forward(xt).argmax(1).eq(yt).to(kFloat64).mean().item<double>();
        CHECK(accuracy > 0.95);
    }

}  // TEST_SUITE
