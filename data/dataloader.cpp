#include "data/dataloader.hpp"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

namespace tapegrad {
namespace data {

namespace {

[[noreturn]] void fail(const char* op, const std::string& message) {
    throw std::invalid_argument(std::string(op) + ": " + message);
}

// A queue of slot numbers with a fixed capacity: it never allocates after construction.
class SlotRing {
public:
    explicit SlotRing(size_t capacity) : slots_(capacity) {}
    bool empty() const { return count_ == 0; }
    size_t front() const { return slots_[head_]; }
    void push(size_t slot) {
        slots_[(head_ + count_) % slots_.size()] = slot;
        ++count_;
    }
    size_t pop() {
        const size_t slot = slots_[head_];
        head_ = (head_ + 1) % slots_.size();
        --count_;
        return slot;
    }
    void clear() { head_ = count_ = 0; }

private:
    std::vector<size_t> slots_;
    size_t head_ = 0;
    size_t count_ = 0;
};

enum class Slot : unsigned char { kFree, kQueued, kRunning, kDone };

}  // namespace

// ---- options and errors -----------------------------------------------------------------------

FullDataLoaderOptions::FullDataLoaderOptions(const DataLoaderOptions& options)
    : timeout(options.timeout()),
      enforce_ordering(options.enforce_ordering()),
      drop_last(options.drop_last()) {
    if (options.batch_size() <= 0) {
        fail("DataLoader",
             "batch_size must be positive, got " + std::to_string(options.batch_size()));
    }
    // bounds that no real loader reaches: beyond them the value is a mistake (a negative number
    // passed through size_t, say), and threads or slots would be made for it
    constexpr int64_t kMaxWorkers = 1024, kMaxJobs = 65536;
    if (options.workers() < 0 || options.workers() > kMaxWorkers) {
        fail("DataLoader", "workers must be in [0, " + std::to_string(kMaxWorkers) + "], got " +
                               std::to_string(options.workers()));
    }
    const int64_t max_jobs = options.max_jobs().value_or(2 * options.workers());
    if (options.workers() > 0 && (max_jobs <= 0 || max_jobs > kMaxJobs)) {
        fail("DataLoader", "max_jobs must be in [1, " + std::to_string(kMaxJobs) +
                               "] with workers, got " + std::to_string(max_jobs));
    }
    if (timeout && timeout->count() <= 0) {
        fail("DataLoader",
             "timeout must be positive, got " + std::to_string(timeout->count()) + " ms");
    }
    batch_size = static_cast<size_t>(options.batch_size());
    workers = static_cast<size_t>(options.workers());
    this->max_jobs = workers > 0 ? static_cast<size_t>(max_jobs) : 0;
}

WorkerException::WorkerException(std::exception_ptr original)
    : original_exception(std::move(original)),
      message("Caught exception in DataLoader worker thread.") {
    try {
        std::rethrow_exception(original_exception);
    } catch (const std::exception& e) {
        message += " Original message: ";
        message += e.what();
    } catch (...) {
        message += " It was not a std::exception.";
    }
}

size_t detail::checked_dataset_size(const char* op, optional<size_t> size) {
    if (!size) {
        fail(op, "the dataset's size() is unknown (nullopt): pass a sampler that does not need it");
    }
    samplers::detail::check_size(op, *size);
    return *size;
}

void detail::check_make_data_loader_options(const DataLoaderOptions& options) {
    if (options.shuffle()) {
        fail("make_data_loader",
             "DataLoaderOptions::shuffle is data::DataLoader's; here the sampler decides the "
             "order (pass samplers::RandomSampler, the default, to shuffle)");
    }
}

// ---- WorkerPool -------------------------------------------------------------------------------

struct detail::WorkerPool::Impl {
    Impl(size_t slots, bool ordered)
        : state(slots, Slot::kFree), queued(slots), results(slots), ordered(ordered) {}

    std::mutex mutex;
    std::condition_variable work;  // workers wait here for queued slots
    std::condition_variable done;  // the consumer waits here for results
    std::vector<Slot> state;
    SlotRing queued;   // slots waiting for a worker, oldest first
    SlotRing results;  // ordered: slots in submission order; unordered: finished slots
    bool ordered;
    size_t in_flight = 0;
    size_t running = 0;
    bool stopping = false;
    std::vector<std::thread> threads;
};

detail::WorkerPool::WorkerPool(size_t slots, bool ordered)
    : impl_(std::make_unique<Impl>(slots, ordered)) {}

detail::WorkerPool::~WorkerPool() {
    stop();
}

void detail::WorkerPool::add_worker(std::thread thread) {
    impl_->threads.push_back(std::move(thread));
}

size_t detail::WorkerPool::acquire() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    for (size_t s = 0; s < impl_->state.size(); ++s) {
        if (impl_->state[s] == Slot::kFree) {
            impl_->state[s] = Slot::kQueued;  // reserved; submit() publishes it
            ++impl_->in_flight;
            return s;
        }
    }
    return npos;
}

void detail::WorkerPool::submit(size_t slot) {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->queued.push(slot);
        if (impl_->ordered) impl_->results.push(slot);
    }
    impl_->work.notify_one();
}

size_t detail::WorkerPool::wait_result(optional<std::chrono::milliseconds> timeout) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    auto ready = [this] {
        if (impl_->results.empty()) return false;
        return !impl_->ordered || impl_->state[impl_->results.front()] == Slot::kDone;
    };
    if (!timeout) {
        impl_->done.wait(lock, ready);
    } else if (!impl_->done.wait_for(lock, *timeout, ready)) {
        throw std::runtime_error("DataLoader: timeout: no batch arrived within " +
                                 std::to_string(timeout->count()) + " ms");
    }
    return impl_->results.pop();
}

void detail::WorkerPool::release(size_t slot) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->state[slot] = Slot::kFree;
    --impl_->in_flight;
}

size_t detail::WorkerPool::in_flight() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->in_flight;
}

void detail::WorkerPool::drain() {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    while (!impl_->queued.empty()) impl_->state[impl_->queued.pop()] = Slot::kFree;
    impl_->done.wait(lock, [this] { return impl_->running == 0; });
    for (Slot& s : impl_->state) s = Slot::kFree;
    impl_->results.clear();
    impl_->in_flight = 0;
}

void detail::WorkerPool::stop() {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->work.notify_all();
    for (std::thread& t : impl_->threads) {
        if (t.joinable()) t.join();
    }
    impl_->threads.clear();
}

bool detail::WorkerPool::take(size_t& slot) {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->work.wait(lock, [this] { return impl_->stopping || !impl_->queued.empty(); });
    if (impl_->stopping) return false;
    slot = impl_->queued.pop();
    impl_->state[slot] = Slot::kRunning;
    ++impl_->running;
    return true;
}

void detail::WorkerPool::finish(size_t slot) {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->state[slot] = Slot::kDone;
        --impl_->running;
        if (!impl_->ordered) impl_->results.push(slot);
    }
    // the consumer may wait for this slot, or (in drain) for no job to be running
    impl_->done.notify_all();
}

// ---- DataLoader -------------------------------------------------------------------------------

DataLoader::Impl& DataLoader::live() const {
    if (!impl_) throw std::logic_error("DataLoader: used after being moved from");
    return *impl_;
}

int64_t DataLoader::samples() const {
    const optional<size_t> samples = live().samples_per_epoch;
    if (!samples) {
        throw std::logic_error(
            "DataLoader: the number of samples per epoch is unknown for this sampler type");
    }
    return static_cast<int64_t>(*samples);
}

int64_t DataLoader::size() const {
    const auto samples = static_cast<size_t>(this->samples());
    const auto b = static_cast<size_t>(options_.batch_size());
    const size_t full = samples / b;
    return static_cast<int64_t>(options_.drop_last() ? full : full + (samples % b != 0));
}

}  // namespace data
}  // namespace tapegrad
