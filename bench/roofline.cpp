// The machine's limits for the roofline of run_comparison.sh (issue 20): the FP32 FMA peak of
// one core (and of T cores) and the memory bandwidth of a stream triad, measured here rather
// than taken from a data sheet. Compiled for the native architecture (-march=native), so it
// uses AVX-512 where the CPU has it; the AVX2 peak is measured too, since OpenBLAS under
// OPENBLAS_CORETYPE=Haswell runs AVX2 kernels and cannot go past it.
//
// Usage: roofline [--threads T] [--mib M]
//   --threads T  run T copies of each kernel at once, one per thread (default 1)
//   --mib M      size of each of the triad's three arrays in MiB (default: the larger of
//                256 MiB and the L3 size, so the three arrays are at least 3x L3)
// Prints `fig roofline_<name>_T<T> <unit> <best> <median> <worst>` lines: the best of several
// repetitions is the figure (a peak is what the machine can do; a loaded machine only lowers
// it).
#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Twelve independent accumulators hide the FMA latency (4 cycles) on two FMA ports: 2 x 4 = 8
// chains in flight at least; 12 leave room and fit in 16 vector registers with the two
// constants. They are named variables, not an array, so they live in registers. acc = acc * m
// + a converges to a / (1 - m), so the values stay normal. The empty asm takes each register,
// which keeps the compiler from folding or shortening the loop.
constexpr int kAcc = 12;
#define TG_ACC(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// Ops: a vector type V with set1, fmadd and a lanes count.
template <class Ops>
double fma_kernel(int64_t iters) {
    using V = typename Ops::V;
    const V m = Ops::set1(0.999f), a = Ops::set1(0.001f);
#define TG_DECL(j) V acc##j = Ops::set1(float(j));
#define TG_STEP(j) acc##j = Ops::fmadd(acc##j, m, a);
#define TG_PIN(j) __asm__ volatile("" : "+x"(acc##j));
#define TG_SUM(j) r += Ops::sum(acc##j);
    TG_ACC(TG_DECL)
    for (int64_t i = 0; i < iters; ++i) {
        TG_ACC(TG_STEP)
        TG_ACC(TG_PIN)
    }
    double r = 0;
    TG_ACC(TG_SUM)
    return r;
}

template <class V, int N>
double lanes_sum(const V& v) {
    float f[N];
    std::memcpy(f, &v, sizeof f);
    double r = 0;
    for (float x : f) r += double(x);
    return r;
}

#ifdef __AVX512F__
struct Avx512 {
    using V = __m512;
    static constexpr int lanes = 16;
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V fmadd(V x, V y, V z) { return _mm512_fmadd_ps(x, y, z); }
    static double sum(V v) { return lanes_sum<V, lanes>(v); }
};
#endif
#ifdef __AVX2__
struct Avx2 {
    using V = __m256;
    static constexpr int lanes = 8;
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V fmadd(V x, V y, V z) { return _mm256_fmadd_ps(x, y, z); }
    static double sum(V v) { return lanes_sum<V, lanes>(v); }
};
#endif

// Runs fn(thread index) on `threads` threads started together; returns the wall time of the
// slowest.
template <class Fn>
double run_threads(int threads, Fn fn) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    Clock::time_point t0;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            ready.fetch_add(1);
            while (!go.load()) {
            }
            fn(t);
        });
    }
    while (ready.load() < threads) {
    }
    t0 = Clock::now();
    go.store(true);
    for (auto& th : pool) th.join();
    return seconds_since(t0);
}

void print_fig(const std::string& name, const char* unit, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("fig %s %s %.6g %.6g %.6g\n", name.c_str(), unit, v.back(), v[v.size() / 2],
                v.front());
    std::fflush(stdout);
}

// GFLOP/s of `kernel` (16 or 8 lanes) on `threads` threads at once, repeated `reps` times.
template <class Kernel>
std::vector<double> fma_rates(Kernel kernel, int lanes, int threads, int reps) {
    // calibrate: about 0.2 s per repetition
    int64_t iters = 1 << 16;
    while (true) {
        const auto t0 = Clock::now();
        volatile double sink = kernel(iters);
        (void)sink;
        if (seconds_since(t0) > 0.05) break;
        iters *= 2;
    }
    iters *= 4;
    std::vector<double> rates;
    std::vector<double> sinks(static_cast<size_t>(threads));
    for (int r = 0; r < reps; ++r) {
        const double s = run_threads(threads, [&](int t) { sinks[size_t(t)] = kernel(iters); });
        const double flop = 2.0 * lanes * kAcc * double(iters) * threads;
        rates.push_back(flop / s * 1e-9);
    }
    return rates;
}

std::vector<double> last_triad_rates;

// Triad a = b + s * c over three arrays of n floats, each thread on its own contiguous share
// (first touched by that thread). Bytes counted as STREAM does: 12 per element (two reads, one
// write; the write-allocate read of `a` is not counted). Repeats for about 0.5 s and at least
// 5 times; the rates land in last_triad_rates. Returns the best rate, or -1 if the result is
// wrong.
double triad(size_t n, int threads) {
    // new float[n] leaves the pages untouched, so each thread's share lands near it
    std::unique_ptr<float[]> a(new float[n]), b(new float[n]), c(new float[n]);
    auto share = [&](int id, size_t& lo, size_t& hi) {
        lo = n * size_t(id) / size_t(threads);
        hi = n * size_t(id + 1) / size_t(threads);
    };
    run_threads(threads, [&](int id) {
        size_t lo, hi;
        share(id, lo, hi);
        for (size_t i = lo; i < hi; ++i) {
            a[i] = 0.f;
            b[i] = 1.f;
            c[i] = 2.f;
        }
    });
    last_triad_rates.clear();
    // inner repetitions so that small arrays run long enough to time
    const int inner = int(std::max<size_t>(1, (size_t(64) << 20) / (12 * n)));
    const auto start = Clock::now();
    for (int r = 0; r < 5 || seconds_since(start) < 0.5; ++r) {
        const double sec = run_threads(threads, [&](int id) {
            size_t lo, hi;
            share(id, lo, hi);
            float* __restrict pa = a.get();
            const float* __restrict pb = b.get();
            const float* __restrict pc = c.get();
            for (int k = 0; k < inner; ++k) {
                const float s = 0.5f + float(k % 4);
                for (size_t i = lo; i < hi; ++i) pa[i] = pb[i] + s * pc[i];
                __asm__ volatile("" : : "r"(pa) : "memory");
            }
        });
        // the first run warms up (page faults, cache fill)
        if (r > 0) last_triad_rates.push_back(12.0 * double(n) * inner / sec * 1e-9);
    }
    const float expect = 1.f + (0.5f + float((inner - 1) % 4)) * 2.f;
    if (a[n / 2] != expect) {
        std::fprintf(stderr, "roofline: triad result wrong (%g, expected %g)\n", double(a[n / 2]),
                     double(expect));
        return -1;
    }
    return *std::max_element(last_triad_rates.begin(), last_triad_rates.end());
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 1;
    int64_t mib = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--threads")
            threads = std::atoi(argv[i + 1]);
        else if (k == "--mib")
            mib = std::atol(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: %s [--threads T] [--mib M]\n", argv[0]);
            return 2;
        }
    }
    if (threads < 1) threads = 1;
    const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (mib <= 0) mib = std::max<int64_t>(256, l3 > 0 ? int64_t(l3) >> 20 : 0);
    const std::string t = "_T" + std::to_string(threads);
    std::printf("# roofline threads=%d L3=%ld KiB triad arrays=3 x %ld MiB\n", threads,
                l3 > 0 ? l3 / 1024 : -1L, long(mib));

    std::vector<double> best_peak;
#ifdef __AVX512F__
    const auto r512 = fma_rates(fma_kernel<Avx512>, Avx512::lanes, threads, 5);
    print_fig("roofline_fma_avx512" + t, "GFLOP/s", r512);
    best_peak.push_back(*std::max_element(r512.begin(), r512.end()));
#endif
#ifdef __AVX2__
    const auto r256 = fma_rates(fma_kernel<Avx2>, Avx2::lanes, threads, 5);
    print_fig("roofline_fma_avx2" + t, "GFLOP/s", r256);
    best_peak.push_back(*std::max_element(r256.begin(), r256.end()));
#endif
    if (best_peak.empty()) {
        std::fprintf(stderr,
                     "roofline: built without AVX2 or AVX-512 (compile with -march=native)\n");
        return 1;
    }
    const double peak = *std::max_element(best_peak.begin(), best_peak.end());
    std::printf("fig roofline_peak%s GFLOP/s %.6g %.6g %.6g\n", t.c_str(), peak, peak, peak);

    // The triad at several working-set sizes: a workload whose data fits in a cache level moves
    // its bytes at that level's rate (summarize.py picks the smallest size that holds a
    // workload's working set). The largest is the memory's rate.
    for (int64_t ws_kib : {int64_t(1536), int64_t(8) << 10, int64_t(64) << 10, 3 * (mib << 10)}) {
        const size_t n = size_t(ws_kib) * 1024 / 12;  // floats per array
        const double gbs = triad(n, threads);
        if (gbs < 0) return 1;
        (void)gbs;
        const std::string name = ws_kib == 3 * (mib << 10)
                                     ? "roofline_triad_mem" + t
                                     : "roofline_triad_" + std::to_string(ws_kib) + "KiB" + t;
        print_fig(name, "GB/s", last_triad_rates);
    }
    return 0;
}
