#pragma once
// nn::utils::rnn: variable-length batches for the recurrent layers, as LibTorch's.
//
// A PackedSequence holds the steps of several sequences of different lengths without padding:
// `data` stacks, time step after time step, the rows of the sequences still running at that
// step ([sum of lengths, *]); `batch_sizes[t]` says how many rows step t has (non-increasing,
// since the sequences are sorted by decreasing length). `sorted_indices` / `unsorted_indices`
// remember the sort when the batch was not given sorted.

#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace nn {
namespace utils {
namespace rnn {

/// Sequences of different lengths packed time step by time step; see the file's comment.
class PackedSequence {
public:
    PackedSequence() = default;
    /// data: [sum of lengths, *]; batch_sizes: int64 [max length]; the indices are int64 [batch]
    /// or undefined when the batch was sorted already.
    explicit PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices = {},
                            Tensor unsorted_indices = {});

    const Tensor& data() const { return data_; }
    const Tensor& batch_sizes() const { return batch_sizes_; }
    const Tensor& sorted_indices() const { return sorted_indices_; }
    const Tensor& unsorted_indices() const { return unsorted_indices_; }
    /// The same batch around other data of as many rows (e.g. a layer's output).
    PackedSequence with_data(Tensor data) const;
    bool defined() const { return data_.defined(); }

private:
    Tensor data_;
    Tensor batch_sizes_;
    Tensor sorted_indices_;
    Tensor unsorted_indices_;
};

/// Packs a padded batch input [T, B, *] ([B, T, *] when batch_first) whose sequence b has
/// lengths[b] steps. With enforce_sorted the lengths must be non-increasing; otherwise the
/// batch is sorted here and the order restored by pad_packed_sequence and the layers' states.
PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first = false,
                                    bool enforce_sorted = true);

/// The inverse of pack_padded_sequence: returns (padded [T, B, *] or [B, T, *], lengths int64
/// [B]), positions past each length set to padding_value; total_length pads T further.
std::tuple<Tensor, Tensor> pad_packed_sequence(PackedSequence sequence, bool batch_first = false,
                                               double padding_value = 0.0,
                                               std::optional<int64_t> total_length = std::nullopt);

/// Stacks sequences [L_i, *] into [max L, B, *] ([B, max L, *] when batch_first), padding
/// with padding_value.
Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first = false,
                    double padding_value = 0.0);

/// pad_sequence then pack_padded_sequence, from the sequences' own lengths.
PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted = true);

}  // namespace rnn
}  // namespace utils
}  // namespace nn
}  // namespace tapegrad
