// A small CNN learns a task an MLP of its size cannot see without the spatial structure:
// telling horizontal from vertical bars at random positions.

#include "nn/nn.hpp"
#include "optim/optim.hpp"
#include "tests/nn/cnn_golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

// [n, 1, 8, 8] images with one bar of length 4 (horizontal: label 0, vertical: label 1) at a
// random place, plus noise.
void bars(int64_t n, Tensor* images, Tensor* labels) {
    *images = randn({n, 1, 8, 8}) * 0.1;
    *labels = randint(0, 2, {n});
    const Tensor pos = randint(0, 5, {n, 2});
    float* px = images->data_ptr<float>();
    const int64_t* pl = labels->data_ptr<int64_t>();
    const int64_t* pp = pos.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < 4; ++k) {
            const int64_t r = pp[2 * i] + (pl[i] == 1 ? k : 0),
                          c = pp[2 * i + 1] + (pl[i] == 0 ? k : 0);
            px[i * 64 + r * 8 + c] += 1.0f;
        }
    }
}

}  // namespace

TEST_SUITE("nn/cnn_training") {
    TEST_CASE("Conv2d + BatchNorm2d + MaxPool2d + Linear: learns to tell bar orientations apart") {
        manual_seed(5);
        nn::Sequential model(nn::Conv2d(nn::Conv2dOptions(1, 8, 3).padding(1)), nn::BatchNorm2d(8),
                             nn::ReLU(), nn::MaxPool2d(2), nn::Conv2d(8, 8, 3), nn::ReLU(),
                             nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(8, 2));
        optim::Adam opt(model->parameters(), optim::AdamOptions(1e-2));
        Tensor x, y;
        for (int step = 0; step < 150; ++step) {
            bars(32, &x, &y);
            opt.zero_grad();
            const Tensor loss = cross_entropy(model(x), y);
            loss.backward();
            opt.step();
        }
        model->eval();
        NoGradGuard no_grad;
        bars(500, &x, &y);
        const double accuracy = (model(x).argmax(1) == y).sum().item<double>() / 500.0;
        CHECK(accuracy > 0.95);
    }
}
