#pragma once
// Element types, scalars and tensor options: the small value types every other header uses.

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace tapegrad {

/// The element type of a tensor, chosen at run time as in LibTorch. Only the floating types
/// carry gradients; the integer types and Bool are for data, labels, indices and masks.
/// BFloat16 is a storage type: tensors of it convert, copy, view and print, and the matrix
/// products of an autocast scope (autograd/autocast.hpp) compute in it; other ops refuse it.
enum class ScalarType : int8_t {
    Float32,
    Float64,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
    BFloat16
};

constexpr ScalarType kFloat32 = ScalarType::Float32;
constexpr ScalarType kFloat = ScalarType::Float32;
constexpr ScalarType kF32 = ScalarType::Float32;
constexpr ScalarType kFloat64 = ScalarType::Float64;
constexpr ScalarType kDouble = ScalarType::Float64;
constexpr ScalarType kF64 = ScalarType::Float64;
constexpr ScalarType kInt64 = ScalarType::Int64;
constexpr ScalarType kLong = ScalarType::Int64;
constexpr ScalarType kInt32 = ScalarType::Int32;
constexpr ScalarType kInt = ScalarType::Int32;
constexpr ScalarType kInt16 = ScalarType::Int16;
constexpr ScalarType kShort = ScalarType::Int16;
constexpr ScalarType kInt8 = ScalarType::Int8;
constexpr ScalarType kChar = ScalarType::Int8;
constexpr ScalarType kUInt8 = ScalarType::UInt8;
constexpr ScalarType kByte = ScalarType::UInt8;
constexpr ScalarType kBool = ScalarType::Bool;
constexpr ScalarType kBFloat16 = ScalarType::BFloat16;

/// A bfloat16 number: the upper 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits),
/// so it has float32's range with about 3 significant digits. Made from a float by rounding to
/// the nearest (ties to even), as LibTorch's c10::BFloat16; NaN stays a (quiet) NaN.
struct BFloat16 {
    uint16_t x = 0;

    BFloat16() = default;
    BFloat16(float f) : x(round_bits(f)) {}  // NOLINT: implicit, as LibTorch's
    operator float() const {                 // NOLINT: implicit, as LibTorch's
        const uint32_t u = static_cast<uint32_t>(x) << 16;
        float f;
        std::memcpy(&f, &u, sizeof f);
        return f;
    }
    /// The value with these 16 bits, unrounded.
    static BFloat16 from_bits(uint16_t bits) {
        BFloat16 b;
        b.x = bits;
        return b;
    }

    /// The upper 16 bits of `f` rounded to the nearest, ties to even: adding 0x7fff plus the
    /// lowest kept bit carries into the kept bits exactly when the dropped half is above one
    /// half, or equal to it with an odd kept part.
    static uint16_t round_bits(float f) {
        uint32_t u;
        std::memcpy(&u, &f, sizeof u);
        if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
        u += 0x7fffu + ((u >> 16) & 1u);
        return static_cast<uint16_t>(u >> 16);
    }
};

/// Bytes per element of `t`.
inline int64_t element_size(ScalarType t) {
    switch (t) {
        case ScalarType::Float64:
        case ScalarType::Int64:
            return 8;
        case ScalarType::Float32:
        case ScalarType::Int32:
            return 4;
        case ScalarType::Int16:
        case ScalarType::BFloat16:
            return 2;
        case ScalarType::Int8:
        case ScalarType::UInt8:
        case ScalarType::Bool:
            return 1;
    }
    return 1;
}

/// True for the floating types, bfloat16 included (as LibTorch's isFloatingType).
inline bool is_floating_point(ScalarType t) {
    return t == kFloat32 || t == kFloat64 || t == kBFloat16;
}

/// True for the integer types (Bool excluded), as LibTorch's isIntegralType(t, false).
inline bool is_integral(ScalarType t) {
    return !is_floating_point(t) && t != kBool;
}

/// "float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool" or "bfloat16".
const char* to_string(ScalarType t);
std::ostream& operator<<(std::ostream& os, ScalarType t);

/// A number passed to an op, or read back with Tensor::item(): remembers whether it was
/// written as an integer, so that `arange(10)` gives int64 and `arange(10.0)` gives float32,
/// and keeps integers exact (an int64 above 2^53 does not round through a double).
class Scalar {
public:
    Scalar(double v) : d_(v), i_(saturate(v)), integral_(false) {}
    Scalar(float v) : Scalar(static_cast<double>(v)) {}
    Scalar(bool v) : d_(v), i_(v), integral_(true), bool_(true) {}
    Scalar(int v) : d_(v), i_(v), integral_(true) {}
    Scalar(long v) : d_(static_cast<double>(v)), i_(v), integral_(true) {}
    Scalar(long long v) : d_(static_cast<double>(v)), i_(v), integral_(true) {}
    Scalar(unsigned v) : d_(v), i_(v), integral_(true) {}
    Scalar(unsigned long v) : Scalar(static_cast<unsigned long long>(v)) {}
    Scalar(unsigned long long v)
        : d_(static_cast<double>(v)), i_(static_cast<int64_t>(v)), integral_(true) {
        if (v > static_cast<unsigned long long>(INT64_MAX)) throw_too_large(v);
    }

    double to_double() const { return d_; }
    int64_t to_long() const { return i_; }
    bool is_integral() const { return integral_; }
    bool is_bool() const { return bool_; }

    // LibTorch's spellings
    double toDouble() const { return d_; }
    float toFloat() const { return static_cast<float>(d_); }
    int64_t toLong() const { return integral_ ? i_ : saturate(d_); }
    int toInt() const { return static_cast<int>(toLong()); }
    bool toBool() const { return integral_ ? i_ != 0 : d_ != 0; }
    /// The value as T (an arithmetic type).
    template <class T>
    T to() const {
        if constexpr (std::is_same_v<T, bool>)
            return toBool();
        else if constexpr (std::is_floating_point_v<T>)
            return static_cast<T>(d_);
        else
            return static_cast<T>(toLong());
    }
    bool isIntegral(bool include_bool = false) const {
        return integral_ && (include_bool || !bool_);
    }
    bool isFloatingPoint() const { return !integral_; }
    bool isBoolean() const { return bool_; }

private:
    // the nearest int64, without the undefined behaviour of casting a huge double or a NaN
    static int64_t saturate(double v) {
        if (!(v == v)) return 0;
        if (v >= 9223372036854775807.0) return INT64_MAX;
        if (v <= -9223372036854775808.0) return INT64_MIN;
        return static_cast<int64_t>(v);
    }
    [[noreturn]] static void throw_too_large(unsigned long long v);
    double d_;
    int64_t i_;
    bool integral_;
    bool bool_ = false;
};
std::ostream& operator<<(std::ostream& os, const Scalar& s);

/// A list of sizes (or strides, or dims) as a parameter, LibTorch's spelling: built from a
/// braced list `{2, 3}`, a std::vector, or a single integer (`zeros(3)` is `zeros({3})`).
/// It owns its values, so keeping one is safe.
class IntArrayRef {
public:
    IntArrayRef() = default;
    IntArrayRef(std::initializer_list<int64_t> v) : v_(v) {}     // NOLINT: implicit, as LibTorch's
    IntArrayRef(const std::vector<int64_t>& v) : v_(v) {}        // NOLINT
    IntArrayRef(std::vector<int64_t>&& v) : v_(std::move(v)) {}  // NOLINT
    IntArrayRef(int64_t one) : v_{one} {}                        // NOLINT
    IntArrayRef(int one) : v_{one} {}                            // NOLINT
    operator const std::vector<int64_t>&() const { return v_; }  // NOLINT
    const std::vector<int64_t>& vec() const { return v_; }
    size_t size() const { return v_.size(); }
    bool empty() const { return v_.empty(); }
    int64_t operator[](size_t i) const { return v_[i]; }
    const int64_t* data() const { return v_.data(); }
    std::vector<int64_t>::const_iterator begin() const { return v_.begin(); }
    std::vector<int64_t>::const_iterator end() const { return v_.end(); }
    int64_t front() const { return v_.front(); }
    int64_t back() const { return v_.back(); }
    /// The entries from `start` on (and, with `length`, only that many), as LibTorch's slice.
    IntArrayRef slice(size_t start) const { return slice(start, v_.size() - start); }
    IntArrayRef slice(size_t start, size_t length) const;
    bool equals(const IntArrayRef& o) const { return v_ == o.v_; }
    friend bool operator==(const IntArrayRef& a, const IntArrayRef& b) { return a.v_ == b.v_; }
    friend bool operator!=(const IntArrayRef& a, const IntArrayRef& b) { return a.v_ != b.v_; }

private:
    std::vector<int64_t> v_;
};
/// "[2, 3]", as LibTorch prints an IntArrayRef.
std::ostream& operator<<(std::ostream& os, const IntArrayRef& sizes);

/// Where a tensor lives. tapegrad computes on the CPU; CUDA can be named (so that LibTorch's
/// device boilerplate compiles) but asking for a CUDA tensor raises.
enum class DeviceType : int8_t { CPU, CUDA };
constexpr DeviceType kCPU = DeviceType::CPU;
constexpr DeviceType kCUDA = DeviceType::CUDA;

/// A device and its index, as LibTorch's: `Device(kCPU)`, `Device(kCUDA, 0)`, `Device("cuda:1")`.
class Device {
public:
    Device(DeviceType type, int index = -1);  // NOLINT: implicit, as LibTorch's
    /// Parses "cpu", "cuda" or "cuda:<index>".
    Device(const std::string& spec);                         // NOLINT
    Device(const char* spec) : Device(std::string(spec)) {}  // NOLINT
    DeviceType type() const { return type_; }
    int index() const { return index_; }
    bool has_index() const { return index_ >= 0; }
    bool is_cpu() const { return type_ == kCPU; }
    bool is_cuda() const { return type_ == kCUDA; }
    /// "cpu", "cuda" or "cuda:0".
    std::string str() const;
    bool operator==(const Device& o) const { return type_ == o.type_ && index_ == o.index_; }
    bool operator!=(const Device& o) const { return !(*this == o); }

private:
    DeviceType type_;
    int index_;
};
std::ostream& operator<<(std::ostream& os, const Device& d);
std::ostream& operator<<(std::ostream& os, DeviceType t);

namespace cuda {
/// Always false: tapegrad has no CUDA backend.
inline bool is_available() {
    return false;
}
/// Always 0.
inline int64_t device_count() {
    return 0;
}
/// Always false.
inline bool cudnn_is_available() {
    return false;
}
}  // namespace cuda

namespace detail {
/// Raises unless `d` is the CPU, naming `op`.
void check_cpu(const char* op, const Device& d);
}  // namespace detail

/// How to make a tensor: its dtype and whether it requires grad. Chain the setters:
/// `TensorOptions().dtype(kFloat64).requires_grad(true)`.
class TensorOptions {
public:
    TensorOptions() = default;
    TensorOptions(ScalarType t) : dtype_(t), has_dtype_(true) {}  // NOLINT: implicit, as LibTorch
    TensorOptions(Device d) : device_(d) {}                       // NOLINT: implicit, as LibTorch
    TensorOptions(DeviceType d) : device_(d) {}                   // NOLINT: implicit, as LibTorch

    TensorOptions dtype(ScalarType t) const {
        TensorOptions o = *this;
        o.dtype_ = t;
        o.has_dtype_ = true;
        return o;
    }
    TensorOptions requires_grad(bool r) const {
        TensorOptions o = *this;
        o.requires_grad_ = r;
        return o;
    }
    TensorOptions device(Device d) const {
        TensorOptions o = *this;
        o.device_ = d;
        return o;
    }
    /// LibTorch's dtype<float>() spelling.
    template <class T>
    TensorOptions dtype() const;

    ScalarType dtype() const { return dtype_; }
    Device device() const { return device_; }
    bool has_dtype() const { return has_dtype_; }
    bool requires_grad() const { return requires_grad_; }

private:
    ScalarType dtype_ = kFloat32;
    bool has_dtype_ = false;
    bool requires_grad_ = false;
    Device device_ = kCPU;
};

namespace detail {
/// The ScalarType of a C++ element type.
template <class T>
constexpr ScalarType scalar_type_of() {
    if constexpr (std::is_same_v<T, float>)
        return kFloat32;
    else if constexpr (std::is_same_v<T, double>)
        return kFloat64;
    else if constexpr (std::is_same_v<T, int64_t>)
        return kInt64;
    else if constexpr (std::is_same_v<T, int32_t>)
        return kInt32;
    else if constexpr (std::is_same_v<T, int16_t>)
        return kInt16;
    else if constexpr (std::is_same_v<T, int8_t>)
        return kInt8;
    else if constexpr (std::is_same_v<T, uint8_t>)
        return kUInt8;
    else if constexpr (std::is_same_v<T, BFloat16>)
        return kBFloat16;
    else {
        static_assert(std::is_same_v<T, bool>,
                      "tensor elements are float, double, int64_t, int32_t, int16_t, int8_t, "
                      "uint8_t, bool or BFloat16");
        return kBool;
    }
}
}  // namespace detail

template <class T>
TensorOptions TensorOptions::dtype() const {
    return dtype(detail::scalar_type_of<T>());
}

/// `tapegrad::device(kCPU)`: options with only the device set.
inline TensorOptions device(Device d) {
    return TensorOptions().device(d);
}

/// `tapegrad::dtype(kFloat64)`: options with only the dtype set.
inline TensorOptions dtype(ScalarType t) {
    return TensorOptions().dtype(t);
}

/// `tapegrad::requires_grad()`: options with only requires_grad set.
inline TensorOptions requires_grad(bool r = true) {
    return TensorOptions().requires_grad(r);
}

}  // namespace tapegrad
