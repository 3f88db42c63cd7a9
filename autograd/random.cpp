// Random numbers: one generator behind every draw, so manual_seed makes runs repeat.
// Uniform draws are (rng() >> 11) * 2^-53, the portable stream the benchmarks also use.

#include <cmath>
#include <mutex>
#include <random>

#include "autograd/detail.hpp"
#include "autograd/view.hpp"

namespace tapegrad {

namespace {
std::mutex rng_mutex;
std::mt19937_64& generator() {
    static std::mt19937_64 rng(67280421310721ULL);  // LibTorch's default seed
    return rng;
}
double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Fills `t` with draw(rng) under the generator's lock (one lock per tensor, not per element).
template <class Draw>
void fill_random(const Tensor& t, Draw draw) {
    std::lock_guard<std::mutex> lock(rng_mutex);
    std::mt19937_64& rng = generator();
    detail::dispatch_all(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        T* p = t.data_ptr<T>();
        for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(draw(rng));
    });
}

// Fills self in place with draws: directly when it is contiguous and nothing is recorded,
// else through a fresh tensor (a view's strides; or recorded, as an overwrite of self).
template <class Draw>
Tensor& random_inplace(const char* op, const Tensor& self, Draw draw) {
    detail::check_defined(op, self, "self");
    const bool recorded = detail::inplace_is_recorded(self, {});
    if (!recorded && self.is_contiguous()) {
        detail::begin_inplace(op, self);
        fill_random(self, draw);
        return const_cast<Tensor&>(self);
    }
    Tensor r = detail::make_tensor(self.sizes(), self.dtype());
    fill_random(r, draw);
    if (recorded) {
        detail::finish_inplace(op, self, r);
    } else {
        detail::begin_inplace(op, self);
        detail::copy_into(self, r);
    }
    return const_cast<Tensor&>(self);
}

// A uniform integer in [0, range) for range >= 1, without modulo bias (a draw past the
// largest multiple of range is redrawn).
uint64_t below(std::mt19937_64& rng, uint64_t range) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t v = rng();
    while (v >= limit) v = rng();
    return v % range;
}

// Box-Muller, one normal per call (the second of each pair is discarded for simplicity).
double normal01(std::mt19937_64& rng) {
    const double u1 = uniform01(rng), u2 = uniform01(rng);
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
}

ScalarType floating_dtype(const char* op, const TensorOptions& o) {
    if (o.has_dtype() && !is_floating_point(o.dtype())) {
        detail::fail(op, std::string("expects a floating dtype, got ") + to_string(o.dtype()));
    }
    return o.has_dtype() ? o.dtype() : kFloat32;
}

Tensor finish(Tensor t, const TensorOptions& o) {
    if (o.requires_grad()) t.requires_grad_(true);
    return t;
}

// A new floating tensor of `sizes` with every element drawn by `draw`: rand and randn.
template <class Draw>
Tensor random_floating(const char* op, IntArrayRef sizes, const TensorOptions& o, Draw draw) {
    detail::check_cpu(op, o.device());
    detail::checked_numel(op, sizes);
    Tensor t = detail::make_tensor(sizes, floating_dtype(op, o));
    fill_random(t, draw);
    return finish(t, o);
}
}  // namespace

void manual_seed(uint64_t seed) {
    std::lock_guard<std::mutex> lock(rng_mutex);
    generator().seed(seed);
}

Tensor rand(IntArrayRef sizes, TensorOptions o) {
    return random_floating("rand", sizes, o, uniform01);
}

Tensor randn(IntArrayRef sizes, TensorOptions o) {
    return random_floating("randn", sizes, o, normal01);
}

Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions o) {
    if (high <= low) {
        detail::fail("randint", "high (" + std::to_string(high) + ") must be greater than low (" +
                                    std::to_string(low) + ")");
    }
    detail::check_cpu("randint", o.device());
    detail::checked_numel("randint", sizes);
    Tensor t = detail::make_tensor(sizes, o.has_dtype() ? o.dtype() : kInt64);
    // in unsigned arithmetic, so that [INT64_MIN, INT64_MAX) has its true width, and integral
    // all the way: values above 2^53 do not round through a double
    const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
    fill_random(t, [&](std::mt19937_64& rng) {
        return static_cast<int64_t>(static_cast<uint64_t>(low) + below(rng, range));
    });
    return finish(t, o);
}

Tensor randint(int64_t high, IntArrayRef sizes, TensorOptions o) {
    return randint(0, high, std::move(sizes), o);
}

Tensor randperm(int64_t n, TensorOptions o) {
    if (n < 0) detail::fail("randperm", "n must be non-negative, got " + std::to_string(n));
    std::vector<int64_t> perm(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) perm[i] = i;
    {
        std::lock_guard<std::mutex> lock(rng_mutex);
        std::mt19937_64& rng = generator();
        for (int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[below(rng, uint64_t(i) + 1)]);
    }
    Tensor t = tensor(perm);
    return o.has_dtype() ? t.to(o.dtype()) : t;
}

Tensor rand_like(const Tensor& t) {
    return rand(t.sizes(), t.dtype());
}
Tensor randn_like(const Tensor& t) {
    return randn(t.sizes(), t.dtype());
}

Tensor bernoulli(IntArrayRef sizes, double p, TensorOptions o) {
    if (!(p >= 0 && p <= 1))
        detail::fail("bernoulli", "p must be in [0, 1], got " + std::to_string(p));
    detail::check_cpu("bernoulli", o.device());
    detail::checked_numel("bernoulli", sizes);
    Tensor t = detail::make_tensor(sizes, o.has_dtype() ? o.dtype() : kFloat32);
    fill_random(t, [p](std::mt19937_64& rng) { return uniform01(rng) < p ? 1.0 : 0.0; });
    return t;
}

Tensor& Tensor::uniform_(double from, double to) const {
    return random_inplace("uniform_", *this, [=](std::mt19937_64& rng) {
        return from + (to - from) * uniform01(rng);
    });
}

Tensor& Tensor::normal_(double mean, double std) const {
    return random_inplace("normal_", *this,
                          [=](std::mt19937_64& rng) { return mean + std * normal01(rng); });
}

Tensor& Tensor::bernoulli_(double p) const {
    if (!(p >= 0 && p <= 1))
        detail::fail("bernoulli_", "p must be in [0, 1], got " + std::to_string(p));
    return random_inplace("bernoulli_", *this,
                          [p](std::mt19937_64& rng) { return uniform01(rng) < p ? 1.0 : 0.0; });
}

}  // namespace tapegrad
