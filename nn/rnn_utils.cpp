#include "nn/rnn_utils.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace nn {
namespace utils {
namespace rnn {

namespace {

std::string list_str(const std::vector<int64_t>& v) {
    return shape_str(v);
}

Tensor int64_tensor(const std::vector<int64_t>& values) {
    Tensor t = empty({static_cast<int64_t>(values.size())}, kInt64);
    std::copy(values.begin(), values.end(), t.data_ptr<int64_t>());
    return t;
}

// [rows, *rest] of padding_value, as `like`'s dtype.
Tensor padding(int64_t rows, const Tensor& like, double padding_value) {
    std::vector<int64_t> sizes = like.sizes();
    sizes[0] = rows;
    return full(sizes, padding_value, like.options());
}

}  // namespace

PackedSequence::PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices,
                               Tensor unsorted_indices)
    : data_(std::move(data)),
      batch_sizes_(std::move(batch_sizes)),
      sorted_indices_(std::move(sorted_indices)),
      unsorted_indices_(std::move(unsorted_indices)) {
    if (!data_.defined() || !batch_sizes_.defined() || batch_sizes_.dim() != 1 ||
        batch_sizes_.scalar_type() != kInt64 || batch_sizes_.numel() == 0)
        throw std::invalid_argument(
            "PackedSequence: needs data and a non-empty int64 batch_sizes of one dimension");
    const std::vector<int64_t> sizes = batch_sizes_.contiguous().to_vector<int64_t>();
    if (sizes.front() < 1 || sizes.back() < 1 ||
        !std::is_sorted(sizes.begin(), sizes.end(), std::greater<int64_t>()))
        throw std::invalid_argument("PackedSequence: batch_sizes " + list_str(sizes) +
                                    " must be positive and non-increasing");
    const int64_t rows = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
    if (data_.dim() < 1 || data_.size(0) != rows)
        throw std::invalid_argument("PackedSequence: batch_sizes " + list_str(sizes) +
                                    " add up to " + std::to_string(rows) + " rows, data is " +
                                    shape_str(data_.sizes()));
    if (sorted_indices_.defined() && !unsorted_indices_.defined()) {
        // the inverse permutation: unsorted[sorted[i]] = i
        const std::vector<int64_t> s = sorted_indices_.contiguous().to_vector<int64_t>();
        std::vector<int64_t> u(s.size(), -1);
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] < 0 || s[i] >= static_cast<int64_t>(s.size()) ||
                u[static_cast<size_t>(s[i])] != -1)
                throw std::invalid_argument("PackedSequence: sorted_indices " + list_str(s) +
                                            " is not a permutation");
            u[static_cast<size_t>(s[i])] = static_cast<int64_t>(i);
        }
        unsorted_indices_ = int64_tensor(u);
    }
}

PackedSequence PackedSequence::with_data(Tensor data) const {
    return PackedSequence(std::move(data), batch_sizes_, sorted_indices_, unsorted_indices_);
}

// data = the rows b < batch_sizes[t] of every step t, step after step; a view-and-cat, so the
// gradient flows back to the padded input (zero at the padding).
PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first,
                                    bool enforce_sorted) {
    if (input.dim() < 2)
        throw std::invalid_argument(
            "pack_padded_sequence: input must have at least 2 dimensions, got " +
            shape_str(input.sizes()));
    if (batch_first) input = input.transpose(0, 1);
    const int64_t T = input.size(0), B = input.size(1);
    if (!lengths.defined() || lengths.dim() != 1 || lengths.numel() != B)
        throw std::invalid_argument(
            "pack_padded_sequence: lengths must be 1-D with one entry per sequence (" +
            std::to_string(B) + "), got " +
            (lengths.defined() ? shape_str(lengths.sizes()) : std::string("undefined")));
    std::vector<int64_t> len = lengths.to(kInt64).contiguous().to_vector<int64_t>();
    for (size_t b = 0; b < len.size(); ++b)
        if (len[b] < 1 || len[b] > T)
            throw std::invalid_argument("pack_padded_sequence: length " + std::to_string(len[b]) +
                                        " of sequence " + std::to_string(b) + " is outside [1, " +
                                        std::to_string(T) + "] (input has " + std::to_string(T) +
                                        " steps)");
    Tensor sorted_indices;
    if (enforce_sorted) {
        if (!std::is_sorted(len.begin(), len.end(), std::greater<int64_t>()))
            throw std::invalid_argument(
                "pack_padded_sequence: lengths " + list_str(len) +
                " must be sorted in decreasing order when enforce_sorted is true; "
                "pass enforce_sorted=false to have them sorted here");
    } else {
        std::vector<int64_t> order(len.size());
        std::iota(order.begin(), order.end(), int64_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t a, int64_t b) { return len[a] > len[b]; });
        std::vector<int64_t> sorted_len;
        for (int64_t i : order) sorted_len.push_back(len[static_cast<size_t>(i)]);
        len = sorted_len;
        sorted_indices = int64_tensor(order);
        input = input.index_select(1, sorted_indices);
    }
    std::vector<int64_t> batch_sizes;
    std::vector<Tensor> rows;
    for (int64_t t = 0; t < len.front(); ++t) {
        int64_t b = 0;
        while (b < B && len[static_cast<size_t>(b)] > t) ++b;
        batch_sizes.push_back(b);
        rows.push_back(input.select(0, t).narrow(0, 0, b));
    }
    return PackedSequence(cat(rows, 0), int64_tensor(batch_sizes), sorted_indices);
}

std::tuple<Tensor, Tensor> pad_packed_sequence(PackedSequence sequence, bool batch_first,
                                               double padding_value,
                                               std::optional<int64_t> total_length) {
    const std::vector<int64_t> sizes = sequence.batch_sizes().contiguous().to_vector<int64_t>();
    const int64_t T = static_cast<int64_t>(sizes.size());
    const int64_t B = sizes.front();
    if (total_length && *total_length < T)
        throw std::invalid_argument(
            "pad_packed_sequence: total_length " + std::to_string(*total_length) +
            " is shorter than the longest sequence (" + std::to_string(T) + " steps)");
    const Tensor& data = sequence.data();
    std::vector<Tensor> steps;
    int64_t offset = 0;
    for (int64_t b : sizes) {
        Tensor step = data.narrow(0, offset, b);
        steps.push_back(b < B ? cat({step, padding(B - b, data, padding_value)}, 0) : step);
        offset += b;
    }
    for (int64_t t = T; total_length && t < *total_length; ++t)
        steps.push_back(padding(B, data, padding_value));
    Tensor padded = stack(steps, 0);
    std::vector<int64_t> lengths(static_cast<size_t>(B), 0);
    for (int64_t b : sizes)
        for (int64_t i = 0; i < b; ++i) ++lengths[static_cast<size_t>(i)];
    if (sequence.unsorted_indices().defined()) {
        padded = padded.index_select(1, sequence.unsorted_indices());
        const std::vector<int64_t> u =
            sequence.unsorted_indices().contiguous().to_vector<int64_t>();
        std::vector<int64_t> restored(lengths.size());
        for (size_t i = 0; i < u.size(); ++i) restored[i] = lengths[static_cast<size_t>(u[i])];
        lengths = restored;
    }
    if (batch_first) padded = padded.transpose(0, 1);
    return {padded, int64_tensor(lengths)};
}

Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first, double padding_value) {
    if (sequences.empty()) throw std::invalid_argument("pad_sequence: needs at least one sequence");
    int64_t longest = 0;
    for (size_t i = 0; i < sequences.size(); ++i) {
        const Tensor& s = sequences[i];
        if (s.dim() < 1 || s.dim() != sequences[0].dim() ||
            !std::equal(s.sizes().begin() + 1, s.sizes().end(), sequences[0].sizes().begin() + 1))
            throw std::invalid_argument("pad_sequence: sequence " + std::to_string(i) +
                                        " has shape " + shape_str(s.sizes()) + ", sequence 0 has " +
                                        shape_str(sequences[0].sizes()) +
                                        "; all must be [L, *] with the same *");
        longest = std::max(longest, s.size(0));
    }
    std::vector<Tensor> padded;
    for (const Tensor& s : sequences)
        padded.push_back(
            s.size(0) < longest ? cat({s, padding(longest - s.size(0), s, padding_value)}, 0) : s);
    return stack(padded, batch_first ? 0 : 1);
}

PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted) {
    std::vector<int64_t> lengths;
    for (const Tensor& s : sequences) lengths.push_back(s.dim() > 0 ? s.size(0) : 0);
    return pack_padded_sequence(pad_sequence(sequences), int64_tensor(lengths), false,
                                enforce_sorted);
}

}  // namespace rnn
}  // namespace utils
}  // namespace nn
}  // namespace tapegrad
