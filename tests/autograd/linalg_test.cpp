// Linear algebra: matmul in all its shapes, mm, bmm, linear, t, transpose, dot.

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using In = const std::vector<Tensor>&;

TEST_SUITE("ops/linalg") {
    // ---- values worked out by hand ----------------------------------------------------------

    TEST_CASE("matmul: 2-D times 2-D by hand, in float32 and float64") {
        Tensor a = make_f64({1, 2, 3, 4}, {2, 2});
        Tensor b = make_f64({5, 6, 7, 8}, {2, 2});
        CHECK_VALUES(matmul(a, b), {19, 22, 43, 50});
        CHECK_VALUES(a.matmul(b), {19, 22, 43, 50});
        CHECK_VALUES(mm(a, b), {19, 22, 43, 50});
        Tensor c = matmul(a.to(kFloat32), b.to(kFloat32));
        CHECK(c.dtype() == kFloat32);
        CHECK_VALUES_F32(c, {19, 22, 43, 50});
    }

    TEST_CASE("matmul: non-square shapes by hand") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        Tensor b = make_f64({1, 0, 0, 1, 1, 1}, {3, 2});
        Tensor y = matmul(a, b);
        CHECK_SHAPE(y, {2, 2});
        CHECK_VALUES(y, {4, 5, 10, 11});
    }

    TEST_CASE("matmul: vector forms give the shapes of LibTorch") {
        Tensor v = make_f64({1, 2}, {2});
        Tensor m = make_f64({1, 2, 3, 4}, {2, 2});
        Tensor vm = matmul(v, m);
        CHECK_SHAPE(vm, {2});
        CHECK_VALUES(vm, {7, 10});
        Tensor mv = matmul(m, v);
        CHECK_SHAPE(mv, {2});
        CHECK_VALUES(mv, {5, 11});
        Tensor vv = matmul(v, v);
        CHECK(vv.dim() == 0);
        CHECK_VALUES(vv, {5});
    }

    TEST_CASE("matmul: batched 3-D times 2-D and 3-D times 3-D by hand") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
        Tensor b = make_f64({1, 0, 0, 2}, {2, 2});
        Tensor y = matmul(a, b);
        CHECK_SHAPE(y, {2, 2, 2});
        CHECK_VALUES(y, {1, 4, 3, 8, 5, 12, 7, 16});
        Tensor c = make_f64({1, 0, 0, 1, 0, 1, 1, 0}, {2, 2, 2});
        Tensor z = matmul(a, c);
        CHECK_VALUES(z, {1, 2, 3, 4, 6, 5, 8, 7});
        CHECK_VALUES(bmm(a, c), {1, 2, 3, 4, 6, 5, 8, 7});
    }

    TEST_CASE("matmul: with an empty inner dimension gives zeros") {
        Tensor y = matmul(empty({2, 0}, kFloat64), empty({0, 3}, kFloat64));
        CHECK_SHAPE(y, {2, 3});
        CHECK_VALUES(y, {0, 0, 0, 0, 0, 0});
    }

    TEST_CASE("dot: by hand") {
        Tensor d = dot(make_f64({1, 2, 3}, {3}), make_f64({4, 5, 6}, {3}));
        CHECK(d.dim() == 0);
        CHECK_VALUES(d, {32});
        // recorded as one node named for the op, also when reached through a 1-D matmul
        Tensor a = make_f64({1, 2}, {2}, true);
        REQUIRE(matmul(a, make_f64({3, 4}, {2})).grad_fn());
        CHECK(matmul(a, make_f64({3, 4}, {2})).grad_fn()->name() == "dot");
        CHECK_VALUES(dot(zeros({0}, kFloat64), zeros({0}, kFloat64)), {0});
    }

    TEST_CASE("linear: by hand, with and without bias") {
        Tensor x = make_f64({1, 2}, {1, 2});
        Tensor w = make_f64({1, 0, 0, 1, 1, 1}, {3, 2});
        Tensor b = make_f64({0.5, 0, -1}, {3});
        Tensor y = linear(x, w, b);
        CHECK_SHAPE(y, {1, 3});
        CHECK_VALUES(y, {1.5, 2, 2});
        CHECK_VALUES(linear(x, w), {1, 2, 3});
        Tensor x3 = make_f64({1, 2, 3, 4}, {2, 1, 2});
        Tensor y3 = linear(x3, w, b);
        CHECK_SHAPE(y3, {2, 1, 3});
        CHECK_VALUES(y3, {1.5, 2, 2, 3.5, 4, 6});
    }

    TEST_CASE("t: transposes a matrix, and transpose swaps any two dims") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        CHECK_SHAPE(a.t(), {3, 2});
        CHECK_VALUES(a.t(), {1, 4, 2, 5, 3, 6});
        CHECK_VALUES(t(a), {1, 4, 2, 5, 3, 6});
        Tensor b = make_f64({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 3, 2});
        Tensor tb = transpose(b, 0, 2);
        CHECK_SHAPE(tb, {2, 3, 2});
        CHECK_VALUES(tb, {0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11});
        Tensor tc = b.transpose(-1, 1);
        CHECK_SHAPE(tc, {2, 2, 3});
        CHECK_VALUES(tc, {0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11});
    }

    TEST_CASE("t: of a 1-D tensor returns it unchanged, as LibTorch") {
        Tensor v = make_f64({1, 2, 3}, {3});
        CHECK_SHAPE(v.t(), {3});
        CHECK_VALUES(v.t(), {1, 2, 3});
    }

    TEST_CASE("transpose: result is a view sharing a's storage, as in LibTorch") {
        Tensor a = make_f64({1, 2, 3, 4}, {2, 2});
        Tensor b = a.transpose(0, 1);
        CHECK(b.is_alias_of(a));
        CHECK(b.data_ptr<double>() == a.data_ptr<double>());
        CHECK(b.strides() == std::vector<int64_t>{1, 2});
        CHECK_FALSE(b.is_contiguous());
        b[0][1] = 100.0;  // b[0][1] is a[1][0]
        CHECK_VALUES(a, {1, 2, 100, 4});
    }

    TEST_CASE("matmul: gradient by hand") {
        Tensor a = make_f64({1, 2, 3, 4}, {2, 2}, true);
        Tensor b = make_f64({5, 6, 7, 8}, {2, 2}, true);
        matmul(a, b).sum().backward();
        // grad_a = ones @ b^T: row sums of b; grad_b = a^T @ ones: column sums of a
        CHECK_VALUES(a.grad(), {11, 15, 11, 15});
        CHECK_VALUES(b.grad(), {4, 4, 6, 6});
    }

    // ---- gradient checks --------------------------------------------------------------------

    TEST_CASE("matmul: gradient matches finite differences for every supported shape pair") {
        manual_seed(11);
        auto f = [](In in) { return matmul(in[0], in[1]); };
        CHECK_GRADIENTS(f, {randn({2, 3}, f64()), randn({3, 4}, f64())});
        CHECK_GRADIENTS(f, {randn({3}, f64()), randn({3}, f64())});
        CHECK_GRADIENTS(f, {randn({3}, f64()), randn({3, 2}, f64())});
        CHECK_GRADIENTS(f, {randn({2, 3}, f64()), randn({3}, f64())});
        CHECK_GRADIENTS(f, {randn({2, 3, 4}, f64()), randn({4, 2}, f64())});
        CHECK_GRADIENTS(f, {randn({2, 3, 4}, f64()), randn({2, 4, 2}, f64())});
    }

    TEST_CASE("mm: gradient matches finite differences") {
        manual_seed(12);
        CHECK_GRADIENTS([](In in) { return mm(in[0], in[1]); },
                        {randn({3, 2}, f64()), randn({2, 4}, f64())});
    }

    TEST_CASE("bmm: gradient matches finite differences") {
        manual_seed(13);
        CHECK_GRADIENTS([](In in) { return bmm(in[0], in[1]); },
                        {randn({2, 2, 3}, f64()), randn({2, 3, 2}, f64())});
    }

    TEST_CASE("linear: gradient matches finite differences, with and without bias") {
        manual_seed(14);
        CHECK_GRADIENTS([](In in) { return linear(in[0], in[1], in[2]); },
                        {randn({4, 3}, f64()), randn({2, 3}, f64()), randn({2}, f64())});
        CHECK_GRADIENTS([](In in) { return linear(in[0], in[1]); },
                        {randn({4, 3}, f64()), randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return linear(in[0], in[1], in[2]); },
                        {randn({2, 2, 3}, f64()), randn({2, 3}, f64()), randn({2}, f64())});
        CHECK_GRADIENTS([](In in) { return linear(in[0], in[1], in[2]); },
                        {randn({3}, f64()), randn({2, 3}, f64()), randn({2}, f64())});
    }

    TEST_CASE("t: gradient matches finite differences, as does transpose of a 3-D tensor") {
        manual_seed(15);
        CHECK_GRADIENTS([](In in) { return in[0].t(); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return transpose(in[0], 0, 2); }, {randn({2, 3, 4}, f64())});
        CHECK_GRADIENTS([](In in) { return transpose(in[0], 1, 2); }, {randn({2, 3, 4}, f64())});
    }

    TEST_CASE("dot: gradient matches finite differences") {
        manual_seed(16);
        CHECK_GRADIENTS([](In in) { return dot(in[0], in[1]); },
                        {randn({4}, f64()), randn({4}, f64())});
    }

    TEST_CASE("matmul: second derivatives match finite differences") {
        manual_seed(17);
        CHECK_GRADGRADIENTS([](In in) { return matmul(in[0], in[1]); },
                            {randn({2, 3}, f64()), randn({3, 2}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return linear(in[0], in[1], in[2]); },
                            {randn({2, 3}, f64()), randn({2, 3}, f64()), randn({2}, f64())});
    }

    TEST_CASE(
        "matmul: a transposed view's gradient is written in its layout, with the same values") {
        // x.t().matmul(w): the gradient of x arrives row-major (as x) without a strided copy,
        // and equals the one through a contiguous copy of x.t()
        manual_seed(18);
        const Tensor x0 = randn({70, 40}), w0 = randn({70, 33});
        Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_();
        Tensor xr = x0.t().contiguous().requires_grad_(), wr = w0.clone().requires_grad_();
        const Tensor g = randn({40, 33});
        x.t().matmul(w).backward(g);
        xr.matmul(wr).backward(g);
        CHECK(x.grad().is_contiguous());
        CHECK(x.grad().allclose(xr.grad().t(), 1e-5, 1e-5));
        // gemm reads x.t() with other flags: the same sums in another order
        CHECK(w.grad().allclose(wr.grad(), 1e-5, 1e-5));
        // a second pass adds into the existing grads, and b transposed too
        x.t().matmul(w).backward(g);
        CHECK(x.grad().allclose(2 * xr.grad().t(), 1e-5, 1e-5));
        Tensor b = randn({33, 70}).requires_grad_(),
               br = b.detach().t().contiguous().requires_grad_();
        Tensor a = randn({40, 70});
        a.matmul(b.t()).backward(g);
        a.matmul(br).backward(g);
        CHECK(b.grad().is_contiguous());
        CHECK(b.grad().allclose(br.grad().t(), 1e-5, 1e-5));
        // one transposed view used by two products: its node sums two transposed gradients
        Tensor s = randn({70, 40}).requires_grad_(),
               sr = s.detach().t().contiguous().requires_grad_();
        const Tensor st = s.t();
        (st.matmul(w0) + st.matmul(2 * w0)).backward(g);
        (sr.matmul(w0) + sr.matmul(2 * w0)).backward(g);
        CHECK(s.grad().allclose(sr.grad().t(), 1e-5, 1e-5));
    }

    TEST_CASE("matmul: gradients through transposed views match finite differences") {
        manual_seed(19);
        auto f = [](In in) { return matmul(in[0].t(), in[1]); };
        CHECK_GRADIENTS(f, {randn({4, 3}, f64()), randn({4, 5}, f64())});
        auto g = [](In in) { return matmul(in[0].t(), in[1].t()); };
        CHECK_GRADIENTS(g, {randn({4, 3}, f64()), randn({5, 4}, f64())});
        CHECK_GRADGRADIENTS(g, {randn({4, 3}, f64()), randn({5, 4}, f64())});
        // a transposed view that is not a leaf: the gradient flows on through the graph
        auto h = [](In in) { return matmul((in[0] * 2).t(), in[1]).tanh(); };
        CHECK_GRADIENTS(h, {randn({4, 3}, f64()), randn({4, 5}, f64())});
    }

    // ---- errors -----------------------------------------------------------------------------

    TEST_CASE("matmul: rejects inner dimensions that differ") {
        CHECK_THROWS_WITH_AS(matmul(randn({2, 3}), randn({4, 5})),
                             "matmul: inner dimensions differ: a is [2, 3], b is [4, 5]",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(matmul(randn({3}), randn({4})), std::invalid_argument, "matmul",
                              "[3]", "[4]");
        CHECK_THROWS_CONTAINS(matmul(randn({2, 2, 3}), randn({2, 4})), std::invalid_argument,
                              "matmul", "[2, 2, 3]", "[2, 4]");
    }

    TEST_CASE("matmul: rejects batch sizes that differ") {
        CHECK_THROWS_CONTAINS(matmul(randn({2, 2, 3}), randn({3, 3, 2})), std::invalid_argument,
                              "matmul", "[2, 2, 3]", "[3, 3, 2]");
    }

    TEST_CASE("mm: rejects non-matrices and inner dimensions that differ") {
        CHECK_THROWS_CONTAINS(mm(randn({2, 3}), randn({4, 5})), std::invalid_argument, "mm",
                              "[2, 3]", "[4, 5]");
        CHECK_THROWS_CONTAINS(mm(randn({2, 2, 3}), randn({3, 5})), std::invalid_argument, "mm",
                              "[2, 2, 3]");
    }

    TEST_CASE("bmm: rejects batch mismatches and non-3-D inputs") {
        CHECK_THROWS_CONTAINS(bmm(randn({2, 3, 4}), randn({3, 4, 5})), std::invalid_argument, "bmm",
                              "[2, 3, 4]", "[3, 4, 5]");
        CHECK_THROWS_CONTAINS(bmm(randn({2, 3, 4}), randn({2, 5, 5})), std::invalid_argument, "bmm",
                              "[2, 3, 4]", "[2, 5, 5]");
        CHECK_THROWS_CONTAINS(bmm(randn({3, 4}), randn({4, 5})), std::invalid_argument, "bmm",
                              "[3, 4]");
    }

    TEST_CASE("dot: rejects lengths that differ and non-vectors") {
        CHECK_THROWS_CONTAINS(dot(randn({3}), randn({4})), std::invalid_argument, "dot", "[3]",
                              "[4]");
        CHECK_THROWS_CONTAINS(dot(randn({2, 2}), randn({4})), std::invalid_argument, "dot",
                              "[2, 2]");
    }

    TEST_CASE("linear: rejects a weight whose in-features differ from x, and a wrong bias") {
        CHECK_THROWS_CONTAINS(linear(randn({2, 5}), randn({3, 4})), std::invalid_argument, "linear",
                              "[2, 5]", "[3, 4]");
        CHECK_THROWS_CONTAINS(linear(randn({2, 4}), randn({3, 4}), randn({2})),
                              std::invalid_argument, "linear", "[2]");
    }

    TEST_CASE("transpose: rejects a dim out of range, and t rejects more than 2 dims") {
        CHECK_THROWS_CONTAINS(transpose(randn({2, 3}), 0, 2), std::invalid_argument, "transpose",
                              "2");
        CHECK_THROWS_CONTAINS(randn({2, 3, 4}).t(), std::invalid_argument, "t", "[2, 3, 4]");
    }

    TEST_CASE("matmul: rejects int64 mixed with float") {
        // LibTorch refuses mixed dtypes in matmul; tapegrad must either refuse with a message or
        // compute in the promoted type, never read int64 memory as floats.
        Tensor a = make_i64({1, 2, 3, 4}, {2, 2});
        Tensor b = make_f64({1, 0, 0, 1}, {2, 2});
        bool threw = false;
        Tensor y;
        try {
            y = matmul(a, b);
        } catch (const std::invalid_argument& e) {
            threw = true;
            CHECK(std::string(e.what()).find("matmul") == 0);
        }
        if (!threw) CHECK_VALUES(y, {1, 2, 3, 4});
    }

}  // TEST_SUITE

TEST_CASE("set_num_threads: sets the product threads, refuses 0, and small products keep values") {
    const int before = get_num_threads();
    CHECK_THROWS_CONTAINS(set_num_threads(0), std::invalid_argument, "set_num_threads", "got 0");
    Tensor a = randn({3, 40}, kFloat64), b = randn({40, 5}, kFloat64);
    const Tensor one = matmul(a, b);
    set_num_threads(2);
    CHECK(get_num_threads() == 2);
    // a small product runs on one thread whatever the setting, and gives the same values
    CHECK(matmul(a, b).equal(one));
    CHECK(get_num_threads() == 2);  // the setting survives the narrowing for small products
    Tensor big_a = randn({300, 300}), big_b = randn({300, 300});
    CHECK(matmul(big_a, big_b).allclose(mm(big_a, big_b), 1e-5, 1e-4));
    set_num_threads(before);
    CHECK(get_num_threads() == before);
}
