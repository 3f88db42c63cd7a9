// Factories: tensor() from nested lists, zeros/ones/full/empty, arange, linspace, eye,
// from_blob and the *_like forms, with their dtype rules and options.

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("factories") {
    TEST_CASE("tensor: nested integer lists give int64 with the nested shape") {
        Tensor t = tensor({{1, 2}, {3, 4}});
        CHECK(t.dtype() == kInt64);
        CHECK_SHAPE(t, {2, 2});
        CHECK_VALUES(t, {1, 2, 3, 4});
        Tensor t3 = tensor({{{1}, {2}}, {{3}, {4}}, {{5}, {6}}});
        CHECK_SHAPE(t3, {3, 2, 1});
        CHECK_VALUES(t3, {1, 2, 3, 4, 5, 6});
    }

    TEST_CASE("tensor: any floating value gives float32") {
        Tensor t = tensor({1.5, 2});
        CHECK(t.dtype() == kFloat32);
        CHECK_SHAPE(t, {2});
        CHECK_VALUES(t, {1.5, 2});
        CHECK(tensor({{1, 2}, {3, 4.5}}).dtype() == kFloat32);
    }

    TEST_CASE("tensor: a single number is 0-d, and options set dtype and requires_grad") {
        Tensor s = tensor(3.5);
        CHECK(s.dim() == 0);
        CHECK(s.item<double>() == 3.5);
        Tensor d = tensor({1, 2, 3}, TensorOptions().dtype(kFloat64).requires_grad(true));
        CHECK(d.dtype() == kFloat64);
        CHECK(d.requires_grad());
        CHECK(d.is_leaf());
        CHECK_VALUES(d, {1, 2, 3});
        CHECK(tensor({1.5, 2.5}, kFloat64).dtype() == kFloat64);
        CHECK(tensor(std::vector<double>{1, 2, 3}).dtype() == kFloat32);
        CHECK_SHAPE(tensor(std::vector<int64_t>{1, 2, 3}), {3});
        CHECK(tensor(std::vector<int64_t>{1, 2, 3}).dtype() == kInt64);
    }

    TEST_CASE("tensor: rejects ragged nested lists") {
        CHECK_THROWS_CONTAINS(tensor({{1, 2}, {3}}), std::invalid_argument, "tensor");
    }

    TEST_CASE("zeros: ones, full and empty have the requested shape, dtype and values") {
        Tensor z = zeros({2, 3});
        CHECK(z.dtype() == kFloat32);
        CHECK_SHAPE(z, {2, 3});
        CHECK_VALUES(z, {0, 0, 0, 0, 0, 0});
        Tensor o = ones({2}, kFloat64);
        CHECK(o.dtype() == kFloat64);
        CHECK_VALUES(o, {1, 1});
        Tensor f = full({2, 2}, 7, kInt64);
        CHECK(f.dtype() == kInt64);
        CHECK_VALUES(f, {7, 7, 7, 7});
        CHECK_VALUES(full({3}, -0.5), {-0.5, -0.5, -0.5});
        Tensor e = empty({4, 0});
        CHECK(e.numel() == 0);
        CHECK_SHAPE(e, {4, 0});
        CHECK(zeros({}).dim() == 0);
        CHECK(zeros({}).numel() == 1);
        Tensor r = ones({2}, TensorOptions().dtype(kFloat64).requires_grad(true));
        CHECK(r.requires_grad());
    }

    TEST_CASE("zeros: rejects a negative size") {
        CHECK_THROWS_CONTAINS(zeros({2, -1}), std::invalid_argument, "-1");
    }

    TEST_CASE("zeros_like: ones_like, full_like, empty_like keep shape and dtype") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {3, 2}, true);
        Tensor z = zeros_like(a);
        CHECK_SHAPE(z, {3, 2});
        CHECK(z.dtype() == kFloat64);
        CHECK_FALSE(z.requires_grad());
        CHECK_VALUES(z, {0, 0, 0, 0, 0, 0});
        CHECK_VALUES(ones_like(a), {1, 1, 1, 1, 1, 1});
        CHECK_VALUES(full_like(a, 2.5), {2.5, 2.5, 2.5, 2.5, 2.5, 2.5});
        CHECK_SHAPE(empty_like(a), {3, 2});
        CHECK(empty_like(a).dtype() == kFloat64);
        CHECK(zeros_like(a, kInt64).dtype() == kInt64);
    }

    TEST_CASE("arange: integer arguments give int64, any floating one gives float32") {
        Tensor a = arange(5);
        CHECK(a.dtype() == kInt64);
        CHECK_VALUES(a, {0, 1, 2, 3, 4});
        Tensor b = arange(2, 8, 2);
        CHECK(b.dtype() == kInt64);
        CHECK_VALUES(b, {2, 4, 6});
        Tensor c = arange(0.0, 1.0, 0.25);
        CHECK(c.dtype() == kFloat32);
        CHECK_VALUES(c, {0, 0.25, 0.5, 0.75});
        Tensor d = arange(5.0);
        CHECK(d.dtype() == kFloat32);
        CHECK(d.numel() == 5);
        CHECK(arange(3, kFloat64).dtype() == kFloat64);
        CHECK_VALUES(arange(5, 1, -2), {5, 3});
        CHECK(arange(1, 1).numel() == 0);
    }

    TEST_CASE("arange: rejects a zero step and a step of the wrong sign") {
        CHECK_THROWS_CONTAINS(arange(0, 5, 0), std::invalid_argument, "arange", "step");
        CHECK_THROWS_CONTAINS(arange(0, 5, -1), std::invalid_argument, "arange");
    }

    TEST_CASE("linspace: gives evenly spaced values including both ends") {
        Tensor l = linspace(-1.0, 1.0, 5);
        CHECK(l.dtype() == kFloat32);
        CHECK_VALUES(l, {-1, -0.5, 0, 0.5, 1});
        CHECK_VALUES(linspace(0, 1, 1), {0});
        Tensor l64 = linspace(0, 1, 3, kFloat64);
        CHECK(l64.dtype() == kFloat64);
        CHECK_VALUES(l64, {0, 0.5, 1});
        CHECK_THROWS_CONTAINS(linspace(0, 1, -1), std::invalid_argument, "linspace", "-1");
    }

    TEST_CASE("eye: square and rectangular") {
        Tensor e = eye(3);
        CHECK_SHAPE(e, {3, 3});
        CHECK(e.dtype() == kFloat32);
        CHECK_VALUES(e, {1, 0, 0, 0, 1, 0, 0, 0, 1});
        Tensor r = eye(2, 3, kFloat64);
        CHECK_SHAPE(r, {2, 3});
        CHECK(r.dtype() == kFloat64);
        CHECK_VALUES(r, {1, 0, 0, 0, 1, 0});
    }

    TEST_CASE("from_blob: copies the caller's buffer") {
        double buf[6] = {1, 2, 3, 4, 5, 6};
        Tensor t = from_blob(buf, {2, 3}, kFloat64);
        CHECK(t.dtype() == kFloat64);
        CHECK_SHAPE(t, {2, 3});
        CHECK_VALUES(t, {1, 2, 3, 4, 5, 6});
        buf[0] = 100;
        CHECK(t.data_ptr<double>()[0] == 1.0);
        float fbuf[2] = {0.5f, 1.5f};
        Tensor f = from_blob(fbuf, {2});
        CHECK(f.dtype() == kFloat32);
        CHECK_VALUES(f, {0.5, 1.5});
        int64_t ibuf[3] = {7, 8, 9};
        CHECK_VALUES(from_blob(ibuf, {3}, kInt64), {7, 8, 9});
    }

}  // TEST_SUITE
