#pragma once
// Readers for IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed.
// Compression is recognised by the gzip magic bytes (0x1f 0x8b), not by the file name.
//
// Every reader throws std::runtime_error naming the function, the file and the problem when a
// file cannot be read, is not IDX, is truncated, has trailing bytes, is corrupt gzip, or
// declares a shape that a gzip file of its size cannot hold. A gzip stream is never
// decompressed past the bytes its header's shape needs.

#include <string>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace data {

/// Any IDX file as a tensor of the declared shape: int64 for the integer element types
/// (unsigned and signed byte, short, int), float32 for float, float64 for double. Unscaled.
Tensor read_idx(const std::string& path);

/// An IDX image file (magic 0x00000803: unsigned bytes, [n, rows, cols]) as float32
/// [n, rows * cols]; with `scale`, each pixel is float(byte) / 255.0f, in [0, 1].
Tensor read_idx_images(const std::string& path, bool scale = true);

/// An IDX image file as float32 [n, 1, rows, cols], the layout of LibTorch's MNIST, scaled as
/// read_idx_images.
Tensor read_idx_images_nchw(const std::string& path, bool scale = true);

/// An IDX label file (magic 0x00000801: unsigned bytes, [n]) as int64 [n].
Tensor read_idx_labels(const std::string& path);

}  // namespace data
}  // namespace tapegrad
