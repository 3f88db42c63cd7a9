// The row split of small-row float products (autograd/kernels/blas.cpp, sgemm_rows_per_call),
// measured: each shape as one OpenBLAS call and through kernels::gemm (split where the rule
// says so), at 1 thread or, with --threads T, after set_num_threads(T): the one call on
// OpenBLAS's own T threads, kernels::gemm on tapegrad's pool of T (OpenBLAS on one thread, as
// set_num_threads leaves it). The figures beside the rule come from here.
//
// Usage: bench_gemm_rows [--reps R] [--threads T].
// Prints `gemm <shape> one_call <us> tapegrad <us> ratio`.

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "autograd/kernels/blas.hpp"
#include "autograd/parallel.hpp"
#include "bench/common.hpp"

namespace {

using bench::median_us;

struct Shape {
    const char* name;
    bool trans_a, trans_b;
    int m, n, k;
};

}  // namespace

int main(int argc, char** argv) {
    int reps = 200, threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::string(argv[i]) == "--reps") reps = std::max(1, std::atoi(argv[i + 1]));
        if (std::string(argv[i]) == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
    }
    tapegrad::set_num_threads(threads);
    std::printf("# OpenBLAS core %s, %d thread(s)\n", openblas_get_corename(), threads);
    const Shape shapes[] = {
        {"linear_fwd_b16", false, true, 16, 256, 784},    // W2 batch 16: x W^T
        {"linear_gradW_b16", true, false, 256, 784, 16},  // its weight gradient: g^T x
        {"linear_fwd_b8", false, true, 8, 256, 784},
        {"linear_gradW_b8", true, false, 256, 784, 8},
        {"linear_fwd_b64", false, true, 64, 256, 784},  // 16 calls: left as one
        {"linear_gradW_b64", true, false, 256, 784, 64},
        {"mm_b12", false, false, 12, 256, 784},
        {"w1_fwd_b64", false, true, 64, 128, 784},  // W1: x W^T, 8 calls of 8 rows on 2 threads
        {"w1_gradW_b64", true, false, 128, 784, 64},
    };
    for (const Shape& s : shapes) {
        std::vector<float> a(size_t(s.m) * s.k, 0.5f), b(size_t(s.k) * s.n, 0.25f),
            c(size_t(s.m) * s.n);
        const int lda = s.trans_a ? s.m : s.k, ldb = s.trans_b ? s.k : s.n;
        openblas_set_num_threads(threads);  // the one call on OpenBLAS's threads
        const double one = median_us(
            [&] {
                cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans,
                            s.trans_b ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a.data(),
                            lda, b.data(), ldb, 0.0f, c.data(), s.n);
            },
            reps);
        openblas_set_num_threads(1);  // as set_num_threads leaves it
        // OpenBLAS's workers spin ~0.1 s after a threaded call: let them sleep before timing ours
        if (threads > 1) std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const double ours = median_us(
            [&] {
                tapegrad::kernels::gemm(s.trans_a, s.trans_b, s.m, s.n, s.k, 1.0f, a.data(), lda,
                                        b.data(), ldb, 0.0f, c.data());
            },
            reps);
        std::printf("gemm %-18s %4dx%4dx%4d one_call %9.2f us tapegrad %9.2f us ratio %5.2f\n",
                    s.name, s.m, s.n, s.k, one, ours, ours / one);
    }
}
