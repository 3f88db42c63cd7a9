#pragma once
// Threads, with LibTorch's names: set_num_threads / get_num_threads (the intra-op pool and
// OpenBLAS's products), set_num_interop_threads, and parallel_for (at::parallel_for's shape).
//
// The pool is tapegrad's own: get_num_threads() - 1 persistent workers plus the calling
// thread. A parallel_for cuts [begin, end) into at most get_num_threads() chunks of at least
// grain_size elements; each thread (the caller too) claims chunks until none is left, so a
// worker that the OS has not scheduled yet costs nothing but its share of the speed-up. Runs
// inline (no thread involved) when the range holds fewer than two grains, when one thread is set,
// inside another parallel_for body, and while another user thread holds the pool.

#include <cstdint>

namespace tapegrad {

/// Sets the threads tapegrad computes with, as torch::set_num_threads: its intra-op pool of n
/// runs the element-wise, broadcast and reduction kernels above kGrainSize elements, and the
/// matrix products, split into one single-threaded OpenBLAS call per thread (OpenBLAS itself is
/// set to one thread). Call it between steps, not while another thread computes.
void set_num_threads(int n);
/// The thread count set by set_num_threads; 1 until it is called (OpenBLAS keeps its own
/// default, OPENBLAS_NUM_THREADS, until then).
int get_num_threads();
/// As torch::set_num_interop_threads: records n (>= 1). tapegrad runs no inter-op work (no
/// torch::jit::fork; backward runs on the calling thread), so the count has no effect.
void set_num_interop_threads(int n);
/// The count set by set_num_interop_threads; 1 until it is called.
int get_num_interop_threads();
/// True on a thread that is running a parallel_for body (nested parallel_for run inline).
bool in_parallel_region();

/// Elements below which a kernel stays on one thread (LibTorch's at::internal::GRAIN_SIZE):
/// handing a chunk to a worker costs a few microseconds, what ~32K float additions take.
constexpr int64_t kGrainSize = 32768;

namespace detail {
using RangeFn = void (*)(const void* ctx, int64_t begin, int64_t end);
/// Whether parallel_for would run [begin, end) inline on the calling thread.
bool runs_inline(int64_t begin, int64_t end, int64_t grain_size);
/// The pool's side of parallel_for: fn(ctx, b, e) over the chunks; rethrows a chunk's exception.
void parallel_run(int64_t begin, int64_t end, int64_t grain_size, RangeFn fn, const void* ctx);
}  // namespace detail

/// Calls f(b, e) over consecutive sub-ranges [b, e) that together cover [begin, end), each of
/// at least grain_size elements (but the last), possibly on several threads at once: f must
/// write disjoint data per sub-range. As at::parallel_for; an exception from f is rethrown here.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain_size, const F& f) {
    if (begin >= end) return;
    // a range under two grains (every small op) is decided here, without a call
    if ((end - begin) / 2 < grain_size || detail::runs_inline(begin, end, grain_size)) {
        f(begin, end);
        return;
    }
    detail::parallel_run(
        begin, end, grain_size,
        [](const void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); }, &f);
}

namespace detail {
/// parallel_for over [0, n) with kGrainSize, cut only at multiples of 16 elements: a chunk then
/// starts at the alignment the whole range starts at, so a vectorised loop splits it into
/// peeled head, vector body and scalar tail exactly as it splits the whole (same results).
template <class F>
void parallel_for_blocks(int64_t n, const F& f) {
    constexpr int64_t kBlock = 16;
    parallel_for(0, (n + kBlock - 1) / kBlock, kGrainSize / kBlock,
                 [&](int64_t b, int64_t e) { f(b * kBlock, e * kBlock < n ? e * kBlock : n); });
}
}  // namespace detail

}  // namespace tapegrad
