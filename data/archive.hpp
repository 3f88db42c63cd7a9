#pragma once
// LibTorch's serialize::OutputArchive / InputArchive, as far as samplers need them: named
// tensors collected in memory and written as one tensor archive (autograd/serialize.hpp), or
// read from one.
//
//   serialize::OutputArchive out;
//   sampler.save(out);
//   out.save_to("sampler.pt");

#include <string>

#include "autograd/serialize.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace serialize {

/// Named tensors to be written to a file with save_to().
class OutputArchive {
public:
    /// Records `tensor` under `key` (a later write of the same key replaces it); `is_buffer` is
    /// accepted for LibTorch's signature and changes nothing.
    void write(const std::string& key, const Tensor& tensor, bool is_buffer = false);
    /// Writes every recorded tensor to `filename`, atomically (write_archive).
    void save_to(const std::string& filename) const;
    const NamedTensors& tensors() const { return tensors_; }

private:
    NamedTensors tensors_;
};

/// Named tensors read from a file with load_from().
class InputArchive {
public:
    /// Reads every tensor of the archive at `filename` (read_archive and its checks).
    void load_from(const std::string& filename);
    /// Sets `tensor` to the tensor recorded under `key`: a defined tensor keeps its identity and
    /// takes the data (set_data), an undefined one is assigned. Throws std::runtime_error
    /// naming the key when the archive has none.
    void read(const std::string& key, Tensor& tensor, bool is_buffer = false) const;
    /// As read(), returning false instead of throwing when `key` is missing.
    bool try_read(const std::string& key, Tensor& tensor, bool is_buffer = false) const;

private:
    std::string filename_;
    NamedTensors tensors_;
};

}  // namespace serialize
}  // namespace tapegrad
