// Float products of a few rows against a large operand, which kernels::gemm may run as several
// OpenBLAS calls of fewer rows (autograd/kernels/blas.cpp): every transpose, a row-sliced
// operand, accumulation into an existing result, checked against the same product in float64.
// With set_num_threads(2) kernels::gemm splits products over the pool, by columns or rows
// (gemm_split): the same checks at 2 threads, on shapes that take each way of cutting.

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;

namespace {
void check_close(const Tensor& got, const Tensor& want_f64) {
    REQUIRE(got.sizes() == want_f64.sizes());
    const double err = (got.to(kFloat64) - want_f64).abs().max().item<double>();
    const double scale = want_f64.abs().max().item<double>();
    CHECK(err <= 1e-5 * scale);
}
}  // namespace

// Sets the thread count for one scope, and restores the one before.
struct Threads {
    explicit Threads(int n) : before(get_num_threads()) { set_num_threads(n); }
    ~Threads() { set_num_threads(before); }
    int before;
};

TEST_SUITE("gemm rows") {
    TEST_CASE("linear at batch 1..20 over 784 -> 256 matches float64 in value and gradient") {
        manual_seed(11);
        const Tensor w = randn({256, 784}), bias = randn({256});
        for (int64_t batch : {1, 4, 5, 8, 12, 16, 17, 20}) {
            CAPTURE(batch);
            Tensor x = randn({batch, 784}).requires_grad_();
            Tensor wf = w.clone().requires_grad_();
            Tensor y = linear(x, wf, bias);
            Tensor g = randn({batch, 256});
            y.backward(g);
            Tensor x64 = x.detach().to(kFloat64).requires_grad_();
            Tensor w64 = w.to(kFloat64).requires_grad_();
            Tensor y64 = linear(x64, w64, bias.to(kFloat64));
            y64.backward(g.to(kFloat64));
            check_close(y, y64.detach());
            check_close(wf.grad(), w64.grad());  // g^T x: 256 rows, k = batch
            check_close(x.grad(), x64.grad());
        }
    }

    TEST_CASE("every transpose pattern, a row-sliced operand, and accumulation into .grad") {
        manual_seed(12);
        const Tensor a = randn({784, 24}), b = randn({784, 256});
        for (bool ta : {false, true}) {
            for (bool tb : {false, true}) {
                CAPTURE(ta);
                CAPTURE(tb);
                // op(A) is [12, 784], op(B) is [784, 256]; A sliced to 12 of 24 columns (a
                // row stride larger than its width when transposed)
                const Tensor a_op = ta ? a.slice(1, 0, 12).t() : a.slice(1, 0, 12).t().contiguous();
                const Tensor b_op = tb ? b.t().contiguous().t() : b;
                check_close(a_op.matmul(b_op), a_op.to(kFloat64).matmul(b_op.to(kFloat64)));
            }
        }
        // a weight gradient accumulated over two backward passes (gemm with beta = 1)
        Tensor w = randn({256, 784}).requires_grad_();
        const Tensor x1 = randn({16, 784}), x2 = randn({16, 784});
        linear(x1, w).sum().backward();
        linear(x2, w).sum().backward();
        const Tensor ones = full({16, 256}, 1.0, TensorOptions(kFloat64));
        const Tensor want = ones.t().matmul(x1.to(kFloat64)) + ones.t().matmul(x2.to(kFloat64));
        check_close(w.grad(), want);
    }

    TEST_CASE("at 2 threads: every way of cutting a product, every transpose, float and double") {
        const Threads two(2);
        manual_seed(13);
        struct Shape {
            int64_t m, n, k;
        };
        // small-matrix parts by columns (x W^T at batch 16) and by rows (its weight gradient);
        // one part per thread by columns and by rows; a matrix-vector product (m = 1) and an
        // outer product (k = 1) of a large weight; n = 1; an odd size under kMinPart x 2
        for (const Shape sh :
             {Shape{16, 256, 784}, Shape{256, 784, 16}, Shape{64, 256, 784}, Shape{1030, 70, 300},
              Shape{1, 300, 784}, Shape{300, 784, 1}, Shape{2000, 1, 100}, Shape{20, 3000, 5}}) {
            for (bool ta : {false, true}) {
                for (bool tb : {false, true}) {
                    CAPTURE(sh.m);
                    CAPTURE(sh.n);
                    CAPTURE(sh.k);
                    CAPTURE(ta);
                    CAPTURE(tb);
                    const Tensor a = ta ? randn({sh.k, sh.m}).t() : randn({sh.m, sh.k});
                    const Tensor b = tb ? randn({sh.n, sh.k}).t() : randn({sh.k, sh.n});
                    const Tensor want = a.to(kFloat64).matmul(b.to(kFloat64));
                    check_close(a.matmul(b), want);
                    check_close(a.to(kFloat64).matmul(b.to(kFloat64).contiguous()), want);
                }
            }
        }
        // a Linear's forward and weight gradient, through .grad with beta = 1
        Tensor w = randn({256, 784}).requires_grad_();
        const Tensor x1 = randn({16, 784}), x2 = randn({64, 784});
        linear(x1, w).sum().backward();
        linear(x2, w).sum().backward();
        const Tensor want =
            full({16, 256}, 1.0, TensorOptions(kFloat64)).t().matmul(x1.to(kFloat64)) +
            full({64, 256}, 1.0, TensorOptions(kFloat64)).t().matmul(x2.to(kFloat64));
        check_close(w.grad(), want);
        check_close(linear(x1, w.detach()), x1.to(kFloat64).matmul(w.detach().to(kFloat64).t()));
    }
}
