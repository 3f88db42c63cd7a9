// Padding, upsampling, pixel shuffling, channel dropout and Unflatten: values against LibTorch,
// gradients against finite differences, the layers, errors.

#include <sstream>

#include "nn/nn.hpp"
#include "tests/nn/cnn_golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

TEST_SUITE("nn/image") {
    TEST_CASE(
        "pad: matches LibTorch in constant (with cropping), reflect, replicate and circular mode") {
        check_conv_golden("pad_constant", [](const auto& v) {
            return F::pad(v[0], F::PadFuncOptions({2, -1, 1, 0}).value(0.5));
        });
        check_conv_golden("pad_reflect", [](const auto& v) {
            return pad(v[0], {2, 1, 1, 2}, kReflect);
        });
        check_conv_golden("pad_replicate", [](const auto& v) {
            return pad(v[0], {3, 1, 0, 2}, kReplicate);
        });
        check_conv_golden("pad_circular", [](const auto& v) {
            return pad(v[0], {1, 2, 3, 1}, kCircular);
        });
        check_conv_golden("pad_reflect_1d", [](const auto& v) {
            return pad(v[0], {2, 3}, kReflect);
        });
    }

    TEST_CASE(
        "interpolate: matches LibTorch for nearest and bilinear, by size and by scale factor") {
        using O = F::InterpolateFuncOptions;
        check_conv_golden("upsample_nearest2d", [](const auto& v) {
            return F::interpolate(v[0], O().size(std::vector<int64_t>{5, 7}));
        });
        check_conv_golden("upsample_nearest2d_scale", [](const auto& v) {
            return F::interpolate(v[0], O().scale_factor(std::vector<double>{2, 1.5}));
        });
        check_conv_golden("upsample_bilinear2d", [](const auto& v) {
            return F::interpolate(
                v[0], O().size(std::vector<int64_t>{5, 7}).mode(kBilinear).align_corners(false));
        });
        check_conv_golden("upsample_bilinear2d_align", [](const auto& v) {
            return F::interpolate(
                v[0], O().size(std::vector<int64_t>{5, 7}).mode(kBilinear).align_corners(true));
        });
        check_conv_golden("upsample_bilinear2d_scale", [](const auto& v) {
            return F::interpolate(v[0],
                                  O().scale_factor(std::vector<double>{1.5, 2.5}).mode(kBilinear));
        });
    }

    TEST_CASE("pixel_shuffle and pixel_unshuffle: match LibTorch and invert each other") {
        check_conv_golden("pixel_shuffle", [](const auto& v) { return pixel_shuffle(v[0], 2); });
        check_conv_golden("pixel_unshuffle",
                          [](const auto& v) { return pixel_unshuffle(v[0], 2); });
        const Tensor x = randn({2, 18, 2, 3});
        CHECK(pixel_unshuffle(pixel_shuffle(x, 3), 3).equal(x));
        CHECK_SHAPE(nn::PixelShuffle(3)(x), {2, 2, 6, 9});
    }

    TEST_CASE(
        "pad, upsampling and pixel_shuffle: gradients match finite differences, to second order") {
        auto padded = [](const std::vector<Tensor>& v) {
            return pad(v[0], {1, 2, 2, 1}, kReflect).sum(1) +
                   pad(v[0], {2, 1, 1, 2}, kCircular).sum(1) +
                   pad(v[0], {1, 2, 0, 3}, kReplicate).sum(1) +
                   pad(v[0], {2, 1, 1, 2}, kConstant, 3.0).sum(1);
        };
        CHECK_GRADIENTS(padded, randn_f64({{2, 2, 4, 5}}));
        CHECK_GRADGRADIENTS(padded, randn_f64({{1, 2, 3, 3}}, 1));
        auto up = [](const std::vector<Tensor>& v) {
            return upsample_bilinear2d(v[0], {5, 7}, false) +
                   upsample_bilinear2d(v[0], {5, 7}, true) + upsample_nearest2d(v[0], {5, 7});
        };
        CHECK_GRADIENTS(up, randn_f64({{2, 2, 3, 4}}, 2));
        CHECK_GRADGRADIENTS(up, randn_f64({{1, 1, 3, 4}}, 3));
        auto shuffle = [](const std::vector<Tensor>& v) { return pixel_shuffle(v[0], 2) * 2.0; };
        CHECK_GRADIENTS(shuffle, randn_f64({{2, 8, 2, 3}}, 4));
        CHECK_GRADGRADIENTS(shuffle, randn_f64({{1, 4, 2, 2}}, 5));
    }

    TEST_CASE("Dropout2d: zeroes whole channels, scales the others, and is the identity in eval") {
        manual_seed(3);
        nn::Dropout2d drop(0.5);
        const Tensor x = ones({8, 16, 3, 3});
        const Tensor y = drop(x);
        const std::vector<float> v = y.to_vector<float>();
        int zero_channels = 0;
        for (int64_t c = 0; c < 8 * 16; ++c) {
            const float first = v[c * 9];
            CHECK((first == 0.0f || first == 2.0f));
            for (int k = 1; k < 9; ++k)
                CHECK(v[c * 9 + k] == first);  // a channel is all or nothing
            zero_channels += first == 0.0f;
        }
        CHECK(zero_channels > 40);
        CHECK(zero_channels < 88);
        drop->eval();
        CHECK(drop(x).equal(x));
        CHECK_SHAPE(F::dropout2d(randn({4, 5, 5}), F::Dropout2dFuncOptions().p(0.3)), {4, 5, 5});
        auto xg = randn({2, 3, 2, 2}, TensorOptions().requires_grad(true));
        F::dropout2d(xg, F::Dropout2dFuncOptions().p(0.5)).sum().backward();
        for (float g : xg.grad().to_vector<float>()) CHECK((g == 0.0f || g == 2.0f));
        CHECK_THROWS_WITH_AS(
            drop(randn({3, 4})),
            "Dropout2d: expected a 4-d input [N, C, H, W] (or 3-d unbatched [C, H, W]), "
            "got shape [3, 4]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(nn::Dropout2d(1.5), std::invalid_argument,
                              "Dropout2d: probability has to be between 0 and 1, got 1.5");
    }

    TEST_CASE("Dropout2d: inplace(true) writes into the input, and the gradient still flows") {
        manual_seed(4);
        nn::Dropout2d drop(nn::Dropout2dOptions(0.5).inplace(true));
        const Tensor x = ones({4, 6, 2, 2});
        const Tensor y = drop(x);
        CHECK(y.is_same(x));
        int kept = 0;
        for (float v : x.to_vector<float>()) {
            CHECK((v == 0.0f || v == 2.0f));
            kept += v == 2.0f;
        }
        CHECK(kept % 4 == 0);  // whole channels of 2 x 2
        CHECK(kept > 0);
        CHECK(kept < 96);
        const Tensor u = ones({3, 2, 2});  // unbatched [C, H, W] too
        CHECK(F::dropout2d(u, F::Dropout2dFuncOptions().p(1.0).inplace(true)).is_same(u));
        CHECK(u.abs().sum().item<double>() == 0.0);
        const Tensor leaf = ones({2, 3, 2, 2}, TensorOptions().requires_grad(true));
        const Tensor z = leaf * 3.0;  // not a leaf: mul_ is recorded on it
        drop(z).sum().backward();
        const std::vector<float> g = leaf.grad().to_vector<float>(), zv = z.to_vector<float>();
        // z now holds 3 * mask / (1 - p), which is also d sum(z) / d leaf
        for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == zv[i]);
    }

    TEST_CASE("Unflatten: splits a dim into several, as LibTorch") {
        nn::Unflatten unflatten(nn::UnflattenOptions(1, {1, 28, 28}));
        CHECK_SHAPE(unflatten(randn({5, 784})), {5, 1, 28, 28});
        CHECK_SHAPE(nn::Unflatten(nn::UnflattenOptions(-1, {2, -1}))(randn({3, 4, 6})),
                    {3, 4, 2, 3});
        std::ostringstream os;
        os << *unflatten;
        CHECK(os.str() == "Unflatten(dim=1, unflattened_size={1, 28, 28})");
        CHECK_THROWS_WITH_AS(
            unflatten(randn({5, 700})),
            "Unflatten: sizes [1, 28, 28] do not multiply to the size 700 of dim 1 of "
            "input [5, 700]",
            std::invalid_argument);
    }

    TEST_CASE("Upsample and the padding layers: LibTorch's options") {
        nn::Upsample up(nn::UpsampleOptions().scale_factor(std::vector<double>{2}).mode(kNearest));
        CHECK_SHAPE(up(randn({1, 2, 3, 4})), {1, 2, 6, 8});
        nn::Upsample bil(nn::UpsampleOptions()
                             .size(std::vector<int64_t>{5, 5})
                             .mode(kBilinear)
                             .align_corners(true));
        const Tensor x = randn({1, 1, 2, 2});
        const Tensor y = bil(x);
        CHECK(y[0][0][0][0].item<float>() == x[0][0][0][0].item<float>());  // corners kept
        CHECK(y[0][0][4][4].item<float>() == doctest::Approx(x[0][0][1][1].item<float>()));
        CHECK_SHAPE(nn::ZeroPad2d(1)(randn({2, 3, 4, 4})), {2, 3, 6, 6});
        CHECK_SHAPE(nn::ZeroPad2d(nn::ZeroPad2dOptions({1, 0, 2, 0}))(randn({3, 4, 4})), {3, 6, 5});
        CHECK(nn::ConstantPad2d(1, 2.5)(zeros({1, 1, 1, 1})).sum().item<double>() ==
              doctest::Approx(20.0));
        CHECK(nn::ReflectionPad2d(1)(x).allclose(pad(x, {1, 1, 1, 1}, kReflect)));
        CHECK(nn::ReplicationPad2d(2)(x).allclose(pad(x, {2, 2, 2, 2}, kReplicate)));
        CHECK_THROWS_CONTAINS(
            F::interpolate(
                x,
                F::InterpolateFuncOptions().size(std::vector<int64_t>{4, 4}).align_corners(true)),
            std::invalid_argument,
            "interpolate: align_corners can only be set with mode kBilinear");
        CHECK_THROWS_CONTAINS(F::interpolate(x, F::InterpolateFuncOptions()), std::invalid_argument,
                              "interpolate: give exactly one of size and scale_factor");
    }

    TEST_CASE("pad: rejects reflect padding as large as the input, odd size lists and kZeros") {
        const Tensor x = randn({1, 1, 3, 4});
        CHECK_THROWS_WITH_AS(
            pad(x, {1, 1, 3, 0}, kReflect),
            "pad: mode reflect needs padding smaller than the input size, got {1, 1, 3, "
            "0} for input [1, 1, 3, 4]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(pad(x, {1, 1, 1}), std::invalid_argument,
                              "pad: expected 2 or 4 sizes");
        CHECK_THROWS_CONTAINS(pad(x, {1, 1}, kZeros), std::invalid_argument, "use kConstant");
        CHECK_THROWS_CONTAINS(pad(x, {-3, -2}), std::invalid_argument,
                              "leaves dim 3 of input [1, 1, 3, 4] empty");
        CHECK_THROWS_CONTAINS(
            pixel_shuffle(randn({1, 6, 2, 2}), 2), std::invalid_argument,
            "pixel_shuffle: the 6 channels of input [1, 6, 2, 2] are not divisible");
    }
}
