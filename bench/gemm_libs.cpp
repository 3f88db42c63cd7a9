// The float32 products of W2 and W4 on one thread, in every GEMM library Debian has for this
// machine: OpenBLAS (what tapegrad uses), BLIS, libxsmm's JIT kernels and oneDNN's f32 matmul.
// It answers issue 20's "try what exists before writing kernels": a library faster than
// OpenBLAS on a shape would earn a per-shape table. Not part of the CMake build (it needs
// libblis-dev and libxsmm-dev, which tapegrad does not); build and run by hand:
//
//   g++ -O2 -std=c++17 bench/gemm_libs.cpp -o /tmp/gemm_libs -lopenblas \
//       -I/usr/include/x86_64-linux-gnu/blis-openmp -lblis -lxsmm -ldnnl -fopenmp -ldl
//   OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /tmp/gemm_libs
//
// Shapes are row-major C[m, n] = op(A) op(B), named as tapegrad calls them (x W^T is a Linear's
// forward, g^T x its weight gradient, g W its input gradient). Prints GFLOP/s, the median of
// 15 timed calls after 3 warm-up calls; "-" where a library has no kernel for the layout.

#include <cblas.h>
#include <libxsmm.h>

#include <algorithm>
#include <blis.h>
#include <chrono>
#include <cstdio>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <vector>

namespace {

struct Shape {
    const char* name;
    bool ta, tb;
    int64_t m, n, k;
};

double median_gflops(int64_t m, int64_t n, int64_t k, const std::function<void()>& run) {
    for (int i = 0; i < 3; ++i) run();
    std::vector<double> t;
    for (int i = 0; i < 15; ++i) {
        const auto s = std::chrono::steady_clock::now();
        run();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
    }
    std::nth_element(t.begin(), t.begin() + 7, t.end());
    return 2.0 * m * n * k / t[7] * 1e-9;
}

}  // namespace

int main() {
    const Shape shapes[] = {
        {"W2 b16 x W^T", false, true, 16, 256, 784},
        {"W2 b16 g^T x", true, false, 256, 784, 16},
        {"W2 b64 x W^T", false, true, 64, 256, 784},
        {"W2 b64 g^T x", true, false, 256, 784, 64},
        {"W2 b1024 x W^T", false, true, 1024, 256, 784},
        {"W2 b1024 g^T x", true, false, 256, 784, 1024},
        {"W4 x W1^T", false, true, 512, 4096, 1024},
        {"W4 h W2^T", false, true, 512, 4096, 4096},
        {"W4 g W2", false, false, 512, 4096, 4096},
        {"W4 g^T h", true, false, 4096, 4096, 512},
        {"W4 g^T x", true, false, 4096, 1024, 512},
    };
    bli_init();
    libxsmm_init();
    dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    dnnl::stream stream(engine);
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> u(-1, 1);
    std::printf("%-16s %6s %6s %6s %9s %9s %9s %9s\n", "shape", "m", "n", "k", "OpenBLAS", "BLIS",
                "libxsmm", "oneDNN");
    for (const Shape& s : shapes) {
        const int64_t m = s.m, n = s.n, k = s.k;
        std::vector<float> a(m * k), b(k * n), c(m * n);
        for (float& v : a) v = u(gen);
        for (float& v : b) v = u(gen);
        const int64_t lda = s.ta ? m : k, ldb = s.tb ? k : n;  // row strides as stored
        const double openblas = median_gflops(m, n, k, [&] {
            cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans,
                        s.tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a.data(), lda, b.data(),
                        ldb, 0.0f, c.data(), n);
        });
        float one = 1, zero = 0;
        const double blis = median_gflops(m, n, k, [&] {  // general strides: row-major as is
            bli_sgemm(s.ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                      s.tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &one, a.data(), lda, 1,
                      b.data(), ldb, 1, &zero, c.data(), n, 1);
        });
        // libxsmm is column-major: C^T[n, m] = op(B)^T op(A)^T, so B's transpose becomes its
        // TRANS_A and A's its TRANS_B
        const int flags =
            (s.tb ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (s.ta ? LIBXSMM_GEMM_FLAG_TRANS_B : 0);
        const libxsmm_blasint xm = n, xn = m, xk = k, xlda = ldb, xldb = lda, xldc = n;
        const libxsmm_smmfunction kernel =
            libxsmm_smmdispatch(xm, xn, xk, &xlda, &xldb, &xldc, &one, &zero, &flags, nullptr);
        const double xsmm =
            kernel ? median_gflops(m, n, k, [&] { kernel(b.data(), a.data(), c.data()); }) : 0;
        using dnnl::memory;
        const memory::desc da = s.ta ? memory::desc({m, k}, memory::data_type::f32, {1, lda})
                                     : memory::desc({m, k}, memory::data_type::f32, {lda, 1});
        const memory::desc db = s.tb ? memory::desc({k, n}, memory::data_type::f32, {1, ldb})
                                     : memory::desc({k, n}, memory::data_type::f32, {ldb, 1});
        const memory::desc dc({m, n}, memory::data_type::f32, {n, 1});
        const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(da, db, dc), engine);
        dnnl::matmul mm(pd);
        memory ma(da, engine, a.data()), mb(db, engine, b.data()), mc(dc, engine, c.data());
        const double onednn = median_gflops(m, n, k, [&] {
            mm.execute(stream, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
            stream.wait();
        });
        std::printf("%-16s %6ld %6ld %6ld %9.1f %9.1f ", s.name, static_cast<long>(m),
                    static_cast<long>(n), static_cast<long>(k), openblas, blis);
        if (xsmm > 0)
            std::printf("%9.1f ", xsmm);
        else
            std::printf("%9s ", "-");
        std::printf("%9.1f  (%s)\n", onednn, pd.impl_info_str());
    }
    libxsmm_finalize();
    return 0;
}
