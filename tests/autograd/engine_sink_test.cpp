// The engine's gradient delivery: where a backward may write a leaf's gradient straight into
// .grad (GradSink), when the engine refuses, that the matrix products' in-place writes give the
// gradients they would return, and what the engine assumes of a gradient's layout (node traits,
// the exclusive rule of accumulation).

#include <thread>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {
// y = 3 x, recorded with a backward that asks the engine for x's destination and writes
// 3 grad_out there when allowed. `accepted` and `accumulated` tell what the engine offered.
Tensor triple_via_sink(const Tensor& x, int& accepted, int& accumulated) {
    Tensor y = (x.detach() * 3.0);
    return autograd::record(
        "triple", y, {x}, [&accepted, &accumulated](const Tensor& g, autograd::GradSink& sink) {
            const bool wrote = sink.write(0, [&](Tensor& dest, bool accumulate) {
                NoGradGuard no_grad;
                if (accumulate) {
                    dest.add_(g * 3.0);
                    ++accumulated;
                } else {
                    dest.copy_(g * 3.0);
                }
            });
            accepted += wrote;
            return autograd::Grads{wrote ? Tensor() : g * 3.0};
        });
}

// A float64 tensor of `shape` with distinct values from a fixed seed.
Tensor random_f64(const std::vector<int64_t>& shape) {
    return randn(shape, kFloat64);
}
}  // namespace

TEST_SUITE("engine/sink") {
    TEST_CASE("GradSink: a plain leaf takes the write, fresh and then accumulated") {
        Tensor x = make_f64({1, 2}, {2}, true);
        int accepted = 0, accumulated = 0;
        triple_via_sink(x, accepted, accumulated).sum().backward();
        CHECK(accepted == 1);
        CHECK(accumulated == 0);
        CHECK_VALUES(x.grad(), {3, 3});
        const void* buffer = x.grad().data_ptr();
        (triple_via_sink(x, accepted, accumulated) * 2.0).sum().backward();
        CHECK(accepted == 2);
        CHECK(accumulated == 1);
        CHECK_VALUES(x.grad(), {9, 9});
        CHECK(x.grad().data_ptr() == buffer);
    }

    TEST_CASE("GradSink: refused where a returned gradient would differ, with the same result") {
        int accepted = 0, accumulated = 0;
        SUBCASE("a leaf with a hook") {
            Tensor x = make_f64({1, 2}, {2}, true);
            x.register_hook([](const Tensor& g) { return g * 10.0; });
            triple_via_sink(x, accepted, accumulated).sum().backward();
            CHECK_VALUES(x.grad(), {30, 30});
        }
        SUBCASE("a .grad the user holds is not written behind their back") {
            Tensor x = make_f64({1, 2}, {2}, true);
            (x * 1.0).sum().backward();
            const Tensor held = x.grad();
            triple_via_sink(x, accepted, accumulated).sum().backward();
            CHECK_VALUES(held, {1, 1});
            CHECK_VALUES(x.grad(), {4, 4});
        }
        SUBCASE("a non-contiguous .grad set by the user") {
            Tensor x = make_f64({1, 2, 3, 4}, {2, 2}, true);
            x.mutable_grad() = make_f64({1, 2, 3, 4}, {2, 2}).t();
            triple_via_sink(x, accepted, accumulated).sum().backward();
            CHECK_VALUES(x.grad(), {4, 6, 5, 7});
        }
        SUBCASE("an input made by an op, not a leaf") {
            Tensor x = make_f64({1, 2}, {2}, true);
            triple_via_sink(x * 1.0, accepted, accumulated).sum().backward();
            CHECK_VALUES(x.grad(), {3, 3});
        }
        SUBCASE("create_graph") {
            Tensor x = make_f64({1, 2}, {2}, true);
            triple_via_sink(x, accepted, accumulated).sum().backward({}, true, true);
            CHECK_VALUES(x.grad(), {3, 3});
        }
        SUBCASE("autograd::grad, which must leave .grad alone") {
            Tensor x = make_f64({1, 2}, {2}, true);
            const Tensor g =
                autograd::grad({triple_via_sink(x, accepted, accumulated).sum()}, {x})[0];
            CHECK_VALUES(g, {3, 3});
            CHECK_FALSE(x.grad().defined());
        }
        SUBCASE("backward with inputs") {
            Tensor x = make_f64({1, 2}, {2}, true);
            Tensor other = make_f64({1, 2}, {2}, true);
            autograd::backward({(triple_via_sink(x, accepted, accumulated) * other).sum()}, {},
                               std::nullopt, false, {x});
            CHECK_VALUES(x.grad(), {3, 6});
            CHECK_FALSE(other.grad().defined());
        }
        SUBCASE("anomaly mode, which checks every returned gradient") {
            Tensor x = make_f64({1, 2}, {2}, true);
            autograd::DetectAnomalyGuard anomaly;
            triple_via_sink(x, accepted, accumulated).sum().backward();
            CHECK_VALUES(x.grad(), {3, 3});
        }
        CHECK(accepted == 0);
    }

    TEST_CASE("GradSink: linear's weight and bias gradients match the returned ones") {
        manual_seed(7);
        const Tensor x = random_f64({5, 4});
        Tensor w = random_f64({3, 4}).requires_grad_(), b = random_f64({3}).requires_grad_();
        // the same parameters with observing hooks, which make the engine refuse the sink
        Tensor w_ref = w.detach().clone().requires_grad_(),
               b_ref = b.detach().clone().requires_grad_();
        w_ref.register_hook([](const Tensor&) {});
        b_ref.register_hook([](const Tensor&) {});
        const Tensor seed = random_f64({5, 3});
        for (int pass = 0; pass < 2; ++pass) {  // fresh .grad, then accumulated into it
            linear(x, w, b).backward(seed);
            linear(x, w_ref, b_ref).backward(seed);
            CHECK(allclose(w.grad(), w_ref.grad(), 1e-12, 1e-12));
            CHECK(allclose(b.grad(), b_ref.grad(), 1e-12, 1e-12));
        }
        // and the math: 2 (seed^T x), 2 sum(seed, 0)
        CHECK(allclose(w.grad(), seed.t().mm(x) * 2.0, 1e-12, 1e-12));
        CHECK(allclose(b.grad(), seed.sum(0) * 2.0, 1e-12, 1e-12));
    }

    TEST_CASE("GradSink: mm, matmul, bmm and addmm write leaf gradients as they would return") {
        manual_seed(11);
        const auto check_both = [](const std::function<Tensor(const Tensor&, const Tensor&)>& f,
                                   const Tensor& a0, const Tensor& b0) {
            Tensor a = a0.clone().requires_grad_(), b = b0.clone().requires_grad_();
            Tensor a_ref = a0.clone().requires_grad_(), b_ref = b0.clone().requires_grad_();
            a_ref.register_hook([](const Tensor&) {});
            b_ref.register_hook([](const Tensor&) {});
            for (int pass = 0; pass < 2; ++pass) {
                (f(a, b) * f(a, b)).sum().backward();
                (f(a_ref, b_ref) * f(a_ref, b_ref)).sum().backward();
                CHECK(allclose(a.grad(), a_ref.grad(), 1e-12, 1e-12));
                CHECK(allclose(b.grad(), b_ref.grad(), 1e-12, 1e-12));
            }
        };
        check_both([](const Tensor& a, const Tensor& b) { return a.mm(b); }, random_f64({3, 4}),
                   random_f64({4, 2}));
        check_both([](const Tensor& a, const Tensor& b) { return a.mm(b.t()); }, random_f64({3, 4}),
                   random_f64({2, 4}));
        check_both([](const Tensor& a, const Tensor& b) { return a.t().mm(b); }, random_f64({4, 3}),
                   random_f64({4, 2}));
        check_both([](const Tensor& a, const Tensor& b) { return bmm(a, b); },
                   random_f64({2, 3, 4}), random_f64({2, 4, 5}));
        check_both([](const Tensor& a, const Tensor& b) { return matmul(a, b); },
                   random_f64({2, 3, 4}), random_f64({4, 5}));
        check_both(
            [](const Tensor& a, const Tensor& b) {
                return addmm(make_f64({1, 2}, {2}), a, b, 0.5, 2.0);
            },
            random_f64({3, 4}), random_f64({4, 2}));
    }

    TEST_CASE("GradSink: a float32 linear layer's gradients agree with the returned ones") {
        manual_seed(3);
        const Tensor x = randn({16, 32});
        Tensor w = randn({8, 32}).requires_grad_(), b = randn({8}).requires_grad_();
        Tensor w_ref = w.detach().clone().requires_grad_(),
               b_ref = b.detach().clone().requires_grad_();
        w_ref.register_hook([](const Tensor&) {});
        b_ref.register_hook([](const Tensor&) {});
        for (int pass = 0; pass < 3; ++pass) {
            relu(linear(x, w, b)).sum().backward();
            relu(linear(x, w_ref, b_ref)).sum().backward();
        }
        CHECK(allclose(w.grad(), w_ref.grad(), 1e-6, 1e-6));
        CHECK(allclose(b.grad(), b_ref.grad(), 1e-6, 1e-6));
    }

    TEST_CASE("GradSink: passes on several threads meeting in one leaf all arrive") {
        // integer values, so every order of summation gives the same float64 result
        Tensor w = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true);
        const Tensor x = make_f64({1, 0, 2, 1, 1, 1, 0, 2, 1, 3, 1, 0}, {4, 3});
        constexpr int kThreads = 4, kPasses = 50;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < kPasses; ++i) linear(x, w).sum().backward();
            });
        }
        for (auto& t : threads) t.join();
        // d/dw sum(x w^T) = the column sums of x (5, 4, 4) in every row of w, once per pass
        const double n = kThreads * kPasses;
        CHECK_VALUES(w.grad(), {5 * n, 4 * n, 4 * n, 5 * n, 4 * n, 4 * n});
    }

    // ---- what the engine assumes of a gradient's layout ---------------------------------------

    TEST_CASE("node traits: transpose and permute take any layout, other ops a flat one") {
        Tensor x = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true);
        CHECK(x.t().grad_fn()->takes_any_layout());
        CHECK(x.transpose(0, 1).grad_fn()->takes_any_layout());
        CHECK(x.permute({1, 0}).grad_fn()->takes_any_layout());
        CHECK_FALSE((x * 2.0).grad_fn()->takes_any_layout());
        CHECK_FALSE(x.reshape({3, 2}).grad_fn()->takes_any_layout());
        CHECK_FALSE(x.sum().grad_fn()->takes_any_layout());
    }

    TEST_CASE("accumulate: a gradient arriving as an expanded view is cloned, never written into") {
        // a hook hands on ones([1, 3]).expand([2, 3]): a stride-0 view that only the gradient
        // holds, so it counts as exclusive; add's backward passes it unchanged to `a`'s node,
        // where a.sum()'s gradient (another expand) is added. Writing into the view would add
        // each row's contribution into the same three elements.
        Tensor x = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true);
        Tensor a = x * 2.0;
        Tensor b = a + 1.0;
        b.register_hook([](const Tensor&) { return ones({1, 3}, kFloat64).expand({2, 3}); });
        (b.sum() + a.sum()).backward();
        CHECK_VALUES(x.grad(), {4, 4, 4, 4, 4, 4});
        // the same through a consumer that takes any layout (transpose): an expand is no
        // permutation of a dense tensor, so it is cloned there too
        Tensor y = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true);
        Tensor yt = y.t();
        Tensor c = yt + 0.0;
        c.register_hook([](const Tensor&) { return ones({1, 2}, kFloat64).expand({3, 2}); });
        (c.sum() + yt.sum() * 2.0).backward();
        CHECK_VALUES(y.grad(), {3, 3, 3, 3, 3, 3});
        // a seed the user passes as an expanded view is neither written into nor kept
        Tensor z = make_f64({1, 2, 3, 4}, {2, 2}, true);
        const Tensor base = ones({1, 2}, kFloat64);
        const Tensor seed = base.expand({2, 2});
        autograd::backward({z * 1.0, z * 2.0}, {seed, seed});
        CHECK_VALUES(z.grad(), {3, 3, 3, 3});
        CHECK_VALUES(base, {1, 1});
    }
}
