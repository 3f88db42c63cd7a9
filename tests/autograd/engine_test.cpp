// The engine: accumulation, retain_graph, seeds, graph shapes, NoGradGuard, autograd::grad,
// higher order, and chains long enough to overflow any recursive implementation.

#include <thread>

#include "autograd/function.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

TEST_SUITE("engine") {
    TEST_CASE("backward: gradients accumulate into leaves across calls") {
        Tensor x = make_f64({1, 2}, {2}, true);
        (x * 3.0).sum().backward();
        CHECK_VALUES(x.grad(), {3, 3});
        (x * x).sum().backward();
        CHECK_VALUES(x.grad(), {5, 7});
        x.mutable_grad() = Tensor();
        (x * 3.0).sum().backward();
        CHECK_VALUES(x.grad(), {3, 3});
    }

    TEST_CASE("backward: a gradient the user holds is not changed behind their back") {
        Tensor x = make_f64({1, 2}, {2}, true);
        (x * 3.0).sum().backward();
        Tensor g = x.grad().clone();
        (x * 3.0).sum().backward();
        CHECK_VALUES(g, {3, 3});
        CHECK_VALUES(x.grad(), {6, 6});
    }

    TEST_CASE("backward: without retain_graph a second backward raises, with it both run") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y = (x * x).sum();
        y.backward(Tensor(), /*retain_graph=*/true);
        CHECK_VALUES(x.grad(), {2, 4});
        y.backward();
        CHECK_VALUES(x.grad(), {4, 8});
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error, "retain_graph");
        Tensor z = exp(x).sum();
        z.backward();
        CHECK_THROWS_CONTAINS(z.backward(), std::logic_error, "retain_graph", "freed");
    }

    TEST_CASE("backward: of a non-scalar output without a gradient raises") {
        Tensor x = make_f64({1, 2, 3, 4}, {4}, true);
        CHECK_THROWS_WITH_AS(
            (x * 2.0).backward(),
            "backward: output has shape [4]; pass a gradient or call it on a scalar",
            std::logic_error);
    }

    TEST_CASE("backward: with an explicit gradient computes a vector-Jacobian product") {
        Tensor x = make_f64({1, 2, 3}, {3}, true);
        (x * x).backward(make_f64({1, 10, 100}, {3}));
        CHECK_VALUES(x.grad(), {2, 40, 600});
        Tensor y = make_f64({1, 2}, {2}, true);
        CHECK_THROWS_CONTAINS((y * 2.0).backward(make_f64({1, 2, 3}, {3})), std::invalid_argument,
                              "backward", "[3]", "[2]");
    }

    TEST_CASE("backward: of an output that does not require grad raises") {
        CHECK_THROWS_CONTAINS(make_f64({1}, {1}).backward(), std::logic_error, "backward");
        Tensor x = make_f64({1}, {1}, true);
        Tensor y;
        {
            NoGradGuard guard;
            y = x * 2.0;
        }
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error, "backward");
    }

    TEST_CASE("backward: a diamond sums the contributions of both paths") {
        Tensor x = make_f64({2}, {1}, true);
        Tensor a = x * 3.0;
        Tensor b = x * x;
        Tensor y = (a + b) * a;  // (3x + x^2) * 3x = 9x^2 + 3x^3; dy/dx = 18x + 9x^2 = 72 at x=2
        y.sum().backward();
        CHECK_VALUES(x.grad(), {72});
        Tensor w = make_f64({1.5}, {1}, true);
        Tensor h = w;
        for (int i = 0; i < 10; ++i) h = h + h;  // 2^10 paths
        h.sum().backward();
        CHECK_VALUES(w.grad(), {1024});
    }

    TEST_CASE("backward: reaches a leaf used by several outputs of one autograd::backward call") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y1 = (x * 2.0).sum();
        Tensor y2 = (x * x).sum();
        autograd::backward({y1, y2});
        CHECK_VALUES(x.grad(), {4, 6});
    }

    TEST_CASE("backward: the stored gradient does not alias the seed the user passed") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor seed = make_f64({5, 6}, {2});
        x.reshape({2}).backward(seed);
        seed.fill_(0.0);
        CHECK_VALUES(x.grad(), {5, 6});
        Tensor y = make_f64({1, 2}, {2}, true);
        Tensor seed2 = make_f64({7, 8}, {2});
        (y + 0.0).backward(seed2);
        seed2.fill_(0.0);
        CHECK_VALUES(y.grad(), {7, 8});
    }

    TEST_CASE("backward: a float32 input mixed with float64 gets a float32 gradient") {
        Tensor a = zeros({2}, TensorOptions().dtype(kFloat32).requires_grad(true));
        Tensor b = make_f64({1, 2}, {2}, true);
        Tensor y = (a + 1.0) * b;
        CHECK(y.dtype() == kFloat64);
        y.sum().backward();
        CHECK(a.grad().dtype() == kFloat32);
        CHECK_VALUES(a.grad(), {1, 2});
        CHECK_VALUES(b.grad(), {1, 1});
    }

    TEST_CASE("mul: modifying a saved input in place makes backward raise") {
        // as in LibTorch: the gradient of x * w needs w as it was, so backward must refuse
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor w = make_f64({3, 4}, {2}, true);
        Tensor y = (x * w).sum();
        {
            NoGradGuard guard;
            w.mul_(2.0);
        }
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error, "in place");
    }

    TEST_CASE("add_: on a view of a leaf that requires grad raises") {
        // the view shares the leaf's storage: writing through it would corrupt the leaf unseen
        Tensor w = make_f64({1, 2}, {2}, true);
        CHECK_THROWS_CONTAINS(w.reshape({2, 1}).mul_(2.0), std::logic_error, "mul_");
        CHECK_THROWS_CONTAINS(w[0].add_(1.0), std::logic_error, "add_");
        CHECK_VALUES(w, {1, 2});
    }

    TEST_CASE("backward: on a leaf seeds its own gradient") {
        Tensor x = make_f64({5}, {}, true);
        x.backward();
        CHECK_VALUES(x.grad(), {1});
    }

    TEST_CASE("detach: stops gradients") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y = (x * x.detach()).sum();  // d/dx treats the detached copy as a constant
        y.backward();
        CHECK_VALUES(x.grad(), {1, 2});
        Tensor z = make_f64({3}, {1}, true);
        Tensor c = (z * 2.0).detach();
        CHECK_FALSE(c.requires_grad());
        CHECK_FALSE((c * 5.0).requires_grad());
    }

    TEST_CASE("backward: a leaf that does not require grad gets no gradient") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor c = make_f64({3, 4}, {2});
        (x * c).sum().backward();
        CHECK_VALUES(x.grad(), {3, 4});
        CHECK_FALSE(c.grad().defined());
    }

    TEST_CASE("retain_grad: keeps the gradient of a non-leaf") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 3.0;
        h.retain_grad();
        Tensor m = x * 3.0;
        (h * h).sum().backward();
        CHECK_VALUES(h.grad(), {6, 12});
        CHECK_VALUES(x.grad(), {18, 36});
        CHECK_FALSE(m.grad().defined());
    }

    TEST_CASE("register_hook: sees and may replace a gradient") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor seen;
        x.register_hook([&seen](const Tensor& g) { seen = g.clone(); });
        Tensor h = x * 2.0;
        h.register_hook(GradHook([](const Tensor& g) { return g * 10.0; }));
        h.sum().backward();
        CHECK_VALUES(seen, {20, 20});
        CHECK_VALUES(x.grad(), {20, 20});
    }

    // ---- grad mode --------------------------------------------------------------------------

    TEST_CASE("NoGradGuard: ops are not recorded, the guard nests and restores") {
        Tensor x = make_f64({1, 2}, {2}, true);
        CHECK(GradMode::is_enabled());
        {
            NoGradGuard outer;
            CHECK_FALSE(GradMode::is_enabled());
            Tensor y = x * 2.0;
            CHECK_FALSE(y.requires_grad());
            CHECK(y.grad_fn() == nullptr);
            {
                NoGradGuard inner;
                CHECK_FALSE((x + x).requires_grad());
            }
            CHECK_FALSE(GradMode::is_enabled());
            CHECK_FALSE(matmul(x, x).requires_grad());
        }
        CHECK(GradMode::is_enabled());
        CHECK((x * 2.0).requires_grad());
        {
            NoGradGuard off;
            AutoGradMode on(true);
            CHECK((x * 2.0).requires_grad());
        }
    }

    TEST_CASE("NoGradGuard: is thread-local, so another thread still records") {
        Tensor x = make_f64({1, 2}, {2}, true);
        NoGradGuard guard;
        bool other_records = false;
        bool other_enabled = false;
        std::thread t([&] {
            other_enabled = GradMode::is_enabled();
            Tensor local = make_f64({1, 2}, {2}, true);
            other_records = (local * 2.0).requires_grad();
        });
        t.join();
        CHECK(other_enabled);
        CHECK(other_records);
        CHECK_FALSE((x * 2.0).requires_grad());
    }

    // ---- autograd::grad and higher order ----------------------------------------------------

    TEST_CASE("grad: returns gradients without touching .grad()") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor w = make_f64({3, 4}, {2}, true);
        Tensor y = (x * w).sum();
        tensor_list g = autograd::grad({y}, {x, w});
        REQUIRE(g.size() == 2);
        CHECK_VALUES(g[0], {3, 4});
        CHECK_VALUES(g[1], {1, 2});
        CHECK_FALSE(x.grad().defined());
        CHECK_FALSE(w.grad().defined());
    }

    TEST_CASE("grad: with respect to a non-leaf gives the gradient arriving there") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 2.0;
        Tensor y = (h * h).sum();
        tensor_list g = autograd::grad({y}, {h});
        CHECK_VALUES(g[0], {4, 8});
        CHECK_FALSE(x.grad().defined());
    }

    TEST_CASE("grad: an unused input raises unless allow_unused") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor u = make_f64({5}, {1}, true);
        Tensor y = (x * x).sum();
        CHECK_THROWS_CONTAINS(autograd::grad({y}, {x, u}, {}, /*retain_graph=*/true),
                              std::invalid_argument, "grad", "allow_unused");
        tensor_list g = autograd::grad({y}, {x, u}, {}, std::nullopt, false, /*allow_unused=*/true);
        REQUIRE(g.size() == 2);
        CHECK_VALUES(g[0], {2, 4});
        CHECK_FALSE(g[1].defined());
    }

    TEST_CASE("grad: of a leaf with respect to itself is the seed") {
        Tensor x = make_f64({1, 2}, {2}, true);
        tensor_list g = autograd::grad({x}, {x}, {make_f64({3, 4}, {2})});
        CHECK_VALUES(g[0], {3, 4});
        CHECK_FALSE(x.grad().defined());
    }

    TEST_CASE("grad: with grad_outputs weights a non-scalar output") {
        Tensor x = make_f64({1, 2}, {2}, true);
        tensor_list g = autograd::grad({x * x}, {x}, {make_f64({1, -1}, {2})});
        CHECK_VALUES(g[0], {2, -4});
    }

    TEST_CASE("grad: the second derivative of x^3 is 6x with create_graph") {
        Tensor x = make_f64({-1, 0.5, 2}, {3}, true);
        Tensor y = (x * x * x).sum();
        tensor_list g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
        CHECK_VALUES(g[0], {3, 0.75, 12});
        REQUIRE(g[0].requires_grad());
        tensor_list gg = autograd::grad({g[0].sum()}, {x});
        CHECK_VALUES(gg[0], {-6, 3, 12});
        Tensor p = make_f64({2}, {1}, true);
        Tensor q = p.pow(3);
        tensor_list d1 = autograd::grad({q.sum()}, {p}, {}, std::nullopt, true);
        tensor_list d2 = autograd::grad({d1[0].sum()}, {p}, {}, std::nullopt, true);
        tensor_list d3 = autograd::grad({d2[0].sum()}, {p});
        CHECK_VALUES(d1[0], {12});
        CHECK_VALUES(d2[0], {12});
        CHECK_VALUES(d3[0], {6});
    }

    TEST_CASE("grad: a Hessian-vector product of a quadratic form equals H v") {
        // f(x) = 1/2 x^T A x + sin(x0) with A symmetric: H = A + diag(-sin(x0), 0, 0)
        Tensor A = make_f64({2, 1, 0, 1, 3, 1, 0, 1, 4}, {3, 3});
        Tensor x = make_f64({0.5, -1, 2}, {3}, true);
        Tensor v = make_f64({1, 2, -1}, {3});
        Tensor f = 0.5 * dot(x, matmul(A, x)) + sin(x.select(0, 0));
        tensor_list g = autograd::grad({f}, {x}, {}, std::nullopt, /*create_graph=*/true);
        // gradient is A x + (cos(x0), 0, 0)
        CHECK_VALUES(g[0], {2 * 0.5 - 1 + std::cos(0.5), 0.5 - 3 + 2, -1 + 8});
        tensor_list hv = autograd::grad({dot(g[0], v)}, {x});
        const double s = std::sin(0.5);
        CHECK_VALUES(hv[0], {2 * 1 + 1 * 2 + 0 - s * 1, 1 + 6 - 1, 0 + 2 - 4});
    }

    TEST_CASE("backward: with create_graph records the backward so it can be differentiated") {
        Tensor x = make_f64({3}, {1}, true);
        Tensor y = (x * x * x).sum();
        y.backward(Tensor(), /*retain_graph=*/true, /*create_graph=*/true);
        Tensor gx = x.grad();
        REQUIRE(gx.defined());
        CHECK_VALUES(gx, {27});
        CHECK(gx.requires_grad());
        tensor_list gg = autograd::grad({gx.sum()}, {x});
        CHECK_VALUES(gg[0], {18});
    }

    // ---- graph objects ----------------------------------------------------------------------

    TEST_CASE("grad_fn: names the op that made a tensor, and leaves have none") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor y = x * x;
        REQUIRE(y.grad_fn() != nullptr);
        CHECK(y.grad_fn()->name() == "mul");
        CHECK(std::string(y.grad_fn()->op()) == "mul");
        CHECK(y.grad_fn()->next_edges().size() == 2);
        Tensor m = make_f64({1, 2, 3, 4}, {2, 2}, true);
        CHECK(matmul(m, m).grad_fn()->name() == "matmul");
        CHECK(x.sum().grad_fn()->name() == "sum");
        CHECK(x.grad_fn() == nullptr);
        CHECK(x.is_leaf());
        CHECK_FALSE(y.is_leaf());
        Tensor z = y + 1.0;
        CHECK(z.grad_fn()->sequence_nr() > y.grad_fn()->sequence_nr());
    }

    TEST_CASE("record: a custom op defined in a test joins the graph") {
        Tensor x = make_f64({1, 2, 3}, {3}, true);
        // y = 2 x, written as a user-defined op
        Tensor y = autograd::record(
            "twice", make_f64({2, 4, 6}, {3}), {x},
            [](const Tensor& grad_out) { return autograd::Grads{grad_out * 2.0}; });
        CHECK(y.grad_fn()->name() == "twice");
        (y * y).sum().backward();
        CHECK_VALUES(x.grad(), {8, 16, 24});
    }

    TEST_CASE("backward: rejects a backward rule that returns a gradient of the wrong shape") {
        Tensor x = make_f64({1, 2, 3}, {3}, true);
        Tensor y = autograd::record("broken", make_f64({1, 2, 3}, {3}), {x}, [](const Tensor&) {
            return autograd::Grads{make_f64({1, 1}, {2})};
        });
        CHECK_THROWS_WITH_AS(y.sum().backward(),
                             "backward of broken: gradient for input 0 has shape [2], expected [3]",
                             std::logic_error);
    }

    TEST_CASE("backward: of an int64 tensor raises, as does requires_grad_ on int64") {
        Tensor i = make_i64({1, 2}, {2});
        CHECK_THROWS_CONTAINS(i.sum().backward(), std::logic_error, "backward");
        CHECK_THROWS_CONTAINS(i.requires_grad_(), std::invalid_argument, "requires_grad_", "int64");
        CHECK_THROWS_CONTAINS(zeros({2}, TensorOptions().dtype(kInt64).requires_grad(true)),
                              std::invalid_argument, "int64");
    }

    // ---- long chains ------------------------------------------------------------------------

    TEST_CASE("backward: a million-op chain runs forward, backward and destruction") {
        Tensor x = make_f64({1.0}, {1}, true);
        {
            Tensor y = x;
            for (int i = 0; i < 1000000; ++i) y = (i % 2 == 0) ? y * 1.0000001 : y + 0.0;
            y.sum().backward();
            REQUIRE(x.grad().defined());
            CHECK(std::abs(x.grad().item<double>() - std::pow(1.0000001, 500000)) < 1e-9);
        }
        // the chain is gone; x is still usable
        x.mutable_grad() = Tensor();
        (x * 2.0).sum().backward();
        CHECK_VALUES(x.grad(), {2});
    }

    TEST_CASE("backward: a long chain that saves its inputs is destroyed without backward") {
        // 300k nodes, each keeping its input alive: deep enough to overflow a recursive release,
        // small enough to keep memory modest under AddressSanitizer
        Tensor x = make_f64({0.5}, {1}, true);
        {
            Tensor y = x;
            for (int i = 0; i < 300000; ++i) y = (i % 2 == 0) ? y * y.detach() : sin(y);
            CHECK(y.requires_grad());
        }
        CHECK(x.is_leaf());
    }

    TEST_CASE("backward: a long chain kept with retain_graph is destroyed afterwards") {
        Tensor x = make_f64({1.0}, {1}, true);
        {
            Tensor y = x;
            for (int i = 0; i < 300000; ++i) y = y + 0.0;
            y.sum().backward(Tensor(), /*retain_graph=*/true);
            CHECK_VALUES(x.grad(), {1});
        }
        CHECK(x.is_leaf());
    }

    // ---- passes that nest: each pass keeps its own counts and buffers -------------------------

    TEST_CASE(
        "backward: a hook running autograd::grad over shared nodes leaves both passes right") {
        // a = 2x, b = 3a, loss = sum(b + a): d loss/dx = 2 * (3 + 1) = 8. While the outer pass
        // waits at b, the hook differentiates sum(7a) over the node of a, which the outer pass
        // has not run yet: d/dx = 14.
        Tensor x = make_f64({1, -2}, {2}, true);
        Tensor a = x * 2.0;
        Tensor b = a * 3.0;
        Tensor inner;
        b.register_hook([&](const Tensor&) {
            AutoGradMode enable(true);  // backward runs with recording off, as LibTorch's
            inner = autograd::grad({(a * 7.0).sum()}, {x}, {}, /*retain_graph=*/true)[0];
        });
        (b + a).sum().backward();
        CHECK_VALUES(inner, {14, 14});
        CHECK_VALUES(x.grad(), {8, 8});
    }

    TEST_CASE("backward: a hook running a second backward over shared nodes gives both results") {
        // outer: d sum(a^2 + 3a)/dx with a = 2x is 2a*2 + 6; the hook's inner backward of sum(a)
        // (through the same node of a, graph kept) adds 2 per element to x.grad as well
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor a = x * 2.0;
        Tensor sq = a * a;
        bool ran = false;
        sq.register_hook([&](const Tensor&) {
            AutoGradMode enable(true);
            a.sum().backward(Tensor(), /*retain_graph=*/true);
            ran = true;
        });
        (sq + a * 3.0).sum().backward();
        CHECK(ran);
        // outer: 4a + 6 = 8x + 6 -> {14, 22}; inner: 2 -> {16, 24}
        CHECK_VALUES(x.grad(), {16, 24});
    }

    namespace {
    // y = 2 x; its backward also takes the gradient of sum(z^2) for a z it captured, through the
    // graph that contains its own input
    struct ProbeGrad : autograd::Function<ProbeGrad> {
        static Tensor forward(autograd::AutogradContext* ctx, Tensor x, Tensor z) {
            ctx->save_for_backward({z});
            return x * 2.0;
        }
        static tensor_list backward(autograd::AutogradContext* ctx, tensor_list grad_outputs) {
            Tensor z = ctx->get_saved_variables()[0];
            AutoGradMode enable(true);
            Tensor gz = autograd::grad({(z * z).sum()}, {z}, {}, /*retain_graph=*/true)[0];
            ctx->saved_data["inner"] = gz;
            return {grad_outputs[0] * 2.0, Tensor()};
        }
    };
    }  // namespace

    TEST_CASE("backward: a custom Function's backward may run an inner grad over shared nodes") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor z = x * 3.0;  // shares the outer graph: x -> z
        Tensor y = ProbeGrad::apply(z, z);
        (y + z).sum().backward();
        // y = 2z = 6x, plus z = 3x: dx = 9
        CHECK_VALUES(x.grad(), {9, 9});
        Tensor without = make_f64({1, 2}, {2}, true);
        Tensor z2 = without * 3.0;
        (z2 * 2.0 + z2).sum().backward();
        CHECK_VALUES(without.grad(), {9, 9});
    }

    TEST_CASE(
        "backward: an inner pass that frees shared nodes makes the outer one raise, not crash") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor a = x * 2.0;
        Tensor b = a * 3.0;
        b.register_hook([&](const Tensor&) {
            AutoGradMode enable(true);
            a.sum().backward();  // frees a's node
        });
        CHECK_THROWS_CONTAINS((b + a).sum().backward(), std::logic_error, "already freed");
    }

}  // TEST_SUITE

TEST_CASE("backward: a leaf's hooks run once its last contribution has arrived, not at the end") {
    // d = 3x feeds both e = exp(d) and w * d; w's only contribution comes from w * d, which
    // must run before d's node (it feeds d), so w's hook runs before d's hook
    Tensor x = make_f64({0.5, 1}, {2}, true), w = make_f64({2, -1}, {2}, true);
    std::vector<std::string> order;
    Tensor d = x * 3.0;
    d.register_hook([&](const Tensor&) { order.push_back("d"); });
    w.register_hook([&](const Tensor&) { order.push_back("w"); });
    x.register_hook([&](const Tensor&) { order.push_back("x"); });
    (exp(d).sum() + (w * d).sum()).backward();
    CHECK(order == std::vector<std::string>{"w", "d", "x"});
    // each hook ran once, on the whole gradient of the pass
    CHECK_VALUES(w.grad(), {1.5, 3});
    CHECK_VALUES(x.grad(), {3 * (std::exp(1.5) + 2), 3 * (std::exp(3.0) - 1)});
}

TEST_CASE("backward: a leaf used at two depths has its hook run once, on the summed gradient") {
    Tensor x = make_f64({0.5, 2}, {2}, true);
    int calls = 0;
    Tensor seen;
    x.register_hook([&](const Tensor& g) {
        ++calls;
        seen = g.clone();
    });
    ((x * 2.0) + log(exp(x * 3.0))).sum().backward();
    CHECK(calls == 1);
    CHECK_VALUES(seen, {5, 5});
    CHECK_VALUES(x.grad(), {5, 5});
}
