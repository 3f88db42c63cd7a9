#pragma once
// Ops on images and sequences, with LibTorch's names and argument orders: convolutions
// (ops/conv.cpp), pooling (ops/pool.cpp), padding, resampling and pixel shuffling
// (ops/resample.cpp), normalisation over channels (ops/norm.cpp). 2-d ops take [N, C, H, W] or an
// unbatched [C, H, W]; 1-d ops take [N, C, L] or [C, L]. Size arguments take one number or one per
// dim: `conv2d(x, w, b, 2)` and `conv2d(x, w, b, {2, 1})` both work.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <tuple>
#include <vector>

#include "autograd/expanding_array.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {

/// Padding given by name instead of sizes: kValid (none) or kSame (the output keeps the
/// input's size; stride 1 only), as LibTorch's torch::kValid and torch::kSame.
enum class ConvPaddingKind { Valid, Same };
constexpr ConvPaddingKind kValid = ConvPaddingKind::Valid;
constexpr ConvPaddingKind kSame = ConvPaddingKind::Same;

/// How the border of an image is filled: convolutions' padding_mode takes kZeros, kReflect,
/// kReplicate or kCircular; pad() takes kConstant, kReflect, kReplicate or kCircular.
enum class PaddingMode { Zeros, Constant, Reflect, Replicate, Circular };
constexpr PaddingMode kZeros = PaddingMode::Zeros;
constexpr PaddingMode kConstant = PaddingMode::Constant;
constexpr PaddingMode kReflect = PaddingMode::Reflect;
constexpr PaddingMode kReplicate = PaddingMode::Replicate;
constexpr PaddingMode kCircular = PaddingMode::Circular;
/// "zeros", "reflect", ... as PyTorch spells the modes.
const char* to_string(PaddingMode mode);

/// How Upsample and interpolate compute new pixels.
enum class InterpolateMode { Nearest, Bilinear };
constexpr InterpolateMode kNearest = InterpolateMode::Nearest;
constexpr InterpolateMode kBilinear = InterpolateMode::Bilinear;

/// A convolution's padding: sizes (one number or one per dim), or kValid / kSame.
template <size_t D>
class ConvPadding {
public:
    ConvPadding(int64_t p) : sizes_(p) {}                                        // NOLINT: implicit
    ConvPadding(std::initializer_list<int64_t> p) : sizes_(p) {}                 // NOLINT: implicit
    ConvPadding(const std::vector<int64_t>& p) : sizes_(p) {}                    // NOLINT: implicit
    ConvPadding(const ExpandingArray<D>& p) : sizes_(p) {}                       // NOLINT: implicit
    ConvPadding(ConvPaddingKind kind) : kind_(kind), named_(true), sizes_(0) {}  // NOLINT
    /// True for kSame / kValid.
    bool is_named() const { return named_; }
    ConvPaddingKind kind() const { return kind_; }
    /// The sizes (zero for kValid; meaningless for kSame, which depends on the kernel).
    const ExpandingArray<D>& sizes() const { return sizes_; }

private:
    ConvPaddingKind kind_ = ConvPaddingKind::Valid;
    bool named_ = false;
    ExpandingArray<D> sizes_;
};

// ---- convolutions (ops/conv.cpp) ------------------------------------------------------------
/// 2-d convolution (cross-correlation, as PyTorch): input [N, C_in, H, W], weight [C_out,
/// C_in / groups, kH, kW], bias [C_out] or undefined -> [N, C_out, H_out, W_out]. Lowered to
/// im2col + sgemm; its backward is again convolutions, so it differentiates to any order.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              ExpandingArray<2> stride = 1, ConvPadding<2> padding = 0,
              ExpandingArray<2> dilation = 1, int64_t groups = 1);
/// 1-d convolution: input [N, C_in, L], weight [C_out, C_in / groups, k] -> [N, C_out, L_out].
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              ExpandingArray<1> stride = 1, ConvPadding<1> padding = 0,
              ExpandingArray<1> dilation = 1, int64_t groups = 1);
/// Transposed 2-d convolution (the adjoint of conv2d in its input): input [N, C_in, H, W],
/// weight [C_in, C_out / groups, kH, kW] -> [N, C_out, (H - 1) * stride - 2 * padding +
/// dilation * (kH - 1) + output_padding + 1, ...].
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        ExpandingArray<2> stride = 1, ExpandingArray<2> padding = 0,
                        ExpandingArray<2> output_padding = 0, int64_t groups = 1,
                        ExpandingArray<2> dilation = 1);
/// Transposed 1-d convolution: input [N, C_in, L], weight [C_in, C_out / groups, k].
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        ExpandingArray<1> stride = 1, ExpandingArray<1> padding = 0,
                        ExpandingArray<1> output_padding = 0, int64_t groups = 1,
                        ExpandingArray<1> dilation = 1);

// ---- pooling (ops/pool.cpp) -------------------------------------------------------------------
/// Max over windows of [N, C, H, W]; an empty stride means the kernel size. Padding (at most
/// half the kernel) counts as -inf. With ceil_mode the last window may hang over the edge.
Tensor max_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, ExpandingArray<2> stride = {},
                  ExpandingArray<2> padding = 0, ExpandingArray<2> dilation = 1,
                  bool ceil_mode = false);
/// max_pool2d and the int64 position of each max within its H * W plane (for max_unpool2d).
std::tuple<Tensor, Tensor> max_pool2d_with_indices(
    const Tensor& input, ExpandingArray<2> kernel_size, ExpandingArray<2> stride = {},
    ExpandingArray<2> padding = 0, ExpandingArray<2> dilation = 1, bool ceil_mode = false);
Tensor max_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, ExpandingArray<1> stride = {},
                  ExpandingArray<1> padding = 0, ExpandingArray<1> dilation = 1,
                  bool ceil_mode = false);
std::tuple<Tensor, Tensor> max_pool1d_with_indices(
    const Tensor& input, ExpandingArray<1> kernel_size, ExpandingArray<1> stride = {},
    ExpandingArray<1> padding = 0, ExpandingArray<1> dilation = 1, bool ceil_mode = false);
/// Mean over windows; count_include_pad counts padded zeros in the divisor; divisor_override
/// replaces the divisor.
Tensor avg_pool2d(const Tensor& input, ExpandingArray<2> kernel_size, ExpandingArray<2> stride = {},
                  ExpandingArray<2> padding = 0, bool ceil_mode = false,
                  bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool1d(const Tensor& input, ExpandingArray<1> kernel_size, ExpandingArray<1> stride = {},
                  ExpandingArray<1> padding = 0, bool ceil_mode = false,
                  bool count_include_pad = true);
/// Mean over output_size windows that tile the input (window i spans floor(i * H / Ho) to
/// ceil((i + 1) * H / Ho)); output_size {1, 1} is global average pooling.
Tensor adaptive_avg_pool2d(const Tensor& input, ExpandingArray<2> output_size);
Tensor adaptive_avg_pool1d(const Tensor& input, ExpandingArray<1> output_size);
/// Max over the same windows, with indices as max_pool2d_with_indices.
std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, ExpandingArray<2> output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, ExpandingArray<1> output_size);
/// The partial inverse of max pooling: each value goes to its index in a zero plane of
/// output_size [H_out, W_out]; the gradient is gathered back from the same positions.
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, ExpandingArray<2> output_size);
Tensor max_unpool1d(const Tensor& input, const Tensor& indices, ExpandingArray<1> output_size);

// ---- padding, resampling, pixel shuffle (ops/resample.cpp) -----------------------------------
/// Pads the last dims: {left, right} pads the last dim, {left, right, top, bottom} the last two
/// (negative sizes crop). kConstant fills with `value`; kReflect mirrors without repeating the
/// edge, kReplicate repeats it, kCircular wraps around (those need 2-4 leading dims).
Tensor pad(const Tensor& input, std::vector<int64_t> pad, PaddingMode mode = kConstant,
           double value = 0);
/// Upsampling by copying the nearest pixel (PyTorch's legacy "nearest": floor(i * in / out)).
/// scales_h / scales_w, when given, replace in / out by 1 / scale (interpolate passes them).
Tensor upsample_nearest2d(const Tensor& input, ExpandingArray<2> output_size,
                          std::optional<double> scales_h = std::nullopt,
                          std::optional<double> scales_w = std::nullopt);
/// Bilinear upsampling; align_corners maps the corner pixels onto each other.
Tensor upsample_bilinear2d(const Tensor& input, ExpandingArray<2> output_size, bool align_corners,
                           std::optional<double> scales_h = std::nullopt,
                           std::optional<double> scales_w = std::nullopt);
/// [N, C * r * r, H, W] -> [N, C, H * r, W * r].
Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);
/// [N, C, H * r, W * r] -> [N, C * r * r, H, W].
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);

// ---- normalisation over channels (ops/norm.cpp) --------------------------------------------
/// Batch normalisation of [N, C, ...] per channel: training uses the batch's mean and biased
/// variance and updates running_mean / running_var (when defined; the variance unbiased) by
/// `momentum`; otherwise the running statistics normalise. weight and bias ([C]) may be
/// undefined. One fused op; its backward differentiates again (create_graph).
Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps, bool cudnn_enabled = false);
/// Normalises each (sample, channel) of [N, C, ...] over its own values (use_input_stats), or
/// by the running statistics, which use_input_stats updates with the mean over the batch.
Tensor instance_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                     const Tensor& running_mean, const Tensor& running_var, bool use_input_stats,
                     double momentum, double eps, bool cudnn_enabled = false);
/// Normalises each group of C / num_groups channels of each sample; then weight and bias per
/// channel.
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5, bool cudnn_enabled = false);

namespace detail {
/// Pairs for the 2-d form of an op; a 1-d op puts its value second, over a height of 1.
using Pair = std::array<int64_t, 2>;
/// conv1d / conv2d with `op` naming the caller in error messages (the layers pass "Conv2d")
/// and spatial_dims 1 or 2 (a 1-d input gains a height of 1 inside).
Tensor convolution(const char* op, int64_t spatial_dims, const Tensor& input, const Tensor& weight,
                   const Tensor& bias, Pair stride, ConvPadding<2> padding, Pair dilation,
                   int64_t groups);
/// conv_transpose1d / conv_transpose2d, likewise.
Tensor convolution_transpose(const char* op, int64_t spatial_dims, const Tensor& input,
                             const Tensor& weight, const Tensor& bias, Pair stride, Pair padding,
                             Pair output_padding, int64_t groups, Pair dilation);
/// The pooling ops with `op` naming the caller in error messages (the layers pass
/// "MaxPool2d"); a 1-d op passes {1, k}-style pairs over a height of 1.
std::tuple<Tensor, Tensor> max_pool_nd(const char* op, int64_t spatial_dims, const Tensor& input,
                                       Pair kernel, Pair stride, Pair padding, Pair dilation,
                                       bool ceil_mode);
Tensor avg_pool_nd(const char* op, int64_t spatial_dims, const Tensor& input, Pair kernel,
                   Pair stride, Pair padding, bool ceil_mode, bool count_include_pad,
                   std::optional<int64_t> divisor_override);
Tensor adaptive_avg_pool_nd(const char* op, int64_t spatial_dims, const Tensor& input,
                            Pair output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool_nd(const char* op, int64_t spatial_dims,
                                                const Tensor& input, Pair output_size);
Tensor max_unpool_nd(const char* op, int64_t spatial_dims, const Tensor& input,
                     const Tensor& indices, Pair output_size);
}  // namespace detail

}  // namespace tapegrad
