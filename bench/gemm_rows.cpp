// The row split of small-row float products (autograd/kernels/blas.cpp, sgemm_rows_per_call),
// measured: each shape as one OpenBLAS call and through kernels::gemm (split where the rule
// says so), on the calling thread count. The figures beside the rule come from this program.
//
// Usage: bench_gemm_rows [--reps R]. Prints `gemm <shape> one_call <us> tapegrad <us> ratio`.

#include <cblas.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/kernels/blas.hpp"
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
    int reps = 200;
    for (int i = 1; i + 1 < argc; i += 2)
        if (std::string(argv[i]) == "--reps") reps = std::max(1, std::atoi(argv[i + 1]));
    std::printf("# OpenBLAS core %s, %d thread(s)\n", openblas_get_corename(),
                openblas_get_num_threads());
    const Shape shapes[] = {
        {"linear_fwd_b16", false, true, 16, 256, 784},    // W2 batch 16: x W^T
        {"linear_gradW_b16", true, false, 256, 784, 16},  // its weight gradient: g^T x
        {"linear_fwd_b8", false, true, 8, 256, 784},
        {"linear_gradW_b8", true, false, 256, 784, 8},
        {"linear_fwd_b64", false, true, 64, 256, 784},  // 16 calls: left as one
        {"linear_gradW_b64", true, false, 256, 784, 64},
        {"mm_b12", false, false, 12, 256, 784},
    };
    for (const Shape& s : shapes) {
        std::vector<float> a(size_t(s.m) * s.k, 0.5f), b(size_t(s.k) * s.n, 0.25f),
            c(size_t(s.m) * s.n);
        const int lda = s.trans_a ? s.m : s.k, ldb = s.trans_b ? s.k : s.n;
        const double one = median_us(
            [&] {
                cblas_sgemm(CblasRowMajor, s.trans_a ? CblasTrans : CblasNoTrans,
                            s.trans_b ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a.data(),
                            lda, b.data(), ldb, 0.0f, c.data(), s.n);
            },
            reps);
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
