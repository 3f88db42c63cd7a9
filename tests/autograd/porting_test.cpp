// The everyday LibTorch vocabulary a port relies on (issue 16): sizes() as IntArrayRef, the
// added ops (log1p, expm1, addmm, baddbmm, var, std, norm(p, dim), in-place comparisons,
// equal), backward's inputs, grad() warnings and the autograd names. Values of the ops come
// from PyTorch (tests/golden/porting_golden.txt, by gen_porting.py).

#include <cmath>
#include <map>
#include <sstream>

#include "autograd/c10.hpp"
#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {
const std::vector<GoldenCase>& porting_cases() {
    static const std::vector<GoldenCase> cases =
        read_golden(TAPEGRAD_GOLDEN_DIR "/porting_golden.txt");
    return cases;
}
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
const double inf = INFINITY;

// The golden cases of the ops, as tapegrad spells them.
const std::map<std::string, Fn>& op_cases() {
    static const std::map<std::string, Fn> fns = {
        {"log1p", [](const tensor_list& in) { return in[0].log1p(); }},
        {"log1p_tiny", [](const tensor_list& in) { return log1p(in[0] * 1e-9); }},
        {"expm1", [](const tensor_list& in) { return in[0].expm1(); }},
        {"addmm", [](const tensor_list& in) { return addmm(in[0], in[1], in[2], 0.5, 2); }},
        {"addmm_broadcast", [](const tensor_list& in) { return in[0].addmm(in[1], in[2]); }},
        {"baddbmm", [](const tensor_list& in) { return in[0].baddbmm(in[1], in[2], 2, -1); }},
        {"var_all", [](const tensor_list& in) { return in[0].var(); }},
        {"var_biased_dim", [](const tensor_list& in) { return in[0].var({1}, false, true); }},
        {"var_correction",
         [](const tensor_list& in) {
             return var(in[0], IntArrayRef{0, 2}, std::optional<int64_t>(2));
         }},
        {"std_all", [](const tensor_list& in) { return in[0].std(); }},
        {"std_dim", [](const tensor_list& in) { return in[0].std(0, true, false); }},
        {"norm_p1_dim", [](const tensor_list& in) { return in[0].norm(1, 1); }},
        {"norm_p3_dims_keepdim",
         [](const tensor_list& in) {
             return in[0].norm(3, {0, 1}, true);
         }},
        {"norm_inf", [](const tensor_list& in) { return in[0].norm(inf); }},
    };
    return fns;
}
}  // namespace

TEST_SUITE("porting") {
    TEST_CASE("porting ops: values and gradients match PyTorch's") {
        int checked = 0;
        for (const GoldenCase& c : porting_cases()) {
            const auto it = op_cases().find(c.name);
            if (it == op_cases().end()) continue;
            check_golden_case(c, it->second);
            ++checked;
        }
        CHECK(checked == static_cast<int>(op_cases().size()));
    }

    TEST_CASE("porting ops: gradients match finite differences") {
        manual_seed(3);
        CHECK_GRADIENTS([](const tensor_list& in) { return in[0].log1p(); }, {rand({2, 3}, f64())});
        CHECK_GRADIENTS([](const tensor_list& in) { return in[0].expm1(); },
                        {randn({2, 3}, f64())});
        CHECK_GRADIENTS([](const tensor_list& in) { return addmm(in[0], in[1], in[2], -0.5, 3); },
                        {randn({3}, f64()), randn({2, 4}, f64()), randn({4, 3}, f64())});
        CHECK_GRADIENTS(
            [](const tensor_list& in) { return baddbmm(in[0], in[1], in[2], 0.5, 2); },
            {randn({2, 1, 3}, f64()), randn({2, 2, 4}, f64()), randn({2, 4, 3}, f64())});
        CHECK_GRADIENTS(
            [](const tensor_list& in) {
                return in[0].var({0, 2}, true, true);
            },
            {randn({3, 2, 4}, f64())});
        CHECK_GRADIENTS([](const tensor_list& in) { return in[0].var(std::nullopt, 0); },
                        {randn({3, 4}, f64())});
        CHECK_GRADIENTS([](const tensor_list& in) { return in[0].std({1}, false); },
                        {randn({3, 4}, f64())});
        CHECK_GRADIENTS([](const tensor_list& in) { return in[0].norm(3, {1}); },
                        {randn({3, 4}, f64())});
    }

    TEST_CASE("std: the gradient of a constant slice is 0, not NaN, as LibTorch's") {
        Tensor x = make_f64({2, 2, 2, 1, 5, 3}, {2, 3}, true);
        x.std(1).sum().backward();
        CHECK_VALUES(x.grad().slice(0, 0, 1), {0, 0, 0});
        CHECK(std::isfinite(x.grad().sum().item<double>()));
    }

    TEST_CASE("var and std: an integer is a dim, only a bool is the unbiased flag, as LibTorch") {
        const Tensor x = make_f64({2, 2, 2, 1, 5, 3}, {2, 3});
        CHECK(x.std(1).sizes() == std::vector<int64_t>{2});
        CHECK(x.var(0).sizes() == std::vector<int64_t>{3});
        CHECK(var(x, 1).sizes() == std::vector<int64_t>{2});
        CHECK(x.var(false).sizes() == std::vector<int64_t>{});
        CHECK(tapegrad::std(x, true).sizes() == std::vector<int64_t>{});
        CHECK_VALUES(x.var(1), {0, 4});
    }

    TEST_CASE("var: one element with Bessel's correction gives NaN, as LibTorch") {
        CHECK(std::isnan(make_f64({2}, {1}).var().item<double>()));
        CHECK(make_f64({2}, {1}).var(false).item<double>() == 0);
    }

    TEST_CASE("addmm: beta = 0 ignores self, NaNs included, as LibTorch") {
        const Tensor y =
            addmm(make_f64({NAN}, {1}), make_f64({1, 2}, {1, 2}), make_f64({3, 4}, {2, 1}), 0);
        CHECK_VALUES(y, {11});
    }

    TEST_CASE("addmm and baddbmm: reject shapes that cannot be multiplied or added") {
        CHECK_THROWS_CONTAINS(addmm(zeros({2, 3}), zeros({2, 4}), zeros({5, 3})),
                              std::invalid_argument, "addmm", "[2, 4]", "[5, 3]");
        CHECK_THROWS_CONTAINS(addmm(zeros({3, 3}), zeros({2, 4}), zeros({4, 3})),
                              std::invalid_argument, "addmm", "self of shape [3, 3]", "[2, 3]");
        CHECK_THROWS_CONTAINS(addmm(zeros({2}), zeros({4}), zeros({4, 3})), std::invalid_argument,
                              "addmm", "matrices", "[4]");
        CHECK_THROWS_CONTAINS(baddbmm(zeros({2, 2, 3}), zeros({2, 2, 4}), zeros({3, 4, 3})),
                              std::invalid_argument, "baddbmm", "[2, 2, 4]", "[3, 4, 3]");
    }

    TEST_CASE("var and std: refuse integer tensors and repeated dims") {
        CHECK_THROWS_CONTAINS(make_i64({1, 2}, {2}).var(), std::invalid_argument, "var", "int64");
        CHECK_THROWS_CONTAINS(zeros({2, 2}).std({1, 1}), std::invalid_argument, "var", "twice");
    }

    TEST_CASE("eq_ and friends: write 0/1 in self's dtype, broadcasting other into self") {
        Tensor a = make_f64({1, 2, 3}, {3});
        a.lt_(2);
        CHECK_VALUES(a, {1, 0, 0});
        Tensor b = make_i64({1, 2, 3}, {3});
        b.eq_(2.5);
        CHECK(b.dtype() == kInt64);
        CHECK_VALUES(b, {0, 0, 0});
        Tensor c = make_f64({1, 5, 3, 0}, {2, 2});
        c.ge_(make_f64({2, 0}, {2}));
        CHECK_VALUES(c, {0, 1, 1, 1});
        Tensor d = make_f64({1, 2}, {2});
        d.ne_(make_f64({1, 3}, {2}));
        CHECK_VALUES(d, {0, 1});
        Tensor e = make_f64({1, 2}, {2});
        e.gt_(1).add_(1);
        CHECK_VALUES(e, {1, 2});
        Tensor f = make_f64({1, 2}, {2});
        f.le_(make_f64({1, 1}, {2}));
        CHECK_VALUES(f, {1, 0});
    }

    TEST_CASE("eq_: rejects an other that does not broadcast to self's shape") {
        CHECK_THROWS_CONTAINS(ones({3}).eq_(ones({2, 3})), std::invalid_argument, "eq_",
                              "output with shape [3]", "broadcast shape [2, 3]");
    }

    TEST_CASE("equal: same shape and values after promotion, as LibTorch 1.13") {
        CHECK(equal(make_f64({0.0}, {1}), make_f64({-0.0}, {1})));
        CHECK_FALSE(equal(make_f64({NAN}, {1}), make_f64({NAN}, {1})));
        CHECK(equal(tensor({1.0f}), make_f64({1}, {1})));
        CHECK_FALSE(equal(make_f64({1, 2}, {2}), make_f64({1, 2}, {1, 2})));
        CHECK(equal(zeros({0}), zeros({0})));
    }

    TEST_CASE("sizes: speaks IntArrayRef (vec, slice, equals, printing) and std::vector") {
        const Tensor x = zeros({2, 3, 4});
        const std::vector<int64_t> v = x.sizes().vec();
        CHECK(v == std::vector<int64_t>{2, 3, 4});
        CHECK(x.sizes().size() == 3);
        CHECK(x.sizes()[1] == 3);
        int64_t product = 1;
        for (int64_t s : x.sizes()) product *= s;
        CHECK(product == 24);
        CHECK(x.sizes() == IntArrayRef{2, 3, 4});
        CHECK(x.sizes() != IntArrayRef{2, 3});
        CHECK(x.sizes() == std::vector<int64_t>{2, 3, 4});
        CHECK(x.sizes().slice(1).vec() == std::vector<int64_t>{3, 4});
        CHECK(x.sizes().equals({2, 3, 4}));
        std::ostringstream os;
        os << x.sizes() << " " << IntArrayRef{5};
        CHECK(os.str() == "[2, 3, 4] [5]");
        CHECK_THROWS_CONTAINS(x.sizes().slice(2, 3), std::invalid_argument, "slice", "3 entries");
    }

    TEST_CASE("Tensor API: ndimension, set_requires_grad, item() and all()/any() as LibTorch") {
        Tensor x = zeros({2, 3});
        CHECK(x.ndimension() == 2);
        CHECK(x.set_requires_grad(true).requires_grad());
        CHECK(tensor(2.5).item().toFloat() == 2.5f);
        CHECK(tensor({1, 0}).all().item<bool>() == false);
        CHECK(tensor({1, 0}).any().item<bool>() == true);
        Tensor y = ones({2, 2});
        y[0] = 5;  // a temporary view: fills the row, as LibTorch's Tensor::operator=(Scalar) &&
        CHECK_VALUES(y, {5, 5, 1, 1});
    }

    TEST_CASE("backward: inputs limits the gradients to those tensors, leaves or not") {
        Tensor a = make_f64({1, 2}, {2}, true), b = make_f64({3, 4}, {2}, true);
        Tensor h = a * b;
        Tensor loss = (h * h).sum();
        loss.backward({}, true, false, tensor_list{a, h});
        CHECK_VALUES(a.grad(), {2 * 1 * 3 * 3, 2 * 2 * 4 * 4});
        CHECK_FALSE(b.grad().defined());
        CHECK_VALUES(h.grad(), {6, 16});
        loss.backward({}, false, false, tensor_list{a});
        CHECK_VALUES(a.grad(), {36, 128});
        CHECK_THROWS_CONTAINS(loss.backward({}, true, false, tensor_list{}), std::invalid_argument,
                              "backward", "cannot be empty");
    }

    TEST_CASE("backward: retain_graph defaults to create_graph, as LibTorch") {
        Tensor x = make_f64({2}, {1}, true);
        Tensor y = (x * x * x).sum();
        y.backward({}, std::nullopt, /*create_graph=*/true);
        Tensor g = x.grad();
        CHECK_VALUES(g, {12});
        x.mutable_grad() = Tensor();
        g.sum().backward();  // the graph of the first backward was kept and recorded
        CHECK_VALUES(x.grad(), {12});
    }

    TEST_CASE("grad: reading it on a non-leaf that does not retain it warns once") {
        Tensor x = make_f64({1}, {1}, true);
        Tensor y = x * 2.0;
        y.sum().backward();
        CHECK_FALSE(y.grad().defined());  // prints the warning to stderr (once per process)
        CHECK_FALSE(y.grad().defined());
        Tensor z = x * 3.0;
        z.retain_grad();
        z.sum().backward();
        CHECK_VALUES(z.grad(), {1});
    }

    TEST_CASE("DetectAnomalyGuard(false): traces without checking for NaN, as LibTorch") {
        Tensor x = make_f64({-1}, {1}, true);
        {
            autograd::DetectAnomalyGuard guard(/*check_nan=*/false);
            CHECK(autograd::AnomalyMode::is_enabled());
            CHECK_NOTHROW(x.sqrt().sum().backward());
        }
        {
            autograd::DetectAnomalyGuard guard;
            CHECK_THROWS_CONTAINS(x.sqrt(), std::runtime_error, "anomaly", "sqrt");
        }
        CHECK_FALSE(autograd::AnomalyMode::is_enabled());
        CHECK(autograd::AnomalyMode::should_check_nan());
    }

    TEST_CASE("InferenceMode: turns recording off for its scope") {
        Tensor x = make_f64({1}, {1}, true);
        {
            InferenceMode guard;
            CHECK_FALSE((x * 2.0).requires_grad());
            c10::InferenceMode off(false);
            CHECK_FALSE(GradMode::is_enabled());
        }
        CHECK((x * 2.0).requires_grad());
    }

    TEST_CASE("autograd names: Variable, variable_list, tensor_list and TensorList are tensors") {
        autograd::Variable v = make_f64({1}, {1}, true);
        autograd::variable_list vl{v};
        autograd::tensor_list tl = vl;
        TensorList list = tl;
        CHECK(list[0].is_same(v));
    }

    TEST_CASE("c10: irange, optional and str") {
        std::vector<int64_t> seen;
        for (const auto i : c10::irange(3)) seen.push_back(i);
        for (const auto i : c10::irange(5, int64_t{7})) seen.push_back(i);
        for (const auto i : c10::irange(4, 2)) seen.push_back(i);  // empty, as c10's
        CHECK(seen == std::vector<int64_t>{0, 1, 2, 5, 6});
        c10::optional<int> o = c10::nullopt;
        CHECK_FALSE(o.has_value());
        CHECK(c10::str("n = ", 3, ", x = ", 1.5) == "n = 3, x = 1.5");
    }

    TEST_CASE("TORCH_CHECK, AT_ASSERT and an unqualified Reduction compile and act as LibTorch's") {
        TORCH_CHECK(1 + 1 == 2, "never shown");
        AT_ASSERT(true);
        CHECK_THROWS_CONTAINS([] { TORCH_CHECK(2 < 1, "expected ", 2, " < ", 1); }(),
                              std::runtime_error, "TORCH_CHECK failed: 2 < 1", "expected 2 < 1");
        CHECK_THROWS_CONTAINS([] { AT_ASSERT(!std::isnan(std::nan(""))); }(), std::runtime_error,
                              "failed: !std::isnan");
        // pytorch/examples' mnist writes Reduction::Sum without a namespace
        Tensor logp = log_softmax(make_f64({1, 2, 3, 1, 1, 1}, {2, 3}), 1);
        Tensor target = tensor({2, 0}, kLong);
        const double sum = nll_loss(logp, target, {}, ::Reduction::Sum).item<double>();
        const double mean = nll_loss(logp, target).item<double>();
        CHECK(sum == doctest::Approx(2 * mean));
    }
}
