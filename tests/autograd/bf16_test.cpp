// bfloat16: the storage type's conversions (rounding, NaN, inf, denormals), the ops that take
// it and the ones that refuse it, and autocast's bfloat16 products against float32 products of
// the same bfloat16-rounded operands.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>

#include <tapegrad.hpp>

#include "autograd/kernels/bf16.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

uint16_t bf16_bits(float f) {
    return BFloat16(f).x;
}

// The largest |a - b| over the elements, relative to the largest |b|.
double relative_error(const Tensor& a, const Tensor& b) {
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    double err = 0, scale = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        err = std::max(err, std::abs(x[i] - y[i]));
        scale = std::max(scale, std::abs(y[i]));
    }
    return err / scale;
}

// t rounded to bfloat16 and back: what autocast's products read.
Tensor rounded(const Tensor& t) {
    return t.detach().to(kBFloat16).to(kFloat32);
}

}  // namespace

TEST_SUITE("bf16") {
    TEST_CASE("BFloat16: rounds to the nearest, ties to even") {
        CHECK(static_cast<float>(BFloat16(1.0f)) == 1.0f);
        CHECK(static_cast<float>(BFloat16(-3.5f)) == -3.5f);
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: the even one (1) wins
        CHECK(static_cast<float>(BFloat16(1.0f + 0x1p-8f)) == 1.0f);
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: the even one wins
        CHECK(static_cast<float>(BFloat16(1.0f + 3 * 0x1p-8f)) == 1.0f + 0x1p-6f);
        // just above the halfway point rounds up, just below rounds down
        CHECK(static_cast<float>(BFloat16(1.0f + 0x1p-8f + 0x1p-20f)) == 1.0f + 0x1p-7f);
        CHECK(static_cast<float>(BFloat16(1.0f + 0x1p-8f - 0x1p-20f)) == 1.0f);
        CHECK(static_cast<float>(BFloat16(-(1.0f + 0x1p-8f + 0x1p-20f))) == -(1.0f + 0x1p-7f));
        CHECK(bf16_bits(0.1f) == 0x3dcd);  // 0x3dcccccd rounds up
    }

    TEST_CASE("BFloat16: keeps NaN, infinities and signed zeros; overflows to infinity") {
        const float inf = std::numeric_limits<float>::infinity();
        CHECK(static_cast<float>(BFloat16(inf)) == inf);
        CHECK(static_cast<float>(BFloat16(-inf)) == -inf);
        CHECK(std::isnan(static_cast<float>(BFloat16(std::nanf("")))));
        // a NaN whose payload is only in the dropped bits must not become infinity
        CHECK(std::isnan(static_cast<float>(BFloat16(from_bits(0x7f800001u)))));
        CHECK(std::isnan(static_cast<float>(BFloat16(from_bits(0xff800001u)))));
        CHECK(bf16_bits(-0.0f) == 0x8000);
        CHECK(bf16_bits(0.0f) == 0x0000);
        // the largest float is above the largest bfloat16's halfway point
        CHECK(static_cast<float>(BFloat16(std::numeric_limits<float>::max())) == inf);
        CHECK(static_cast<float>(BFloat16(from_bits(0x7f7f0000u))) == from_bits(0x7f7f0000u));
    }

    TEST_CASE("BFloat16: denormals round like any other value") {
        CHECK(bf16_bits(from_bits(0x00000001u)) == 0x0000);  // the smallest float denormal
        CHECK(bf16_bits(from_bits(0x00010000u)) == 0x0001);  // exact
        CHECK(bf16_bits(from_bits(0x00018000u)) == 0x0002);  // a tie: to the even 0x0002
        CHECK(bf16_bits(from_bits(0x00028000u)) == 0x0002);  // a tie: to the even 0x0002
        CHECK(bf16_bits(from_bits(0x8001c000u)) == 0x8002);
        CHECK(static_cast<float>(BFloat16::from_bits(0x0001)) == from_bits(0x00010000u));
    }

    TEST_CASE("kernels::to_bfloat16: rounds as BFloat16 does, at every length and tail") {
        std::vector<float> src;
        for (int i = 0; i < 77; ++i) src.push_back(std::ldexp(1.0f + i * 0x1p-9f, i % 40 - 20));
        src[5] = std::numeric_limits<float>::infinity();
        src[40] = -std::numeric_limits<float>::infinity();
        src[41] = std::nanf("");
        src[70] = -0.0f;
        for (int64_t n : {0, 1, 15, 16, 17, 31, 32, 33, 64, 77}) {
            std::vector<BFloat16> dst(static_cast<size_t>(n) + 1, BFloat16::from_bits(0x1234));
            kernels::to_bfloat16(src.data(), dst.data(), n);
            for (int64_t i = 0; i < n; ++i) {
                const float want = static_cast<float>(BFloat16(src[static_cast<size_t>(i)]));
                const float got = static_cast<float>(dst[static_cast<size_t>(i)]);
                CHECK_MESSAGE((got == want || (std::isnan(got) && std::isnan(want))),
                              "n " << n << " element " << i);
            }
            CHECK(dst[static_cast<size_t>(n)].x == 0x1234);  // nothing written past the end
        }
    }

    TEST_CASE("to: float32 -> bfloat16 -> float32 rounds each element once") {
        Tensor x = tensor({1.0f, 1.0f + 0x1p-8f, 0.1f, -2.5f, 1e30f});
        Tensor b = x.to(kBFloat16);
        CHECK(b.dtype() == kBFloat16);
        CHECK(b.element_size() == 2);
        CHECK(b.is_floating_point());
        const std::vector<float> back = b.to(kFloat32).to_vector<float>();
        const std::vector<float> x_values = x.to_vector<float>();
        for (size_t i = 0; i < back.size(); ++i)
            CHECK(back[i] == static_cast<float>(BFloat16(x_values[i])));
        CHECK(b.data_ptr<BFloat16>()[2].x == 0x3dcd);
    }

    TEST_CASE("to: bfloat16 converts to and from float64, int64 and bool") {
        Tensor b = tensor({-2.0, 0.5, 3.0}, kFloat64).to(kBFloat16);
        CHECK(b.dtype() == kBFloat16);
        CHECK(b.to(kFloat64).to_vector<double>() == std::vector<double>{-2.0, 0.5, 3.0});
        CHECK(b.to(kInt64).to_vector<int64_t>() == std::vector<int64_t>{-2, 0, 3});
        CHECK(b.to(kBool).to_vector<int>() == std::vector<int>{1, 1, 1});
        Tensor i = tensor({257, -3}, kInt64).to(kBFloat16);  // 257 is not a bfloat16: 256
        CHECK(i.to(kFloat32).to_vector<float>() == std::vector<float>{256.0f, -3.0f});
    }

    TEST_CASE("bfloat16 tensors: views, contiguous, clone, copy_, item, printing") {
        Tensor x = arange(6.0).reshape({2, 3});
        Tensor b = x.to(kBFloat16);
        Tensor bt = b.t();
        CHECK_FALSE(bt.is_contiguous());
        CHECK(bt.contiguous().to(kFloat32).equal(x.t()));
        CHECK(bt.clone().to(kFloat32).equal(x.t()));
        CHECK(b.select(0, 1).to(kFloat32).equal(x.select(0, 1)));
        CHECK(b.slice(1, 1, 3).to(kFloat32).equal(x.slice(1, 1, 3)));
        CHECK(b.reshape({3, 2}).to(kFloat32).equal(x.reshape({3, 2})));
        CHECK(b.unsqueeze(0).expand({2, 2, 3}).to(kFloat32).sum().item<float>() == 30.0f);
        CHECK(b[1][2].item<float>() == 5.0f);
        CHECK(b[1][2].item().to<double>() == 5.0);

        Tensor dst = zeros({2, 3}).to(kBFloat16);
        dst.copy_(x * 1.5);
        CHECK(dst.to(kFloat32).equal(x * 1.5));
        Tensor f = zeros({3, 2});
        f.copy_(bt);  // bfloat16 into float32, through a transposed view
        CHECK(f.equal(x.t()));

        std::ostringstream os;
        os << b;
        CHECK(os.str().find("CPUBFloat16Type{2,3}") != std::string::npos);
        CHECK(os.str().find('5') != std::string::npos);
        CHECK(to_string(kBFloat16) == std::string("bfloat16"));
    }

    TEST_CASE("save: a bfloat16 tensor reads back with its dtype and bits") {
        Tensor b = tensor({0.1f, -7.0f, 1e-40f}).to(kBFloat16);
        const std::string path = "bf16_test_save.pt";
        save(b, path);
        Tensor back;
        load(back, path);
        std::remove(path.c_str());
        CHECK(back.dtype() == kBFloat16);
        for (int64_t i = 0; i < 3; ++i)
            CHECK(back.data_ptr<BFloat16>()[i].x == b.data_ptr<BFloat16>()[i].x);
    }

    TEST_CASE("bfloat16 tensors: arithmetic ops refuse them, naming the op and the cure") {
        Tensor b = ones({2, 2}).to(kBFloat16);
        Tensor f = ones({2, 2});
        CHECK_THROWS_CONTAINS(b + b, std::invalid_argument, "add", "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(b + f, std::invalid_argument, "add", "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(f * b, std::invalid_argument, "mul", "bfloat16");
        CHECK_THROWS_CONTAINS(b * 2.0, std::invalid_argument, "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(b.sum(), std::invalid_argument, "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(b.mean(), std::invalid_argument, "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(relu(b), std::invalid_argument, "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(b.exp(), std::invalid_argument, "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(-b, std::invalid_argument, "bfloat16", ".to(kFloat32)");
        CHECK_THROWS_CONTAINS(softmax(b, 1), std::invalid_argument, "bfloat16");
        CHECK_THROWS_CONTAINS(matmul(b, b), std::invalid_argument, "matmul", "bfloat16");
        CHECK_THROWS_CONTAINS(mm(b, b), std::invalid_argument, "mm", "bfloat16");
        CHECK_THROWS_CONTAINS(linear(b, b), std::invalid_argument, "linear", "bfloat16");
        CHECK_THROWS_CONTAINS(cat({b, b}), std::invalid_argument, "cat", "bfloat16");
        CHECK_THROWS_CONTAINS(b.index_select(0, tensor({0}, kInt64)), std::invalid_argument,
                              "index_select", "bfloat16");
        CHECK_THROWS_CONTAINS(b.eq(b), std::invalid_argument, "bfloat16");
        CHECK_THROWS_CONTAINS(b.fill_(2.0), std::invalid_argument, "fill_", "bfloat16");
        CHECK_THROWS_CONTAINS(b.add_(f), std::invalid_argument, "add_", "bfloat16");
        CHECK_THROWS_CONTAINS(b.max(), std::invalid_argument, "bfloat16");
        CHECK_THROWS_CONTAINS(b.argmax(), std::invalid_argument, "bfloat16");
        CHECK_THROWS_CONTAINS(mse_loss(b, b), std::invalid_argument, "bfloat16");
        CHECK_THROWS_CONTAINS(ones({2}, kBFloat16), std::invalid_argument, "bfloat16");
    }

    TEST_CASE("to: the gradient flows back through a bfloat16 round trip in float32") {
        Tensor x = tensor({1.0f, 2.0f, 3.0f}).requires_grad_();
        Tensor y = (x.to(kBFloat16).to(kFloat32) * tensor({1.0f, 2.0f, 4.0f})).sum();
        y.backward();
        REQUIRE(x.grad().defined());
        CHECK(x.grad().dtype() == kFloat32);
        CHECK(x.grad().equal(tensor({1.0f, 2.0f, 4.0f})));
    }

    TEST_CASE("autocast: the settings and the guard, nested, restore what was") {
        CHECK_FALSE(autocast::is_cpu_enabled());
        CHECK(autocast::get_autocast_cpu_dtype() == kBFloat16);
        autocast::set_autocast_cpu_dtype(kBFloat16);
        CHECK_THROWS_CONTAINS(autocast::set_autocast_cpu_dtype(kFloat64), std::invalid_argument,
                              "set_autocast_cpu_dtype", "float64");
        {
            autocast::AutocastGuard outer;
            CHECK(autocast::is_cpu_enabled());
            {
                autocast::AutocastGuard inner(false);
                CHECK_FALSE(autocast::is_cpu_enabled());
                {
                    autocast::AutocastGuard innermost;
                    CHECK(autocast::is_cpu_enabled());
                }
                CHECK_FALSE(autocast::is_cpu_enabled());
            }
            CHECK(autocast::is_cpu_enabled());
        }
        CHECK_FALSE(autocast::is_cpu_enabled());
        autocast::set_cpu_enabled(true);
        CHECK(autocast::is_cpu_enabled());
        autocast::set_cpu_enabled(false);
        CHECK(autocast::increment_nesting() == 1);
        CHECK(autocast::decrement_nesting() == 0);
        CHECK_THROWS_AS(autocast::decrement_nesting(), std::logic_error);
    }

    TEST_CASE("autocast: off, or unavailable, products are float32's exactly") {
        manual_seed(3);
        Tensor a = randn({5, 7}), b = randn({7, 4});
        const Tensor plain = matmul(a, b);
        {
            autocast::AutocastGuard off(false);
            CHECK(matmul(a, b).equal(plain));
        }
        if (!autocast::is_available()) {
            autocast::AutocastGuard on;
            CHECK(matmul(a, b).equal(plain));
            CHECK(linear(a, b.t()).allclose(plain, 1e-6, 1e-6));
        }
    }

    TEST_CASE("autocast: matmul is the float32 product of the bfloat16-rounded operands") {
        if (!autocast::is_available()) return;  // a no-op here: the case above covers it
        manual_seed(4);
        Tensor a = randn({33, 70}).requires_grad_(), b = randn({70, 19}).requires_grad_();
        Tensor g = randn({33, 19});
        Tensor y;
        {
            autocast::AutocastGuard guard;
            y = matmul(a, b);
            CHECK(y.dtype() == kFloat32);
            y.backward(g);
        }
        // bfloat16 products with float32 accumulation: float32's answer on rounded inputs, up
        // to the order of the sums
        const Tensor expect = matmul(rounded(a), rounded(b));
        CHECK(relative_error(y, expect) < 1e-5);
        CHECK(relative_error(y, matmul(a.detach(), b.detach())) < 1e-2);
        REQUIRE(a.grad().defined());
        REQUIRE(b.grad().defined());
        CHECK(a.grad().dtype() == kFloat32);
        CHECK(b.grad().dtype() == kFloat32);
        // the backward's products, also in bfloat16: grad_out is rounded too
        CHECK(relative_error(a.grad(), matmul(rounded(g), rounded(b).t())) < 1e-5);
        CHECK(relative_error(b.grad(), matmul(rounded(a).t(), rounded(g))) < 1e-5);
        CHECK(relative_error(a.grad(), matmul(g, b.detach().t())) < 1e-2);
        CHECK(relative_error(b.grad(), matmul(a.detach().t(), g)) < 1e-2);
    }

    TEST_CASE("autocast: addmm, mm and a batched matmul run as bfloat16 products too") {
        if (!autocast::is_available()) return;
        manual_seed(5);
        Tensor s = randn({6, 5}), m1 = randn({6, 9}), m2 = randn({9, 5}), x3 = randn({2, 6, 9});
        autocast::AutocastGuard guard;
        CHECK(relative_error(addmm(s, m1, m2), s + matmul(rounded(m1), rounded(m2))) < 1e-5);
        CHECK(relative_error(mm(m1, m2), mm(rounded(m1), rounded(m2))) < 1e-5);
        Tensor y3 = matmul(x3, m2);
        CHECK(y3.sizes() == std::vector<int64_t>{2, 6, 5});
        {
            autocast::AutocastGuard off(false);
            CHECK(relative_error(y3, matmul(rounded(x3), rounded(m2))) < 1e-5);
            // the rounding is visible: a bfloat16 product is not float32's
            CHECK(relative_error(y3, matmul(x3, m2)) > 1e-6);
        }
    }

    TEST_CASE("autocast: at two threads the products are cut over the pool, every part right") {
        if (!autocast::is_available()) return;
        const int before = get_num_threads();
        set_num_threads(2);
        manual_seed(10);
        // B the largest operand: cut by columns of C; A the largest: by rows; the backward's
        // products cut transposed operands; a short product stays one call
        const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> shapes = {
            {{40, 300}, {300, 400}}, {{400, 300}, {300, 40}}, {{3, 5}, {5, 2}}};
        for (const auto& [sa, sb] : shapes) {
            CAPTURE(sa[0]);
            Tensor a = randn(sa).requires_grad_(), b = randn(sb).requires_grad_();
            Tensor g = randn({sa[0], sb[1]});
            Tensor y;
            {
                autocast::AutocastGuard guard;
                y = matmul(a, b);
                y.backward(g);
            }
            CHECK(relative_error(y, matmul(rounded(a), rounded(b))) < 1e-5);
            CHECK(relative_error(a.grad(), matmul(rounded(g), rounded(b).t())) < 1e-5);
            CHECK(relative_error(b.grad(), matmul(rounded(a).t(), rounded(g))) < 1e-5);
        }
        set_num_threads(before);
    }

    TEST_CASE("autocast: nn::Linear trains float32 weights with float32 gradients") {
        if (!autocast::is_available()) return;
        manual_seed(6);
        nn::Linear layer(24, 10);
        Tensor x = randn({16, 3, 24}), g = randn({16, 3, 10});
        Tensor y;
        {
            autocast::AutocastGuard guard;
            y = layer(x);
            y.backward(g);
        }
        CHECK(y.sizes() == std::vector<int64_t>{16, 3, 10});
        CHECK(layer->weight.dtype() == kFloat32);
        CHECK(layer->weight.grad().dtype() == kFloat32);
        const Tensor x2 = rounded(x).reshape({48, 24}), g2 = g.reshape({48, 10});
        const Tensor w = layer->weight.detach();
        CHECK(relative_error(y, linear(rounded(x), rounded(w), layer->bias.detach())) < 1e-5);
        CHECK(relative_error(layer->weight.grad(), matmul(rounded(g2).t(), x2)) < 1e-5);
        CHECK(relative_error(layer->bias.grad(), g2.sum(0)) < 1e-6);
        CHECK(relative_error(layer->weight.grad(), matmul(g2.t(), x.reshape({48, 24}))) < 1e-2);
    }

    TEST_CASE("autocast: a weight changed in place inside the scope is converted again") {
        if (!autocast::is_available()) return;
        manual_seed(7);
        Tensor w = randn({8, 8}).requires_grad_(), x = randn({4, 8});
        autocast::AutocastGuard guard;
        const Tensor before = matmul(x, w);
        {
            NoGradGuard no_grad;
            w.mul_(2.0);
        }
        const Tensor after = matmul(x, w);  // a stale cached copy would give `before`
        CHECK(relative_error(after, before * 2.0) < 1e-6);
    }

    TEST_CASE("autocast: an optimizer step inside the scope is seen by the next forward") {
        if (!autocast::is_available()) return;
        manual_seed(9);
        Tensor w = randn({8, 8}).requires_grad_(), x = randn({4, 8});
        optim::SGD opt({w}, optim::SGDOptions(0.5));
        autocast::AutocastGuard guard;
        for (int step = 0; step < 2; ++step) {
            opt.zero_grad();
            const Tensor y = matmul(x, w);
            CHECK(relative_error(y, matmul(rounded(x), rounded(w))) < 1e-5);
            y.sum().backward();
            opt.step();  // writes w's memory directly
        }
        CHECK(relative_error(matmul(x, w), matmul(rounded(x), rounded(w))) < 1e-5);
    }

    TEST_CASE("autocast: create_graph differentiates the products' backward again") {
        if (!autocast::is_available()) return;
        manual_seed(8);
        Tensor a = randn({3, 4}).requires_grad_(), b = randn({4, 2}).requires_grad_();
        autocast::AutocastGuard guard;
        Tensor y = matmul(a, b).pow(2).sum();
        auto grads = autograd::grad({y}, {a}, {}, /*retain_graph=*/true, /*create_graph=*/true);
        Tensor z = grads[0].sum();
        z.backward();
        REQUIRE(b.grad().defined());
        // z = sum(2 (a b) b^T) = 2 sum_ij (a b)_ij (row sums of b)_j; dz/db from float32 formula
        autocast::AutocastGuard off(false);
        Tensor a0 = a.detach(), b0 = b.detach().requires_grad_();
        Tensor z0 = (2.0 * matmul(matmul(a0, b0), b0.t())).sum();
        z0.backward();
        CHECK(relative_error(b.grad(), b0.grad()) < 2e-2);
    }
}
