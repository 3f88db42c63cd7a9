#pragma once
// The indexing vocabulary of LibTorch's at::indexing: what `t.index({...})` and
// `t.index_put_({...}, v)` take, one entry per Python subscript.
//
//   Python               tapegrad
//   x[None]              x.index({None})
//   x[...]               x.index({Ellipsis}) or x.index({"..."})
//   x[1]                 x.index({1})
//   x[True]              x.index({true})
//   x[:], x[1:], x[::2]  x.index({Slice()}), x.index({Slice(1, None)}), x.index({Slice(None, None,
//   2)}) x[1:3, 0]            x.index({Slice(1, 3), 0}) x[idx], x[mask]      x.index({idx}),
//   x.index({mask})  (int64 or bool tensors) x[..., 0] = v        x.index_put_({Ellipsis, 0}, v)
//
// Integers, slices, None and Ellipsis alone give a view of x (basic indexing); any tensor
// index gives a copy (advanced indexing), as in LibTorch.

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace indexing {

/// A missing slice end, and `x[None]`: a new dim of size 1 (LibTorch's c10::nullopt).
constexpr std::nullopt_t None = std::nullopt;

struct EllipsisIndexType final {};
/// `...`: as many whole dims as the other indices leave.
inline constexpr EllipsisIndexType Ellipsis{};

/// Python's start:stop:step; a missing end is None. Steps must be positive (as in LibTorch).
class Slice final {
public:
    Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
          std::optional<int64_t> step = std::nullopt);
    int64_t start() const { return start_; }
    int64_t stop() const { return stop_; }
    int64_t step() const { return step_; }

private:
    int64_t start_, stop_, step_;
};

/// One entry of an index list: None, Ellipsis (or "..."), an integer, a bool, a Slice or a
/// tensor (int64 positions, or a bool mask).
class TensorIndex final {
public:
    enum class Type { None, Ellipsis, Integer, Boolean, Slice, Tensor };

    TensorIndex(std::nullopt_t) : type_(Type::None) {}         // NOLINT: implicit
    TensorIndex(EllipsisIndexType) : type_(Type::Ellipsis) {}  // NOLINT
    /// "..." only: any other string raises.
    TensorIndex(const char* str);                                              // NOLINT
    TensorIndex(int64_t integer) : integer_(integer), type_(Type::Integer) {}  // NOLINT
    TensorIndex(int integer) : TensorIndex(static_cast<int64_t>(integer)) {}   // NOLINT
    template <class T, class = std::enable_if_t<std::is_same_v<T, bool>>>
    TensorIndex(T boolean) : boolean_(boolean), type_(Type::Boolean) {}              // NOLINT
    TensorIndex(Slice slice) : slice_(slice), type_(Type::Slice) {}                  // NOLINT
    TensorIndex(Tensor tensor) : tensor_(std::move(tensor)), type_(Type::Tensor) {}  // NOLINT

    Type type() const { return type_; }
    bool is_none() const { return type_ == Type::None; }
    bool is_ellipsis() const { return type_ == Type::Ellipsis; }
    bool is_integer() const { return type_ == Type::Integer; }
    bool is_boolean() const { return type_ == Type::Boolean; }
    bool is_slice() const { return type_ == Type::Slice; }
    bool is_tensor() const { return type_ == Type::Tensor; }
    int64_t integer() const { return integer_; }
    bool boolean() const { return boolean_; }
    const Slice& slice() const { return slice_; }
    const Tensor& tensor() const { return tensor_; }

private:
    int64_t integer_ = 0;
    bool boolean_ = false;
    Slice slice_;
    Tensor tensor_;
    Type type_;
};

}  // namespace indexing
}  // namespace tapegrad
