// The tensor archive format (version 1). Every integer is little-endian.
//
//   offset  size        field
//   0       8           magic: the ASCII bytes "TAPEGRAD"
//   8       4           version: u32, currently 1
//   12      8           count: u64, the number of tensors
//   then, count times, one record:
//           4           name length: u32, in bytes
//           n           name: UTF-8, no terminator (e.g. "fc1.weight")
//           1           dtype: u8, 0 = float32, 1 = float64, 2 = int64
//           4           ndim: u32 (0 for a scalar)
//           8 * ndim    sizes: i64 each
//           numel * es  data: row-major elements, es = 4 (float32) or 8 (float64, int64)
//   end-4   4           checksum: u32, CRC-32 (zlib's crc32) of every byte before it
//
// Writes go to "<path>.tmp.<pid>", are flushed with fsync, and then renamed over <path>, so a
// crash at any point leaves either the old file or the new one, never half of one.

#include "autograd/serialize.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "autograd/detail.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {

namespace {

constexpr char kMagic[8] = {'T', 'A', 'P', 'E', 'G', 'R', 'A', 'D'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxDims = 64;

constexpr bool host_is_little_endian() {
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return false;
#else
    return true;
#endif
}

// Reverses each `width`-byte element of buf in place (only on big-endian hosts).
void to_little_endian(unsigned char* buf, size_t bytes, size_t width) {
    if (host_is_little_endian() || width == 1) return;
    for (size_t i = 0; i + width <= bytes; i += width) {
        for (size_t a = i, b = i + width - 1; a < b; ++a, --b) std::swap(buf[a], buf[b]);
    }
}

uint8_t dtype_code(ScalarType t) {
    switch (t) {
        case kFloat32: return 0;
        case kFloat64: return 1;
        default: return 2;
    }
}

std::string errno_text() { return std::strerror(errno); }

// Appends to a file descriptor, keeping the running CRC.
class Writer {
public:
    Writer(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

    void bytes(const void* data, size_t n) {
        crc_ = crc32_z(crc_, static_cast<const Bytef*>(data), n);
        raw(data, n);
    }
    template <class T>
    void number(T v) {
        unsigned char buf[sizeof(T)];
        std::memcpy(buf, &v, sizeof(T));
        to_little_endian(buf, sizeof(T), sizeof(T));
        bytes(buf, sizeof(T));
    }
    // Element data, converted to little-endian in chunks on big-endian hosts.
    void elements(const void* data, size_t n, size_t width) {
        if (host_is_little_endian()) return bytes(data, n);
        std::vector<unsigned char> chunk;
        const auto* p = static_cast<const unsigned char*>(data);
        for (size_t off = 0; off < n; off += 1 << 20) {
            const size_t len = std::min<size_t>(1 << 20, n - off);
            chunk.assign(p + off, p + off + len);
            to_little_endian(chunk.data(), len, width);
            bytes(chunk.data(), len);
        }
    }
    void checksum() {
        unsigned char buf[4];
        const uint32_t c = static_cast<uint32_t>(crc_);
        std::memcpy(buf, &c, 4);
        to_little_endian(buf, 4, 4);
        raw(buf, 4);
    }

private:
    void raw(const void* data, size_t n) {
        const auto* p = static_cast<const char*>(data);
        while (n > 0) {
            const ssize_t w = ::write(fd_, p, n);
            if (w < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error("write_archive: cannot write '" + path_ + "': " +
                                         errno_text());
            }
            p += w;
            n -= static_cast<size_t>(w);
        }
    }
    int fd_;
    std::string path_;
    uLong crc_ = crc32_z(0, nullptr, 0);
};

// Reads fields from an in-memory file, naming the file and the field when it runs out.
class Reader {
public:
    Reader(const std::vector<unsigned char>& buf, size_t end, std::string path)
        : buf_(buf), end_(end), path_(std::move(path)) {}

    const unsigned char* take(size_t n, const std::string& what) {
        if (n > end_ - pos_) {
            throw std::runtime_error("read_archive: '" + path_ + "' is truncated: " + what +
                                     " needs " + std::to_string(n) + " bytes at offset " +
                                     std::to_string(pos_) + ", but only " +
                                     std::to_string(end_ - pos_) + " remain before the checksum");
        }
        const unsigned char* p = buf_.data() + pos_;
        pos_ += n;
        return p;
    }
    template <class T>
    T number(const std::string& what) {
        unsigned char tmp[sizeof(T)];
        std::memcpy(tmp, take(sizeof(T), what), sizeof(T));
        to_little_endian(tmp, sizeof(T), sizeof(T));
        T v;
        std::memcpy(&v, tmp, sizeof(T));
        return v;
    }
    size_t pos() const { return pos_; }

private:
    const std::vector<unsigned char>& buf_;
    size_t end_;
    size_t pos_ = 0;
    std::string path_;
};

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
    throw std::runtime_error("read_archive: '" + path + "' is corrupt: " + what);
}

}  // namespace

void write_archive(const std::string& path, const NamedTensors& tensors) {
    for (const auto& [name, t] : tensors) {
        if (!t.defined()) {
            throw std::invalid_argument("write_archive: tensor '" + name + "' is undefined");
        }
    }
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw std::runtime_error("write_archive: cannot create '" + tmp + "': " + errno_text());
    }
    try {
        Writer w(fd, tmp);
        w.bytes(kMagic, sizeof kMagic);
        w.number<uint32_t>(kVersion);
        w.number<uint64_t>(tensors.size());
        for (const auto& [name, t] : tensors) {
            w.number<uint32_t>(static_cast<uint32_t>(name.size()));
            w.bytes(name.data(), name.size());
            w.number<uint8_t>(dtype_code(t.dtype()));
            w.number<uint32_t>(static_cast<uint32_t>(t.dim()));
            for (int64_t s : t.sizes()) w.number<int64_t>(s);
            const size_t width = static_cast<size_t>(element_size(t.dtype()));
            const Tensor d = detail::dense(t);  // a view is written as its elements, row-major
            w.elements(d.raw_data(), static_cast<size_t>(t.numel()) * width, width);
        }
        w.checksum();
        if (::fsync(fd) != 0) {
            throw std::runtime_error("write_archive: cannot flush '" + tmp + "': " + errno_text());
        }
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error("write_archive: cannot close '" + tmp + "': " + errno_text());
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = errno_text();
        ::unlink(tmp.c_str());
        throw std::runtime_error("write_archive: cannot rename '" + tmp + "' to '" + path +
                                 "': " + why);
    }
    // Make the rename itself durable: flush the directory entry.
    const size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

NamedTensors read_archive(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("read_archive: cannot open '" + path + "': " + errno_text());
    }
    const std::vector<unsigned char> buf((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("read_archive: cannot read '" + path + "'");

    if (buf.size() < sizeof kMagic || std::memcmp(buf.data(), kMagic, sizeof kMagic) != 0) {
        throw std::runtime_error("read_archive: '" + path +
                                 "' is not a tapegrad archive (bad magic; expected the bytes "
                                 "\"TAPEGRAD\" at offset 0)");
    }
    const size_t header = sizeof kMagic + 4 + 8;
    if (buf.size() < header + 4) {
        throw std::runtime_error("read_archive: '" + path + "' is truncated: it has " +
                                 std::to_string(buf.size()) + " bytes, the header and checksum "
                                 "alone need " + std::to_string(header + 4));
    }
    // Everything but the last 4 bytes is content; the last 4 are the checksum.
    Reader r(buf, buf.size() - 4, path);
    r.take(sizeof kMagic, "the magic");
    const uint32_t version = r.number<uint32_t>("the version");
    if (version != kVersion) {
        throw std::runtime_error("read_archive: '" + path + "' has format version " +
                                 std::to_string(version) + "; this build reads version " +
                                 std::to_string(kVersion));
    }
    const uint64_t count = r.number<uint64_t>("the tensor count");
    NamedTensors out;
    for (uint64_t k = 0; k < count; ++k) {
        const std::string which = "tensor " + std::to_string(k);
        const uint32_t name_len = r.number<uint32_t>("the name length of " + which);
        const unsigned char* name_bytes = r.take(name_len, "the name of " + which);
        std::string name(reinterpret_cast<const char*>(name_bytes), name_len);
        const std::string label = "tensor '" + name + "'";
        const uint8_t code = r.number<uint8_t>("the dtype of " + label);
        if (code > 2) corrupt(path, label + " has unknown dtype code " + std::to_string(code));
        const ScalarType dtype = code == 0 ? kFloat32 : code == 1 ? kFloat64 : kInt64;
        const uint32_t ndim = r.number<uint32_t>("the rank of " + label);
        if (ndim > kMaxDims) {
            corrupt(path, label + " claims " + std::to_string(ndim) + " dimensions");
        }
        std::vector<int64_t> sizes(ndim);
        uint64_t numel = 1;
        for (uint32_t d = 0; d < ndim; ++d) {
            sizes[d] = r.number<int64_t>("the sizes of " + label);
            if (sizes[d] < 0 || (sizes[d] > 0 && numel > (uint64_t(1) << 62) / uint64_t(sizes[d]))) {
                corrupt(path, label + " has an impossible size " + std::to_string(sizes[d]));
            }
            numel *= static_cast<uint64_t>(sizes[d]);
        }
        const size_t width = static_cast<size_t>(element_size(dtype));
        if (numel > (buf.size() / width) + 1) {
            throw std::runtime_error("read_archive: '" + path + "' is truncated: " + label +
                                     " of shape " + shape_str(sizes) + " needs more bytes than "
                                     "the file has");
        }
        const size_t nbytes = static_cast<size_t>(numel) * width;
        const unsigned char* data = r.take(nbytes, "the data of " + label);
        Tensor t = empty(sizes, dtype);
        std::memcpy(t.raw_data(), data, nbytes);
        to_little_endian(static_cast<unsigned char*>(t.raw_data()), nbytes, width);
        out.emplace_back(std::move(name), std::move(t));
    }
    if (r.pos() != buf.size() - 4) {
        corrupt(path, std::to_string(buf.size() - 4 - r.pos()) +
                          " unexpected bytes after the last tensor");
    }
    uint32_t stored;
    unsigned char tail[4];
    std::memcpy(tail, buf.data() + buf.size() - 4, 4);
    to_little_endian(tail, 4, 4);
    std::memcpy(&stored, tail, 4);
    const uint32_t actual = static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), buf.data(),
                                                          buf.size() - 4));
    if (stored != actual) {
        char msg[96];
        std::snprintf(msg, sizeof msg, "checksum mismatch (stored %08x, computed %08x)", stored,
                      actual);
        corrupt(path, msg);
    }
    return out;
}

void save(const Tensor& tensor, const std::string& path) {
    tapegrad::detail::check_defined("save", tensor, "tensor");
    write_archive(path, {{"tensor", tensor.detach()}});
}

void save(const std::vector<Tensor>& tensors, const std::string& path) {
    NamedTensors named;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const std::string what = "tensor " + std::to_string(i);
        tapegrad::detail::check_defined("save", tensors[i], what.c_str());
        named.emplace_back(std::to_string(i), tensors[i].detach());
    }
    write_archive(path, named);
}

void load(Tensor& tensor, const std::string& path) {
    NamedTensors named = read_archive(path);
    if (named.size() != 1 || named[0].first != "tensor") {
        throw std::runtime_error("load: '" + path + "' holds " + std::to_string(named.size()) +
                                 " tensors, not one saved by save(tensor, path)");
    }
    tensor = std::move(named[0].second);
}

void load(std::vector<Tensor>& tensors, const std::string& path) {
    NamedTensors named = read_archive(path);
    std::vector<Tensor> out;
    for (size_t i = 0; i < named.size(); ++i) {
        if (named[i].first != std::to_string(i)) {
            throw std::runtime_error("load: '" + path + "' is not a list saved by save(tensors, "
                                     "path): entry " + std::to_string(i) + " is named '" +
                                     named[i].first + "'");
        }
        out.push_back(std::move(named[i].second));
    }
    tensors = std::move(out);
}

}  // namespace tapegrad
