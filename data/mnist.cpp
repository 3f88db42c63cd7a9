#include "data/mnist.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

#include "data/idx.hpp"

namespace tapegrad {
namespace data {
namespace datasets {

namespace {

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
    throw std::runtime_error("MNIST: " + where + ": " + problem);
}

// The file `name` in `dir`, plain or gzip'd; the plain one wins when both exist.
std::string find_file(const std::string& dir, const std::string& name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path plain = fs::path(dir) / name;
    if (fs::is_regular_file(plain, ec)) return plain.string();
    const fs::path gz = fs::path(dir) / (name + ".gz");
    if (fs::is_regular_file(gz, ec)) return gz.string();
    fail(dir, "missing " + name + " (or " + name + ".gz)");
}

}  // namespace

MNIST::MNIST(const std::string& root, Mode mode) : is_train_(mode == Mode::kTrain) {
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec)) fail(root, "no such directory");
    const std::string prefix = is_train_ ? "train" : "t10k";
    const std::string images_path = find_file(root, prefix + "-images-idx3-ubyte");
    const std::string labels_path = find_file(root, prefix + "-labels-idx1-ubyte");
    images_ = read_idx_images_nchw(images_path);
    targets_ = read_idx_labels(labels_path);
    if (images_.size(0) != targets_.size(0)) {
        fail(root, images_path + " holds " + std::to_string(images_.size(0)) + " images but " +
                       labels_path + " holds " + std::to_string(targets_.size(0)) + " labels");
    }
}

Example<> MNIST::get(size_t index) {
    detail::check_index("MNIST::get", index, *size());
    const auto i = static_cast<int64_t>(index);
    return {images_.select(0, i), targets_.select(0, i)};
}

optional<size_t> MNIST::size() const {
    return static_cast<size_t>(images_.size(0));
}

}  // namespace datasets
}  // namespace data
}  // namespace tapegrad
