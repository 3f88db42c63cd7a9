// Tensor: shape and dtype queries, data access, conversions, printing, and in-place updates
// with their version counter and leaf checks.

#include <sstream>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("tensor") {
    TEST_CASE("sizes: size(d), dim and numel describe the shape") {
        Tensor a = zeros({2, 3, 4});
        CHECK(a.sizes() == std::vector<int64_t>{2, 3, 4});
        CHECK(a.size(0) == 2);
        CHECK(a.size(2) == 4);
        CHECK(a.size(-1) == 4);
        CHECK(a.size(-3) == 2);
        CHECK(a.dim() == 3);
        CHECK(a.numel() == 24);
        CHECK(a.dtype() == kFloat32);
        CHECK(a.scalar_type() == kFloat32);
        CHECK(a.is_floating_point());
        CHECK(a.defined());
        CHECK_FALSE(Tensor().defined());
    }

    TEST_CASE("size: rejects a dim out of range") {
        CHECK_THROWS_CONTAINS(zeros({2, 3}).size(2), std::invalid_argument, "size", "2");
        CHECK_THROWS_CONTAINS(zeros({2, 3}).size(-3), std::invalid_argument, "size", "-3");
    }

    TEST_CASE("item: reads the only element in the requested type") {
        CHECK(full({1}, 2.5, kFloat64).item<double>() == 2.5);
        CHECK(full({}, 2.5).item<float>() == 2.5f);
        CHECK(full({1, 1}, 7, kInt64).item<int64_t>() == 7);
        CHECK(full({1}, 7, kInt64).item<double>() == 7.0);
        CHECK(full({1}, 2.75, kFloat64).item<float>() == 2.75f);
    }

    TEST_CASE("item: of a many-element tensor raises naming the element count and shape") {
        CHECK_THROWS_CONTAINS(zeros({2, 3}).item<float>(), std::invalid_argument, "item", "6",
                              "[2, 3]");
        CHECK_THROWS_CONTAINS(zeros({0}).item<double>(), std::invalid_argument, "item", "[0]");
    }

    TEST_CASE("data_ptr: gives the elements, and refuses a mismatched element type") {
        Tensor a = make_f64({1, 2, 3}, {3});
        CHECK(a.data_ptr<double>()[2] == 3.0);
        CHECK_THROWS_CONTAINS(a.data_ptr<float>(), std::invalid_argument, "data_ptr", "float64",
                              "float32");
        CHECK_THROWS_CONTAINS(zeros({2}, kInt64).data_ptr<double>(), std::invalid_argument,
                              "data_ptr", "int64");
    }

    TEST_CASE("to_vector: converts elements to the requested type") {
        Tensor a = make_f64({1.5, -2.5}, {2});
        CHECK(a.to_vector<double>() == std::vector<double>{1.5, -2.5});
        CHECK(a.to_vector<float>() == std::vector<float>{1.5f, -2.5f});
        CHECK(make_i64({3, 4}, {2}).to_vector<int64_t>() == std::vector<int64_t>{3, 4});
    }

    TEST_CASE("to: converts between dtypes and is differentiable between floating types") {
        Tensor a = make_f64({1.5, -2.25, 3}, {3}, true);
        Tensor f = a.to(kFloat32);
        CHECK(f.dtype() == kFloat32);
        CHECK_VALUES(f, {1.5, -2.25, 3});
        Tensor i = a.to(kInt64);
        CHECK(i.dtype() == kInt64);
        CHECK_VALUES(i, {1, -2, 3});
        CHECK_FALSE(i.requires_grad());
        Tensor same = a.to(kFloat64);
        CHECK(same.dtype() == kFloat64);
        CHECK(a.to(TensorOptions(kFloat32)).dtype() == kFloat32);
        (f * 2.0).sum().backward();
        REQUIRE(a.grad().defined());
        CHECK(a.grad().dtype() == kFloat64);
        CHECK_VALUES(a.grad(), {2, 2, 2});
    }

    TEST_CASE("clone: copies the data and keeps the gradient path") {
        Tensor a = make_f64({1, 2}, {2}, true);
        Tensor c = a.clone();
        CHECK(c.data_ptr<double>() != a.data_ptr<double>());
        CHECK_VALUES(c, {1, 2});
        CHECK(c.requires_grad());
        (c * c).sum().backward();
        CHECK_VALUES(a.grad(), {2, 4});
        Tensor d = make_f64({1, 2}, {2});
        Tensor e = d.clone();
        e.data_ptr<double>()[0] = 9;
        CHECK_VALUES(d, {1, 2});
    }

    TEST_CASE("detach: shares data, drops requires_grad and grad_fn") {
        Tensor a = make_f64({1, 2}, {2}, true);
        Tensor y = a * 2.0;
        Tensor d = y.detach();
        CHECK_FALSE(d.requires_grad());
        CHECK(d.grad_fn() == nullptr);
        CHECK(d.is_leaf());
        CHECK(d.data_ptr<double>() == y.data_ptr<double>());
        Tensor z = make_f64({1, 2}, {2}, true) * 3.0;
        z.detach_();
        CHECK_FALSE(z.requires_grad());
        CHECK(z.grad_fn() == nullptr);
    }

    TEST_CASE("requires_grad_: marks a leaf, refuses int64 and non-leaves") {
        Tensor a = zeros({2});
        CHECK_FALSE(a.requires_grad());
        CHECK(a.is_leaf());
        a.requires_grad_();
        CHECK(a.requires_grad());
        CHECK_THROWS_CONTAINS(zeros({2}, kInt64).requires_grad_(), std::invalid_argument,
                              "requires_grad_", "int64");
        Tensor y = a * 2.0;
        CHECK_FALSE(y.is_leaf());
        CHECK_THROWS_CONTAINS(y.requires_grad_(false), std::logic_error, "requires_grad_");
        CHECK(zeros({2}, TensorOptions().requires_grad(true)).requires_grad());
    }

    TEST_CASE("operator<<: prints values then the type and shape, as LibTorch") {
        std::ostringstream os;
        os << make_f64({1.5, -2, 3.25, 4}, {2, 2});
        CHECK(os.str() == " 1.5000 -2.0000\n 3.2500  4.0000\n[ CPUDoubleType{2,2} ]");
        std::ostringstream os2;
        os2 << make_i64({7, 8, 9}, {3});
        CHECK(os2.str() == " 7\n 8\n 9\n[ CPULongType{3} ]");
    }

    TEST_CASE("equal: compares shape and every element, after type promotion as LibTorch 1.13") {
        CHECK(make_f64({1, 2}, {2}).equal(make_f64({1, 2}, {2})));
        CHECK_FALSE(make_f64({1, 2}, {2}).equal(make_f64({1, 3}, {2})));
        CHECK_FALSE(make_f64({1, 2}, {2}).equal(make_f64({1, 2}, {1, 2})));
        CHECK(make_f64({1, 2}, {2}).equal(make_f64({1, 2}, {2}).to(kFloat32)));
        CHECK_FALSE(make_f64({1, 2.5}, {2}).equal(make_f64({1, 2.5}, {2}).to(kInt64)));
    }

    // ---- in-place ops -----------------------------------------------------------------------

    TEST_CASE("add_: in-place ops update values and bump the version counter") {
        Tensor a = make_f64({1, 2, 3}, {3});
        Tensor b = make_f64({10, 20, 30}, {3});
        uint64_t v = a._version();
        a.add_(b);
        CHECK_VALUES(a, {11, 22, 33});
        CHECK(a._version() > v);
        v = a._version();
        a.add_(b, 0.5);
        CHECK_VALUES(a, {16, 32, 48});
        CHECK(a._version() > v);
        v = a._version();
        a.sub_(b);
        CHECK_VALUES(a, {6, 12, 18});
        CHECK(a._version() > v);
        v = a._version();
        a.mul_(0.5);
        CHECK_VALUES(a, {3, 6, 9});
        CHECK(a._version() > v);
        v = a._version();
        a.mul_(make_f64({2, 0, 1}, {3}));
        CHECK_VALUES(a, {6, 0, 9});
        CHECK(a._version() > v);
        v = a._version();
        a.div_(3.0);
        CHECK_VALUES(a, {2, 0, 3});
        a.add_(1);
        CHECK_VALUES(a, {3, 1, 4});
        a.sub_(1);
        CHECK_VALUES(a, {2, 0, 3});
        CHECK(a._version() > v);
        v = a._version();
        a.zero_();
        CHECK_VALUES(a, {0, 0, 0});
        CHECK(a._version() > v);
        v = a._version();
        a.fill_(2.5);
        CHECK_VALUES(a, {2.5, 2.5, 2.5});
        CHECK(a._version() > v);
        v = a._version();
        a.copy_(b);
        CHECK_VALUES(a, {10, 20, 30});
        CHECK(a._version() > v);
        v = a._version();
        a += b;
        a -= 5;
        a *= 2;
        a /= 2;
        CHECK_VALUES(a, {15, 35, 55});
        CHECK(a._version() > v);
    }

    TEST_CASE("add_: broadcasts the other operand, and copy_ converts dtypes") {
        Tensor a = zeros({2, 3}, kFloat64);
        a.add_(make_f64({1, 2, 3}, {3}));
        CHECK_VALUES(a, {1, 2, 3, 1, 2, 3});
        Tensor f = zeros({2}, kFloat32);
        f.copy_(make_f64({1.5, 2.5}, {2}));
        CHECK(f.dtype() == kFloat32);
        CHECK_VALUES(f, {1.5, 2.5});
        CHECK_THROWS_CONTAINS(zeros({2, 3}).add_(zeros({2})), std::invalid_argument, "add_",
                              "[2, 3]", "[2]");
        CHECK_THROWS_CONTAINS(zeros({2}).copy_(zeros({3})), std::invalid_argument, "copy_", "[2]",
                              "[3]");
    }

    TEST_CASE("addcmul_: addcdiv_ and clamp_ by hand") {
        Tensor a = make_f64({1, 1}, {2});
        a.addcmul_(make_f64({2, 3}, {2}), make_f64({4, 5}, {2}), 0.5);
        CHECK_VALUES(a, {5, 8.5});
        a.addcdiv_(make_f64({2, 3}, {2}), make_f64({4, 6}, {2}), 2);
        CHECK_VALUES(a, {6, 9.5});
        a.clamp_(6.5, 9);
        CHECK_VALUES(a, {6.5, 9});
    }

    TEST_CASE("add_: on a leaf that requires grad raises, and works under NoGradGuard") {
        Tensor w = make_f64({1, 2}, {2}, true);
        CHECK_THROWS_CONTAINS(w.add_(make_f64({1, 1}, {2})), std::logic_error, "add_", "leaf");
        CHECK_THROWS_CONTAINS(w.mul_(2.0), std::logic_error, "mul_", "leaf");
        CHECK_THROWS_CONTAINS(w.sub_(1.0), std::logic_error, "sub_", "leaf");
        CHECK_THROWS_CONTAINS(w.zero_(), std::logic_error, "zero_", "leaf");
        CHECK_THROWS_CONTAINS(w.fill_(0.0), std::logic_error, "fill_", "leaf");
        CHECK_THROWS_CONTAINS(w.copy_(make_f64({0, 0}, {2})), std::logic_error, "copy_", "leaf");
        CHECK_VALUES(w, {1, 2});
        {
            NoGradGuard guard;
            w.add_(make_f64({1, 1}, {2}));
            w.mul_(2.0);
        }
        CHECK_VALUES(w, {4, 6});
        CHECK(w.requires_grad());
        CHECK(w.is_leaf());
    }

    TEST_CASE("mul_: on a tensor saved for backward makes that backward raise") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y = x.exp();  // exp saves its output
        {
            NoGradGuard guard;
            y.mul_(2.0);
        }
        CHECK_THROWS_CONTAINS(y.sum().backward(), std::logic_error, "exp", "in place");
    }

}  // TEST_SUITE

TEST_SUITE("tensor") {
    TEST_CASE("dtype: prints by name, and x - s records as sub") {
        std::ostringstream os;
        os << kFloat64 << " " << zeros({1}).dtype() << " " << kInt64;
        CHECK(os.str() == "float64 float32 int64");
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y = x - 1.0;
        CHECK(y.grad_fn()->name() == "sub");
        CHECK_VALUES(y, {0, 1});
        CHECK_VALUES(tensor({5, 6}) - 2, {3, 4});
    }
}
