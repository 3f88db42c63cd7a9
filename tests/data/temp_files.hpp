#pragma once
// Test helpers for the data suite: a temporary directory that removes itself, and writers for
// the small files the readers are tested on.

#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tapegrad_test {

using Bytes = std::vector<uint8_t>;

/// A fresh directory under the system's temporary directory, removed with its contents.
class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ =
            std::filesystem::temp_directory_path() /
            ("tapegrad_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string path() const { return path_.string(); }
    /// The path of `name` inside the directory (the file is not created).
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("test helper: cannot write " + path);
}

inline void write_text(const std::string& path, const std::string& text) {
    write_bytes(path, Bytes(text.begin(), text.end()));
}

/// The bytes of a gzip file holding `bytes`.
inline Bytes gzip(const Bytes& bytes) {
    z_stream s{};
    // windowBits 15 + 16 asks deflate for a gzip header and trailer
    if (deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("test helper: deflateInit2 failed");
    }
    Bytes out(deflateBound(&s, static_cast<uLong>(bytes.size())) + 32);
    s.next_in = const_cast<Bytef*>(bytes.data());
    s.avail_in = static_cast<uInt>(bytes.size());
    s.next_out = out.data();
    s.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&s, Z_FINISH);
    deflateEnd(&s);
    if (rc != Z_STREAM_END) throw std::runtime_error("test helper: deflate failed");
    out.resize(s.total_out);
    return out;
}

inline void write_gzip(const std::string& path, const Bytes& bytes) {
    write_bytes(path, gzip(bytes));
}

/// An IDX file: the magic number and each dimension as big-endian 32-bit words, then `data`.
inline Bytes idx_file(uint32_t magic, const std::vector<uint32_t>& dims, const Bytes& data) {
    Bytes out;
    auto put32 = [&out](uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
            out.push_back(static_cast<uint8_t>(v >> shift));
    };
    put32(magic);
    for (uint32_t d : dims) put32(d);
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

/// Writes an MNIST-style split into `dir`: n images of rows x cols (image k is all k, so
/// pixel values name the image) and the given labels, as `<prefix>-images-idx3-ubyte` and
/// `<prefix>-labels-idx1-ubyte`, gzip'd (with `.gz`) or plain.
inline void write_mnist_split(const TempDir& dir, const std::string& prefix, uint32_t n,
                              uint32_t rows, uint32_t cols, const Bytes& labels,
                              bool compressed = true) {
    Bytes pixels;
    for (uint32_t k = 0; k < n; ++k)
        pixels.insert(pixels.end(), rows * cols, static_cast<uint8_t>(k));
    const Bytes images = idx_file(0x00000803, {n, rows, cols}, pixels);
    const Bytes label_file = idx_file(0x00000801, {static_cast<uint32_t>(labels.size())}, labels);
    const std::string suffix = compressed ? ".gz" : "";
    auto write = compressed ? write_gzip : write_bytes;
    write(dir.file(prefix + "-images-idx3-ubyte" + suffix), images);
    write(dir.file(prefix + "-labels-idx1-ubyte" + suffix), label_file);
}

}  // namespace tapegrad_test
