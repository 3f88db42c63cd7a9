// An MNIST-style training loop written against LibTorch 1.13 (in the manner of pytorch/examples'
// mnist, not a copy): datasets::MNIST + Normalize + Stack, make_data_loader with 2 workers, a
// custom CRTP dataset, and a sequential sampler for evaluation. It runs on Fashion-MNIST's files.
//
// CTest compiles a copy with `torch::` renamed to `tapegrad::` and <torch/torch.h> to
// <tapegrad.hpp> (tests/data/tests.cmake), and nothing else, so "a LibTorch program ports by a
// rename" is tested rather than assumed. The file itself compiles against LibTorch unchanged:
//   g++ -std=c++17 -O2 tests/data/libtorch_style/mnist_loop.cpp -o /tmp/mnist_loop_torch
//       -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10   (one line)
//   /tmp/mnist_loop_torch /tmp/fmnist   (LibTorch's MNIST wants the files unzipped there)
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

// A two-layer perceptron on flattened 28x28 images.
struct Net : torch::nn::Module {
    Net()
        : fc1(register_module("fc1", torch::nn::Linear(784, 128))),
          fc2(register_module("fc2", torch::nn::Linear(128, 10))) {}

    torch::Tensor forward(torch::Tensor x) {
        x = torch::relu(fc1->forward(x.view({-1, 784})));
        return torch::log_softmax(fc2->forward(x), /*dim=*/1);
    }

    torch::nn::Linear fc1, fc2;
};

// The first `count` examples of another dataset: a custom dataset in LibTorch's CRTP style.
template <class Source>
class Head : public torch::data::datasets::Dataset<Head<Source>> {
public:
    Head(Source source, size_t count) : source_(std::move(source)), count_(count) {}

    torch::data::Example<> get(size_t index) override { return source_.get(index); }
    torch::optional<size_t> size() const override {
        return std::min(count_, source_.size().value());
    }

private:
    Source source_;
    size_t count_;
};

int main(int argc, char** argv) {
    const std::string root = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    if (!std::filesystem::is_directory(root)) {
        std::printf("no Fashion-MNIST in %s (apt-get install dataset-fashion-mnist): skipped\n",
                    root.c_str());
        return 77;  // CTest's SKIP_RETURN_CODE
    }
    torch::manual_seed(1);
    const double mean = 0.2860, stddev = 0.3530;  // of Fashion-MNIST's training pixels

    auto train_dataset = torch::data::datasets::MNIST(root)
                             .map(torch::data::transforms::Normalize<>(mean, stddev))
                             .map(torch::data::transforms::Stack<>());
    const size_t train_size = train_dataset.size().value();
    auto train_loader = torch::data::make_data_loader(
        std::move(train_dataset), torch::data::DataLoaderOptions().batch_size(64).workers(2));

    auto test_dataset =
        Head<torch::data::datasets::MNIST>(
            torch::data::datasets::MNIST(root, torch::data::datasets::MNIST::Mode::kTest), 2000)
            .map(torch::data::transforms::Normalize<>(mean, stddev))
            .map(torch::data::transforms::Stack<>());
    const size_t test_size = test_dataset.size().value();
    auto test_loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
        std::move(test_dataset), 500);

    Net model;
    torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.05).momentum(0.5));

    model.train();
    size_t seen = 0;
    double loss_sum = 0;
    for (auto& batch : *train_loader) {
        optimizer.zero_grad();
        auto output = model.forward(batch.data);
        auto loss = torch::nll_loss(output, batch.target);
        loss.backward();
        optimizer.step();
        seen += batch.data.size(0);
        loss_sum += loss.template item<double>() * batch.data.size(0);
    }
    std::printf("trained on %zu of %zu images, mean loss %.4f\n", seen, train_size,
                loss_sum / static_cast<double>(seen));

    torch::NoGradGuard no_grad;
    model.eval();
    int64_t correct = 0;
    for (const auto& batch : *test_loader) {
        auto prediction = model.forward(batch.data).argmax(1);
        correct += prediction.eq(batch.target).sum().template item<int64_t>();
    }
    const double accuracy = static_cast<double>(correct) / static_cast<double>(test_size);
    std::printf("test accuracy %.4f on %zu images (expected above 0.75 after one epoch)\n",
                accuracy, test_size);
    return seen == train_size && accuracy > 0.75 ? 0 : 1;
}
