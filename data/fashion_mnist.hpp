#pragma once
// Fashion-MNIST: 70,000 28x28 grey images of clothes in 10 classes (60,000 train, 10,000 test).
// Debian's dataset-fashion-mnist package installs it in /usr/share/datasets/fashion-mnist.

#include <array>
#include <string>

#include "data/dataset.hpp"

namespace tapegrad {
namespace data {

/// The two splits of Fashion-MNIST: data float32 [n, 784] in [0, 1], targets int64 [n] in 0..9.
struct FashionMNIST {
    TensorDataset train;
    TensorDataset test;

    /// The name of each class, indexed by label.
    static constexpr std::array<const char*, 10> class_names = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
};

/// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr const char* kFashionMNISTDir = "/usr/share/datasets/fashion-mnist";

/// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte from `dir`, each plain or with `.gz`.
/// Throws std::runtime_error naming the directory or file when one is missing, corrupt, not
/// 28x28, or when image and label counts differ or a label is outside 0..9.
FashionMNIST load_fashion_mnist(const std::string& dir = kFashionMNISTDir);

}  // namespace data
}  // namespace tapegrad
