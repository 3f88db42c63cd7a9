#pragma once
// LibTorch's MNIST dataset: the four IDX files of MNIST, or of anything laid out the same way
// (Fashion-MNIST, KMNIST), read from one folder.

#include <cstddef>
#include <string>

#include "autograd/tensor.hpp"
#include "data/datasets.hpp"
#include "data/example.hpp"

namespace tapegrad {
namespace data {
namespace datasets {

/// The train or test split of an MNIST-style folder, in memory: images float32 [n, 1, rows,
/// cols] with pixels byte / 255 in [0, 1], targets int64 [n]. Each example is {image [1, rows,
/// cols], label (0-d)}, as LibTorch's.
class MNIST : public Dataset<MNIST> {
public:
    enum class Mode { kTrain, kTest };

    /// Reads train-images-idx3-ubyte and train-labels-idx1-ubyte (kTrain) or the t10k- pair
    /// (kTest) from `root`, each plain or gzip'd (`.gz` added to the name), so Debian's
    /// Fashion-MNIST folder reads as it is. Unlike LibTorch's, any image count and size is
    /// accepted. Throws std::runtime_error naming the folder or file when a file is missing or
    /// corrupt, or when the image and label counts differ.
    explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);

    /// {images[index], targets[index]}, views.
    Example<> get(size_t index) override;
    optional<size_t> size() const override;

    bool is_train() const noexcept { return is_train_; }
    /// All images, [n, 1, rows, cols].
    const Tensor& images() const { return images_; }
    /// All labels, [n].
    const Tensor& targets() const { return targets_; }

private:
    Tensor images_, targets_;
    bool is_train_;
};

}  // namespace datasets
}  // namespace data
}  // namespace tapegrad
