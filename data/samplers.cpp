#include "data/samplers.hpp"

#include <algorithm>
#include <new>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace data {
namespace samplers {

namespace {

// A shuffled sampler holds every index of an epoch; beyond this many (1 TiB of indices) the
// size is a mistake, not a dataset, and is refused before anything is allocated.
constexpr size_t kMaxShuffled = size_t{1} << 37;

[[noreturn]] void fail(const char* op, const std::string& message) {
    throw std::invalid_argument(std::string(op) + ": " + message);
}

void check_shuffled_size(const char* op, size_t size) {
    detail::check_size(op, size);
    if (size > kMaxShuffled) {
        fail(op, std::to_string(size) + " samples are more than a shuffled sampler holds (2^37: " +
                     "the indices alone would take " + std::to_string(size >> 27) +
                     " GiB); check the dataset's size()");
    }
}

// The next up to batch_size entries of from[index, end), advancing index.
template <class T>
optional<std::vector<size_t>> take(size_t& index, size_t end, size_t batch_size, const T* from) {
    if (index >= end) return nullopt;
    const size_t stop = index + std::min(batch_size, end - index);
    std::vector<size_t> batch(stop - index);
    for (size_t i = 0; i < batch.size(); ++i) batch[i] = static_cast<size_t>(from[index + i]);
    index = stop;
    return batch;
}

int64_t read_int(serialize::InputArchive& archive, const char* key) {
    Tensor t;
    archive.read(key, t, /*is_buffer=*/true);
    if (t.numel() != 1 || t.dtype() != kInt64) {
        throw std::runtime_error(std::string("sampler load: '") + key +
                                 "' is not one int64 value: " + shape_str(t.sizes()) + " " +
                                 to_string(t.dtype()));
    }
    return t.item<int64_t>();
}

size_t read_position(serialize::InputArchive& archive, const char* key, size_t begin, size_t end) {
    const int64_t v = read_int(archive, key);
    if (v < static_cast<int64_t>(begin) || v > static_cast<int64_t>(end)) {
        throw std::runtime_error(std::string("sampler load: '") + key + "' is " +
                                 std::to_string(v) + ", outside this sampler's range [" +
                                 std::to_string(begin) + ", " + std::to_string(end) + "]");
    }
    return static_cast<size_t>(v);
}

// Throws std::runtime_error unless p[0, n) holds each of 0..n-1 once: a loaded order must
// index the data, and only once per sample.
void check_permutation(const char* op, const char* key, const int64_t* p, int64_t n) {
    std::vector<bool> seen(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        if (p[i] < 0 || p[i] >= n || seen[static_cast<size_t>(p[i])]) {
            throw std::runtime_error(std::string(op) + ": '" + key +
                                     "' is not a permutation of 0.." + std::to_string(n - 1) +
                                     " (entry " + std::to_string(i) + " is " +
                                     std::to_string(p[i]) + ")");
        }
        seen[static_cast<size_t>(p[i])] = true;
    }
}

}  // namespace

void detail::check_size(const char* op, size_t size) {
    if (size > static_cast<size_t>(INT64_MAX)) {
        fail(op, "size " + std::to_string(size) + " is " +
                     std::to_string(static_cast<int64_t>(size)) +
                     " converted to size_t: a dataset's size() must return its number of samples");
    }
}

void detail::check_replicas(const char* op, size_t size, size_t num_replicas, size_t rank) {
    check_size(op, size);
    if (num_replicas == 0) fail(op, "num_replicas must be at least 1, got 0");
    if (rank >= num_replicas) {
        fail(op, "rank " + std::to_string(rank) + " is out of range for " +
                     std::to_string(num_replicas) + " replicas (ranks 0.." +
                     std::to_string(num_replicas - 1) + ")");
    }
}

// ---- SequentialSampler ------------------------------------------------------------------------

SequentialSampler::SequentialSampler(size_t size) : size_(size) {
    detail::check_size("SequentialSampler", size);
}

void SequentialSampler::reset(optional<size_t> new_size) {
    if (new_size) {
        detail::check_size("SequentialSampler::reset", *new_size);
        size_ = *new_size;
    }
    index_ = 0;
}

optional<std::vector<size_t>> SequentialSampler::next(size_t batch_size) {
    if (index_ >= size_) return nullopt;
    std::vector<size_t> batch(std::min(batch_size, size_ - index_));
    std::iota(batch.begin(), batch.end(), index_);
    index_ += batch.size();
    return batch;
}

void SequentialSampler::save(serialize::OutputArchive& archive) const {
    archive.write("index", tensor(static_cast<int64_t>(index_)), /*is_buffer=*/true);
}

void SequentialSampler::load(serialize::InputArchive& archive) {
    index_ = read_position(archive, "index", 0, size_);
}

// ---- RandomSampler ----------------------------------------------------------------------------

namespace {

// The largest index an integer dtype holds: 2^(bits - 1) - 1 for the signed ones, 255 for uint8.
int64_t max_index(ScalarType t) {
    if (t == kUInt8) return UINT8_MAX;
    const int64_t bits = 8 * element_size(t);
    return bits >= 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
}

// A fresh permutation of 0..size-1 in `dtype`, after checking that the dtype holds every index.
Tensor permutation(const char* op, size_t size, ScalarType dtype) {
    check_shuffled_size(op, size);
    if (!is_integral(dtype)) {
        fail(op, std::string("index_dtype must be an integer type, got ") + to_string(dtype));
    }
    if (size > 0 && static_cast<int64_t>(size - 1) > max_index(dtype)) {
        fail(op, std::string("index_dtype ") + to_string(dtype) + " cannot hold the indices of " +
                     std::to_string(size) + " samples");
    }
    return randperm(static_cast<int64_t>(size), dtype);
}

}  // namespace

RandomSampler::RandomSampler(int64_t size, ScalarType index_dtype) {
    if (size < 0) fail("RandomSampler", "size must be non-negative, got " + std::to_string(size));
    indices_ = permutation("RandomSampler", static_cast<size_t>(size), index_dtype);
}

RandomSampler::~RandomSampler() = default;

void RandomSampler::reset(optional<size_t> new_size) {
    const size_t size = new_size.value_or(static_cast<size_t>(indices_.numel()));
    indices_ = permutation("RandomSampler::reset", size, indices_.dtype());
    index_ = 0;
}

optional<std::vector<size_t>> RandomSampler::next(size_t batch_size) {
    size_t index = static_cast<size_t>(index_);
    const auto end = static_cast<size_t>(indices_.numel());
    optional<std::vector<size_t>> batch;
    if (indices_.dtype() == kInt64) {
        // randperm's result, or a loaded one made contiguous by load()
        batch = take(index, end, batch_size, indices_.data_ptr<int64_t>());
    } else if (index < end) {
        // narrower indices are widened a batch at a time, as LibTorch does
        const size_t n = std::min(batch_size, end - index);
        const Tensor wide =
            indices_.slice(0, index_, index_ + static_cast<int64_t>(n)).to(kInt64).contiguous();
        size_t first = 0;
        batch = take(first, n, n, wide.data_ptr<int64_t>());
        index += n;
    }
    index_ = static_cast<int64_t>(index);
    return batch;
}

void RandomSampler::save(serialize::OutputArchive& archive) const {
    archive.write("index", tensor(index_), /*is_buffer=*/true);
    archive.write("indices", indices_, /*is_buffer=*/true);
}

void RandomSampler::load(serialize::InputArchive& archive) {
    Tensor indices;
    archive.read("indices", indices, /*is_buffer=*/true);
    if (indices.dim() != 1 || !is_integral(indices.dtype())) {
        throw std::runtime_error("RandomSampler::load: 'indices' must be integers [n], got " +
                                 shape_str(indices.sizes()) + " " + to_string(indices.dtype()));
    }
    indices = indices.contiguous();
    const int64_t n = indices.numel();
    const Tensor wide = indices.to(kInt64).contiguous();
    check_permutation("RandomSampler::load", "indices", wide.data_ptr<int64_t>(), n);
    const size_t index = read_position(archive, "index", 0, static_cast<size_t>(n));
    indices_ = indices;
    index_ = static_cast<int64_t>(index);
}

// ---- SeededRandomSampler ----------------------------------------------------------------------

}  // namespace samplers

std::vector<int64_t> shuffled_indices(int64_t n, std::mt19937_64& rng) {
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), int64_t{0});
    // Written out rather than std::shuffle: the order must be the same with every standard
    // library, because benchmarks replay it in LibTorch.
    for (int64_t i = n - 1; i >= 1; --i) {
        const auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
        std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
    }
    return perm;
}

namespace samplers {

SeededRandomSampler::SeededRandomSampler(size_t size, uint64_t seed) : size_(size), rng_(seed) {
    check_shuffled_size("SeededRandomSampler", size);
}

void SeededRandomSampler::reset(optional<size_t> new_size) {
    if (new_size) {
        check_shuffled_size("SeededRandomSampler::reset", *new_size);
        size_ = *new_size;
    }
    order_ = shuffled_indices(static_cast<int64_t>(size_), rng_);
    index_ = 0;
}

optional<std::vector<size_t>> SeededRandomSampler::next(size_t batch_size) {
    if (order_.size() != size_) reset(nullopt);  // next() before the first reset()
    return take(index_, order_.size(), batch_size, order_.data());
}

void SeededRandomSampler::save(serialize::OutputArchive& archive) const {
    std::ostringstream state;
    state << rng_;
    const std::string text = state.str();
    archive.write("index", tensor(static_cast<int64_t>(index_)), true);
    archive.write("order", from_blob(order_.data(), {static_cast<int64_t>(order_.size())}, kInt64),
                  true);
    std::vector<int64_t> chars(text.begin(), text.end());
    archive.write("rng", from_blob(chars.data(), {static_cast<int64_t>(chars.size())}, kInt64),
                  true);
}

void SeededRandomSampler::load(serialize::InputArchive& archive) {
    Tensor order, rng;
    archive.read("order", order, true);
    archive.read("rng", rng, true);
    if (order.dim() != 1 || order.dtype() != kInt64 || rng.dim() != 1 || rng.dtype() != kInt64) {
        throw std::runtime_error("SeededRandomSampler::load: 'order' and 'rng' must be int64 [n]");
    }
    std::string text;
    for (int64_t c : rng.to_vector<int64_t>()) text.push_back(static_cast<char>(c));
    std::istringstream state(text);
    std::mt19937_64 restored;
    state >> restored;
    if (!state) {
        throw std::runtime_error("SeededRandomSampler::load: 'rng' is not a generator state");
    }
    std::vector<int64_t> loaded = order.to_vector<int64_t>();
    check_permutation("SeededRandomSampler::load", "order", loaded.data(),
                      static_cast<int64_t>(loaded.size()));
    const size_t index = read_position(archive, "index", 0, loaded.size());
    order_ = std::move(loaded);
    size_ = order_.size();
    rng_ = restored;
    index_ = index;
}

// ---- DistributedRandomSampler -----------------------------------------------------------------

DistributedRandomSampler::DistributedRandomSampler(size_t size, size_t num_replicas, size_t rank,
                                                   bool allow_duplicates)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates) {
    DistributedRandomSampler::reset(size_);
}

void DistributedRandomSampler::populate_indices() {
    const size_t local = local_sample_count();
    const size_t count = num_replicas_ == 1 ? size_ : local * num_replicas_;
    all_indices_.resize(count);
    std::iota(all_indices_.begin(), all_indices_.end(), size_t{0});
    // The padding repeats the first samples. LibTorch writes i - size here, which points past
    // the data once the padding is longer than the dataset (more replicas than samples).
    for (size_t i = size_; i < count; ++i) all_indices_[i] = (i - size_) % size_;
    begin_index_ = rank_ * local;
    end_index_ = begin_index_ + local;
    sample_index_ = begin_index_;
}

void DistributedRandomSampler::reset(optional<size_t> new_size) {
    const size_t size = new_size.value_or(size_);
    check_shuffled_size("DistributedRandomSampler::reset", size);
    // the padded list holds local_sample_count() * num_replicas indices: bound it too
    const size_t local = allow_duplicates_ ? size / num_replicas_ + (size % num_replicas_ != 0)
                                           : size / num_replicas_;
    size_t padded = 0;
    if (__builtin_mul_overflow(local, num_replicas_, &padded) || padded > kMaxShuffled) {
        fail("DistributedRandomSampler", std::to_string(num_replicas_) + " replicas of " +
                                             std::to_string(local) +
                                             " samples each are more than a shuffled sampler "
                                             "holds (2^37)");
    }
    size_ = size;
    populate_indices();
    // Every rank shuffles the same list with the same seed, then takes its own block.
    std::mt19937 rng(static_cast<std::mt19937::result_type>(epoch_));
    std::shuffle(all_indices_.begin(), all_indices_.end(), rng);
    sample_index_ = begin_index_;
}

optional<std::vector<size_t>> DistributedRandomSampler::next(size_t batch_size) {
    return take(sample_index_, end_index_, batch_size, all_indices_.data());
}

void DistributedRandomSampler::save(serialize::OutputArchive& archive) const {
    archive.write("sample_index_", tensor(static_cast<int64_t>(sample_index_)), true);
    archive.write("epoch_", tensor(static_cast<int64_t>(epoch_)), true);
}

void DistributedRandomSampler::load(serialize::InputArchive& archive) {
    const int64_t epoch = read_int(archive, "epoch_");
    if (epoch < 0) {
        throw std::runtime_error("DistributedRandomSampler::load: 'epoch_' is negative: " +
                                 std::to_string(epoch));
    }
    epoch_ = static_cast<size_t>(epoch);
    reset(size_);
    sample_index_ = read_position(archive, "sample_index_", begin_index_, end_index_);
}

// ---- DistributedSequentialSampler -------------------------------------------------------------

DistributedSequentialSampler::DistributedSequentialSampler(size_t size, size_t num_replicas,
                                                           size_t rank, bool allow_duplicates)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates) {
    populate_indices();
}

void DistributedSequentialSampler::populate_indices() {
    begin_index_ = rank_ * local_sample_count();
    end_index_ = begin_index_ + local_sample_count();
    sample_index_ = begin_index_;
}

void DistributedSequentialSampler::reset(optional<size_t> new_size) {
    const size_t size = new_size.value_or(size_);
    detail::check_size("DistributedSequentialSampler::reset", size);
    if (size != size_) {
        size_ = size;
        populate_indices();
    } else {
        sample_index_ = begin_index_;
    }
}

optional<std::vector<size_t>> DistributedSequentialSampler::next(size_t batch_size) {
    if (sample_index_ >= end_index_) return nullopt;
    const size_t stop = sample_index_ + std::min(batch_size, end_index_ - sample_index_);
    std::vector<size_t> batch(stop - sample_index_);
    std::iota(batch.begin(), batch.end(), sample_index_);
    // the padded end of the last shard wraps around to the first samples
    if (stop > size_) {
        for (size_t& i : batch) i %= size_;
    }
    sample_index_ = stop;
    return batch;
}

void DistributedSequentialSampler::save(serialize::OutputArchive& archive) const {
    archive.write("sample_index_", tensor(static_cast<int64_t>(sample_index_)), true);
}

void DistributedSequentialSampler::load(serialize::InputArchive& archive) {
    sample_index_ = read_position(archive, "sample_index_", begin_index_, end_index_);
}

}  // namespace samplers
}  // namespace data
}  // namespace tapegrad
