// Convolutions: values and gradients against LibTorch, finite-difference checks to second
// order, the three lowerings against each other, the layers, and every error.

#include "autograd/kernels/conv.hpp"

#include <sstream>

#include "nn/nn.hpp"
#include "tests/nn/cnn_golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

TEST_SUITE("nn/conv") {
    TEST_CASE("conv2d: matches LibTorch with stride, padding, dilation and groups") {
        check_conv_golden("conv2d_basic", [](const auto& v) { return conv2d(v[0], v[1], v[2]); });
        check_conv_golden("conv2d_stride_padding", [](const auto& v) {
            return conv2d(v[0], v[1], v[2], {2, 1}, {1, 2});
        });
        check_conv_golden("conv2d_groups_dilation", [](const auto& v) {
            return conv2d(v[0], v[1], v[2], {2, 1}, {1, 2}, {1, 2}, 2);
        });
        check_conv_golden("conv2d_unbatched_nobias",
                          [](const auto& v) { return conv2d(v[0], v[1]); });
    }

    TEST_CASE("conv2d: matches LibTorch on depthwise and 1x1 kernels (the direct lowerings)") {
        check_conv_golden("conv2d_depthwise",
                          [](const auto& v) { return conv2d(v[0], v[1], v[2], 2, 1, 1, 3); });
        check_conv_golden("conv2d_pointwise",
                          [](const auto& v) { return conv2d(v[0], v[1], v[2]); });
    }

    TEST_CASE(
        "conv2d: padding kSame with an even kernel pads the extra pixel at the end, as LibTorch") {
        check_conv_golden("conv2d_same_even_kernel", [](const auto& v) {
            return conv2d(v[0], v[1], v[2], 1, kSame, {1, 2});
        });
        auto x = randn({1, 2, 5, 6});
        CHECK_SHAPE(conv2d(x, randn({3, 2, 2, 4}), {}, 1, kSame), {1, 3, 5, 6});
        CHECK_SHAPE(conv2d(x, randn({3, 2, 2, 4}), {}, 1, kValid), {1, 3, 4, 3});
    }

    TEST_CASE("conv1d and conv_transpose: match LibTorch") {
        check_conv_golden("conv1d",
                          [](const auto& v) { return conv1d(v[0], v[1], v[2], 2, 1, 2); });
        check_conv_golden("conv1d_groups",
                          [](const auto& v) { return conv1d(v[0], v[1], v[2], 1, 2, 1, 2); });
        check_conv_golden("conv_transpose2d", [](const auto& v) {
            return conv_transpose2d(v[0], v[1], v[2], 2, 1, 1, 2, {1, 2});
        });
        check_conv_golden("conv_transpose1d", [](const auto& v) {
            return conv_transpose1d(v[0], v[1], v[2], 3, 1, 2);
        });
    }

    TEST_CASE("Conv2d: padding modes reflect, replicate and circular match LibTorch's layer") {
        for (PaddingMode mode : {kReflect, kReplicate, kCircular}) {
            const std::string name = std::string("conv2d_padding_mode_") + to_string(mode);
            check_conv_golden(name, [mode](const auto& v) {
                nn::Conv2d conv(nn::Conv2dOptions(3, 2, 3).padding({1, 2}).padding_mode(mode));
                conv->weight = v[1];  // forward reads the members, as in LibTorch
                conv->bias = v[2];
                return conv(v[0]);
            });
        }
    }

    TEST_CASE(
        "conv2d: gradients match finite differences with groups, dilation, stride 2 and odd "
        "padding") {
        auto f = [](const std::vector<Tensor>& v) {
            return conv2d(v[0], v[1], v[2], {2, 3}, {1, 2}, {2, 1}, 2);
        };
        CHECK_GRADIENTS(f, randn_f64({{2, 4, 7, 8}, {6, 2, 3, 2}, {6}}));
        auto same = [](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], 1, 1); };
        CHECK_GRADIENTS(same, randn_f64({{3, 2, 5, 4}, {3, 2, 3, 3}, {3}}, 13));
        // 272 output pixels: the columns keep one block per sample (the layout of larger images)
        CHECK_GRADIENTS(same, randn_f64({{2, 2, 17, 16}, {2, 2, 3, 3}, {2}}, 14));
    }

    TEST_CASE(
        "conv2d: second derivatives match finite differences (backward is made of convolutions)") {
        auto f = [](const std::vector<Tensor>& v) {
            return conv2d(v[0], v[1], v[2], 2, 1, {1, 2}, 2);
        };
        CHECK_GRADGRADIENTS(f, randn_f64({{2, 4, 5, 6}, {4, 2, 3, 2}, {4}}, 1));
    }

    TEST_CASE("conv2d: depthwise and 1x1 gradients match finite differences, to second order") {
        auto depthwise = [](const std::vector<Tensor>& v) {
            return conv2d(v[0], v[1], v[2], 2, 1, 2, 3);
        };
        CHECK_GRADIENTS(depthwise, randn_f64({{2, 3, 6, 5}, {3, 1, 3, 2}, {3}}, 2));
        CHECK_GRADGRADIENTS(depthwise, randn_f64({{1, 3, 5, 5}, {3, 1, 2, 2}, {3}}, 3));
        auto pointwise = [](const std::vector<Tensor>& v) {
            return conv2d(v[0], v[1], v[2], 1, 0, 1, 2);
        };
        CHECK_GRADIENTS(pointwise, randn_f64({{2, 4, 3, 3}, {6, 2, 1, 1}, {6}}, 4));
        CHECK_GRADGRADIENTS(pointwise, randn_f64({{2, 4, 2, 3}, {2, 2, 1, 1}, {2}}, 5));
    }

    TEST_CASE("conv1d and conv_transpose: gradients match finite differences, to second order") {
        auto c1 = [](const std::vector<Tensor>& v) { return conv1d(v[0], v[1], v[2], 2, 3, 2, 1); };
        CHECK_GRADIENTS(c1, randn_f64({{2, 3, 11}, {4, 3, 3}, {4}}, 6));
        auto t2 = [](const std::vector<Tensor>& v) {
            return conv_transpose2d(v[0], v[1], v[2], {2, 3}, {1, 0}, {1, 2}, 2, {2, 1});
        };
        CHECK_GRADIENTS(t2, randn_f64({{2, 4, 3, 4}, {4, 3, 3, 2}, {6}}, 7));
        CHECK_GRADGRADIENTS(t2, randn_f64({{1, 4, 2, 3}, {4, 1, 2, 2}, {2}}, 8));
        auto t1 = [](const std::vector<Tensor>& v) {
            return conv_transpose1d(v[0], v[1], v[2], 2, 1, 1);
        };
        CHECK_GRADIENTS(t1, randn_f64({{2, 3, 5}, {3, 2, 3}, {2}}, 9));
    }

    TEST_CASE("conv_transpose2d: is the adjoint of conv2d in its input") {
        // <conv2d(x, w), u> == <x, conv_transpose2d(u, w)> with the same stride, padding, dilation
        auto v = randn_f64({{2, 4, 7, 6}, {6, 2, 3, 2}}, 10);
        const Tensor y = conv2d(v[0], v[1], {}, 2, 1, {1, 2}, 2);
        const Tensor u = randn(y.sizes(), kFloat64);
        const Tensor back = conv_transpose2d(u, v[1], {}, 2, 1, {0, 1}, 2, {1, 2});
        REQUIRE(back.sizes() == v[0].sizes());
        CHECK((y * u).sum().item<double>() ==
              doctest::Approx((v[0] * back).sum().item<double>()).epsilon(1e-12));
    }

    TEST_CASE("conv2d kernels: the pointwise, depthwise and im2col lowerings agree") {
        using kernels::ConvGeometry;
        using kernels::ConvPath;
        auto run = [](ConvPath path, const ConvGeometry& g, const Tensor& x, const Tensor& w,
                      const Tensor& b, const Tensor& gy) {
            Tensor y = empty({g.n, g.c_out, g.ho, g.wo}), dx = tapegrad::empty(x.sizes()),
                   dw = tapegrad::empty(w.sizes());
            kernels::conv2d_forward(path, g, x.data_ptr<float>(), w.data_ptr<float>(),
                                    b.data_ptr<float>(), y.data_ptr<float>());
            kernels::conv2d_input_grad(path, g, gy.data_ptr<float>(), w.data_ptr<float>(), nullptr,
                                       dx.data_ptr<float>());
            kernels::conv2d_weight_grad(path, g, x.data_ptr<float>(), gy.data_ptr<float>(),
                                        dw.data_ptr<float>());
            return std::vector<Tensor>{y, dx, dw};
        };
        manual_seed(11);
        SUBCASE("depthwise, stride 2, padding 1, dilation 2") {
            ConvGeometry g;
            g.n = 3, g.c_in = g.c_out = g.groups = 5, g.h = 9, g.w = 8, g.kh = 3, g.kw = 2;
            g.sh = g.sw = 2, g.ph = g.pw = 1, g.dh = 2, g.dw = 1;
            g.ho = kernels::conv_out_size(g.h, g.kh, g.sh, g.ph, g.dh);
            g.wo = kernels::conv_out_size(g.w, g.kw, g.sw, g.pw, g.dw);
            CHECK(kernels::conv_path(g) == ConvPath::Depthwise);
            const Tensor x = randn({3, 5, 9, 8}), w = randn({5, 1, 3, 2}), b = randn({5});
            const Tensor gy = randn({3, 5, g.ho, g.wo});
            const auto direct = run(ConvPath::Depthwise, g, x, w, b, gy);
            const auto lowered = run(ConvPath::Im2col, g, x, w, b, gy);
            for (int i = 0; i < 3; ++i) CHECK(direct[i].allclose(lowered[i], 1e-5, 1e-5));
        }
        SUBCASE("pointwise with groups") {
            ConvGeometry g;
            g.n = 2, g.c_in = 6, g.c_out = 4, g.groups = 2, g.h = 5, g.w = 7, g.ho = 5, g.wo = 7;
            CHECK(kernels::conv_path(g) == ConvPath::Pointwise);
            const Tensor x = randn({2, 6, 5, 7}), w = randn({4, 3, 1, 1}), b = randn({4});
            const Tensor gy = randn({2, 4, 5, 7});
            const auto direct = run(ConvPath::Pointwise, g, x, w, b, gy);
            const auto lowered = run(ConvPath::Im2col, g, x, w, b, gy);
            for (int i = 0; i < 3; ++i) CHECK(direct[i].allclose(lowered[i], 1e-5, 1e-5));
        }
    }

    TEST_CASE("conv2d: a batch split into several column chunks gives each sample's own result") {
        // 16 channels * 9 taps * 64 * 64 pixels per sample: the 2 M-element column budget holds 3
        // samples, so 5 samples run as chunks of 3 and 2
        manual_seed(12);
        const Tensor x = randn({5, 16, 64, 64}), w = randn({4, 16, 3, 3}), b = randn({4});
        const Tensor y = conv2d(x, w, b, 1, 1);
        for (int64_t i = 0; i < 5; ++i)
            CHECK(y[i].allclose(conv2d(x[i].unsqueeze(0), w, b, 1, 1)[0], 1e-5, 1e-4));
    }

    TEST_CASE("Conv2d: parameters, shapes and PyTorch's initialisation bounds") {
        manual_seed(0);
        nn::Conv2d conv(nn::Conv2dOptions(6, 8, {3, 5}).stride(2).padding(1).groups(2));
        CHECK_SHAPE(conv->weight, {8, 3, 3, 5});
        CHECK_SHAPE(conv->bias, {8});
        const auto names = conv->named_parameters();
        CHECK(names.size() == 2);
        CHECK(names.contains("weight"));
        const double bound = 1.0 / std::sqrt(3.0 * 3 * 5);  // fan_in = in / groups * kH * kW
        CHECK(conv->weight.abs().max().item<double>() <= bound);
        CHECK(conv->weight.abs().max().item<double>() > 0.8 * bound);
        CHECK(conv->bias.abs().max().item<double>() <= bound);
        CHECK_SHAPE(conv(randn({4, 6, 9, 10})), {4, 8, 5, 4});
        CHECK_SHAPE(conv(randn({6, 9, 10})), {8, 5, 4});  // unbatched, as LibTorch
        std::ostringstream os;
        os << *conv;
        CHECK(os.str() ==
              "Conv2d(6, 8, kernel_size=[3, 5], stride=[2, 2], padding=[1, 1], groups=2)");
        nn::Conv2d plain(1, 10, 5);
        CHECK_FALSE(nn::Conv2d(nn::Conv2dOptions(1, 10, 5).bias(false))->bias.defined());
        std::ostringstream os2;
        os2 << *plain;
        CHECK(os2.str() == "Conv2d(1, 10, kernel_size=[5, 5], stride=[1, 1])");
    }

    TEST_CASE("Conv1d, ConvTranspose1d/2d: shapes, and output_size picks the output padding") {
        nn::Conv1d c1(nn::Conv1dOptions(3, 4, 3).padding(kSame));
        CHECK_SHAPE(c1(randn({2, 3, 10})), {2, 4, 10});
        nn::ConvTranspose2d up(nn::ConvTranspose2dOptions(4, 2, 3).stride(2).padding(1));
        CHECK_SHAPE(up->weight, {4, 2, 3, 3});
        const Tensor x = randn({1, 4, 5, 5});
        CHECK_SHAPE(up(x), {1, 2, 9, 9});
        CHECK_SHAPE(up(x, std::vector<int64_t>{10, 10}), {1, 2, 10, 10});
        CHECK_THROWS_CONTAINS(up(x, std::vector<int64_t>{12, 10}), std::invalid_argument,
                              "ConvTranspose2d: requested an output size of [12, 10]",
                              "range from [9, 9] to [10, 10]");
        nn::ConvTranspose1d t1(3, 2, 4);
        CHECK_SHAPE(t1(randn({2, 3, 5})), {2, 2, 8});
        // output_size has a default for AnyModule and Sequential too, as LibTorch's
        nn::AnyModule any(up);
        CHECK(any.forward(x).equal(up(x)));
        CHECK_SHAPE(any.forward(x, std::optional<std::vector<int64_t>>({10, 10})), {1, 2, 10, 10});
        CHECK_THROWS_WITH_AS(any.forward(),
                             "AnyModule: forward of ConvTranspose2d takes 2 arguments, got 0",
                             std::invalid_argument);
        nn::Sequential seq(up, nn::MaxPool2d(2));
        CHECK_SHAPE(seq->forward(x), {1, 2, 4, 4});
        nn::AnyModule unpool(nn::MaxUnpool2d(2));
        const Tensor x4 = randn({1, 4, 4, 4});
        const auto [pooled, indices] = nn::MaxPool2d(2)->forward_with_indices(x4);
        CHECK(unpool.forward(pooled, indices).equal(nn::MaxUnpool2d(2)(pooled, indices)));
    }

    TEST_CASE("F::conv2d and F::conv_transpose2d: take LibTorch's functional options") {
        const Tensor x = randn({2, 3, 8, 8}), w = randn({4, 3, 3, 3}), b = randn({4});
        const Tensor y = F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).stride(2).padding(1));
        CHECK(y.allclose(conv2d(x, w, b, 2, 1)));
        const Tensor z = F::conv_transpose2d(
            y, w, F::ConvTranspose2dFuncOptions().stride(2).padding(1).output_padding(1));
        CHECK_SHAPE(z, {2, 3, 8, 8});
        CHECK_SHAPE(
            F::conv1d(randn({1, 2, 7}), randn({3, 2, 2}), F::Conv1dFuncOptions().dilation(2)),
            {1, 3, 5});
    }

    TEST_CASE("Conv2d: rejects an input with the wrong number of channels, naming the layer") {
        nn::Conv2d conv(3, 16, 3);
        CHECK_THROWS_WITH_AS(
            conv(randn({8, 1, 28, 28})),
            "Conv2d: expected input with 3 channels (weight [16, 3, 3, 3], groups 1), "
            "got input of shape [8, 1, 28, 28]",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            conv2d(randn({2, 2, 6, 5}), randn({4, 3, 3, 3})),
            "conv2d: expected input with 3 channels (weight [4, 3, 3, 3], groups 1), "
            "got input of shape [2, 2, 6, 5]",
            std::invalid_argument);
    }

    TEST_CASE("Conv2d: rejects a kernel larger than the padded input") {
        nn::Conv2d conv(nn::Conv2dOptions(1, 2, 5).padding(1));
        CHECK_THROWS_WITH_AS(conv(randn({1, 1, 2, 2})),
                             "Conv2d: kernel of size [5, 5] (dilation included) is larger than the "
                             "padded input [4, 4] (input shape [1, 1, 2, 2], padding [1, 1])",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(conv1d(randn({1, 1, 4}), randn({1, 1, 3}), {}, 1, 0, 2),
                              std::invalid_argument, "conv1d: kernel of size [5]",
                              "padded input [4]");
    }

    TEST_CASE("Conv2d: rejects an input that is not 4-d (or 3-d unbatched)") {
        nn::Conv2d conv(1, 2, 3);
        CHECK_THROWS_WITH_AS(
            conv(randn({28, 28})),
            "Conv2d: expected a 4-d input [N, C, H, W] (or [C, H, W] unbatched), got "
            "shape [28, 28]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(conv(randn({1, 1, 1, 28, 28})), std::invalid_argument,
                              "Conv2d: expected a 4-d input", "got shape [1, 1, 1, 28, 28]");
        nn::Conv2d reflect(nn::Conv2dOptions(1, 2, 3).padding(1).padding_mode(kReflect));
        CHECK_THROWS_CONTAINS(reflect(randn({28, 28})), std::invalid_argument,
                              "Conv2d: expected a 4-d input", "got shape [28, 28]");
        CHECK_THROWS_CONTAINS(nn::Conv1d(1, 2, 3)(randn({1, 1, 5, 5})), std::invalid_argument,
                              "Conv1d: expected a 3-d input [N, C, L]");
    }

    TEST_CASE("Conv2d: rejects groups that do not divide the channels") {
        CHECK_THROWS_WITH_AS(nn::Conv2d(nn::Conv2dOptions(4, 6, 3).groups(3)),
                             "Conv2d: groups 3 must divide in_channels (4) and out_channels (6)",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            conv2d(randn({1, 8, 5, 5}), randn({6, 2, 3, 3}), {}, 1, 0, 1, 4),
            "conv2d: groups 4 must be positive and divide the 6 output channels of "
            "weight [6, 2, 3, 3]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(conv2d(randn({1, 5, 5, 5}), randn({6, 2, 3, 3}), {}, 1, 0, 1, 3),
                              std::invalid_argument, "conv2d: expected input with 6 channels",
                              "groups 3", "got input of shape [1, 5, 5, 5]");
    }

    TEST_CASE("conv2d: rejects bad strides, bias shapes, dtypes and kSame with a stride") {
        const Tensor x = randn({1, 2, 5, 5}), w = randn({3, 2, 3, 3});
        CHECK_THROWS_WITH_AS(conv2d(x, w, {}, 0), "conv2d: stride must be positive, got [0, 0]",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            conv2d(x, w, randn({2})),
            "conv2d: bias of shape [2] does not fit weight [3, 2, 3, 3] (expected [3])",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(conv2d(x, w.to(kFloat64)), std::invalid_argument,
                              "conv2d: dtypes differ: input is float32, weight is float64");
        CHECK_THROWS_WITH_AS(conv2d(x, w, {}, 2, kSame),
                             "conv2d: padding kSame needs stride 1, got stride [2, 2]",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(nn::Conv2d(nn::Conv2dOptions(2, 3, 3).stride(2).padding(kSame)),
                              std::invalid_argument, "Conv2d: padding kSame is not supported");
        CHECK_THROWS_CONTAINS(conv_transpose2d(x, randn({2, 3, 3, 3}), {}, 1, 0, 1),
                              std::invalid_argument,
                              "conv_transpose2d: output_padding [1, 1] must be smaller than the "
                              "stride [1, 1] or the dilation [1, 1]");
    }
}
