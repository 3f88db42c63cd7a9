// The tensor archive format (version 1). Every integer is little-endian.
//
//   offset  size        field
//   0       8           magic: the ASCII bytes "TAPEGRAD"
//   8       4           version: u32, currently 1
//   12      8           count: u64, the number of tensors
//   then, count times, one record:
//           4           name length: u32, in bytes
//           n           name: UTF-8, no terminator (e.g. "fc1.weight")
//           1           dtype: u8, 0 = float32, 1 = float64, 2 = int64, 3 = int32,
//                       4 = int16, 5 = int8, 6 = uint8, 7 = bool (one byte, 0 or 1),
//                       8 = bfloat16 (the upper half of a float32, two bytes)
//           4           ndim: u32 (0 for a scalar)
//           8 * ndim    sizes: i64 each
//           numel * es  data: row-major elements of element_size(dtype) bytes each
//   end-4   4           checksum: u32, CRC-32 (zlib's crc32) of every byte before it
//
// Writes go through detail::AtomicFile (autograd/platform.hpp): a fresh temporary beside
// <path>, fsync, rename, so a crash at any point leaves either the old file or the new one,
// never half of one. Reads check the header before anything else, refuse non-regular files, and
// read in chunks of 1 MiB, allocating a tensor only once the file is known to hold its bytes.

#include "autograd/serialize.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "autograd/detail.hpp"
#include "autograd/ops.hpp"
#include "autograd/platform.hpp"

namespace tapegrad {

namespace {

constexpr char kMagic[8] = {'T', 'A', 'P', 'E', 'G', 'R', 'A', 'D'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxDims = 64;
constexpr size_t kHeaderBytes = sizeof kMagic + 4 + 8;  // magic, version, count
constexpr size_t kChunkBytes = size_t(1) << 20;

constexpr bool host_is_little_endian() {
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
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

// The dtype of each code, in code order (0, 1 and 2 were the first version's only ones).
constexpr ScalarType kDtypes[] = {kFloat32, kFloat64, kInt64, kInt32,   kInt16,
                                  kInt8,    kUInt8,   kBool,  kBFloat16};
constexpr uint8_t kDtypeCount = sizeof kDtypes / sizeof kDtypes[0];

uint8_t dtype_code(ScalarType t) {
    for (uint8_t code = 0; code < kDtypeCount; ++code) {
        if (kDtypes[code] == t) return code;
    }
    throw std::logic_error(std::string("write_archive: dtype ") + to_string(t) +
                           " has no archive code");
}

// Appends to an AtomicFile, keeping the running CRC.
class Writer {
public:
    explicit Writer(detail::AtomicFile& file) : file_(file) {}

    void bytes(const void* data, size_t n) {
        crc_ = crc32_z(crc_, static_cast<const Bytef*>(data), n);
        file_.write(data, n);
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
        for (size_t off = 0; off < n; off += kChunkBytes) {
            const size_t len = std::min(kChunkBytes, n - off);
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
        file_.write(buf, 4);
    }

private:
    detail::AtomicFile& file_;
    uLong crc_ = crc32_z(0, nullptr, 0);
};

// Reads an archive's fields in order through a buffer of at most 1 MiB, keeping the running CRC.
// Every read first checks that the content (the file less its 4 checksum bytes) still holds it, so
// a size claimed by a corrupt header is refused before anything is allocated for it.
class Reader {
public:
    // The buffer is no larger than the file: a small checkpoint does not pay for 1 MiB.
    Reader(detail::InputFile& file, uint64_t content_bytes)
        : file_(file), end_(content_bytes), buf_(std::min<uint64_t>(kChunkBytes, file.size())) {}

    // Throws the truncation error unless `n` more content bytes remain.
    void need(uint64_t n, const std::string& what) const {
        if (n > end_ - pos_) {
            throw std::runtime_error("read_archive: '" + file_.path() + "' is truncated: " + what +
                                     " needs " + std::to_string(n) + " bytes at offset " +
                                     std::to_string(pos_) + ", but only " +
                                     std::to_string(end_ - pos_) + " remain before the checksum");
        }
    }
    void read(void* dst, size_t n, const std::string& what) {
        need(n, what);
        raw(dst, n);
        crc_ = crc32_z(crc_, static_cast<const Bytef*>(dst), n);
        pos_ += n;
    }
    template <class T>
    T number(const std::string& what) {
        unsigned char tmp[sizeof(T)];
        read(tmp, sizeof(T), what);
        to_little_endian(tmp, sizeof(T), sizeof(T));
        T v;
        std::memcpy(&v, tmp, sizeof(T));
        return v;
    }
    std::string text(size_t n, const std::string& what) {
        need(n, what);
        std::string s(n, '\0');
        read(&s[0], n, what);
        return s;
    }
    uint64_t remaining() const { return end_ - pos_; }
    // Ends the content at `end` (at or after the current position).
    void limit(uint64_t end) { end_ = end; }
    uint32_t crc() const { return static_cast<uint32_t>(crc_); }
    // The 4 checksum bytes after the content, and a check that nothing follows them.
    uint32_t stored_checksum() {
        unsigned char tail[4];
        raw(tail, 4);
        unsigned char extra;
        if (head_ != tail_ || file_.read_some(&extra, 1) != 0) changed();
        to_little_endian(tail, 4, 4);
        uint32_t v;
        std::memcpy(&v, tail, 4);
        return v;
    }

private:
    // Copies n bytes of the file, refilling the buffer (or, for large reads on an empty
    // buffer, reading straight into dst).
    void raw(void* dst, size_t n) {
        auto* out = static_cast<unsigned char*>(dst);
        while (n > 0) {
            if (head_ == tail_) {
                if (n >= buf_.size()) {
                    const size_t got = file_.read_some(out, n);
                    if (got == 0) changed();
                    out += got;
                    n -= got;
                    continue;
                }
                head_ = 0;
                tail_ = file_.read_some(buf_.data(), buf_.size());
                if (tail_ == 0) changed();
            }
            const size_t take = std::min(n, tail_ - head_);
            std::memcpy(out, buf_.data() + head_, take);
            head_ += take;
            out += take;
            n -= take;
        }
    }
    [[noreturn]] void changed() const {
        throw std::runtime_error("read_archive: '" + file_.path() +
                                 "' changed size while it was being read");
    }

    detail::InputFile& file_;
    uint64_t end_;
    uint64_t pos_ = 0;
    std::vector<unsigned char> buf_;
    size_t head_ = 0, tail_ = 0;
    uLong crc_ = crc32_z(0, nullptr, 0);
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
    detail::AtomicFile file("write_archive", path);
    Writer w(file);
    w.bytes(kMagic, sizeof kMagic);
    w.number<uint32_t>(kVersion);
    w.number<uint64_t>(tensors.size());
    for (const auto& [name, t] : tensors) {
        w.number<uint32_t>(static_cast<uint32_t>(name.size()));
        w.bytes(name.data(), name.size());
        w.number<uint8_t>(dtype_code(t.dtype()));
        w.number<uint32_t>(static_cast<uint32_t>(t.dim()));
        for (int64_t s : t.sizes()) w.number<int64_t>(s);
        const Tensor data = detail::dense(t);  // a view is written as its elements, row-major
        const size_t width = static_cast<size_t>(element_size(t.dtype()));
        w.elements(data.raw_data(), static_cast<size_t>(t.numel()) * width, width);
    }
    w.checksum();
    file.commit();
}

NamedTensors read_archive(const std::string& path) {
    detail::InputFile file("read_archive", path);
    const uint64_t size = file.size();
    // The magic first: a file that is not an archive is refused before it is read further.
    Reader r(file, size);
    char magic[sizeof kMagic];
    if (size < sizeof kMagic || (r.read(magic, sizeof magic, "the magic"),
                                 std::memcmp(magic, kMagic, sizeof kMagic) != 0)) {
        throw std::runtime_error("read_archive: '" + path +
                                 "' is not a tapegrad archive (bad magic; expected the bytes "
                                 "\"TAPEGRAD\" at offset 0)");
    }
    if (size < kHeaderBytes + 4) {
        throw std::runtime_error("read_archive: '" + path + "' is truncated: it has " +
                                 std::to_string(size) +
                                 " bytes, the header and checksum "
                                 "alone need " +
                                 std::to_string(kHeaderBytes + 4));
    }
    r.limit(size - 4);  // everything but the last 4 bytes is content; those are the checksum
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
        std::string name = r.text(name_len, "the name of " + which);
        const std::string label = "tensor '" + name + "'";
        const uint8_t code = r.number<uint8_t>("the dtype of " + label);
        if (code >= kDtypeCount) {
            corrupt(path, label + " has unknown dtype code " + std::to_string(code));
        }
        const ScalarType dtype = kDtypes[code];
        const uint32_t ndim = r.number<uint32_t>("the rank of " + label);
        if (ndim > kMaxDims) {
            corrupt(path, label + " claims " + std::to_string(ndim) + " dimensions");
        }
        std::vector<int64_t> sizes(ndim);
        // The product of the non-zero sizes stays below 2^62 even when a zero makes the tensor
        // empty, so no size or stride computed from the shape can overflow.
        uint64_t product = 1;
        for (uint32_t d = 0; d < ndim; ++d) {
            sizes[d] = r.number<int64_t>("the sizes of " + label);
            if (sizes[d] < 0 ||
                (sizes[d] > 0 && product > (uint64_t(1) << 62) / uint64_t(sizes[d]))) {
                corrupt(path, label + " has an impossible size " + std::to_string(sizes[d]));
            }
            if (sizes[d] > 0) product *= static_cast<uint64_t>(sizes[d]);
        }
        const uint64_t numel =
            std::find(sizes.begin(), sizes.end(), 0) == sizes.end() ? product : 0;
        const size_t width = static_cast<size_t>(element_size(dtype));
        if (numel > r.remaining() / width) {
            throw std::runtime_error("read_archive: '" + path + "' is truncated: " + label +
                                     " of shape " + shape_str(sizes) +
                                     " needs more bytes than "
                                     "the file has");
        }
        const size_t nbytes = static_cast<size_t>(numel) * width;
        Tensor t = empty(sizes, dtype);
        r.read(t.raw_data(), nbytes, "the data of " + label);
        to_little_endian(static_cast<unsigned char*>(t.raw_data()), nbytes, width);
        if (dtype == kBool) {  // any byte but 0 and 1 is not a bool: reading it would be undefined
            const auto* b = static_cast<const unsigned char*>(t.raw_data());
            const auto bad = std::find_if(b, b + nbytes, [](unsigned char v) { return v > 1; });
            if (bad != b + nbytes) {
                corrupt(path, label + " is bool but element " + std::to_string(bad - b) +
                                  " is the byte " + std::to_string(*bad));
            }
        }
        out.emplace_back(std::move(name), std::move(t));
    }
    if (r.remaining() != 0) {
        corrupt(path, std::to_string(r.remaining()) + " unexpected bytes after the last tensor");
    }
    const uint32_t actual = r.crc();
    const uint32_t stored = r.stored_checksum();
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
            throw std::runtime_error("load: '" + path +
                                     "' is not a list saved by save(tensors, "
                                     "path): entry " +
                                     std::to_string(i) + " is named '" + named[i].first + "'");
        }
        out.push_back(std::move(named[i].second));
    }
    tensors = std::move(out);
}

}  // namespace tapegrad
