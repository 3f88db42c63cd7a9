// Dropout: train/eval behaviour, scaling, reproducibility and gradients.

#include <cmath>
#include <sstream>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace F = tapegrad::nn::functional;

TEST_SUITE("nn/dropout") {
    TEST_CASE(
        "Dropout: in training zeroes about p of the elements and scales the rest by 1/(1-p)") {
        manual_seed(11);
        nn::Dropout drop(nn::DropoutOptions(0.25));
        const Tensor y = drop(ones({100, 100}));
        int64_t zeros_seen = 0;
        for (float v : y.to_vector<float>()) {
            if (v == 0.0f)
                ++zeros_seen;
            else
                CHECK(std::abs(v - 1.0f / 0.75f) < 1e-6f);
        }
        // 10000 draws with p = 0.25: the count is within 5 standard deviations (~43) of 2500
        CHECK(std::abs(zeros_seen - 2500) < 220);
    }

    TEST_CASE("Dropout: is the identity in eval mode") {
        nn::Dropout drop(0.5);
        drop->eval();
        Tensor x = grid({3, 4});
        CHECK(drop(x).equal(x));
    }

    TEST_CASE("Dropout: repeats under manual_seed") {
        nn::Dropout drop(0.5);
        manual_seed(5);
        const Tensor a = drop(ones({50}));
        manual_seed(5);
        const Tensor b = drop(ones({50}));
        CHECK(a.equal(b));
    }

    TEST_CASE("Dropout: the gradient is the mask scaled by 1/(1-p)") {
        manual_seed(2);
        nn::Dropout drop(0.5);
        Tensor x = ones({40}, f64());
        Tensor y = drop(x);
        y.sum().backward();
        CHECK(x.grad().equal(y.detach()));
    }

    TEST_CASE("Dropout: p = 0 passes the input through and p = 1 gives zeros") {
        Tensor x = grid({5});
        CHECK(nn::Dropout(0.0)(x).equal(x));
        CHECK(nn::Dropout(1.0)(x).abs().sum().item<double>() == 0.0);
    }

    TEST_CASE("Dropout: rejects a probability outside [0, 1]") {
        CHECK_THROWS_CONTAINS(nn::Dropout(1.5), std::invalid_argument,
                              "Dropout: probability has to be between 0 and 1, got 1.5");
    }

    TEST_CASE("dropout: rejects a probability outside [0, 1]") {
        CHECK_THROWS_CONTAINS(tapegrad::dropout(ones({2}), -0.1, true), std::invalid_argument,
                              "dropout: probability has to be between 0 and 1, got -0.1");
    }

    TEST_CASE("Dropout: inplace multiplies the input in place, recorded inside a graph") {
        manual_seed(6);
        Tensor x = ones({1000}, kFloat64);
        nn::Dropout drop(nn::DropoutOptions(0.5).inplace(true));
        Tensor y = drop(x);
        CHECK(y.is_same(x));
        CHECK(x.eq(0.0).sum().item<int64_t>() > 300);
        CHECK(x.eq(2.0).sum().item<int64_t>() > 300);
        // on a tensor inside a graph the in-place product is recorded: the gradient is the mask
        Tensor leaf = ones({100}, kFloat64).requires_grad_();
        Tensor h = leaf * 1.0;
        Tensor z = F::dropout(h, F::DropoutFuncOptions().p(0.5).inplace(true));
        CHECK(z.is_same(h));
        z.sum().backward();
        CHECK(leaf.grad().allclose(z.detach()));
        // a leaf that requires grad is refused outside NoGradGuard, as in LibTorch
        CHECK_THROWS_AS(F::dropout(leaf, F::DropoutFuncOptions().inplace(true)), std::logic_error);
        drop->eval();
        CHECK(drop(leaf).is_same(leaf));
        std::ostringstream os;
        os << *drop;
        CHECK(os.str() == "Dropout(p=0.5, inplace=true)");
    }
}
