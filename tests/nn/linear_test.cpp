// Linear and Flatten.

#include <cmath>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("nn/linear") {
    TEST_CASE("Linear: computes x W^T + b") {
        nn::Linear fc(2, 3);
        fc->to(kFloat64);
        {
            NoGradGuard no_grad;
            fc->weight.copy_(tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, kFloat64));
            fc->bias.copy_(tensor({0.5, -0.5, 1.0}, kFloat64));
        }
        Tensor x = tensor({{1.0, -1.0}, {2.0, 0.5}}, kFloat64);
        // row 0: [1-2, 3-4, 5-6] + b; row 1: [2+1, 6+2, 10+3] + b
        CHECK_VALUES(fc(x), {-0.5, -1.5, 0.0, 3.5, 7.5, 14.0});
        CHECK_SHAPE(fc(x), {2, 3});
    }

    TEST_CASE("Linear: gradients of input, weight and bias match finite differences") {
        manual_seed(1);
        nn::Linear fc(4, 3);
        fc->to(kFloat64);
        auto f = [&](const std::vector<Tensor>& in) { return fc(in[0]); };
        CHECK_GRADIENTS(f, {randn({5, 4}, f64()), fc->weight, fc->bias});
    }

    TEST_CASE(
        "Linear: default initialisation is U(-1/sqrt(in), 1/sqrt(in)) and repeats under "
        "manual_seed") {
        manual_seed(3);
        nn::Linear a(100, 50);
        manual_seed(3);
        nn::Linear b(100, 50);
        CHECK(a->weight.equal(b->weight));
        CHECK(a->bias.equal(b->bias));
        const double bound = 1.0 / std::sqrt(100.0);
        CHECK(a->weight.abs().max().item<double>() <= bound);
        CHECK(a->bias.abs().max().item<double>() <= bound);
        // 5000 uniform draws on [-0.1, 0.1]: the largest is close to the bound, the mean near 0
        CHECK(a->weight.abs().max().item<double>() > 0.99 * bound);
        CHECK(std::abs(a->weight.mean().item<double>()) < 0.005);
    }

    TEST_CASE("Linear: bias(false) registers no bias") {
        nn::Linear fc(nn::LinearOptions(3, 2).bias(false));
        CHECK_FALSE(fc->bias.defined());
        CHECK(fc->parameters().size() == 1);
        CHECK_SHAPE(fc(ones({4, 3})), {4, 2});
    }

    TEST_CASE("Flatten: merges every dim after the batch dim by default") {
        nn::Flatten flat;
        CHECK_SHAPE(flat(zeros({2, 1, 4, 4})), {2, 16});
        nn::Flatten all(nn::FlattenOptions().start_dim(0));
        CHECK_SHAPE(all(zeros({2, 3, 4})), {24});
        Tensor x = grid({2, 3, 2});
        CHECK_VALUES(flat(x), x.to_vector<double>());
    }

}  // TEST_SUITE
