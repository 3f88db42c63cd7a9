#include "data/fashion_mnist.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "data/mnist.hpp"

namespace tapegrad {
namespace data {

namespace {

constexpr const char* kOp = "load_fashion_mnist";

// One split as flat rows [n, 784], with every label checked against the 10 classes.
TensorDataset load_split(const std::string& dir, datasets::MNIST::Mode mode) {
    const datasets::MNIST split(dir, mode);
    const Tensor& images = split.images();
    if (images.size(2) != 28 || images.size(3) != 28) {
        throw std::runtime_error(std::string(kOp) + ": " + dir + ": images are " +
                                 std::to_string(images.size(2)) + "x" +
                                 std::to_string(images.size(3)) + ", expected 28x28");
    }
    const Tensor labels = split.targets().contiguous();
    const int64_t* label = labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < labels.size(0); ++i) {
        if (label[i] > 9) {
            throw std::runtime_error(std::string(kOp) + ": " + dir + ": label " +
                                     std::to_string(label[i]) + " of " +
                                     (mode == datasets::MNIST::Mode::kTrain ? "train" : "test") +
                                     " sample " + std::to_string(i) + " is outside 0..9");
        }
    }
    return TensorDataset(images.reshape({images.size(0), 28 * 28}), labels);
}

}  // namespace

FashionMNIST load_fashion_mnist(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        throw std::runtime_error(std::string(kOp) + ": " + dir +
                                 ": no such directory (install Debian's dataset-fashion-mnist "
                                 "package, or pass the directory that holds the files)");
    }
    return FashionMNIST{load_split(dir, datasets::MNIST::Mode::kTrain),
                        load_split(dir, datasets::MNIST::Mode::kTest)};
}

}  // namespace data
}  // namespace tapegrad
