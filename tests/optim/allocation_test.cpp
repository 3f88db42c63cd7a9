// Counts heap allocations made through operator new while optimizers step. Every tensor the
// library makes allocates its TensorImpl this way, so a step that made a temporary tensor, or
// grew a container, shows up here. This file replaces the global operator new and delete for
// the whole optim test binary; outside the counted regions they behave as the defaults.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "tapegrad.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

void* counted_malloc(std::size_t n) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
    return counted_malloc(n);
}
void* operator new[](std::size_t n) {
    return counted_malloc(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
// Allocations made by `steps` calls of step() after a first one, with the gradients in place.
long allocations_after_first_step(optim::Optimizer& opt, int steps) {
    opt.step();
    allocations = 0;
    counting = true;
    for (int i = 0; i < steps; ++i) opt.step();
    counting = false;
    return allocations.load();
}

// Two float32 and one float64 parameters, each with a gradient.
std::vector<tg::Tensor> params_with_grads() {
    std::vector<tg::Tensor> params{tg::randn({8, 4}).requires_grad_(),
                                   tg::randn({4}).requires_grad_(),
                                   tg::randn({3}, tg::kFloat64).requires_grad_()};
    for (auto& p : params) (p * p).sum().backward();
    return params;
}
}  // namespace

TEST_SUITE("optim/allocation") {
    TEST_CASE("allocation: the counter sees the tensors an op makes") {
        auto a = tg::randn({4});
        allocations = 0;
        counting = true;
        auto b = a * 2.0;
        counting = false;
        CHECK(allocations.load() > 0);
    }

    TEST_CASE("SGD: a step with momentum and weight decay allocates nothing after the first") {
        tg::manual_seed(1);
        optim::SGD opt(params_with_grads(),
                       optim::SGDOptions(0.01).momentum(0.9).weight_decay(0.1).nesterov(true));
        CHECK(allocations_after_first_step(opt, 5) == 0);
    }

    TEST_CASE("Adagrad: a step allocates nothing after the first") {
        tg::manual_seed(2);
        optim::Adagrad opt(params_with_grads(), optim::AdagradOptions(0.01).weight_decay(0.1));
        CHECK(allocations_after_first_step(opt, 5) == 0);
    }

    TEST_CASE("RMSprop: a centered step with momentum allocates nothing after the first") {
        tg::manual_seed(3);
        optim::RMSprop opt(
            params_with_grads(),
            optim::RMSpropOptions(0.01).momentum(0.5).centered(true).weight_decay(0.1));
        CHECK(allocations_after_first_step(opt, 5) == 0);
    }

    TEST_CASE("Adam: an amsgrad step allocates nothing after the first") {
        tg::manual_seed(4);
        optim::Adam opt(params_with_grads(),
                        optim::AdamOptions(0.01).amsgrad(true).weight_decay(0.1));
        CHECK(allocations_after_first_step(opt, 5) == 0);
    }

    TEST_CASE("AdamW: a step allocates nothing after the first") {
        tg::manual_seed(5);
        optim::AdamW opt(params_with_grads(), optim::AdamWOptions(0.01));
        CHECK(allocations_after_first_step(opt, 5) == 0);
    }

    TEST_CASE("Optimizer: zero_grad allocates nothing, zeroing or releasing") {
        tg::manual_seed(6);
        optim::Adam opt(params_with_grads(), optim::AdamOptions(0.01));
        allocations = 0;
        counting = true;
        opt.zero_grad();
        opt.zero_grad(/*set_to_none=*/true);
        counting = false;
        CHECK(allocations.load() == 0);
        CHECK_FALSE(opt.param_groups()[0].params()[0].grad().defined());
    }
}
