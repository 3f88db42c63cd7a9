// Batch, instance and group normalisation: values against LibTorch, the fused backward against
// finite differences (and to second order), the layers' modes and running statistics, errors.

#include <sstream>

#include "nn/nn.hpp"
#include "tests/nn/cnn_golden.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

TEST_SUITE("nn/normalization2d") {
    TEST_CASE(
        "batch_norm: matches LibTorch in training and eval mode, running statistics included") {
        check_conv_golden("batch_norm_train", [](const auto& v) {
            return batch_norm(v[0], v[1], v[2], zeros({4}, kFloat64), ones({4}, kFloat64), true,
                              0.1, 1e-5);
        });
        check_conv_golden("batch_norm_running_stats", [](const auto& v) {
            const Tensor rm = full({4}, 0.5, kFloat64), rv = full({4}, 2.0, kFloat64);
            batch_norm(v[0], {}, {}, rm, rv, true, 0.3, 1e-5);
            return cat({rm, rv});
        });
        check_conv_golden("batch_norm_eval", [](const auto& v) {
            return batch_norm(v[0], v[1], v[2], v[3], v[4], false, 0.1, 1e-3);
        });
    }

    TEST_CASE("instance_norm and group_norm: match LibTorch") {
        check_conv_golden("instance_norm", [](const auto& v) {
            return instance_norm(v[0], v[1], v[2], {}, {}, true, 0.1, 1e-5);
        });
        check_conv_golden("group_norm",
                          [](const auto& v) { return group_norm(v[0], 2, v[1], v[2], 1e-5); });
    }

    TEST_CASE(
        "batch_norm: the fused backward matches finite differences, and differentiates again") {
        auto f = [](const std::vector<Tensor>& v) {
            return batch_norm(v[0], v[1], v[2], {}, {}, true, 0.1, 1e-5);
        };
        auto in = randn_f64({{4, 3, 3, 2}, {3}, {3}});
        CHECK_GRADIENTS(f, in);
        CHECK_GRADGRADIENTS(f, randn_f64({{3, 2, 2, 2}, {2}, {2}}, 1));
        auto no_affine = [](const std::vector<Tensor>& v) {
            return batch_norm(v[0], {}, {}, {}, {}, true, 0.1, 1e-5);
        };
        CHECK_GRADIENTS(no_affine, randn_f64({{5, 2, 3}}, 2));
    }

    TEST_CASE("batch_norm: the fused backward gives the same gradients as the composed one") {
        // create_graph records the backward with ops instead of the fused kernel
        auto in = randn_f64({{4, 3, 5, 2}, {3}, {3}}, 3);
        const Tensor g = randn({4, 3, 5, 2}, kFloat64);
        auto y = batch_norm(in[0], in[1], in[2], {}, {}, true, 0.1, 1e-5);
        const auto fused = autograd::grad({y}, in, {g}, /*retain_graph=*/true);
        const auto composed = autograd::grad({y}, in, {g}, true, /*create_graph=*/true);
        for (size_t i = 0; i < 3; ++i) CHECK(fused[i].allclose(composed[i], 1e-10, 1e-12));
    }

    TEST_CASE("instance_norm and group_norm: gradients match finite differences, to second order") {
        auto inorm = [](const std::vector<Tensor>& v) {
            return instance_norm(v[0], v[1], v[2], {}, {}, true, 0.1, 1e-5);
        };
        CHECK_GRADIENTS(inorm, randn_f64({{2, 3, 3, 3}, {3}, {3}}, 4));
        auto gnorm = [](const std::vector<Tensor>& v) { return group_norm(v[0], 3, v[1], v[2]); };
        CHECK_GRADIENTS(gnorm, randn_f64({{2, 6, 2, 3}, {6}, {6}}, 5));
        CHECK_GRADGRADIENTS(gnorm, randn_f64({{2, 3, 2, 2}, {3}, {3}}, 6));
    }

    TEST_CASE("BatchNorm2d: batch statistics in training, running ones in eval, as LibTorch") {
        manual_seed(8);
        nn::BatchNorm2d bn(nn::BatchNorm2dOptions(3).momentum(0.2));
        CHECK(bn->named_buffers().contains("num_batches_tracked"));
        const Tensor x = randn({4, 3, 5, 5}) * 3.0 + 2.0;
        const Tensor y = bn(x);
        // per channel, the training output has mean 0 and (biased) variance 1
        CHECK(y.mean({0, 2, 3}).abs().max().item<double>() < 1e-5);
        CHECK((y.square().mean({0, 2, 3}) - 1.0).abs().max().item<double>() < 1e-3);
        const Tensor mean = x.mean({0, 2, 3});
        CHECK(bn->running_mean.allclose(mean * 0.2, 1e-5, 1e-5));
        CHECK(bn->num_batches_tracked.item<int64_t>() == 1);
        bn->eval();
        const Tensor z = bn(x);  // records a graph (the parameters require grad): made of ops
        Tensor z_fused;
        {
            NoGradGuard no_grad;  // no graph: one fused pass
            z_fused = bn(x);
        }
        CHECK(z_fused.allclose(z, 1e-5, 1e-6));
        const Tensor expected = (x - bn->running_mean.reshape({1, 3, 1, 1})) /
                                (bn->running_var.reshape({1, 3, 1, 1}) + 1e-5).sqrt();
        CHECK(z.allclose(expected, 1e-5, 1e-5));
        CHECK(bn->num_batches_tracked.item<int64_t>() == 1);
        std::ostringstream os;
        os << *bn;
        CHECK(os.str() ==
              "BatchNorm2d(3, eps=1e-05, momentum=0.2, affine=true, track_running_stats=true)");
    }

    TEST_CASE("InstanceNorm2d and GroupNorm: layers with LibTorch's defaults") {
        nn::InstanceNorm2d in(3);
        CHECK(in->parameters().empty());  // affine false, no running statistics by default
        const Tensor x = randn({2, 3, 4, 4});
        CHECK(in(x).allclose(instance_norm(x, {}, {}, {}, {}, true, 0.1, 1e-5)));
        CHECK_SHAPE(in(randn({3, 4, 4})), {3, 4, 4});
        nn::InstanceNorm2d tracked(
            nn::InstanceNorm2dOptions(3).affine(true).track_running_stats(true));
        tracked(x);
        CHECK(tracked->running_mean.allclose(x.mean({2, 3}).mean(0) * 0.1, 1e-5, 1e-6));
        nn::GroupNorm gn(2, 4);
        CHECK_SHAPE(gn->weight, {4});
        const Tensor xg = randn({3, 4, 2, 5});
        CHECK(gn(xg).allclose(
            F::group_norm(xg, F::GroupNormFuncOptions(2).weight(gn->weight).bias(gn->bias))));
        CHECK_SHAPE(nn::InstanceNorm1d(2)(randn({3, 2, 7})), {3, 2, 7});
    }

    TEST_CASE("F::batch_norm: takes LibTorch's functional options") {
        const Tensor x = randn({4, 2, 3, 3}), w = randn({2}), b = randn({2});
        const Tensor rm = zeros({2}), rv = ones({2});
        const Tensor y =
            F::batch_norm(x, rm, rv, F::BatchNormFuncOptions().weight(w).bias(b).training(true));
        CHECK(y.allclose(batch_norm(x, w, b, {}, {}, true, 0.1, 1e-5), 1e-5, 1e-5));
        CHECK(rm.abs().sum().item<double>() > 0);  // updated in place
    }

    TEST_CASE("BatchNorm2d: rejects a non-4-d input, the wrong channel count and a single value") {
        nn::BatchNorm2d bn(3);
        CHECK_THROWS_WITH_AS(bn(randn({4, 3})),
                             "BatchNorm2d: expected a 4-d input, got shape [4, 3]",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(bn(randn({4, 2, 5, 5})),
                             "BatchNorm2d: expected 3 channels, got input of shape [4, 2, 5, 5]",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            bn(randn({1, 3, 1, 1})),
            "batch_norm: expected more than 1 value per channel when training, got "
            "input of shape [1, 3, 1, 1]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(batch_norm(randn({2, 3}), randn({4}), {}, {}, {}, true, 0.1, 1e-5),
                              std::invalid_argument, "batch_norm: weight of shape [4]",
                              "does not fit input of shape [2, 3]");
        CHECK_THROWS_CONTAINS(batch_norm(randn({2, 3}), {}, {}, {}, {}, false, 0.1, 1e-5),
                              std::invalid_argument, "batch_norm: evaluation mode");
    }

    TEST_CASE("GroupNorm: rejects groups that do not divide the channels") {
        CHECK_THROWS_WITH_AS(
            nn::GroupNorm(3, 4),
            "GroupNorm: num_groups (3) must be positive and divide num_channels (4)",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            group_norm(randn({2, 4, 3}), 3),
            "group_norm: num_groups 3 must divide the 4 channels of input [2, 4, 3]",
            std::invalid_argument);
        CHECK_THROWS_CONTAINS(nn::GroupNorm(2, 4)(randn({2, 6, 3})), std::invalid_argument,
                              "GroupNorm: expected an input [N, 4, ...], got shape [2, 6, 3]");
    }
}
