#pragma once
// The tensor archive: named tensors in one little-endian binary file, written atomically.
// Module and optimizer save/load are built on it. The format is documented in the README.

#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Writes `tensors` to `path` through a fresh temporary file beside it, fsync and a rename, so
/// a crash leaves any old file whole (detail::AtomicFile). Throws std::runtime_error naming the
/// path and the system's reason on I/O failure.
void write_archive(const std::string& path, const NamedTensors& tensors);

/// Reads every tensor of an archive. Throws std::runtime_error naming the file and the problem
/// on a file that is not a regular file, a bad magic, an unknown version or dtype, truncation
/// or a checksum mismatch; sizes are checked against the file before anything is allocated.
NamedTensors read_archive(const std::string& path);

/// LibTorch's torch::save / torch::load for one tensor or a list of them (data only: a loaded
/// tensor is a new leaf). Same format and checks as above.
void save(const Tensor& tensor, const std::string& path);
void save(const std::vector<Tensor>& tensors, const std::string& path);
void load(Tensor& tensor, const std::string& path);
void load(std::vector<Tensor>& tensors, const std::string& path);

}  // namespace tapegrad
