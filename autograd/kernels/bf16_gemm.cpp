// The bfloat16 matrix product through oneDNN's matmul primitive: bf16 operands, float32
// accumulation and result. Built only with TAPEGRAD_WITH_DNNL; dnnl.hpp is a heavy header, so
// it is included here and nowhere else.
//
// oneDNN picks its kernel by CPU: on AMX (Sapphire Rapids) "brg:avx512_core_amx" tiles, on
// AVX-512 BF16 "brg:avx512_core_bf16" dot products. A primitive costs 0.4 to 1 ms to create
// here (its kernel is generated; 18 ms for the first), so each thread keeps the ones it made,
// by shape.

#include "autograd/kernels/bf16.hpp"

#include <omp.h>

#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <string>
#include <tuple>

#include "autograd/kernels/blas.hpp"

namespace tapegrad {
namespace kernels {

namespace {

using dnnl::memory;

// What a primitive is made for: the operands' layouts and the shape.
using Shape = std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool>;

struct Matmul {
    dnnl::matmul primitive;
    memory::desc a, b, c;
    std::string implementation;
};

dnnl::engine& engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

// Primitives kept per thread; past that many shapes (variable batch sizes, say) the kept ones
// are dropped, and remade from oneDNN's own cache of primitives (70 us instead of 0.4-1 ms).
constexpr size_t kKept = 256;

// Per thread: a stream, the primitives made so far and the name of the last one run.
struct ThreadState {
    dnnl::stream stream{engine()};
    std::map<Shape, Matmul> made;
    std::string last;
};
ThreadState& thread_state() {
    thread_local ThreadState s;
    return s;
}

// A row-major [rows, cols] operand with row stride ld, read transposed when trans: a
// transposed view is the same memory with the strides swapped.
memory::desc operand(int64_t rows, int64_t cols, int64_t ld, bool trans, memory::data_type dt) {
    return trans ? memory::desc({rows, cols}, dt, {1, ld})
                 : memory::desc({rows, cols}, dt, {ld, 1});
}

Matmul make(const Shape& s) {
    const auto [ta, tb, m, n, k, lda, ldb, ldc, accumulate] = s;
    Matmul mm;
    mm.a = operand(m, k, lda, ta, memory::data_type::bf16);
    mm.b = operand(k, n, ldb, tb, memory::data_type::bf16);
    mm.c = memory::desc({m, n}, memory::data_type::f32, {ldc, 1});
    dnnl::primitive_attr attr;
    if (accumulate) {  // beta = 1: C += A @ B as a sum post-op
        dnnl::post_ops ops;
        ops.append_sum(1.0f);
        attr.set_post_ops(ops);
    }
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(mm.a, mm.b, mm.c), attr, engine());
    mm.implementation = pd.impl_info_str();
    mm.primitive = dnnl::matmul(pd);
    return mm;
}

}  // namespace

bool bf16_gemm_available() {
    static const bool ok = [] {
        if (!__builtin_cpu_supports("avx512bf16")) return false;
        const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
        const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
        return (isa & bf16) == bf16;
    }();
    return ok;
}

const char* bf16_gemm_implementation() {
    return thread_state().last.c_str();
}

namespace {
// One oneDNN call on the calling thread: parallelism comes from tapegrad's pool (gemm_bf16), as
// for the float products, so oneDNN's OpenMP region has one thread (no libgomp worker spinning
// on a core the pool needs). Also before any set_num_threads, when OpenBLAS keeps its default:
// the main job under autocast took 11.9 s with oneDNN on OpenBLAS's 2 threads, 9.0 s on one.
void gemm_bf16_one(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const BFloat16* a,
                   int64_t lda, const BFloat16* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    if (omp_get_max_threads() != 1) omp_set_num_threads(1);  // this thread's setting
    ThreadState& st = thread_state();
    const Shape shape{trans_a, trans_b, m, n, k, lda, ldb, ldc, beta != 0};
    auto it = st.made.find(shape);
    if (it == st.made.end()) {
        if (st.made.size() >= kKept) st.made.clear();  // many shapes: start again
        it = st.made.emplace(shape, make(shape)).first;
    }
    const Matmul& mm = it->second;
    memory ma(mm.a, engine(), const_cast<BFloat16*>(a));
    memory mb(mm.b, engine(), const_cast<BFloat16*>(b));
    memory mc(mm.c, engine(), c);
    mm.primitive.execute(st.stream,
                         {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
    st.stream.wait();
    st.last = mm.implementation;
}
}  // namespace

void gemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const BFloat16* a,
               int64_t lda, const BFloat16* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    if (!bf16_gemm_available()) {
        throw std::logic_error("gemm_bf16: this build or CPU has no bfloat16 product");
    }
    if (m == 0 || n == 0) return;
    if (k == 0) {  // an empty sum: C = beta * C
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0 ? 0.0f : c[i * ldc + j];
        return;
    }
    // cut as the float products are (split_product), each part one single-threaded call
    const bool split = split_product(m, n, k, false, [&](bool cols, int64_t s, int64_t w) {
        if (cols)  // columns s.. of op(B) start at row s of B^T
            gemm_bf16_one(trans_a, trans_b, m, w, k, a, lda, trans_b ? b + s * ldb : b + s, ldb,
                          beta, c + s, ldc);
        else  // rows s.. of op(A) start at column s of A^T
            gemm_bf16_one(trans_a, trans_b, w, n, k, trans_a ? a + s : a + s * lda, lda, b, ldb,
                          beta, c + s * ldc, ldc);
    });
    if (!split) gemm_bf16_one(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace kernels
}  // namespace tapegrad
