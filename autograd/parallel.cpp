#include "autograd/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "autograd/kernels/blas.hpp"

namespace tapegrad {

namespace {
thread_local bool t_in_parallel = false;

// Marks the calling thread as inside a parallel_for body while it lives.
struct RegionGuard {
    RegionGuard() { t_in_parallel = true; }
    ~RegionGuard() { t_in_parallel = false; }
};

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Waits for `done()` without a system call for a short while (the other thread is usually a
// few microseconds away), then yields the core to whoever needs it; false once `patience`
// has passed without it.
template <class Done>
bool spin_until(Done done, std::chrono::microseconds patience) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; !done(); ++i) {
        if (i < 1000) {
            cpu_relax();
            continue;
        }
        if (std::chrono::steady_clock::now() - start > patience) return false;
        std::this_thread::yield();
    }
    return true;
}
// How long an idle worker watches for the next job before it sleeps: the element-wise
// kernels of one training step come tens of microseconds apart, with products in between.
constexpr std::chrono::microseconds kWorkerPatience{200};

// One job at a time: [begin, end) cut into `chunks` pieces of `step` elements (the last
// shorter), claimed through `next`. Workers copy the job under the mutex and count themselves
// in `users`, and a new job waits until `users` is 0, so a late worker never runs one job's
// chunks with another job's function.
class Pool {
public:
    ~Pool() { resize(1); }

    int size() const { return size_.load(std::memory_order_relaxed); }

    void resize(int n) {
        const std::lock_guard<std::mutex> hold(run_);  // no job runs while workers change
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
        workers_.clear();
        stop_ = false;
        seen_.assign(static_cast<size_t>(n > 1 ? n - 1 : 0), generation_);
        for (int w = 0; w + 1 < n; ++w) workers_.emplace_back([this, w] { work(w); });
        size_.store(n, std::memory_order_relaxed);
    }

    // False when another user thread holds the pool: the caller then runs the range itself.
    bool run(int64_t begin, int64_t end, int64_t grain, detail::RangeFn fn, const void* ctx) {
        std::unique_lock<std::mutex> hold(run_, std::try_to_lock);
        if (!hold.owns_lock()) return false;
        const int64_t range = end - begin;
        const int64_t max_chunks = std::max<int64_t>(1, range / std::max<int64_t>(grain, 1));
        const int64_t chunks = std::min<int64_t>(size(), max_chunks);
        {
            std::unique_lock<std::mutex> lock(mutex_);
            idle_.wait(lock, [this] { return users_ == 0; });
            job_ = Job{fn, ctx, begin, end, (range + chunks - 1) / chunks, chunks};
            next_.store(1, std::memory_order_relaxed);  // chunk 0 is the caller's
            done_.store(0, std::memory_order_relaxed);
            error_ = nullptr;
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        // the caller runs the first chunk itself: its data is in this core's cache (the kernel
        // before wrote it here), and a worker that is slow to wake cannot take it
        run_chunk(job_, 0);
        claim(job_);
        spin_until([&] { return done_.load(std::memory_order_acquire) == job_.chunks; },
                   std::chrono::hours(24));  // the chunks claimed are running
        std::exception_ptr error;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            error = error_;
        }
        if (error) std::rethrow_exception(error);
        return true;
    }

private:
    struct Job {
        detail::RangeFn fn = nullptr;
        const void* ctx = nullptr;
        int64_t begin = 0, end = 0, step = 0, chunks = 0;
    };

    // Runs chunk c of `job`, keeping the first exception of the job.
    void run_chunk(const Job& job, int64_t c) {
        const RegionGuard region;
        const int64_t b = job.begin + c * job.step, e = std::min(job.end, b + job.step);
        try {
            job.fn(job.ctx, b, e);
        } catch (...) {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
        done_.fetch_add(1, std::memory_order_acq_rel);
    }

    // Runs chunks of `job` until none is left unclaimed.
    void claim(const Job& job) {
        for (int64_t c; (c = next_.fetch_add(1, std::memory_order_relaxed)) < job.chunks;)
            run_chunk(job, c);
    }

    void work(int w) {
        uint64_t& seen = seen_[static_cast<size_t>(w)];
        while (true) {
            // a new job usually follows within microseconds (the kernels of one step)
            spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; },
                       kWorkerPatience);
            Job job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] {
                    return stop_ || generation_.load(std::memory_order_relaxed) != seen;
                });
                if (stop_) return;
                seen = generation_.load(std::memory_order_relaxed);
                job = job_;
                ++users_;
            }
            claim(job);
            {
                const std::lock_guard<std::mutex> lock(mutex_);
                --users_;
            }
            idle_.notify_one();
        }
    }

    std::mutex run_;    // held by the user thread whose job the pool runs
    std::mutex mutex_;  // guards job_, users_, stop_, error_
    std::condition_variable wake_, idle_;
    std::vector<std::thread> workers_;
    std::vector<uint64_t> seen_;  // per worker: the last generation it looked at
    std::atomic<uint64_t> generation_{0};
    std::atomic<int64_t> next_{0}, done_{0};
    std::atomic<int> size_{1};
    Job job_;
    int users_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
};

Pool& pool() {
    static Pool p;
    return p;
}

std::atomic<int> g_interop_threads{1};

void check_count(const char* op, int n) {
    if (n < 1)
        throw std::invalid_argument(std::string(op) + ": expected at least 1 thread, got " +
                                    std::to_string(n));
}
}  // namespace

void set_num_threads(int n) {
    check_count("set_num_threads", n);
    if (t_in_parallel)  // the pool would wait for the job this thread is part of
        throw std::logic_error("set_num_threads: called inside a parallel_for body");
    kernels::set_blas_threads(n);
    pool().resize(n);
}

int get_num_threads() {
    return pool().size();
}

void set_num_interop_threads(int n) {
    check_count("set_num_interop_threads", n);
    g_interop_threads.store(n, std::memory_order_relaxed);
}

int get_num_interop_threads() {
    return g_interop_threads.load(std::memory_order_relaxed);
}

bool in_parallel_region() {
    return t_in_parallel;
}

namespace detail {
bool runs_inline(int64_t begin, int64_t end, int64_t grain_size) {
    // two chunks of at least grain_size, or none
    return (end - begin) / 2 < std::max<int64_t>(grain_size, 1) || t_in_parallel ||
           pool().size() == 1;
}

void parallel_run(int64_t begin, int64_t end, int64_t grain_size, RangeFn fn, const void* ctx) {
    if (!pool().run(begin, end, grain_size, fn, ctx)) {
        const RegionGuard region;  // as in the pool: nested loops stay on this thread
        fn(ctx, begin, end);
    }
}
}  // namespace detail

}  // namespace tapegrad
