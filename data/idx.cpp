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
            std::error_code size_error;
            const auto size = std::filesystem::file_size(path, size_error);
            compressed_size_ = size_error ? -1 : static_cast<int64_t>(size);
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
    /// The size of a gzip file on disk (-1 if unknown, or for a plain file).
    int64_t compressed_size() const { return compressed_size_; }

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
    int64_t compressed_size_ = -1;
};

// Deflate turns at best 2 bits into 258 bytes, so a gzip file of n bytes holds at most 1032 * n
// bytes of data. A header that declares more cannot be telling the truth.
constexpr int64_t kMaxGzipRatio = 1032;

// The header of an IDX file: element type, shape, and the size of the data that follows.
struct IdxHeader {
    uint8_t type = 0;
    std::vector<int64_t> dims;
    int64_t bytes = 0;
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

// Reads and checks an IDX header, leaving `in` at the first data byte; `required_magic` (0 for
// any) is checked before the data is read, and a plain file's size against the declared shape.
IdxHeader read_idx_header(ByteReader& in, const char* op, const std::string& path,
                          uint32_t required_magic, const char* required_what) {
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
    IdxHeader idx;
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

    // Cap what a gzip stream may decompress to at what the header's shape needs: read_payload
    // reads exactly that (and one byte more, to refuse the rest). A shape that the file cannot
    // hold is refused here, before anything of its size is allocated.
    const int64_t packed = in.compressed_size();
    if (in.is_gzip() && packed >= 0 && expected / kMaxGzipRatio > packed) {
        file_error(op, path,
                   "declared shape " + shape_str(idx.dims) + " needs " + std::to_string(expected) +
                       " bytes of data, more than a gzip file of " + std::to_string(packed) +
                       " bytes can hold (deflate expands at most 1032:1)");
    }
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
    idx.bytes = expected;
    return idx;
}

// Reads `expected` data bytes in chunks and hands each to sink(bytes, offset, count). Chunks are
// a multiple of 8 bytes, so no element is split between two calls.
template <class Sink>
void read_payload(ByteReader& in, const char* op, const std::string& path, int64_t expected,
                  Sink sink) {
    const int64_t chunk = int64_t{1} << 22;
    std::vector<uint8_t> buf(static_cast<size_t>(std::min(chunk, expected)));
    int64_t have = 0;
    while (have < expected) {
        const int64_t want = std::min(chunk, expected - have);
        const auto n = static_cast<int64_t>(in.read(buf.data(), static_cast<size_t>(want)));
        if (n < want) {
            file_error(op, path,
                       "truncated: expected " + std::to_string(expected) + " bytes of data, got " +
                           std::to_string(have + n));
        }
        sink(buf.data(), have, n);
        have += n;
    }
    uint8_t extra = 0;
    if (in.read(&extra, 1) != 0) {
        file_error(
            op, path,
            "expected " + std::to_string(expected) + " bytes of data, got more (trailing bytes)");
    }
}

// Up to this many data bytes, a gzip stream (whose real size is unknown until it ends) is
// converted chunk by chunk into an output allocated up front: the whole decompressed payload is
// never held beside the tensor. Beyond it the bytes are gathered first, growing as they arrive,
// so a header that lies about the size cannot make us allocate more than the stream holds.
constexpr int64_t kDirectLimit = int64_t{1} << 26;

// The IDX file at `path` as the tensor make(header) returns, filled by
// convert(out, bytes, first_element, count) from the big-endian data.
template <class Make, class Convert>
Tensor read_converted(const char* op, const std::string& path, uint32_t required_magic,
                      const char* required_what, Make make, Convert convert) {
    ByteReader in(op, path);
    const IdxHeader h = read_idx_header(in, op, path, required_magic, required_what);
    const int64_t elem = element_bytes(h.type);
    // a plain file's size was checked against the header already
    if (!in.is_gzip() || h.bytes <= kDirectLimit) {
        Tensor out = make(h);
        read_payload(in, op, path, h.bytes, [&](const uint8_t* src, int64_t offset, int64_t n) {
            convert(out, h.type, src, offset / elem, n / elem);
        });
        return out;
    }
    std::vector<uint8_t> bytes;
    bytes.reserve(static_cast<size_t>(kDirectLimit));
    read_payload(in, op, path, h.bytes, [&](const uint8_t* src, int64_t, int64_t n) {
        bytes.insert(bytes.end(), src, src + n);
    });
    Tensor out = make(h);
    convert(out, h.type, bytes.data(), 0, h.bytes / elem);
    return out;
}

// n big-endian IEEE floats of T's size at p into dst: their bits, loaded by `load`, reinterpreted.
template <class T, class Bits>
void load_floats(T* dst, const uint8_t* p, int64_t n, Bits (*load)(const uint8_t*)) {
    static_assert(sizeof(T) == sizeof(Bits), "an IDX float and its bits have one size");
    for (int64_t i = 0; i < n; ++i) {
        const Bits bits = load(p + sizeof(T) * static_cast<size_t>(i));
        std::memcpy(&dst[i], &bits, sizeof(T));
    }
}

// Big-endian elements of any IDX type into float32, float64 or int64.
void convert_any(Tensor& out, uint8_t type, const uint8_t* p, int64_t first, int64_t n) {
    switch (type) {
        case 0x0D:
            return load_floats(out.data_ptr<float>() + first, p, n, load_be32);
        case 0x0E:
            return load_floats(out.data_ptr<double>() + first, p, n, load_be64);
        default: {
            int64_t* dst = out.data_ptr<int64_t>() + first;
            for (int64_t i = 0; i < n; ++i) {
                if (type == 0x08)
                    dst[i] = p[i];
                else if (type == 0x09)
                    dst[i] = static_cast<int8_t>(p[i]);
                else if (type == 0x0B) {
                    dst[i] =
                        static_cast<int16_t>(static_cast<uint16_t>((p[2 * i] << 8) | p[2 * i + 1]));
                } else {
                    dst[i] = static_cast<int32_t>(load_be32(p + 4 * i));
                }
            }
            return;
        }
    }
}

// Pixels as float32: float(byte) / 255 when scaling, in float32 as LibTorch's
// `.to(kFloat32).div_(255)`.
void scale_pixels(float* dst, const uint8_t* src, int64_t n, bool scale) {
    if (scale) {
        for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]) / 255.0f;
    } else {
        for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
    }
}

}  // namespace

Tensor read_idx(const std::string& path) {
    return read_converted(
        "read_idx", path, 0, "",
        [](const IdxHeader& h) {
            return empty(h.dims, h.type == 0x0D ? kFloat32 : h.type == 0x0E ? kFloat64 : kInt64);
        },
        convert_any);
}

Tensor read_idx_images(const std::string& path, bool scale) {
    return read_converted(
        "read_idx_images", path, kImagesMagic, "IDX images: unsigned bytes, 3 dimensions",
        [](const IdxHeader& h) {
            return empty({h.dims[0], h.dims[1] * h.dims[2]}, kFloat32);
        },
        [scale](Tensor& out, uint8_t, const uint8_t* src, int64_t first, int64_t n) {
            scale_pixels(out.data_ptr<float>() + first, src, n, scale);
        });
}

Tensor read_idx_images_nchw(const std::string& path, bool scale) {
    return read_converted(
        "read_idx_images", path, kImagesMagic, "IDX images: unsigned bytes, 3 dimensions",
        [](const IdxHeader& h) {
            return empty({h.dims[0], 1, h.dims[1], h.dims[2]}, kFloat32);
        },
        [scale](Tensor& out, uint8_t, const uint8_t* src, int64_t first, int64_t n) {
            scale_pixels(out.data_ptr<float>() + first, src, n, scale);
        });
}

Tensor read_idx_labels(const std::string& path) {
    return read_converted(
        "read_idx_labels", path, kLabelsMagic, "IDX labels: unsigned bytes, 1 dimension",
        [](const IdxHeader& h) { return empty({h.dims[0]}, kInt64); },
        [](Tensor& out, uint8_t, const uint8_t* src, int64_t first, int64_t n) {
            int64_t* dst = out.data_ptr<int64_t>() + first;
            for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
        });
}

}  // namespace data
}  // namespace tapegrad
