#pragma once
// Data loaders: they cut a dataset into batches, in the order a sampler gives, optionally
// loading ahead of the training loop in worker threads. Two front doors, one engine:
//
// LibTorch's, for ported code:
//   auto loader = data::make_data_loader(
//       data::datasets::MNIST(dir).map(data::transforms::Stack<>()),
//       data::DataLoaderOptions().batch_size(64).workers(2));
//   for (auto& batch : *loader) { ... batch.data ... batch.target ... }
//
// tapegrad's, a copyable value that train::fit takes:
//   data::DataLoader loader(train, data::DataLoaderOptions(64).shuffle(true));
//   for (const data::Batch& b : loader) { ... }
//
// With workers(n) > 0, n threads each hold their own copy of the dataset and load batches
// while the consumer trains; up to max_jobs (default 2n) batches are requested ahead. Batches
// arrive in the sampler's order (enforce_ordering, the default), so the batches are the same
// as with workers(0). An exception thrown while loading reaches the consumer, at the batch it
// belongs to, as a WorkerException that carries the original message. Destroying a loader
// mid-epoch lets each worker finish the batch it is loading and joins the threads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "data/dataset.hpp"
#include "data/datasets.hpp"
#include "data/example.hpp"
#include "data/samplers.hpp"
#include "data/transforms.hpp"
#include "nn/arg.hpp"

namespace tapegrad {
namespace data {

/// How a loader batches: chain the setters, as LibTorch's DataLoaderOptions.
class DataLoaderOptions {
public:
    DataLoaderOptions() = default;
    /// Implicit, as LibTorch's: make_data_loader(dataset, 64).
    DataLoaderOptions(int64_t batch_size) : batch_size_(batch_size) {}  // NOLINT

    /// Samples per batch (default 1); must be positive.
    TAPEGRAD_ARG(int64_t, batch_size) = 1;
    /// Threads that load batches ahead of the consumer (default 0: load in the calling thread).
    TAPEGRAD_ARG(int64_t, workers) = 0;
    /// Batches requested ahead at most (default 2 * workers).
    TAPEGRAD_ARG(optional<int64_t>, max_jobs);
    /// How long the consumer waits for a worker's batch before std::runtime_error (default:
    /// for ever).
    TAPEGRAD_ARG(optional<std::chrono::milliseconds>, timeout);
    /// Yield batches in the sampler's order (default true); false yields each as soon as it is
    /// loaded.
    TAPEGRAD_ARG(bool, enforce_ordering) = true;
    /// Skip the last batch when it would be smaller than batch_size (default false).
    TAPEGRAD_ARG(bool, drop_last) = false;
    /// data::DataLoader only: draw a new order of the samples every epoch from the loader's own
    /// generator (default false: in order). make_data_loader takes a sampler type instead.
    TAPEGRAD_ARG(bool, shuffle) = false;
    /// data::DataLoader only: the seed of the shuffle's std::mt19937_64 (default 42).
    TAPEGRAD_ARG(uint64_t, seed) = 42;
};

/// The options with every default filled in, checked (LibTorch's FullDataLoaderOptions).
struct FullDataLoaderOptions {
    /// Throws std::invalid_argument naming the option: batch_size < 1, workers < 0,
    /// max_jobs < 1 with workers, a timeout that is not positive.
    explicit FullDataLoaderOptions(const DataLoaderOptions& options);

    size_t batch_size;
    size_t workers;
    size_t max_jobs;
    optional<std::chrono::milliseconds> timeout;
    bool enforce_ordering;
    bool drop_last;
};

/// What a loader throws when loading a batch threw in a worker thread: the original exception
/// is kept, and its message is repeated after LibTorch's words.
struct WorkerException : public std::exception {
    explicit WorkerException(std::exception_ptr original);
    const char* what() const noexcept override { return message.c_str(); }

    std::exception_ptr original_exception;
    std::string message;
};

/// Walks one epoch of a loader: `for (auto& batch : *loader)`. Each ++ takes the next batch;
/// the end is reached when the sampler has no more. Copies share their position.
template <class Batch>
class Iterator {
public:
    using difference_type = std::ptrdiff_t;
    using value_type = Batch;
    using pointer = Batch*;
    using reference = Batch&;
    using iterator_category = std::input_iterator_tag;

    /// The end (past-the-end) iterator.
    Iterator() = default;
    /// An iterator that gets each batch from `next`, nullopt at the end.
    explicit Iterator(std::function<optional<Batch>()> next)
        : state_(std::make_shared<State>(std::move(next))) {}

    Iterator& operator++() {
        // loads the first batch if nothing has asked for it yet
        if (!state_ || !state_->load()) {
            throw std::logic_error("DataLoader: incremented the end iterator");
        }
        state_->batch = state_->next();
        return *this;
    }
    Batch& operator*() const {
        if (!state_ || !state_->load()) {
            throw std::logic_error("DataLoader: dereferenced the end iterator");
        }
        return *state_->batch;
    }
    Batch* operator->() const { return &**this; }
    /// Two ends are equal, an iterator equals the end once its epoch is over, and an iterator
    /// equals its copies.
    bool operator==(const Iterator& other) const {
        if (state_ && other.state_) return state_ == other.state_;
        if (!state_ && !other.state_) return true;
        return !(state_ ? state_->load() : other.state_->load());
    }
    bool operator!=(const Iterator& other) const { return !(*this == other); }

private:
    struct State {
        explicit State(std::function<optional<Batch>()> f) : next(std::move(f)) {}
        // The first batch is loaded on first use, as LibTorch's iterator does.
        bool load() {
            if (!started) {
                started = true;
                batch = next();
            }
            return batch.has_value();
        }
        std::function<optional<Batch>()> next;
        optional<Batch> batch;
        bool started = false;
    };
    std::shared_ptr<State> state_;
};

class DataLoader;

namespace detail {

/// The threads of a loader and the bookkeeping of their jobs: a fixed set of slots (max_jobs),
/// each free, queued, running or done. The consumer queues a slot's request and waits for
/// results; workers take queued slots and mark them done. Allocates nothing per batch.
class WorkerPool {
public:
    WorkerPool(size_t slots, bool ordered);
    /// Stops and joins the workers.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void add_worker(std::thread thread);

    // The consumer's side.
    /// A free slot, or npos when every slot holds a job.
    size_t acquire();
    void submit(size_t slot);
    /// The slot whose result comes next: the oldest job when ordered, else any finished one.
    /// Blocks; throws std::runtime_error after `timeout`. Needs a job in flight.
    size_t wait_result(optional<std::chrono::milliseconds> timeout);
    void release(size_t slot);
    size_t in_flight() const;
    /// Drops the queued jobs, waits for the running ones, and frees every slot.
    void drain();
    /// Lets each worker finish its job, then joins them all.
    void stop();

    // The workers' side.
    /// Blocks for a queued slot; false when the pool stops.
    bool take(size_t& slot);
    void finish(size_t slot);

    static constexpr size_t npos = static_cast<size_t>(-1);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The engine under both loaders: epochs, prefetching, workers and ordering, for batches of
/// type Batch. A derived class supplies the requests (its sampler) and how to load them.
template <class Batch>
class BatchLoader {
public:
    using BatchType = Batch;
    using BatchRequestType = std::vector<size_t>;

    virtual ~BatchLoader() { join(); }
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    /// Starts an epoch (resets the sampler, drops what the last epoch left in flight) and
    /// returns its first position.
    Iterator<Batch> begin() {
        start_epoch();
        return Iterator<Batch>([this] { return next(); });
    }
    Iterator<Batch> end() { return Iterator<Batch>(); }

    /// Stops the workers (each finishes its batch) and joins them; the destructor calls it.
    void join() {
        if (pool_) pool_->stop();
    }
    const FullDataLoaderOptions& options() const noexcept { return options_; }

protected:
    explicit BatchLoader(const DataLoaderOptions& options) : options_(options) {
        if (options_.workers > 0) {
            pool_ = std::make_unique<WorkerPool>(options_.max_jobs, options_.enforce_ordering);
            requests_.resize(options_.max_jobs);
            results_.resize(options_.max_jobs);
            errors_.resize(options_.max_jobs);
        }
    }

    /// The next request of this epoch, or nullopt at its end (consumer thread only).
    virtual optional<BatchRequestType> get_batch_request() = 0;
    /// Rewinds the requests for a new epoch.
    virtual void reset_requests() = 0;
    /// Loads a batch in the consumer's thread (workers == 0).
    virtual Batch load_here(BatchRequestType& request) = 0;

    /// Starts a worker thread that loads with its own `load` (a callable holding its own copy
    /// of the dataset), from the derived class's constructor.
    template <class Load>
    void add_worker(Load load) {
        pool_->add_worker(std::thread([this, load]() mutable {
            size_t slot = 0;
            while (pool_->take(slot)) {
                try {
                    results_[slot].emplace(load(requests_[slot]));
                } catch (...) {
                    errors_[slot] = std::current_exception();
                }
                pool_->finish(slot);
            }
        }));
    }

private:
    friend class data::DataLoader;

    void start_epoch() {
        if (pool_) {
            pool_->drain();
            for (size_t s = 0; s < results_.size(); ++s) {
                results_[s].reset();
                errors_[s] = nullptr;
            }
        }
        reset_requests();
        exhausted_ = false;
        prefetch(options_.max_jobs);
    }

    // Queues up to n requests on free slots.
    void prefetch(size_t n) {
        if (!pool_) return;
        for (size_t i = 0; i < n && !exhausted_; ++i) {
            const size_t slot = pool_->acquire();
            if (slot == WorkerPool::npos) return;
            optional<BatchRequestType> request = get_batch_request();
            if (!request) {
                exhausted_ = true;
                pool_->release(slot);
                return;
            }
            requests_[slot] = std::move(*request);
            pool_->submit(slot);
        }
    }

    optional<Batch> next() {
        if (!pool_) {
            if (exhausted_) return nullopt;
            optional<BatchRequestType> request = get_batch_request();
            if (!request) {
                exhausted_ = true;
                return nullopt;
            }
            return load_here(*request);
        }
        if (pool_->in_flight() == 0) return nullopt;
        const size_t slot = pool_->wait_result(options_.timeout);
        optional<Batch> batch = std::move(results_[slot]);
        results_[slot].reset();
        const std::exception_ptr error = std::exchange(errors_[slot], nullptr);
        pool_->release(slot);
        prefetch(1);
        if (error) throw WorkerException(error);
        return batch;
    }

    FullDataLoaderOptions options_;
    std::unique_ptr<WorkerPool> pool_;
    // One entry per slot; a slot's entries belong to whichever thread holds the slot.
    std::vector<BatchRequestType> requests_;
    std::vector<optional<Batch>> results_;
    std::vector<std::exception_ptr> errors_;
    bool exhausted_ = false;
};

/// Throws std::invalid_argument naming `op` unless the dataset's size is known and below 2^63.
size_t checked_dataset_size(const char* op, optional<size_t> size);

/// The samples one epoch of `sampler` yields, when that is known from its type.
template <class Sampler>
optional<size_t> samples_per_epoch(const Sampler& sampler, optional<size_t> dataset_size) {
    if constexpr (std::is_base_of_v<samplers::DistributedSampler<>, Sampler>) {
        return sampler.local_sample_count();
    } else if constexpr (std::is_same_v<Sampler, samplers::SequentialSampler> ||
                         std::is_same_v<Sampler, samplers::RandomSampler> ||
                         std::is_same_v<Sampler, samplers::SeededRandomSampler>) {
        return dataset_size;
    } else {
        (void)sampler;
        (void)dataset_size;
        return nullopt;
    }
}

}  // namespace detail

/// LibTorch's loader of a dataset that needs no state between batches: `Dataset` serves
/// batches (Dataset::BatchType, what `for (auto& batch : *loader)` yields), `Sampler` picks
/// the indices. Made by make_data_loader.
template <class Dataset, class Sampler>
class StatelessDataLoader : public detail::BatchLoader<typename Dataset::BatchType> {
    using Base = detail::BatchLoader<typename Dataset::BatchType>;

public:
    using typename Base::BatchRequestType;
    static_assert(!Dataset::is_stateful, "tapegrad::data: stateful datasets are not supported");
    static_assert(std::is_same_v<typename Sampler::BatchRequestType, std::vector<size_t>>,
                  "tapegrad::data: samplers must produce std::vector<size_t> requests");

    /// Each of options.workers() threads gets its own copy of `dataset`; with no workers the
    /// loader keeps it. Throws std::invalid_argument for bad options.
    StatelessDataLoader(Dataset dataset, Sampler sampler, DataLoaderOptions options)
        : Base(options), sampler_(std::move(sampler)) {
        for (size_t w = 0; w < this->options().workers; ++w) {
            this->add_worker([dataset](BatchRequestType& request) mutable {
                return dataset.get_batch(request);
            });
        }
        if (this->options().workers == 0) dataset_ = std::make_unique<Dataset>(std::move(dataset));
    }
    ~StatelessDataLoader() override { this->join(); }

    /// The sampler (tapegrad's: e.g. `loader->sampler().set_epoch(e)` before each epoch).
    Sampler& sampler() { return sampler_; }
    const Sampler& sampler() const { return sampler_; }

private:
    void reset_requests() override { sampler_.reset(nullopt); }
    optional<BatchRequestType> get_batch_request() override {
        optional<BatchRequestType> indices = sampler_.next(this->options().batch_size);
        if (!indices || indices->empty() ||
            (indices->size() < this->options().batch_size && this->options().drop_last)) {
            return nullopt;
        }
        return indices;
    }
    typename Base::BatchType load_here(BatchRequestType& request) override {
        return dataset_->get_batch(request);
    }

    Sampler sampler_;
    std::unique_ptr<Dataset> dataset_;
};

namespace detail {
void check_make_data_loader_options(const DataLoaderOptions& options);
}  // namespace detail

/// A loader of `dataset` in the order of `sampler`.
template <class Dataset, class Sampler>
std::enable_if_t<!Dataset::is_stateful, std::unique_ptr<StatelessDataLoader<Dataset, Sampler>>>
make_data_loader(Dataset dataset, Sampler sampler, DataLoaderOptions options) {
    detail::check_make_data_loader_options(options);
    return std::make_unique<StatelessDataLoader<Dataset, Sampler>>(
        std::move(dataset), std::move(sampler), std::move(options));
}

/// A loader of `dataset` with a `Sampler(dataset.size())`, a RandomSampler unless named:
/// `make_data_loader<samplers::SequentialSampler>(ds, 64)`. Throws std::invalid_argument if
/// the dataset's size is unknown or not a count (a negative number converted to size_t).
template <class Sampler = samplers::RandomSampler, class Dataset>
std::enable_if_t<!Dataset::is_stateful && std::is_constructible_v<Sampler, size_t>,
                 std::unique_ptr<StatelessDataLoader<Dataset, Sampler>>>
make_data_loader(Dataset dataset, DataLoaderOptions options = DataLoaderOptions()) {
    const size_t size = detail::checked_dataset_size("make_data_loader", dataset.size());
    return make_data_loader(std::move(dataset), Sampler(size), std::move(options));
}

/// tapegrad's loader, the one train::fit takes: a copyable value that yields stacked
/// Example<> batches (`batch.data` [B, ...], `batch.target` [B, ...]) of any dataset whose
/// batches are Example<> (data::TensorDataset, anything mapped with Stack<>) or vectors of
/// Example<> (a Dataset<Self>, stacked here). The order comes from DataLoaderOptions
/// (shuffle, seed) or from a sampler passed in. Each `for` over it is one epoch; a copy is an
/// independent loader (its own threads) that continues from the same point.
class DataLoader {
public:
    using Iterator = data::Iterator<Batch>;

    /// In order, or shuffled from the loader's own std::mt19937_64(options.seed()) when
    /// options.shuffle(). Throws std::invalid_argument for bad options or a dataset whose
    /// size() is unknown or not a count.
    template <class D, class = typename D::BatchType>
    DataLoader(D dataset, DataLoaderOptions options = DataLoaderOptions())  // NOLINT
        : options_(options) {
        const size_t n = detail::checked_dataset_size("DataLoader", dataset.size());
        if (options.shuffle()) {
            init(std::move(dataset), samplers::SeededRandomSampler(n, options.seed()));
        } else {
            init(std::move(dataset), samplers::SequentialSampler(n));
        }
    }
    /// In the order of `sampler` (e.g. a DistributedRandomSampler); options.shuffle() must be
    /// off.
    template <class D, class S>
    DataLoader(D dataset, S sampler, DataLoaderOptions options) : options_(options) {
        detail::check_make_data_loader_options(options);
        init(std::move(dataset), std::move(sampler));
    }

    DataLoader(const DataLoader& other)
        : options_(other.options_), impl_(other.impl_ ? other.impl_->clone() : nullptr) {}
    DataLoader& operator=(const DataLoader& other) {
        if (this != &other) {
            options_ = other.options_;
            impl_ = other.impl_ ? other.impl_->clone() : nullptr;
        }
        return *this;
    }
    DataLoader(DataLoader&&) noexcept = default;
    DataLoader& operator=(DataLoader&&) noexcept = default;

    /// Starts an epoch. The iterator keeps what it needs, so it works even after the loader
    /// is gone.
    Iterator begin() { return live().begin(impl_); }
    Iterator end() const { return Iterator(); }

    /// Number of batches per epoch. Throws std::logic_error for a sampler of a type whose
    /// epoch length tapegrad does not know.
    int64_t size() const;
    /// Number of samples per epoch (a distributed sampler's shard), before drop_last; throws
    /// as size() does.
    int64_t samples() const;
    /// Passes the epoch to the sampler before an epoch starts (DistributedRandomSampler's
    /// set_epoch); does nothing for samplers without epochs.
    void set_epoch(size_t epoch) { live().set_epoch(epoch); }
    const DataLoaderOptions& options() const { return options_; }

private:
    struct Impl {
        virtual ~Impl() = default;
        virtual std::shared_ptr<Impl> clone() const = 0;
        virtual Iterator begin(const std::shared_ptr<Impl>& self) = 0;
        virtual void set_epoch(size_t epoch) = 0;
        optional<size_t> samples_per_epoch;
    };

    template <class D, class S>
    struct Model : Impl {
        Model(D dataset, S sampler, const DataLoaderOptions& options)
            : prototype(dataset),
              options(options),
              loader(std::move(dataset), std::move(sampler), options) {
            this->samples_per_epoch = detail::samples_per_epoch(loader.sampler(), prototype.size());
        }
        std::shared_ptr<Impl> clone() const override {
            return std::make_shared<Model>(prototype, loader.sampler(), options);
        }
        Iterator begin(const std::shared_ptr<Impl>& self) override {
            loader.start_epoch();
            // holds the model, so that the iterator outlives the DataLoader that made it
            return Iterator([self, this] { return loader.next(); });
        }
        void set_epoch(size_t epoch) override {
            if constexpr (std::is_base_of_v<samplers::DistributedSampler<>, S>) {
                loader.sampler().set_epoch(epoch);
            } else {
                (void)epoch;
            }
        }

        D prototype;  // the dataset as given, for copies of the loader
        DataLoaderOptions options;
        StatelessDataLoader<D, S> loader;
    };

    // The implementation; throws std::logic_error on a moved-from loader.
    Impl& live() const;

    template <class D, class S>
    void init(D dataset, S sampler) {
        using Out = typename D::BatchType;
        if constexpr (std::is_same_v<Out, Batch>) {
            impl_ = std::make_shared<Model<D, S>>(std::move(dataset), std::move(sampler), options_);
        } else {
            static_assert(std::is_same_v<Out, std::vector<Batch>>,
                          "data::DataLoader takes datasets whose batches are Example<> or "
                          "std::vector<Example<>>; map other datasets to Example<> first");
            using Stacked = datasets::MapDataset<D, transforms::Stack<>>;
            impl_ = std::make_shared<Model<Stacked, S>>(
                Stacked(std::move(dataset), transforms::Stack<>()), std::move(sampler), options_);
        }
    }

    DataLoaderOptions options_;
    std::shared_ptr<Impl> impl_;
};

}  // namespace data
}  // namespace tapegrad
