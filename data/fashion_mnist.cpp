#include "data/fashion_mnist.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "data/idx.hpp"

namespace tapegrad {
namespace data {

namespace {

constexpr const char* kOp = "load_fashion_mnist";

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
    throw std::runtime_error(std::string(kOp) + ": " + where + ": " + problem);
}

// The file `name` in `dir`, plain or gzip'd; the plain one wins when both exist.
std::string find_file(const std::string& dir, const std::string& name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path plain = fs::path(dir) / name;
    if (fs::is_regular_file(plain, ec)) return plain.string();
    const fs::path gz = fs::path(dir) / (name + ".gz");
    if (fs::is_regular_file(gz, ec)) return gz.string();
    fail(dir, "missing " + name + ".gz (or " + name + ")");
}

TensorDataset load_split(const std::string& dir, const std::string& prefix) {
    const std::string images_path = find_file(dir, prefix + "-images-idx3-ubyte");
    const std::string labels_path = find_file(dir, prefix + "-labels-idx1-ubyte");
    Tensor images = read_idx_images(images_path, /*scale=*/true);
    Tensor labels = read_idx_labels(labels_path);
    if (images.size(1) != 28 * 28) {
        fail(images_path, "images have " + std::to_string(images.size(1)) +
                              " pixels each, expected 28x28 = 784");
    }
    if (images.size(0) != labels.size(0)) {
        fail(dir, images_path + " holds " + std::to_string(images.size(0)) + " images but " +
                      labels_path + " holds " + std::to_string(labels.size(0)) + " labels");
    }
    const int64_t* label = labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < labels.size(0); ++i) {
        if (label[i] > 9) {
            fail(labels_path, "label " + std::to_string(label[i]) + " at index " +
                                  std::to_string(i) + " is outside 0..9");
        }
    }
    return TensorDataset(images, labels);
}

}  // namespace

FashionMNIST load_fashion_mnist(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        fail(dir,
             "no such directory (install Debian's dataset-fashion-mnist package, or pass "
             "the directory that holds the files)");
    }
    return FashionMNIST{load_split(dir, "train"), load_split(dir, "t10k")};
}

}  // namespace data
}  // namespace tapegrad
