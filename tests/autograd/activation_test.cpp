// Activations: relu, leaky_relu, sigmoid, tanh, gelu, softmax, log_softmax, logsumexp.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using In = const std::vector<Tensor>&;

TEST_SUITE("ops/activation") {
    // ---- values worked out by hand ----------------------------------------------------------

    TEST_CASE("relu: zeroes negatives, leaky_relu scales them") {
        Tensor a = make_f64({-2, -0.5, 0.5, 3}, {4});
        CHECK_VALUES(relu(a), {0, 0, 0.5, 3});
        CHECK_VALUES(a.relu(), {0, 0, 0.5, 3});
        CHECK_VALUES(leaky_relu(a), {-0.02, -0.005, 0.5, 3});
        CHECK_VALUES(leaky_relu(a, 0.5), {-1, -0.25, 0.5, 3});
    }

    TEST_CASE("sigmoid: tanh and gelu agree with their formulas") {
        const std::vector<double> x = {-1.5, 0, 0.7};
        Tensor a = make_f64(x, {3});
        std::vector<double> sig, th, ge;
        for (double v : x) {
            sig.push_back(1 / (1 + std::exp(-v)));
            th.push_back(std::tanh(v));
            ge.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
        }
        CHECK_VALUES(sigmoid(a), sig);
        CHECK_VALUES(a.sigmoid(), sig);
        CHECK_VALUES(tanh(a), th);
        CHECK_VALUES(a.tanh(), th);
        CHECK_VALUES(gelu(a), ge);
    }

    TEST_CASE("tanh: float32 within 3 ulp of the rounded exact value from -20 to 20, float64 too") {
        // tanh has its own vectorised kernel; compare it with libm's double (long double) tanh
        std::vector<float> xf;
        for (float v = 1e-30f; v < 20; v *= 1.0003f) {
            xf.push_back(v);
            xf.push_back(-v);
        }
        Tensor yf = tanh(from_blob(xf.data(), {int64_t(xf.size())}, kFloat32));
        const float* pf = yf.data_ptr<float>();
        int worst = 0;
        for (size_t i = 0; i < xf.size(); ++i) {
            const float ref = static_cast<float>(std::tanh(static_cast<double>(xf[i])));
            float v = pf[i];
            int ulps = 0;
            while (v != ref && ulps < 100) {
                v = std::nextafter(v, ref);
                ++ulps;
            }
            worst = std::max(worst, ulps);
        }
        CHECK(worst <= 3);
        std::vector<double> xd;
        for (double v = 1e-300; v < 20; v *= 1.0007) xd.push_back(-v);
        Tensor yd = tanh(from_blob(xd.data(), {int64_t(xd.size())}, kFloat64));
        double worst_d = 0;
        for (size_t i = 0; i < xd.size(); ++i) {
            const long double ref = std::tanh(static_cast<long double>(xd[i]));
            const double ulp = std::nextafter(std::fabs(static_cast<double>(ref)), 2.0) -
                               std::fabs(static_cast<double>(ref));
            worst_d = std::max(
                worst_d, static_cast<double>(std::fabs(yd.data_ptr<double>()[i] - ref)) / ulp);
        }
        CHECK(worst_d <= 4);
    }

    TEST_CASE("tanh: keeps NaN, signed zeros and saturates at +-1") {
        const float inf = std::numeric_limits<float>::infinity();
        std::vector<float> x = {std::nanf(""), inf, -inf, 0.0f, -0.0f, 30.0f, -1e-40f};
        Tensor y = tanh(from_blob(x.data(), {7}, kFloat32));
        const float* p = y.data_ptr<float>();
        CHECK(std::isnan(p[0]));
        CHECK(p[1] == 1.0f);
        CHECK(p[2] == -1.0f);
        CHECK((p[3] == 0.0f && !std::signbit(p[3])));
        CHECK((p[4] == 0.0f && std::signbit(p[4])));
        CHECK(p[5] == 1.0f);
        CHECK(p[6] == -1e-40f);
    }

    TEST_CASE("sigmoid: saturates without NaN for large inputs") {
        Tensor s = sigmoid(make_f64({-1000, 1000}, {2}));
        CHECK_VALUES(s, {0, 1});
    }

    TEST_CASE("softmax: rows sum to one and match exp / sum exp") {
        Tensor a = make_f64({1, 2, 3, 0, 0, 0}, {2, 3});
        Tensor s = softmax(a, 1);
        const double z = std::exp(1) + std::exp(2) + std::exp(3);
        CHECK_VALUES(
            s, {std::exp(1) / z, std::exp(2) / z, std::exp(3) / z, 1.0 / 3, 1.0 / 3, 1.0 / 3});
        CHECK_VALUES(a.softmax(-1), s.to_vector<double>());
        Tensor s0 = softmax(a, 0);
        const double e1 = std::exp(1), e2 = std::exp(2), e3 = std::exp(3);
        CHECK_VALUES(s0, {e1 / (e1 + 1), e2 / (e2 + 1), e3 / (e3 + 1), 1 / (e1 + 1), 1 / (e2 + 1),
                          1 / (e3 + 1)});
    }

    TEST_CASE("softmax: is stable for large logits") {
        Tensor s = softmax(make_f64({1000, 1000, -1000}, {3}), 0);
        CHECK_VALUES(s, {0.5, 0.5, 0});
        Tensor f = softmax(make_f64({1000, 0}, {2}).to(kFloat32), 0);
        CHECK_VALUES_F32(f, {1, 0});
    }

    TEST_CASE("log_softmax: equals a - logsumexp and is stable for large logits") {
        Tensor a = make_f64({1, 2, 3}, {3});
        const double lse = std::log(std::exp(1) + std::exp(2) + std::exp(3));
        CHECK_VALUES(log_softmax(a, 0), {1 - lse, 2 - lse, 3 - lse});
        CHECK_VALUES(a.log_softmax(-1), {1 - lse, 2 - lse, 3 - lse});
        CHECK_VALUES(log_softmax(make_f64({1000, 0}, {2}), 0), {0, -1000});
    }

    TEST_CASE("logsumexp: by hand, with keepdim, and stable for large values") {
        Tensor a = make_f64({1, 2, 3, 0, 0, 0}, {2, 3});
        Tensor l = logsumexp(a, 1);
        CHECK_SHAPE(l, {2});
        CHECK_VALUES(l, {std::log(std::exp(1) + std::exp(2) + std::exp(3)), std::log(3.0)});
        CHECK_SHAPE(logsumexp(a, 0, true), {1, 3});
        CHECK_VALUES(logsumexp(make_f64({1000, 1000}, {2}), 0), {1000 + std::log(2.0)});
        CHECK_VALUES(logsumexp(make_f64({-1000, -1000}, {2}), 0), {-1000 + std::log(2.0)});
    }

    TEST_CASE(
        "logsumexp: of a row of -inf is -inf, and log_softmax keeps -inf entries finite "
        "elsewhere") {
        const double inf = std::numeric_limits<double>::infinity();
        Tensor l = logsumexp(make_f64({-inf, -inf, 0, 0}, {2, 2}), 1);
        CHECK(l.to_vector<double>()[0] == -inf);
        CHECK_VALUES(l.slice(0, 1), {std::log(2.0)});
        Tensor ls = log_softmax(make_f64({-inf, 0, 0}, {3}), 0);
        CHECK(ls.to_vector<double>()[0] == -inf);
        CHECK_VALUES(ls.slice(0, 1), {-std::log(2.0), -std::log(2.0)});
    }

    TEST_CASE("relu: gradient is 0 or 1 by hand") {
        Tensor a = make_f64({-2, 3}, {2}, true);
        relu(a).backward(make_f64({5, 7}, {2}));
        CHECK_VALUES(a.grad(), {0, 7});
    }

    TEST_CASE("softmax: gradient of a sum is zero") {
        Tensor a = make_f64({0.3, -1, 2}, {3}, true);
        softmax(a, 0).sum().backward();
        CHECK_VALUES(a.grad(), {0, 0, 0}, 0, 1e-12);
    }

    // ---- gradient checks --------------------------------------------------------------------

    TEST_CASE("relu: gradient matches finite differences away from 0, as does leaky_relu") {
        CHECK_GRADIENTS([](In in) { return relu(in[0]); }, {grid({2, 3})});
        CHECK_GRADIENTS([](In in) { return leaky_relu(in[0], 0.2); }, {grid({2, 3})});
    }

    TEST_CASE("sigmoid: gradient matches finite differences, as do tanh and gelu") {
        manual_seed(51);
        CHECK_GRADIENTS([](In in) { return sigmoid(in[0]); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return tanh(in[0]); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return gelu(in[0]); }, {randn({2, 3}, f64())});
    }

    TEST_CASE("softmax: gradient matches finite differences along every dim") {
        manual_seed(52);
        for (int64_t d : {0, 1, 2, -1}) {
            CAPTURE(d);
            CHECK_GRADIENTS([d](In in) { return softmax(in[0], d); }, {randn({2, 3, 2}, f64())});
            CHECK_GRADIENTS([d](In in) { return log_softmax(in[0], d); },
                            {randn({2, 3, 2}, f64())});
        }
    }

    TEST_CASE("logsumexp: gradient matches finite differences, with and without keepdim") {
        manual_seed(53);
        CHECK_GRADIENTS([](In in) { return logsumexp(in[0], 1); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return logsumexp(in[0], 0, true); }, {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](In in) { return logsumexp(in[0], -1); }, {randn({2, 2, 3}, f64())});
    }

    TEST_CASE("tanh: second derivatives match finite differences, as do sigmoid and softmax") {
        manual_seed(54);
        CHECK_GRADGRADIENTS([](In in) { return tanh(in[0]); }, {randn({3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return sigmoid(in[0]); }, {randn({3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return softmax(in[0], 1); }, {randn({2, 3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return log_softmax(in[0], 1); }, {randn({2, 3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return logsumexp(in[0], 1); }, {randn({2, 3}, f64())});
        CHECK_GRADGRADIENTS([](In in) { return gelu(in[0]); }, {randn({3}, f64())});
    }

    // ---- errors -----------------------------------------------------------------------------

    TEST_CASE("softmax: rejects a dim out of range, as do log_softmax and logsumexp") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3});
        CHECK_THROWS_CONTAINS(softmax(a, 2), std::invalid_argument, "softmax", "2");
        CHECK_THROWS_CONTAINS(log_softmax(a, -3), std::invalid_argument, "log_softmax", "-3");
        CHECK_THROWS_CONTAINS(logsumexp(a, 5), std::invalid_argument, "logsumexp", "5");
    }

    // ---- the same bits on every CPU -----------------------------------------------------------

    TEST_CASE("tanh: every CPU computes the bits of the baseline x86-64 build") {
        // tanh's loop has AVX2 and AVX-512 copies chosen at load time (kernels/clones.hpp); no
        // copy may fuse a multiply and an add. The bits below came from the baseline (SSE2)
        // copy; the loop body (first 32) and its remainder (8), and each input alone, must match.
        const float xs[40] = {
            0.0f,      -0.0f,      1e-30f,     -3e-8f,          1e-4f,    -0.01f,
            0.1f,      -0.25f,     0.3466f,    -0.5f,           0.69314f, -0.9f,
            1.0f,      -1.3f,      1.7f,       -2.1f,           2.5f,     -3.3f,
            4.4f,      -5.5f,      6.6f,       -7.7f,           8.8f,     -9.1f,
            10.5f,     -12.25f,    15.0f,      -19.9f,          20.0f,    -25.0f,
            0.123456f, -0.654321f, 0.0078125f, -1.1754944e-38f, 3.14159f, -2.71828f,
            0.4142f,   -1.4142f,   0.8f,       -0.05f};
        const uint32_t float_bits[40] = {
            0x00000000u, 0x80000000u, 0x0da24260u, 0xb300d959u, 0x38d1b717u, 0xbc23d5a3u,
            0x3dcc1ebdu, 0xbe7acbf6u, 0x3eaaadbeu, 0xbeec9a9eu, 0x3f19994cu, 0xbf375f4cu,
            0x3f42f7d6u, 0xbf5c99e3u, 0x3f6f76f8u, 0xbf786f8au, 0x3f7c92c1u, 0xbf7f4df0u,
            0x3f7fec3fu, 0xbf7ffdd0u, 0x3f7fffc2u, 0xbf7ffff9u, 0x3f7ffffeu, 0xbf800000u,
            0x3f800000u, 0xbf800000u, 0x3f800000u, 0xbf800000u, 0x3f800000u, 0xbf800000u,
            0x3dfb8fa6u, 0xbf131721u, 0x3bfffeabu, 0x80800000u, 0x3f7f0bb0u, 0xbf7dc7bbu,
            0x3ec8b88du, 0xbf636d0cu, 0x3f29fe50u, 0xbd4ca127u};
        const uint64_t double_bits[40] = {
            0x0000000000000000ull, 0x8000000000000000ull, 0x39b4484c22073a87ull,
            0xbe601b2b3b05875cull, 0x3f1a36e30a83b2e0ull, 0xbf847ab4a591add1ull,
            0x3fb983d7aa3b4608ull, 0xbfcf597ed91193b9ull, 0x3fd555b7e8e0e02dull,
            0xbfdd9354018f65dbull, 0x3fe333299d947cd3ull, 0xbfe6ebe99421c5baull,
            0x3fe85efacba108d1ull, 0xbfeb933c7dcf1132ull, 0x3fedeedf0f6ffa7eull,
            0xbfef0df13bd854d9ull, 0x3fef9258299c2566ull, 0xbfefe9bdf5220c0aull,
            0x3feffd87e0289284ull, 0xbfefffb9f3012b54ull, 0x3feffff83cf021ceull,
            0xbfefffff23d3afbfull, 0x3fefffffe79aa93aull, 0xbfeffffff29c7c9eull,
            0x3fefffffff2f9296ull, 0xbfeffffffff9b4bfull, 0x3feffffffffff96aull,
            0xbff0000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
            0x3fbf71f511899d94ull, 0xbfe262e432366b27ull, 0x3f7fffd58b48a7a4ull,
            0xb81000001ad7f29bull, 0x3fefe175f1497576ull, 0xbfefb8f75d66b881ull,
            0x3fd91711db1151f1ull, 0xbfec6da19a1da8ecull, 0x3fe53fca260b5f4dull,
            0xbfa99425166ff330ull};
        std::vector<float> xf(xs, xs + 40);
        std::vector<double> xd;
        for (float v : xs) xd.push_back(double(v) * 1.0000001);
        for (bool alone : {false, true}) {
            CAPTURE(alone);
            const Tensor tf = from_blob(xf.data(), {40}, TensorOptions().dtype(kFloat32)),
                         td = from_blob(xd.data(), {40}, TensorOptions().dtype(kFloat64));
            Tensor yf = empty({40}, kFloat32), yd = empty({40}, kFloat64);
            if (alone) {
                for (int64_t i = 0; i < 40; ++i) {
                    yf.select(0, i).copy_(tf.select(0, i).tanh());
                    yd.select(0, i).copy_(td.select(0, i).tanh());
                }
            } else {
                yf = tf.tanh();
                yd = td.tanh();
            }
            for (int i = 0; i < 40; ++i) {
                CAPTURE(i);
                uint32_t bf;
                uint64_t bd;
                const float vf = yf.data_ptr<float>()[i];
                const double vd = yd.data_ptr<double>()[i];
                std::memcpy(&bf, &vf, sizeof bf);
                std::memcpy(&bd, &vd, sizeof bd);
                CHECK(bf == float_bits[i]);
                CHECK(bd == double_bits[i]);
            }
        }
    }
}  // TEST_SUITE
