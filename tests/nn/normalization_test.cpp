// BatchNorm1d and LayerNorm: values worked out by hand, running statistics, train/eval,
// gradient checks in float64, and their errors.

#include <cmath>
#include <sstream>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("nn/normalization") {
    TEST_CASE("BatchNorm1d: training normalises each feature by the batch statistics") {
        nn::BatchNorm1d bn(nn::BatchNormOptions(2).eps(0.0));
        bn->to(kFloat64);
        // feature 0: {1, 3}, mean 2, biased var 1; feature 1: {2, 6}, mean 4, biased var 4
        Tensor x = tensor({{1.0, 2.0}, {3.0, 6.0}}, kFloat64);
        CHECK_VALUES(bn(x), {-1.0, -1.0, 1.0, 1.0});
    }

    TEST_CASE("BatchNorm1d: training updates running_mean and the unbiased running_var") {
        nn::BatchNorm1d bn(2);
        bn->to(kFloat64);
        bn(tensor({{1.0, 2.0}, {3.0, 6.0}}, kFloat64));
        // momentum 0.1: mean 0.9*0 + 0.1*{2, 4}; var 0.9*1 + 0.1*{2, 8} (unbiased)
        CHECK_VALUES(bn->running_mean, {0.2, 0.4});
        CHECK_VALUES(bn->running_var, {1.1, 1.7}, 1e-12);
        CHECK(bn->num_batches_tracked.item<int64_t>() == 1);
        CHECK(bn->named_buffers().keys() ==
              std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"});
    }

    TEST_CASE("BatchNorm1d: eval mode uses the running statistics and leaves them alone") {
        nn::BatchNorm1d bn(nn::BatchNormOptions(2).eps(0.0));
        bn->to(kFloat64);
        {
            NoGradGuard no_grad;
            bn->running_mean.copy_(tensor({1.0, -1.0}, kFloat64));
            bn->running_var.copy_(tensor({4.0, 0.25}, kFloat64));
            bn->weight.copy_(tensor({2.0, 1.0}, kFloat64));
            bn->bias.copy_(tensor({0.0, 3.0}, kFloat64));
        }
        bn->eval();
        Tensor x = tensor({{3.0, 0.0}, {1.0, -2.0}}, kFloat64);
        // (x - mean) / sqrt(var) * weight + bias
        CHECK_VALUES(bn(x), {2.0, 5.0, 0.0, 1.0});
        CHECK_VALUES(bn->running_mean, {1.0, -1.0});
        CHECK(bn->num_batches_tracked.item<int64_t>() == 0);
    }

    TEST_CASE("BatchNorm1d: gradients match finite differences for 2-D and 3-D input") {
        manual_seed(4);
        nn::BatchNorm1d bn(3);
        bn->to(kFloat64);
        {
            NoGradGuard no_grad;
            bn->weight.copy_(randn({3}, kFloat64));
            bn->bias.copy_(randn({3}, kFloat64));
        }
        auto f = [&](const std::vector<Tensor>& in) { return bn(in[0]); };
        CHECK_GRADIENTS(f, {randn({5, 3}, f64()), bn->weight, bn->bias});
        CHECK_GRADIENTS(f, {randn({2, 3, 4}, f64()), bn->weight, bn->bias});
        bn->eval();
        CHECK_GRADIENTS(f, {randn({2, 3, 4}, f64()), bn->weight, bn->bias});
    }

    TEST_CASE("BatchNorm1d: rejects input that is not 2-D or 3-D") {
        nn::BatchNorm1d bn(3);
        CHECK_THROWS_WITH_AS(bn(ones({3})),
                             "BatchNorm1d: expected a 2-d or 3-d input, got shape [3]",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(bn(ones({2, 3, 4, 4})),
                             "BatchNorm1d: expected a 2-d or 3-d input, got shape [2, 3, 4, 4]",
                             std::invalid_argument);
    }

    TEST_CASE("BatchNorm1d: rejects input with the wrong number of features") {
        nn::BatchNorm1d bn(3);
        CHECK_THROWS_WITH_AS(bn(ones({4, 2})),
                             "BatchNorm1d: expected 3 channels, got input of shape [4, 2]",
                             std::invalid_argument);
        // [N, C, L]: the channels are dim 1, never the last
        CHECK_THROWS_WITH_AS(bn(ones({4, 2, 3})),
                             "BatchNorm1d: expected 3 channels, got input of shape [4, 2, 3]",
                             std::invalid_argument);
    }

    TEST_CASE("BatchNorm1d: refuses to train on one value per feature") {
        nn::BatchNorm1d bn(3);
        CHECK_THROWS_WITH_AS(bn(ones({1, 3})),
                             "batch_norm: expected more than 1 value per channel when training, "
                             "got input of shape [1, 3]",
                             std::invalid_argument);
        CHECK(bn->num_batches_tracked.item<int64_t>() == 0);  // the refused batch is not counted
        bn->eval();
        CHECK_SHAPE(bn(ones({1, 3})), {1, 3});
    }

    TEST_CASE(
        "BatchNorm1d, 2d and 3d: one implementation, F::batch_norm with the layer's tensors") {
        manual_seed(11);
        auto check = [](auto bn, const Tensor& x) {
            bn->to(kFloat64);
            const Tensor rm = bn->running_mean.clone(), rv = bn->running_var.clone();
            namespace F = nn::functional;
            auto options =
                F::BatchNormFuncOptions().weight(bn->weight).bias(bn->bias).training(true);
            CHECK(bn(x).allclose(F::batch_norm(x, rm, rv, options), 1e-12, 1e-14));
            CHECK(bn->running_mean.allclose(rm, 1e-12, 1e-14));
            CHECK(bn->running_var.allclose(rv, 1e-12, 1e-14));
            CHECK(bn->num_batches_tracked.template item<int64_t>() == 1);
            bn->eval();
            CHECK(bn(x).allclose(F::batch_norm(x, rm, rv, options.training(false)), 1e-12, 1e-14));
        };
        check(nn::BatchNorm1d(3), randn({4, 3, 5}, kFloat64));
        check(nn::BatchNorm2d(3), randn({4, 3, 2, 5}, kFloat64));
        check(nn::BatchNorm3d(3), randn({2, 3, 2, 2, 3}, kFloat64));
        CHECK_THROWS_WITH_AS(nn::BatchNorm3d(3)(randn({2, 3, 4, 4})),
                             "BatchNorm3d: expected a 5-d input, got shape [2, 3, 4, 4]",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(nn::BatchNorm2d(0),
                             "BatchNorm2d: num_features must be positive, got 0",
                             std::invalid_argument);
    }

    TEST_CASE("BatchNorm2d: momentum nullopt keeps the cumulative average, as BatchNorm1d") {
        nn::BatchNorm2d bn(nn::BatchNorm2dOptions(1).momentum(std::nullopt));
        bn->to(kFloat64);
        bn(tensor({1.0, 3.0}, kFloat64).reshape({2, 1, 1, 1}));  // mean 2, unbiased var 2
        bn(tensor({4.0, 8.0}, kFloat64).reshape({1, 1, 2, 1}));  // mean 6, unbiased var 8
        CHECK_VALUES(bn->running_mean, {4.0});
        CHECK_VALUES(bn->running_var, {5.0});
        std::ostringstream os;
        os << *bn;
        CHECK(os.str() ==
              "BatchNorm2d(1, eps=1e-05, momentum=None, affine=true, track_running_stats=true)");
    }

    TEST_CASE("BatchNorm1d: without running statistics it uses the batch's in eval mode too") {
        nn::BatchNorm1d bn(nn::BatchNormOptions(2).track_running_stats(false).eps(0.0));
        bn->to(kFloat64);
        CHECK(bn->buffers().empty());
        bn->eval();
        CHECK_VALUES(bn(tensor({{1.0, 2.0}, {3.0, 6.0}}, kFloat64)), {-1.0, -1.0, 1.0, 1.0});
    }

    TEST_CASE("LayerNorm: normalises each sample over the trailing shape") {
        nn::LayerNorm ln(nn::LayerNormOptions({3}).eps(0.0));
        ln->to(kFloat64);
        // mean 2, biased var 2/3
        const double s = std::sqrt(1.5);
        CHECK_VALUES(ln(tensor({{1.0, 2.0, 3.0}, {4.0, 4.0, 7.0}}, kFloat64)),
                     {-s, 0.0, s, -1.0 / std::sqrt(2.0), -1.0 / std::sqrt(2.0), std::sqrt(2.0)},
                     1e-12);
    }

    TEST_CASE("LayerNorm: gradients match finite differences") {
        manual_seed(6);
        nn::LayerNorm ln(std::vector<int64_t>{3, 4});
        ln->to(kFloat64);
        {
            NoGradGuard no_grad;
            ln->weight.copy_(randn({3, 4}, kFloat64));
            ln->bias.copy_(randn({3, 4}, kFloat64));
        }
        auto f = [&](const std::vector<Tensor>& in) { return ln(in[0]); };
        CHECK_GRADIENTS(f, {randn({2, 3, 4}, f64()), ln->weight, ln->bias});
    }

    TEST_CASE("LayerNorm: rejects input that does not end with the normalized shape") {
        nn::LayerNorm ln(std::vector<int64_t>{4});
        CHECK_THROWS_CONTAINS(ln(ones({2, 5})), std::invalid_argument,
                              "LayerNorm: input of shape [2, 5] does not end with the normalized "
                              "shape [4]");
    }

    TEST_CASE(
        "BatchNorm1d: momentum nullopt keeps the cumulative average of the batch statistics") {
        nn::BatchNorm1d bn(nn::BatchNormOptions(1).momentum(std::nullopt).affine(false));
        bn->to(kFloat64);
        bn(tensor({{1.0}, {3.0}}, kFloat64));  // mean 2, unbiased var 2
        bn(tensor({{4.0}, {8.0}}, kFloat64));  // mean 6, unbiased var 8
        // running = the plain average of the batches' statistics (the initial 0 and 1 forgotten)
        CHECK_VALUES(bn->running_mean, {4.0});
        CHECK_VALUES(bn->running_var, {5.0});
        CHECK(bn->num_batches_tracked.item<int64_t>() == 2);
        std::ostringstream os;
        os << *bn;
        CHECK(os.str() ==
              "BatchNorm1d(1, eps=1e-05, momentum=None, affine=false, track_running_stats=true)");
    }

    TEST_CASE("functional::batch_norm: any [N, C, *] input, running statistics updated in place") {
        namespace F = nn::functional;
        Tensor x = grid({2, 3, 2, 2}, 1.5);
        Tensor mean = zeros({3}, kFloat64), var = ones({3}, kFloat64);
        auto f = [&](const std::vector<Tensor>& in) {
            return F::batch_norm(
                in[0], Tensor(), Tensor(),
                F::BatchNormFuncOptions().weight(in[1]).bias(in[2]).training(true));
        };
        CHECK_GRADIENTS(f, {x, grid({3}, 0.5, 1.0), grid({3}, 0.3)});
        Tensor y =
            F::batch_norm(x, mean, var, F::BatchNormFuncOptions().training(true).momentum(0.5));
        // each channel of the output has mean 0 and biased variance 1 (up to eps)
        CHECK(y.mean(std::vector<int64_t>{0, 2, 3}).abs().max().item<double>() < 1e-12);
        const Tensor batch_mean = x.detach().mean(std::vector<int64_t>{0, 2, 3});
        CHECK(mean.allclose(0.5 * batch_mean, 1e-12, 1e-14));
        // evaluation uses the running statistics
        Tensor e = F::batch_norm(x, mean, var, F::BatchNormFuncOptions().eps(0.0));
        CHECK(
            e.allclose((x - mean.reshape({1, 3, 1, 1})) / var.reshape({1, 3, 1, 1}).sqrt(), 1e-12));
        CHECK_THROWS_CONTAINS(F::batch_norm(x, Tensor(), Tensor()), std::invalid_argument,
                              "batch_norm: evaluation mode (training = false) needs running_mean "
                              "and running_var");
        CHECK_THROWS_CONTAINS(F::batch_norm(x, zeros({2}, kFloat64), ones({2}, kFloat64)),
                              std::invalid_argument, "batch_norm: running_mean of shape [2]",
                              "does not fit input of shape [2, 3, 2, 2]", "(expected [3])");
        // LibTorch 1.13's momentum is optional here too; updating the statistics needs one
        CHECK_THROWS_WITH_AS(
            F::batch_norm(x, mean, var,
                          F::BatchNormFuncOptions().training(true).momentum(std::nullopt)),
            "batch_norm: momentum is nullopt; updating running_mean and "
            "running_var needs one",
            std::invalid_argument);
    }

    TEST_CASE("functional::layer_norm: the LayerNorm module's computation with given tensors") {
        manual_seed(2);
        nn::LayerNorm ln(std::vector<int64_t>{4});
        ln->to(kFloat64);
        Tensor x = randn({3, 4}, kFloat64);
        CHECK(nn::functional::layer_norm(
                  x, nn::functional::LayerNormFuncOptions({4}).weight(ln->weight).bias(ln->bias))
                  .allclose(ln(x), 1e-12));
        auto f = [](const std::vector<Tensor>& in) {
            return nn::functional::layer_norm(in[0], nn::functional::LayerNormFuncOptions({2, 2}));
        };
        CHECK_GRADIENTS(f, {grid({3, 2, 2}, 1.5)});
    }
}
