// Custom functions (autograd::Function<Derived>) in LibTorch's shape, checked with gradcheck
// and gradgradcheck; and gradgradcheck itself, which must catch a backward that is right to
// first order but not differentiable.

#include "autograd/function.hpp"

#include <cmath>

#include "autograd/graph.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using autograd::AutogradContext;
using autograd::Function;

namespace {

// y = x^3                      grad_x = 3 x^2 * grad_out
struct Cube : Function<Cube> {
    static constexpr const char* backward_rule = "grad_x = 3 * x^2 * grad_out";
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
        ctx->save_for_backward({x});
        return x * x * x;
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        const Tensor x = ctx->get_saved_variables()[0];
        return {3.0 * x * x * grad_outputs[0]};
    }
};

// y = a * b * k (k a double)   grad_a = grad_out * b * k, grad_b = grad_out * a * k
struct ScaledMul : Function<ScaledMul> {
    static Tensor forward(AutogradContext* ctx, Tensor a, Tensor b, double k) {
        ctx->save_for_backward({a, b});
        ctx->saved_data["k"] = k;
        return a * b * k;
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        const tensor_list s = ctx->get_saved_variables();
        const double k = ctx->saved_data["k"].toDouble();
        const Tensor& g = grad_outputs[0];
        return {g * s[1] * k, g * s[0] * k, Tensor()};
    }
};

// y = exp(x), saving its output  grad_x = grad_out * y
struct MyExp : Function<MyExp> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
        Tensor y = exp(x);
        ctx->save_for_backward({y});
        return y;
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        return {grad_outputs[0] * ctx->get_saved_variables()[0]};
    }
};

// y = x^3 with one factor of the backward detached: right to first order (3 x^2), but
// create_graph sees only 3 * c * x with c constant, so the second derivative comes out half.
struct HalfDetachedCube : Function<HalfDetachedCube> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
        ctx->save_for_backward({x});
        return x * x * x;
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        const Tensor x = ctx->get_saved_variables()[0];
        return {3.0 * x.detach() * x * grad_outputs[0]};
    }
};

// y = sin(x) with the whole backward on detached tensors: nothing of it is recorded.
struct OpaqueSin : Function<OpaqueSin> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
        ctx->save_for_backward({x});
        return sin(x);
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        return {grad_outputs[0] * cos(ctx->get_saved_variables()[0].detach())};
    }
};

// A wrong rule: grad_x = 2 x^2 * grad_out for y = x^3.
struct WrongCube : Function<WrongCube> {
    static Tensor forward(AutogradContext* ctx, const Tensor& x) {
        ctx->save_for_backward({x});
        return x * x * x;
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        const Tensor x = ctx->get_saved_variables()[0];
        return {2.0 * x * x * grad_outputs[0]};
    }
};

// (a + b, a * b): two outputs from one forward.
struct SumProd : Function<SumProd> {
    static tensor_list forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
        ctx->save_for_backward({a, b});
        return {a + b, a * b};
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list g) {
        const tensor_list s = ctx->get_saved_variables();
        return {g[0] + g[1] * s[1], g[0] + g[1] * s[0]};
    }
};

// (a + b, a * b) where backward reports which output gradients it was given (undefined ones
// stay undefined: materialize_grads off).
struct SumProdRaw : Function<SumProdRaw> {
    static std::vector<bool>& given() {
        static std::vector<bool> g;
        return g;
    }
    static tensor_list forward(AutogradContext* ctx, const Tensor& a, const Tensor& b) {
        ctx->set_materialize_grads(false);
        ctx->save_for_backward({a, b});
        return {a + b, a * b};
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list g) {
        given() = {g[0].defined(), g[1].defined()};
        const tensor_list s = ctx->get_saved_variables();
        Tensor ga = g[0].defined() ? g[0] : Tensor(), gb = ga;
        if (g[1].defined()) {
            ga = ga.defined() ? ga + g[1] * s[1] : g[1] * s[1];
            gb = gb.defined() ? gb + g[1] * s[0] : g[1] * s[0];
        }
        return {ga, gb};
    }
};

// (exp(x), exp(2x)) with the backward written in terms of both saved outputs:
// grad_x = e1 * g0 + 2 * e2 * g1.
struct TwoExps : Function<TwoExps> {
    static tensor_list forward(AutogradContext* ctx, const Tensor& x) {
        Tensor e1 = exp(x), e2 = exp(2.0 * x);
        ctx->save_for_backward({e1, e2});
        return {e1, e2};
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list g) {
        const tensor_list e = ctx->get_saved_variables();
        return {e[0] * g[0] + 2.0 * e[1] * g[1]};
    }
};

// (the maximum of each row, its column as int64): the index is not differentiable.
struct RowMax : Function<RowMax> {
    static tensor_list forward(AutogradContext* ctx, const Tensor& x) {
        Tensor idx = x.argmax(1, true);
        Tensor values = x.gather(1, idx);
        ctx->save_for_backward({idx});
        ctx->saved_data["shape"] = x.sizes();
        Tensor idx_as_float = idx.to(kFloat64);  // differentiable dtype, marked as not
        ctx->mark_non_differentiable({idx_as_float});
        return {values, idx_as_float};
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list g) {
        const Tensor idx = ctx->get_saved_variables()[0];
        Tensor gx = zeros(ctx->saved_data["shape"].toIntVector(), TensorOptions(g[0].dtype()));
        return {gx.scatter(1, idx, g[0])};
    }
};

// x *= 2 in place, declared: the returned tensor is x, with this node as its history.
struct DoubleInPlace : Function<DoubleInPlace> {
    static Tensor forward(AutogradContext* ctx, Tensor x) {
        x.mul_(2.0);
        ctx->mark_dirty({x});
        return x;
    }
    static tensor_list backward(AutogradContext*, tensor_list g) { return {2.0 * g[0]}; }
};

// The same write, undeclared: LibTorch would compute a wrong gradient; tapegrad raises.
struct UndeclaredWrite : Function<UndeclaredWrite> {
    static Tensor forward(AutogradContext*, Tensor x) {
        x.mul_(2.0);
        return x * 1.0;
    }
    static tensor_list backward(AutogradContext*, tensor_list g) { return {2.0 * g[0]}; }
};

struct TooFew : Function<TooFew> {
    static Tensor forward(AutogradContext*, const Tensor& a, const Tensor& b) { return a * b; }
    static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0]}; }
};

struct GradForScalar : Function<GradForScalar> {
    static Tensor forward(AutogradContext*, const Tensor& a, double k) { return a * k; }
    static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0], g[0]}; }
};

struct Identity : Function<Identity> {
    static Tensor forward(AutogradContext* ctx, const Tensor& a) {
        (void)ctx;
        return a;
    }
    static tensor_list backward(AutogradContext*, tensor_list g) { return {g[0]}; }
};

struct Needs : Function<Needs> {
    static std::vector<bool>& seen() {
        static std::vector<bool> s;
        return s;
    }
    static Tensor forward(AutogradContext* ctx, const Tensor& a, int n, const Tensor& b) {
        seen() = {ctx->needs_input_grad(0), ctx->needs_input_grad(1), ctx->needs_input_grad(2),
                  GradMode::is_enabled()};
        return a * b * static_cast<double>(n);
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list g) {
        (void)ctx;
        return {g[0], Tensor(), g[0]};
    }
};

}  // namespace

TEST_SUITE("function") {
    TEST_CASE(
        "Function: a cube defined by forward and backward passes gradcheck and gradgradcheck") {
        Tensor x = make_f64({0.5, -1.5, 2}, {3}, true);
        Tensor y = Cube::apply(x);
        CHECK_VALUES(y, {0.125, -3.375, 8});
        REQUIRE(y.grad_fn());
        CHECK(y.grad_fn()->name() == "Cube");
        y.sum().backward();
        CHECK_VALUES(x.grad(), {0.75, 6.75, 12});
        auto f = [](const tensor_list& in) { return Cube::apply(in[0]); };
        CHECK_GRADIENTS(f, {grid({2, 3})});
        CHECK_GRADGRADIENTS(f, {grid({2, 3})});
    }

    TEST_CASE(
        "Function: non-tensor arguments reach forward and saved_data and backward gives None") {
        Tensor a = make_f64({1, 2}, {2}, true), b = make_f64({3, 4}, {2}, true);
        Tensor y = ScaledMul::apply(a, b, 2.5);
        CHECK_VALUES(y, {7.5, 20});
        y.sum().backward();
        CHECK_VALUES(a.grad(), {7.5, 10});
        CHECK_VALUES(b.grad(), {2.5, 5});
        auto f = [](const tensor_list& in) { return ScaledMul::apply(in[0], in[1], -0.5); };
        CHECK_GRADIENTS(f, {grid({2, 3}), grid({2, 3}, 0.5, 1.0)});
        CHECK_GRADGRADIENTS(f, {grid({2, 3}), grid({2, 3}, 0.5, 1.0)});
    }

    TEST_CASE("Function: a backward in terms of the saved output is differentiable twice") {
        auto f = [](const tensor_list& in) { return MyExp::apply(in[0]); };
        CHECK_GRADIENTS(f, {grid({4})});
        CHECK_GRADGRADIENTS(f, {grid({4})});
        // d2/dx2 exp(x) = exp(x) through autograd::grad with create_graph
        Tensor x = make_f64({0.3}, {1}, true);
        Tensor g = autograd::grad({MyExp::apply(x).sum()}, {x}, {}, std::nullopt, true)[0];
        g.sum().backward();
        CHECK_VALUES(x.grad(), {std::exp(0.3)});
    }

    TEST_CASE("Function: a wrong backward fails gradcheck, naming the element") {
        auto f = [](const tensor_list& in) { return WrongCube::apply(in[0]); };
        const auto r = autograd::gradcheck(f, {grid({3})});
        CHECK_FALSE(r.ok);
        CHECK(r.message.find("input 0") != std::string::npos);
    }

    TEST_CASE(
        "gradgradcheck: fails a backward that is right to first order but not differentiable") {
        auto f = [](const tensor_list& in) { return HalfDetachedCube::apply(in[0]); };
        CHECK_GRADIENTS(f, {grid({3})});
        const auto r = autograd::gradgradcheck(f, {grid({3})});
        CHECK_FALSE(r.ok);
        CHECK(r.message.rfind("gradgradcheck (second derivative): input 0", 0) == 0);
        // a backward recorded nowhere at all makes the first derivative a constant: the check
        // fails (analytic 0 against the true second derivative) and says why
        auto g = [](const tensor_list& in) { return OpaqueSin::apply(in[0]); };
        CHECK_GRADIENTS(g, {grid({3})});
        const auto rg = autograd::gradgradcheck(g, {grid({3})});
        CHECK_FALSE(rg.ok);
        CHECK(rg.message.find("analytic 0,") != std::string::npos);
        CHECK(rg.message.find("recorded no graph") != std::string::npos);
    }

    TEST_CASE("gradgradcheck: passes on built-in ops with differentiable backwards") {
        auto f = [](const tensor_list& in) {
            return tanh(matmul(in[0], in[1])) * sigmoid(in[0].sum(1, true)) +
                   exp(in[1].t() * 0.3).sum();
        };
        CHECK_GRADGRADIENTS(f, {grid({2, 3}, 0.7), grid({3, 2}, 0.5, 0.1)});
    }

    TEST_CASE("Function: a tensor_list forward records one node with one output per tensor") {
        Tensor a = make_f64({1, 2}, {2}, true), b = make_f64({3, 4}, {2}, true);
        const tensor_list out = SumProd::apply(a, b);
        REQUIRE(out.size() == 2);
        CHECK_VALUES(out[0], {4, 6});
        CHECK_VALUES(out[1], {3, 8});
        REQUIRE(out[0].grad_fn());
        CHECK(out[0].grad_fn() == out[1].grad_fn());  // one node, as LibTorch's
        CHECK(out[0].grad_fn()->num_outputs() == 2);
        CHECK(out[0].output_nr() == 0);
        CHECK(out[1].output_nr() == 1);
        (out[0] * 2.0 + out[1]).sum().backward();
        CHECK_VALUES(a.grad(), {2 + 3, 2 + 4});
        CHECK_VALUES(b.grad(), {2 + 1, 2 + 2});
        auto f = [](const tensor_list& in) {
            const tensor_list o = SumProd::apply(in[0], in[1]);
            return o[0] * o[1];
        };
        CHECK_GRADIENTS(f, {grid({3}), grid({3}, 1.0, 0.5)});
        CHECK_GRADGRADIENTS(f, {grid({3}), grid({3}, 1.0, 0.5)});
    }

    TEST_CASE("Function: an output that gets no gradient is given zeros, or undefined on request") {
        Tensor a = make_f64({1, 2}, {2}, true), b = make_f64({3, 4}, {2}, true);
        SumProd::apply(a, b)[1].sum().backward();  // only the product: g0 is zeros
        CHECK_VALUES(a.grad(), {3, 4});
        CHECK_VALUES(b.grad(), {1, 2});
        Tensor c = make_f64({1, 2}, {2}, true), d = make_f64({3, 4}, {2}, true);
        SumProdRaw::apply(c, d)[1].sum().backward();
        CHECK(SumProdRaw::given() == std::vector<bool>{false, true});
        CHECK_VALUES(c.grad(), {3, 4});
        SumProdRaw::apply(c, d)[0].sum().backward();
        CHECK(SumProdRaw::given() == std::vector<bool>{true, false});
        CHECK_VALUES(c.grad(), {4, 5});
    }

    TEST_CASE("Function: hooks and retain_grad see each output's own gradient") {
        Tensor a = make_f64({1, 2}, {2}, true), b = make_f64({3, 4}, {2}, true);
        tensor_list out = SumProd::apply(a, b);
        Tensor seen0, seen1;
        out[0].register_hook([&](const Tensor& g) { seen0 = g.clone(); });
        out[1].register_hook([&](const Tensor& g) { seen1 = g.clone(); });
        out[1].retain_grad();
        (out[0] * 5.0 + out[1] * 7.0).sum().backward();
        CHECK_VALUES(seen0, {5, 5});
        CHECK_VALUES(seen1, {7, 7});
        CHECK_VALUES(out[1].grad(), {7, 7});
        CHECK_FALSE(out[0].grad().defined());
    }

    TEST_CASE("Function: a backward in terms of several saved outputs differentiates twice") {
        Tensor x = make_f64({0.5, -1}, {2}, true);
        tensor_list e = TwoExps::apply(x);
        (e[0] + e[1]).sum().backward();
        CHECK_VALUES(x.grad(),
                     {std::exp(0.5) + 2 * std::exp(1.0), std::exp(-1.0) + 2 * std::exp(-2.0)});
        auto f = [](const tensor_list& in) {
            const tensor_list o = TwoExps::apply(in[0]);
            return o[0] * 3.0 + o[1];
        };
        CHECK_GRADIENTS(f, {grid({3}, -0.5, 0.25)});
        CHECK_GRADGRADIENTS(f, {grid({3}, -0.5, 0.25)});
    }

    TEST_CASE("Function: mark_non_differentiable outputs do not require grad") {
        Tensor x = make_f64({1, 5, 2, 3, 0, 4}, {2, 3}, true);
        tensor_list out = RowMax::apply(x);
        CHECK(out[0].requires_grad());
        CHECK_FALSE(out[1].requires_grad());
        CHECK_VALUES(out[1], {1, 2});
        out[0].sum().backward();
        CHECK_VALUES(x.grad(), {0, 1, 0, 0, 0, 1});
    }

    TEST_CASE("Function: mark_dirty gives the modified input this node's history") {
        Tensor a = make_f64({1, 2}, {2}, true);
        Tensor x = a * 3.0;
        const uint64_t version = x._version();
        Tensor y = DoubleInPlace::apply(x);
        CHECK(y.is_same(x));  // the input itself, as LibTorch returns it
        CHECK(x._version() > version);
        CHECK_VALUES(x, {6, 12});
        REQUIRE(x.grad_fn());
        CHECK(x.grad_fn()->name() == "DoubleInPlace");
        y.sum().backward();
        CHECK_VALUES(a.grad(), {6, 6});
        CHECK_THROWS_CONTAINS(DoubleInPlace::apply(a), std::logic_error, "DoubleInPlace",
                              "leaf that requires grad");
    }

    TEST_CASE("Function: an undeclared in-place write to an input raises, naming the argument") {
        Tensor a = make_f64({1, 2}, {2}, true);
        Tensor x = a * 1.0;
        CHECK_THROWS_CONTAINS(UndeclaredWrite::apply(x), std::logic_error, "UndeclaredWrite",
                              "modified its tensor argument 0", "mark_dirty");
    }

    TEST_CASE("Function: a backward returning the wrong number of gradients raises") {
        Tensor a = make_f64({1, 2}, {2}, true), b = make_f64({3, 4}, {2}, true);
        CHECK_THROWS_WITH_AS(
            TooFew::apply(a, b).sum().backward(),
            "backward of TooFew: returned 1 gradients, expected 2 (one per argument "
            "of forward)",
            std::logic_error);
        Tensor c = make_f64({1, 2}, {2}, true);
        CHECK_THROWS_CONTAINS(GradForScalar::apply(c, 2.0).sum().backward(), std::logic_error,
                              "backward of GradForScalar", "argument 1", "not a tensor");
    }

    TEST_CASE("Function: a saved input modified in place before backward raises") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 1.0;
        Tensor y = Cube::apply(h);
        {
            NoGradGuard no_grad;
            h.mul_(2.0);
        }
        // the engine's own input-version check may catch it before get_saved_variables does
        CHECK_THROWS_CONTAINS(y.sum().backward(), std::logic_error, "Cube", "modified in place");
    }

    TEST_CASE(
        "Function: forward runs without recording and needs_input_grad names what needs grad") {
        Tensor a = make_f64({1, 2}, {2}, true), b = make_f64({3, 4}, {2});
        Needs::apply(a, 3, b);
        CHECK(Needs::seen() == std::vector<bool>{true, false, false, false});
        Needs::apply(b, 3, a);
        CHECK(Needs::seen() == std::vector<bool>{false, false, true, false});
        Tensor y = Identity::apply(a);
        CHECK(y.grad_fn());
        y.sum().backward();
        CHECK_VALUES(a.grad(), {1, 1});
    }

    TEST_CASE("Function: returning an input unchanged leaves the input a leaf") {
        Tensor a = make_f64({1, 2}, {2}, true);
        Tensor y = Identity::apply(a);
        CHECK(a.is_leaf());
        CHECK_FALSE(y.is_same(a));
        CHECK(y.grad_fn()->name() == "Identity");
    }

    TEST_CASE("Function: nothing is recorded under NoGradGuard or when no input requires grad") {
        Tensor a = make_f64({1, 2}, {2}, true);
        {
            NoGradGuard no_grad;
            CHECK_FALSE(Cube::apply(a).requires_grad());
        }
        CHECK_FALSE(Cube::apply(make_f64({1, 2}, {2})).requires_grad());
    }

    TEST_CASE("Function: shows in print_tape and to_dot under its class name and backward_rule") {
        Tensor x = make_f64({1, 2}, {2}, true).set_name("x");
        Tensor y = Cube::apply(x).sum();
        const std::string tape = autograd::tape_str(y);
        CHECK(tape.find("Cube#0") != std::string::npos);
        CHECK(tape.find("grad_x = 3 * x^2 * grad_out") != std::string::npos);
        CHECK(autograd::to_dot(y).find("Cube#0") != std::string::npos);
        Tensor z = ScaledMul::apply(x, x, 1.0);
        CHECK(z.grad_fn()->rule().empty());
    }

    TEST_CASE("IValue: gives back what was stored and names the type on a wrong read") {
        IValue d = 2.5, i = int64_t{3}, s = "relu", v = std::vector<int64_t>{1, 2}, b = true;
        IValue t = make_f64({1}, {1}), none;
        CHECK(d.toDouble() == 2.5);
        CHECK(i.toInt() == 3);
        CHECK(s.toStringRef() == "relu");
        CHECK(v.toIntVector() == std::vector<int64_t>{1, 2});
        CHECK(b.toBool());
        CHECK(t.toTensor().item<double>() == 1);
        CHECK(none.isNone());
        CHECK_THROWS_WITH_AS(i.toDouble(), "IValue: expected Double but got Int", std::logic_error);
    }
}
