#pragma once
// Element types, scalars and tensor options: the small value types every other header uses.

#include <cstdint>
#include <iosfwd>
#include <string>

namespace tapegrad {

/// The element type of a tensor, chosen at run time as in LibTorch.
enum class ScalarType : int8_t { Float32, Float64, Int64 };

constexpr ScalarType kFloat32 = ScalarType::Float32;
constexpr ScalarType kFloat = ScalarType::Float32;
constexpr ScalarType kFloat64 = ScalarType::Float64;
constexpr ScalarType kDouble = ScalarType::Float64;
constexpr ScalarType kInt64 = ScalarType::Int64;
constexpr ScalarType kLong = ScalarType::Int64;

/// Bytes per element of `t`.
inline int64_t element_size(ScalarType t) { return t == kFloat32 ? 4 : 8; }

/// True for the types that can carry gradients.
inline bool is_floating_point(ScalarType t) { return t != kInt64; }

/// "float32", "float64" or "int64".
const char* to_string(ScalarType t);
std::ostream& operator<<(std::ostream& os, ScalarType t);

/// A number passed to an op: remembers whether it was written as an integer, so that
/// `arange(10)` gives int64 and `arange(10.0)` gives float32, as in LibTorch.
class Scalar {
public:
    Scalar(double v) : d_(v), i_(static_cast<int64_t>(v)), integral_(false) {}
    Scalar(float v) : Scalar(static_cast<double>(v)) {}
    Scalar(int v) : d_(v), i_(v), integral_(true) {}
    Scalar(long v) : d_(static_cast<double>(v)), i_(v), integral_(true) {}
    Scalar(long long v) : d_(static_cast<double>(v)), i_(v), integral_(true) {}
    Scalar(unsigned v) : d_(v), i_(v), integral_(true) {}
    Scalar(unsigned long v) : Scalar(static_cast<long long>(v)) {}
    Scalar(unsigned long long v) : Scalar(static_cast<long long>(v)) {}

    double to_double() const { return d_; }
    int64_t to_long() const { return i_; }
    bool is_integral() const { return integral_; }

private:
    double d_;
    int64_t i_;
    bool integral_;
};

/// How to make a tensor: its dtype and whether it requires grad. Chain the setters:
/// `TensorOptions().dtype(kFloat64).requires_grad(true)`.
class TensorOptions {
public:
    TensorOptions() = default;
    TensorOptions(ScalarType t) : dtype_(t), has_dtype_(true) {}  // NOLINT: implicit, as LibTorch

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

    ScalarType dtype() const { return dtype_; }
    bool has_dtype() const { return has_dtype_; }
    bool requires_grad() const { return requires_grad_; }

private:
    ScalarType dtype_ = kFloat32;
    bool has_dtype_ = false;
    bool requires_grad_ = false;
};

/// `tapegrad::dtype(kFloat64)`: options with only the dtype set.
inline TensorOptions dtype(ScalarType t) { return TensorOptions().dtype(t); }

/// `tapegrad::requires_grad()`: options with only requires_grad set.
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }

}  // namespace tapegrad
