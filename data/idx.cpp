#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace data {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension

[[noreturn]] void file_error(const char* op, const std::string& path, const std::string& problem) {
    throw std::runtime_error(std::string(op) + ": " + path + ": " + problem);
}

std::string hex(uint32_t v, int digits) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%0*x", digits, static_cast<unsigned>(v));
    return buf;
}

std::string hex32(uint32_t v) {
    return hex(v, 8);
}

uint32_t load_be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

uint64_t load_be64(const uint8_t* p) {
    return (uint64_t{load_be32(p)} << 32) | uint64_t{load_be32(p + 4)};
}

// Reads a file front to back, decompressing it when it starts with the gzip magic bytes.
class ByteReader {
  public:
    ByteReader(const char* op, const std::string& path) : op_(op), path_(path) {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) file_error(op_, path_, "is a directory");
        file_ = std::fopen(path.c_str(), "rb");
        if (!file_) file_error(op_, path_, std::string("cannot open: ") + std::strerror(errno));
        unsigned char head[2] = {0, 0};
        const size_t got = std::fread(head, 1, 2, file_);
        if (got == 2 && head[0] == 0x1f && head[1] == 0x8b) {
            std::fclose(file_);
            file_ = nullptr;
            gz_ = gzopen(path.c_str(), "rb");
            if (!gz_) file_error(op_, path_, std::string("cannot open: ") + std::strerror(errno));
            gzbuffer(gz_, 1 << 17);
        } else if (std::fseek(file_, 0, SEEK_SET) != 0) {
            file_error(op_, path_, std::string("cannot seek: ") + std::strerror(errno));
        }
    }
    ~ByteReader() {
        if (file_) std::fclose(file_);
        if (gz_) gzclose(gz_);
    }
    ByteReader(const ByteReader&) = delete;
    ByteReader& operator=(const ByteReader&) = delete;

    bool is_gzip() const { return gz_ != nullptr; }

    /// Bytes left in a plain file from the current position; -1 for gzip (unknown).
    int64_t remaining() const {
        if (!file_) return -1;
        const long here = std::ftell(file_);
        if (here < 0 || std::fseek(file_, 0, SEEK_END) != 0) return -1;
        const long end = std::ftell(file_);
        std::fseek(file_, here, SEEK_SET);
        return end < here ? -1 : static_cast<int64_t>(end - here);
    }

    /// Reads up to n bytes into buf; fewer only at the end of the file.
    size_t read(uint8_t* buf, size_t n) {
        size_t total = 0;
        while (total < n) {
            // gzread takes an unsigned count and returns an int
            const size_t want = std::min(n - total, size_t{1} << 30);
            size_t got = 0;
            if (file_) {
                got = std::fread(buf + total, 1, want, file_);
                if (got < want && std::ferror(file_)) {
                    file_error(op_, path_, std::string("read error: ") + std::strerror(errno));
                }
            } else {
                const int r = gzread(gz_, buf + total, static_cast<unsigned>(want));
                if (r < 0) gzip_error();
                got = static_cast<size_t>(r);
            }
            if (got == 0) break;
            total += got;
        }
        // gzread may hand out the bytes it could inflate before reporting a bad stream
        if (gz_ && total < n) gzip_error();
        return total;
    }

  private:
    void gzip_error() {
        int errnum = Z_OK;
        const char* msg = gzerror(gz_, &errnum);
        if (errnum == Z_OK) return;
        if (errnum == Z_BUF_ERROR) {
            file_error(op_, path_, "truncated: the gzip stream ends early");
        }
        if (errnum == Z_ERRNO) {
            file_error(op_, path_, std::string("read error: ") + std::strerror(errno));
        }
        // zlib's message starts with the path, which ours already names
        std::string detail = msg ? msg : "unknown error";
        if (detail.rfind(path_ + ": ", 0) == 0) detail.erase(0, path_.size() + 2);
        file_error(op_, path_, "corrupt gzip data: " + detail);
    }

    const char* op_;
    const std::string& path_;
    std::FILE* file_ = nullptr;
    gzFile gz_ = nullptr;
};

// The parsed contents of an IDX file, data still big-endian.
struct IdxContents {
    uint8_t type = 0;
    std::vector<int64_t> dims;
    std::vector<uint8_t> bytes;
};

int64_t element_bytes(uint8_t type) {
    switch (type) {
        case 0x08:
            return 1;  // unsigned byte
        case 0x09:
            return 1;  // signed byte
        case 0x0B:
            return 2;  // short
        case 0x0C:
            return 4;  // int
        case 0x0D:
            return 4;  // float
        case 0x0E:
            return 8;  // double
        default:
            return 0;
    }
}

// Reads and checks an IDX file; `required_magic` (0 for any) is checked before the data is read.
IdxContents read_idx_file(const char* op, const std::string& path, uint32_t required_magic,
                          const char* required_what) {
    ByteReader in(op, path);
    uint8_t magic_bytes[4];
    size_t got = in.read(magic_bytes, 4);
    if (got < 4) {
        file_error(
            op, path,
            "truncated: expected a 4-byte magic number, got " + std::to_string(got) + " bytes");
    }
    const uint32_t magic = load_be32(magic_bytes);
    if (required_magic != 0 && magic != required_magic) {
        file_error(op, path,
                   "bad magic number " + hex32(magic) + ", expected " + hex32(required_magic) +
                       " (" + required_what + ")");
    }
    if (magic_bytes[0] != 0 || magic_bytes[1] != 0) {
        file_error(op, path,
                   "not an IDX file: magic number " + hex32(magic) +
                       " does not start with two zero bytes");
    }
    IdxContents idx;
    idx.type = magic_bytes[2];
    const int64_t elem = element_bytes(idx.type);
    if (elem == 0) {
        file_error(
            op, path,
            "unknown IDX element type " + hex(idx.type, 2) + " in magic number " + hex32(magic));
    }
    const int ndim = magic_bytes[3];
    if (ndim == 0) file_error(op, path, "magic number " + hex32(magic) + " declares 0 dimensions");

    std::vector<uint8_t> dim_bytes(static_cast<size_t>(4 * ndim));
    got = in.read(dim_bytes.data(), dim_bytes.size());
    if (got < dim_bytes.size()) {
        file_error(op, path,
                   "truncated: expected " + std::to_string(dim_bytes.size()) +
                       " bytes of dimension sizes, got " + std::to_string(got));
    }
    // Each size is below 2^32, so the product is checked against the limit before each step.
    // The sizes beside a 0 are bounded too: callers multiply them (rows * cols) even when the file
    // holds no data.
    const int64_t max_bytes = std::numeric_limits<int64_t>::max() / 2;
    int64_t extent = 1;  // the product of the non-zero sizes
    bool has_zero = false, too_large = false;
    for (int d = 0; d < ndim; ++d) {
        const auto size = static_cast<int64_t>(load_be32(&dim_bytes[static_cast<size_t>(4 * d)]));
        idx.dims.push_back(size);
        if (size == 0)
            has_zero = true;
        else if (extent > max_bytes / elem / size)
            too_large = true;
        else
            extent *= size;
    }
    if (too_large) {
        file_error(op, path, "declared shape " + shape_str(idx.dims) + " is too large");
    }
    const int64_t expected = has_zero ? 0 : extent * elem;

    const int64_t available = in.remaining();
    if (available >= 0) {
        if (available < expected) {
            file_error(op, path,
                       "truncated: expected " + std::to_string(expected) + " bytes of data, got " +
                           std::to_string(available));
        }
        if (available > expected) {
            file_error(op, path,
                       "expected " + std::to_string(expected) + " bytes of data, got " +
                           std::to_string(available) + " (trailing bytes)");
        }
    }
    // Grow the buffer as data arrives, so a header that lies about the size cannot make us
    // allocate more than the file holds.
    const int64_t chunk = int64_t{1} << 22;
    idx.bytes.reserve(static_cast<size_t>(std::min(expected, int64_t{1} << 28)));
    int64_t have = 0;
    while (have < expected) {
        const int64_t want = std::min(chunk, expected - have);
        idx.bytes.resize(static_cast<size_t>(have + want));
        const auto n = static_cast<int64_t>(
            in.read(&idx.bytes[static_cast<size_t>(have)], static_cast<size_t>(want)));
        have += n;
        if (n < want) {
            file_error(op, path,
                       "truncated: expected " + std::to_string(expected) + " bytes of data, got " +
                           std::to_string(have));
        }
    }
    uint8_t extra = 0;
    if (in.read(&extra, 1) != 0) {
        file_error(
            op, path,
            "expected " + std::to_string(expected) + " bytes of data, got more (trailing bytes)");
    }
    return idx;
}

}  // namespace

Tensor read_idx(const std::string& path) {
    const IdxContents idx = read_idx_file("read_idx", path, 0, "");
    const uint8_t* p = idx.bytes.data();
    const auto n = static_cast<int64_t>(idx.bytes.size()) / element_bytes(idx.type);
    switch (idx.type) {
        case 0x0D: {
            Tensor out = empty(idx.dims, kFloat32);
            float* dst = out.data_ptr<float>();
            for (int64_t i = 0; i < n; ++i) {
                const uint32_t bits = load_be32(p + 4 * i);
                std::memcpy(&dst[i], &bits, 4);
            }
            return out;
        }
        case 0x0E: {
            Tensor out = empty(idx.dims, kFloat64);
            double* dst = out.data_ptr<double>();
            for (int64_t i = 0; i < n; ++i) {
                const uint64_t bits = load_be64(p + 8 * i);
                std::memcpy(&dst[i], &bits, 8);
            }
            return out;
        }
        default: {
            Tensor out = empty(idx.dims, kInt64);
            int64_t* dst = out.data_ptr<int64_t>();
            for (int64_t i = 0; i < n; ++i) {
                if (idx.type == 0x08)
                    dst[i] = p[i];
                else if (idx.type == 0x09)
                    dst[i] = static_cast<int8_t>(p[i]);
                else if (idx.type == 0x0B) {
                    dst[i] =
                        static_cast<int16_t>(static_cast<uint16_t>((p[2 * i] << 8) | p[2 * i + 1]));
                } else {
                    dst[i] = static_cast<int32_t>(load_be32(p + 4 * i));
                }
            }
            return out;
        }
    }
}

Tensor read_idx_images(const std::string& path, bool scale) {
    const IdxContents idx = read_idx_file("read_idx_images", path, kImagesMagic,
                                          "IDX images: unsigned bytes, 3 dimensions");
    Tensor out = empty({idx.dims[0], idx.dims[1] * idx.dims[2]}, kFloat32);
    float* dst = out.data_ptr<float>();
    const uint8_t* src = idx.bytes.data();
    const size_t n = idx.bytes.size();
    if (scale) {
        for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]) / 255.0f;
    } else {
        for (size_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
    }
    return out;
}

Tensor read_idx_labels(const std::string& path) {
    const IdxContents idx = read_idx_file("read_idx_labels", path, kLabelsMagic,
                                          "IDX labels: unsigned bytes, 1 dimension");
    Tensor out = empty({idx.dims[0]}, kInt64);
    int64_t* dst = out.data_ptr<int64_t>();
    for (size_t i = 0; i < idx.bytes.size(); ++i) dst[i] = idx.bytes[i];
    return out;
}

}  // namespace data
}  // namespace tapegrad
