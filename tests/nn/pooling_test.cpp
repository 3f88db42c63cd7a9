// Pooling: values, indices and gradients against LibTorch, finite-difference checks to second
// order, the layers, and every error.

#include <cmath>
#include <sstream>
#include <type_traits>
#include <utility>

#include "nn/nn.hpp"
#include "tests/nn/cnn_golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

// Whether M has forward_with_indices(input) (the max pools do, the average pools do not).
template <class M, class = void>
struct HasIndices : std::false_type {};
template <class M>
struct HasIndices<M, std::void_t<decltype(std::declval<M&>().forward_with_indices(
                         std::declval<const Tensor&>()))>> : std::true_type {};

TEST_SUITE("nn/pooling") {
    TEST_CASE(
        "max_pool2d: matches LibTorch with padding, dilation and ceil_mode, indices included") {
        check_conv_golden("max_pool2d",
                          [](const auto& v) { return max_pool2d(v[0], 3, 2, 1, 1, true); });
        check_conv_golden("max_pool2d_dilation", [](const auto& v) {
            return max_pool2d(v[0], {2, 3}, {1, 2}, {1, 1}, {2, 2});
        });
        check_conv_golden("max_pool2d_indices", [](const auto& v) {
            return std::get<1>(max_pool2d_with_indices(v[0], 3, 2, 1, 1, true));
        });
        check_conv_golden("max_pool1d", [](const auto& v) { return max_pool1d(v[0], 3, 2, 1); });
    }

    TEST_CASE(
        "avg_pool2d: matches LibTorch with count_include_pad, ceil_mode and divisor_override") {
        check_conv_golden("avg_pool2d",
                          [](const auto& v) { return avg_pool2d(v[0], 3, 2, 1, true, false); });
        check_conv_golden("avg_pool2d_include_pad", [](const auto& v) {
            return avg_pool2d(v[0], {3, 2}, {2, 1}, {1, 1}, true, true);
        });
        check_conv_golden("avg_pool2d_divisor",
                          [](const auto& v) { return avg_pool2d(v[0], 2, 2, 0, false, true, 3); });
        check_conv_golden("avg_pool1d",
                          [](const auto& v) { return avg_pool1d(v[0], 3, 2, 1, false, false); });
    }

    TEST_CASE("adaptive pools and max_unpool2d: match LibTorch") {
        check_conv_golden("adaptive_avg_pool2d", [](const auto& v) {
            return adaptive_avg_pool2d(v[0], {3, 4});
        });
        check_conv_golden("adaptive_avg_pool1d",
                          [](const auto& v) { return adaptive_avg_pool1d(v[0], 4); });
        check_conv_golden("adaptive_max_pool2d", [](const auto& v) {
            return std::get<0>(adaptive_max_pool2d(v[0], {3, 4}));
        });
        check_conv_golden("adaptive_max_pool2d_indices", [](const auto& v) {
            return std::get<1>(adaptive_max_pool2d(v[0], {3, 4}));
        });
        check_conv_golden("max_unpool2d", [](const auto& v) {
            return max_unpool2d(v[0], v[1].to(kInt64), {6, 5});
        });
    }

    TEST_CASE(
        "max_pool2d: the gradient goes to the first maximum of each window, summed over windows") {
        // overlapping windows (kernel 3, stride 1) share their maximum 9: it gets both gradients
        auto x = make_f64({1, 2, 9, 4, 3, 0}, {1, 1, 1, 6}, true);
        auto y = max_pool2d(x, {1, 3}, 1);
        CHECK_VALUES(y, {9, 9, 9, 4});
        y.backward(make_f64({1, 10, 100, 1000}, {1, 1, 1, 4}));
        CHECK_VALUES(x.grad(), {0, 0, 111, 1000, 0, 0});
        auto ties = make_f64({5, 5}, {1, 1, 1, 2}, true);
        max_pool2d(ties, {1, 2}).sum().backward();
        CHECK_VALUES(ties.grad(), {1, 0});
    }

    TEST_CASE(
        "max_pool2d: a NaN wins its window (the last NaN), and a -0 / +0 tie keeps the first") {
        const double nan = std::nan("");
        // 2x2 windows (the row kernel) and a 3x3 window (the general loop), PyTorch's rule in both
        auto x = make_f64({1, nan, 0, 0, 3, nan, 0.0, 0.0}, {1, 1, 2, 4});
        auto [y, idx] = max_pool2d_with_indices(x, 2);
        CHECK(std::isnan(y.to_vector<double>()[0]));
        CHECK(idx.to_vector<int64_t>() == std::vector<int64_t>{5, 2});
        auto z = make_f64({-0.0, 0.0, 0.0, 0.0}, {1, 1, 2, 2});
        CHECK(std::signbit(max_pool2d(z, 2).item<double>()));
        auto big = make_f64({1, 2, 3, nan, 5, 6, nan, 8, 9}, {1, 1, 3, 3});
        auto [yb, ib] = max_pool2d_with_indices(big, 3);
        CHECK(std::isnan(yb.item<double>()));
        CHECK(ib.item<int64_t>() == 6);
    }

    TEST_CASE("pooling: gradients match finite differences, to second order") {
        auto maxp = [](const std::vector<Tensor>& v) {
            return max_pool2d(v[0], {3, 2}, {2, 1}, 1, {1, 2}, true);
        };
        CHECK_GRADIENTS(maxp, randn_f64({{2, 3, 7, 8}}));
        CHECK_GRADGRADIENTS(maxp, randn_f64({{1, 2, 5, 6}}, 1));
        auto avgp = [](const std::vector<Tensor>& v) {
            return avg_pool2d(v[0], 3, {2, 1}, 1, true, false);
        };
        CHECK_GRADIENTS(avgp, randn_f64({{2, 3, 7, 6}}, 2));
        CHECK_GRADGRADIENTS(avgp, randn_f64({{1, 2, 5, 4}}, 3));
        auto adaptive = [](const std::vector<Tensor>& v) {
            return adaptive_avg_pool2d(v[0], {3, 2}) +
                   std::get<0>(adaptive_max_pool2d(v[0], {3, 2}));
        };
        CHECK_GRADIENTS(adaptive, randn_f64({{2, 2, 7, 5}}, 4));
        CHECK_GRADGRADIENTS(adaptive, randn_f64({{1, 2, 5, 5}}, 5));
        auto one_d = [](const std::vector<Tensor>& v) {
            return max_pool1d(v[0], 3, 2, 1) + avg_pool1d(v[0], 3, 2, 1) +
                   adaptive_avg_pool1d(v[0], 5);
        };
        CHECK_GRADIENTS(one_d, randn_f64({{2, 3, 10}}, 6));
    }

    TEST_CASE("max_unpool2d: puts values back where max_pool2d found them; its gradient gathers") {
        manual_seed(7);
        const Tensor x = randn({2, 3, 6, 4});
        auto [y, idx] = max_pool2d_with_indices(x, 2);
        const Tensor back = max_unpool2d(y, idx, {6, 4});
        CHECK(max_pool2d(back, 2).equal(y));
        CHECK((back != 0).sum().item<int64_t>() == y.numel());  // the rest are zeros
        auto f = [idx = idx](const std::vector<Tensor>& v) {
            return max_unpool2d(v[0], idx, {6, 4});
        };
        CHECK_GRADIENTS(f, {randn(y.sizes(), f64())});
        CHECK_GRADGRADIENTS(f, {randn(y.sizes(), f64())});
    }

    TEST_CASE("MaxPool2d and MaxUnpool2d: layers with LibTorch's options and descriptions") {
        nn::MaxPool2d pool(nn::MaxPool2dOptions(2).stride(2));
        nn::MaxUnpool2d unpool(nn::MaxUnpool2dOptions(2).stride(2));
        auto [y, idx] = pool->forward_with_indices(randn({1, 2, 4, 4}));
        CHECK_SHAPE(y, {1, 2, 2, 2});
        CHECK_SHAPE(unpool(y, idx), {1, 2, 4, 4});  // (2 - 1) * stride + kernel
        auto [y5, idx5] = pool->forward_with_indices(randn({1, 2, 5, 5}));
        CHECK_SHAPE(unpool(y5, idx5, std::vector<int64_t>{5, 5}), {1, 2, 5, 5});
        std::ostringstream os;
        os << *pool;
        CHECK(os.str() ==
              "MaxPool2d(kernel_size=[2, 2], stride=[2, 2], padding=[0, 0], dilation=[1, 1], "
              "ceil_mode=false)");
        CHECK_SHAPE(nn::AvgPool2d(3)(randn({2, 1, 7, 7})), {2, 1, 2, 2});
        CHECK_SHAPE(nn::AdaptiveAvgPool2d(1)(randn({2, 5, 7, 3})), {2, 5, 1, 1});
        CHECK_SHAPE(nn::AdaptiveMaxPool2d(nn::AdaptiveMaxPool2dOptions({2, 3}))(randn({5, 7, 3})),
                    {5, 2, 3});
        CHECK_SHAPE(nn::MaxPool1d(nn::MaxPool1dOptions(2).ceil_mode(true))(randn({1, 1, 7})),
                    {1, 1, 4});
        CHECK_SHAPE(nn::AvgPool1d(2)(randn({3, 8})), {3, 4});
        CHECK_SHAPE(nn::AdaptiveAvgPool1d(3)(randn({1, 2, 8})), {1, 2, 3});
    }

    TEST_CASE("pooling layers: forward_with_indices on the max pools only; setters keep the type") {
        static_assert(HasIndices<nn::MaxPool2dImpl>::value);
        static_assert(HasIndices<nn::AdaptiveMaxPool1dImpl>::value);
        static_assert(!HasIndices<nn::AvgPool2dImpl>::value);
        static_assert(!HasIndices<nn::AdaptiveAvgPool2dImpl>::value);
        nn::AdaptiveMaxPool1d pool(2);
        const Tensor x = randn({1, 3, 6});
        auto [y, idx] = pool->forward_with_indices(x);
        CHECK(idx.dtype() == kInt64);
        CHECK(y.equal(pool(x)));
        CHECK(y.equal(x.gather(2, idx)));
        // the window setters are shared (detail::WindowOptionsBase) and chain into each type's own
        static_assert(
            std::is_same_v<decltype(nn::MaxPool2dOptions(2).stride(1)), nn::MaxPool2dOptions&>);
        static_assert(std::is_same_v<decltype(nn::AvgPool1dOptions(2).padding(1).ceil_mode(true)),
                                     nn::AvgPool1dOptions&>);
        static_assert(std::is_same_v<decltype(F::MaxUnpool2dFuncOptions(2).stride(1)),
                                     F::MaxUnpool2dFuncOptions&>);
    }

    TEST_CASE("F::max_pool2d and friends: take LibTorch's functional options") {
        const Tensor x = randn({2, 3, 8, 8});
        CHECK(F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1))
                  .equal(max_pool2d(x, 3, 2, 1)));
        CHECK(F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).divisor_override(3))
                  .allclose(avg_pool2d(x, 2, {}, 0, false, true, 3)));
        CHECK(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions({1, 1}))
                  .allclose(x.mean({2, 3}, true), 1e-5, 1e-6));
        auto [y, idx] = F::max_pool2d_with_indices(x, F::MaxPool2dFuncOptions(2));
        CHECK_SHAPE(F::max_unpool2d(y, idx, F::MaxUnpool2dFuncOptions(2)), {2, 3, 8, 8});
        CHECK_SHAPE(F::max_pool1d(randn({1, 2, 9}), F::MaxPool1dFuncOptions(3)), {1, 2, 3});
    }

    TEST_CASE(
        "max_pool2d: rejects padding over half the kernel, and an output that would be empty") {
        CHECK_THROWS_WITH_AS(
            max_pool2d(randn({1, 1, 8, 8}), 2, 2, 2),
            "max_pool2d: padding [2, 2] must be at most half the kernel size [2, 2]",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(nn::MaxPool2d(5)(randn({1, 1, 3, 8})),
                             "MaxPool2d: the kernel [5, 5] (dilation [1, 1], padding [0, 0]) does "
                             "not fit the input of shape [1, 1, 3, 8]: the output would be [0, 1]",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(avg_pool2d(randn({1, 1, 4, 4}), 0), std::invalid_argument,
                              "avg_pool2d: kernel_size [0, 0]", "must be positive");
    }

    TEST_CASE("pooling: rejects an input of the wrong rank, naming the op") {
        CHECK_THROWS_WITH_AS(max_pool2d(randn({8, 8}), 2),
                             "max_pool2d: expected a 4-d input [N, C, H, W] (or [C, H, W] "
                             "unbatched), got shape [8, 8]",
                             std::invalid_argument);
        CHECK_THROWS_CONTAINS(nn::AdaptiveAvgPool2d(1)(randn({1, 2, 3, 4, 5})),
                              std::invalid_argument, "AdaptiveAvgPool2d: expected a 4-d input",
                              "[1, 2, 3, 4, 5]");
        CHECK_THROWS_CONTAINS(nn::MaxPool1d(2)(randn({1, 2, 3, 4})), std::invalid_argument,
                              "MaxPool1d: expected a 3-d input [N, C, L]");
    }

    TEST_CASE("max_unpool2d: rejects indices of another shape or outside the output") {
        auto [y, idx] = max_pool2d_with_indices(randn({1, 1, 4, 4}), 2);
        CHECK_THROWS_CONTAINS(
            max_unpool2d(y, idx.reshape({1, 4}), {4, 4}), std::invalid_argument,
            "max_unpool2d: indices must be int64 of the input's shape [1, 1, 2, 2]");
        CHECK_THROWS_CONTAINS(max_unpool2d(y, idx, {2, 2}), std::invalid_argument,
                              "max_unpool2d: index",
                              "is outside the output plane [2, 2] of 4 values");
    }
}
