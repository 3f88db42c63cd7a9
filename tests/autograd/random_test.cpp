// Random numbers: reproducibility under manual_seed, ranges, and rough moments.

#include <algorithm>
#include <cmath>
#include <set>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {
double mean_of(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}
double var_of(const std::vector<double>& v) {
    const double m = mean_of(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return s / static_cast<double>(v.size());
}
}  // namespace

TEST_SUITE("random") {
    TEST_CASE("manual_seed: repeats rand, randn, randint and randperm exactly") {
        manual_seed(123);
        Tensor a1 = rand({20});
        Tensor b1 = randn({20}, kFloat64);
        Tensor c1 = randint(0, 100, {20});
        Tensor d1 = randperm(20);
        manual_seed(123);
        Tensor a2 = rand({20});
        Tensor b2 = randn({20}, kFloat64);
        Tensor c2 = randint(0, 100, {20});
        Tensor d2 = randperm(20);
        CHECK(a1.equal(a2));
        CHECK(b1.equal(b2));
        CHECK(c1.equal(c2));
        CHECK(d1.equal(d2));
        manual_seed(124);
        CHECK_FALSE(rand({20}).equal(a1));
    }

    TEST_CASE("rand: successive draws differ") {
        manual_seed(5);
        CHECK_FALSE(rand({10}).equal(rand({10})));
        CHECK_FALSE(randn({10}).equal(randn({10})));
    }

    TEST_CASE("rand: lies between 0 (included) and 1 (excluded) with mean 1/2 and variance 1/12") {
        manual_seed(1);
        Tensor r = rand({100000}, kFloat64);
        CHECK(r.dtype() == kFloat64);
        const std::vector<double> v = r.to_vector<double>();
        CHECK(*std::min_element(v.begin(), v.end()) >= 0.0);
        CHECK(*std::max_element(v.begin(), v.end()) < 1.0);
        CHECK(std::abs(mean_of(v) - 0.5) < 0.01);
        CHECK(std::abs(var_of(v) - 1.0 / 12) < 0.005);
        CHECK(rand({3}).dtype() == kFloat32);
    }

    TEST_CASE("randn: has mean 0 and variance 1") {
        manual_seed(2);
        const std::vector<double> v = randn({100000}).to_vector<double>();
        CHECK(std::abs(mean_of(v)) < 0.02);
        CHECK(std::abs(var_of(v) - 1.0) < 0.02);
        // about 68% within one standard deviation
        const auto within =
            std::count_if(v.begin(), v.end(), [](double x) { return std::abs(x) < 1.0; });
        CHECK(std::abs(static_cast<double>(within) / 1e5 - 0.6827) < 0.01);
    }

    TEST_CASE("randint: gives int64 from low to high - 1, covering the range") {
        manual_seed(3);
        Tensor r = randint(-2, 3, {10000});
        CHECK(r.dtype() == kInt64);
        const std::vector<int64_t> v = r.to_vector<int64_t>();
        const std::set<int64_t> seen(v.begin(), v.end());
        CHECK(seen == std::set<int64_t>{-2, -1, 0, 1, 2});
        Tensor h = randint(4, {2, 3});
        CHECK_SHAPE(h, {2, 3});
        for (int64_t x : h.to_vector<int64_t>()) CHECK((x >= 0 && x < 4));
        CHECK(randint(0, 4, {3}, kFloat64).dtype() == kFloat64);
        CHECK_THROWS_CONTAINS(randint(3, 3, {2}), std::invalid_argument, "randint", "3");
    }

    TEST_CASE("randperm: is a permutation of 0..n-1") {
        manual_seed(4);
        Tensor p = randperm(50);
        CHECK(p.dtype() == kInt64);
        std::vector<int64_t> v = p.to_vector<int64_t>();
        std::vector<int64_t> sorted = v;
        std::sort(sorted.begin(), sorted.end());
        for (int64_t i = 0; i < 50; ++i) CHECK(sorted[static_cast<size_t>(i)] == i);
        std::vector<int64_t> identity(50);
        for (int64_t i = 0; i < 50; ++i) identity[static_cast<size_t>(i)] = i;
        CHECK(v != identity);
        CHECK(randperm(0).numel() == 0);
    }

    TEST_CASE("rand_like: randn_like keep shape and dtype") {
        Tensor a = zeros({3, 2}, kFloat64);
        CHECK_SHAPE(rand_like(a), {3, 2});
        CHECK(rand_like(a).dtype() == kFloat64);
        CHECK(randn_like(a).dtype() == kFloat64);
        CHECK_SHAPE(randn_like(a), {3, 2});
    }

    TEST_CASE("bernoulli: draws 0 and 1 with the given probability") {
        manual_seed(6);
        const std::vector<double> v = bernoulli({100000}, 0.3).to_vector<double>();
        for (size_t i = 0; i < 100; ++i) CHECK((v[i] == 0.0 || v[i] == 1.0));
        CHECK(std::abs(mean_of(v) - 0.3) < 0.01);
    }

    TEST_CASE("uniform_: normal_ and bernoulli_ fill in place with the requested moments") {
        manual_seed(7);
        Tensor u = empty({100000}, kFloat64);
        const uint64_t v0 = u._version();
        u.uniform_(-2, 4);
        CHECK(u._version() > v0);
        const std::vector<double> uv = u.to_vector<double>();
        CHECK(*std::min_element(uv.begin(), uv.end()) >= -2.0);
        CHECK(*std::max_element(uv.begin(), uv.end()) < 4.0);
        CHECK(std::abs(mean_of(uv) - 1.0) < 0.05);
        Tensor n = empty({100000}, kFloat64);
        n.normal_(3, 0.5);
        const std::vector<double> nv = n.to_vector<double>();
        CHECK(std::abs(mean_of(nv) - 3.0) < 0.01);
        CHECK(std::abs(std::sqrt(var_of(nv)) - 0.5) < 0.01);
        Tensor b = empty({100000}, kFloat64);
        b.bernoulli_(0.8);
        CHECK(std::abs(mean_of(b.to_vector<double>()) - 0.8) < 0.01);
    }

}  // TEST_SUITE
