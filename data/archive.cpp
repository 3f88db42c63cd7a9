#include "data/archive.hpp"

#include <stdexcept>
#include <utility>

namespace tapegrad {
namespace serialize {

void OutputArchive::write(const std::string& key, const Tensor& tensor, bool) {
    for (auto& [name, value] : tensors_) {
        if (name == key) {
            value = tensor;
            return;
        }
    }
    tensors_.emplace_back(key, tensor);
}

void OutputArchive::save_to(const std::string& filename) const {
    write_archive(filename, tensors_);
}

void InputArchive::load_from(const std::string& filename) {
    tensors_ = read_archive(filename);
    filename_ = filename;
}

bool InputArchive::try_read(const std::string& key, Tensor& tensor, bool) const {
    for (const auto& [name, value] : tensors_) {
        if (name != key) continue;
        if (tensor.defined())
            tensor.set_data(value);
        else
            tensor = value;
        return true;
    }
    return false;
}

void InputArchive::read(const std::string& key, Tensor& tensor, bool is_buffer) const {
    if (!try_read(key, tensor, is_buffer)) {
        throw std::runtime_error(
            "InputArchive::read: " + (filename_.empty() ? std::string("the archive") : filename_) +
            " has no tensor named '" + key + "'");
    }
}

}  // namespace serialize
}  // namespace tapegrad
