// A small CNN learns a task an MLP of its size cannot see without the spatial structure:
// telling horizontal from vertical bars at random positions.

#include <sstream>

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

// A CNN as users write one: registered layers of every CNN kind, held in members.
struct ImageNetImpl : nn::Cloneable<ImageNetImpl> {
    ImageNetImpl() { reset(); }
    void reset() override {
        conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1)));
        bn = register_module("bn", nn::BatchNorm2d(4));
        body = register_module(
            "body",
            nn::Sequential(nn::ReLU(), nn::ZeroPad2d(1), nn::MaxPool2d(2), nn::GroupNorm(2, 4),
                           nn::Dropout2d(0.2),
                           nn::InstanceNorm2d(
                               nn::InstanceNorm2dOptions(4).affine(true).track_running_stats(true)),
                           nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 4, 2).stride(2)),
                           nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(1).padding(1)),
                           nn::AdaptiveAvgPool2d(2), nn::Flatten(), nn::Linear(16, 2)));
    }
    Tensor forward(const Tensor& x) { return body->forward(bn(conv(x))); }
    nn::Conv2d conv{nullptr};
    nn::BatchNorm2d bn{nullptr};
    nn::Sequential body{nullptr};
};
TAPEGRAD_MODULE(ImageNet);

}  // namespace

TEST_SUITE("nn/cnn_training") {
    TEST_CASE("clone: a CNN's deep copy computes the same, then trains apart from the original") {
        manual_seed(6);
        ImageNet net;
        Tensor x, y;
        bars(16, &x, &y);
        optim::SGD opt(net->parameters(), optim::SGDOptions(0.1));
        cross_entropy(net(x), y).backward();  // moves the running statistics, makes gradients
        opt.step();
        net->eval();
        auto copy = std::dynamic_pointer_cast<ImageNetImpl>(net->clone());
        REQUIRE(copy);
        const auto params = net->named_parameters(), copied = copy->named_parameters();
        CHECK(copied.keys() == params.keys());
        CHECK(params.size() == 12);  // conv, bn, group, instance, transposed conv, linear: 2 each
        for (const auto& item : params) {
            CHECK(copied[item.key()].equal(item.value()));
            CHECK_FALSE(copied[item.key()].is_same(item.value()));
            CHECK_FALSE(copied[item.key()].grad().defined());  // gradients are not copied
        }
        const auto buffers = net->named_buffers(), copied_buffers = copy->named_buffers();
        CHECK(copied_buffers.keys() == buffers.keys());
        for (const auto& item : buffers) {
            CHECK(copied_buffers[item.key()].equal(item.value()));
            CHECK_FALSE(copied_buffers[item.key()].is_same(item.value()));
        }
        CHECK(net->bn->num_batches_tracked.item<int64_t>() == 1);
        CHECK(copy->bn->num_batches_tracked.item<int64_t>() == 1);
        // the members point into the clone's own tree, options and modes included
        CHECK(copy->conv.get() == copy->named_children()["conv"].get());
        CHECK(copy->conv->weight.is_same(copied["conv.weight"]));
        CHECK_FALSE(copy->is_training());
        CHECK_FALSE(copy->body[4]->is_training());
        std::ostringstream a, b;
        a << *net;
        b << *copy;
        CHECK(a.str() == b.str());
        CHECK(a.str().find("ConvTranspose2d(4, 4, kernel_size=[2, 2], stride=[2, 2])") !=
              std::string::npos);
        {
            NoGradGuard no_grad;
            CHECK(copy->forward(x).allclose(net(x), 1e-6, 1e-7));
        }
        // training the clone leaves the original alone
        const Tensor before = net->conv->weight.clone(), running = net->bn->running_mean.clone();
        copy->train();
        optim::SGD copy_opt(copy->parameters(), optim::SGDOptions(0.1));
        cross_entropy(copy->forward(x), y).backward();
        copy_opt.step();
        CHECK(net->conv->weight.equal(before));
        CHECK(net->bn->running_mean.equal(running));
        CHECK_FALSE(copy->conv->weight.equal(before));
        CHECK_FALSE(copy->bn->running_mean.equal(running));
    }

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
