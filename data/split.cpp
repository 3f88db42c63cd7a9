#include "data/split.hpp"

#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

#include "autograd/format.hpp"
#include "autograd/ops.hpp"
#include "data/samplers.hpp"

namespace tapegrad {
namespace data {

namespace {

std::string number(double v) {
    return tapegrad::detail::format_number(v);
}

[[noreturn]] void fail(const char* op, const std::string& message) {
    throw std::invalid_argument(std::string(op) + ": " + message);
}

// Rows `order[start, start + count)` of `t`, as a new tensor.
Tensor gather_rows(const Tensor& t, const std::vector<int64_t>& order, int64_t start,
                   int64_t count) {
    if (count == 0) {
        std::vector<int64_t> sizes = t.sizes();
        sizes[0] = 0;
        return empty(sizes, t.dtype());
    }
    Tensor index = from_blob(order.data() + start, {count}, kInt64);
    return t.index_select(0, index);
}

std::vector<int64_t> counts_from(const char* op, const SplitLengths& lengths, int64_t n) {
    const std::vector<double>& values = lengths.values();
    if (values.empty()) fail(op, "no lengths given");
    std::vector<int64_t> counts;
    if (lengths.fractions()) {
        double total = 0;
        for (double f : values) {
            if (!(f >= 0.0 && f <= 1.0)) fail(op, "fraction " + number(f) + " is outside [0, 1]");
            total += f;
        }
        if (std::fabs(total - 1.0) > 1e-6)
            fail(op, "fractions sum to " + number(total) + ", not 1");
        int64_t assigned = 0;
        for (double f : values) {
            counts.push_back(static_cast<int64_t>(std::floor(f * static_cast<double>(n))));
            assigned += counts.back();
        }
        // what flooring left over goes one by one to the first parts, as in PyTorch
        for (size_t i = 0; assigned < n; i = (i + 1) % counts.size(), ++assigned) ++counts[i];
    } else {
        int64_t total = 0;
        for (int64_t c : lengths.counts()) {
            if (c < 0) fail(op, "length " + std::to_string(c) + " is negative");
            // a sum that wraps could land on n and let parts run past the data
            if (__builtin_add_overflow(total, c, &total)) {
                fail(op, "lengths " + shape_str(lengths.counts()) + " sum past INT64_MAX");
            }
        }
        if (total != n) {
            fail(op, "lengths sum to " + std::to_string(total) + ", but the dataset has " +
                         std::to_string(n) + " samples");
        }
        counts = lengths.counts();
    }
    return counts;
}

}  // namespace

std::vector<TensorDataset> random_split(const TensorDataset& dataset, const SplitLengths& lengths,
                                        uint64_t seed) {
    const auto n = static_cast<int64_t>(*dataset.size());
    if (n == 0) fail("random_split", "the dataset has no samples");
    const std::vector<int64_t> counts = counts_from("random_split", lengths, n);
    std::mt19937_64 rng(seed);
    const std::vector<int64_t> order = shuffled_indices(n, rng);
    std::vector<TensorDataset> parts;
    int64_t start = 0;
    for (int64_t count : counts) {
        parts.emplace_back(gather_rows(dataset.data(), order, start, count),
                           gather_rows(dataset.targets(), order, start, count));
        start += count;
    }
    return parts;
}

std::pair<TensorDataset, TensorDataset> train_val_split(const TensorDataset& dataset,
                                                        double val_fraction, uint64_t seed) {
    if (!(val_fraction >= 0.0 && val_fraction <= 1.0)) {
        fail("train_val_split", "val_fraction must be in [0, 1], got " + number(val_fraction));
    }
    const auto n = static_cast<int64_t>(*dataset.size());
    if (n == 0) fail("train_val_split", "the dataset has no samples");
    const auto n_val = static_cast<int64_t>(std::llround(val_fraction * static_cast<double>(n)));
    std::vector<TensorDataset> parts =
        random_split(dataset, std::vector<int64_t>{n - n_val, n_val}, seed);
    return {std::move(parts[0]), std::move(parts[1])};
}

}  // namespace data
}  // namespace tapegrad
