// Views: every view op shares its input's storage, writes go both ways, in-place ops through
// views are recorded as LibTorch records them (checked against PyTorch's values in
// tests/golden/views_golden.txt), and what LibTorch refuses raises.

#include <functional>
#include <map>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

using ViewFn = std::function<Tensor(const Tensor&)>;

// The flat positions of `base` that view_fn(base) shows, in the view's order.
std::vector<int64_t> positions(const std::vector<int64_t>& base_shape, const ViewFn& view_fn) {
    int64_t n = 1;
    for (int64_t s : base_shape) n *= s;
    Tensor index = arange(n, kFloat64).reshape(base_shape);
    const std::vector<double> v = view_fn(index).to_vector<double>();
    return std::vector<int64_t>(v.begin(), v.end());
}

// A view shares storage, shows the right elements, and writes go both ways.
void check_view(const char* what, const std::vector<int64_t>& base_shape, const ViewFn& view_fn,
                bool writable = true) {
    INFO("view: ", what);
    Tensor base = grid(base_shape).detach();
    const std::vector<double> before = base.to_vector<double>();
    Tensor v = view_fn(base);
    CHECK(v.is_alias_of(base));
    const std::vector<int64_t> at = positions(base_shape, view_fn);
    REQUIRE(static_cast<int64_t>(at.size()) == v.numel());
    const std::vector<double> shown = v.to_vector<double>();
    for (size_t i = 0; i < at.size(); ++i) CHECK(shown[i] == before[static_cast<size_t>(at[i])]);

    // the base written in place: the view shows it
    base.mul_(2.0);
    const std::vector<double> doubled = v.to_vector<double>();
    for (size_t i = 0; i < at.size(); ++i)
        CHECK(doubled[i] == 2 * before[static_cast<size_t>(at[i])]);
    if (!writable) return;
    // the view written in place: the base shows it, at exactly the viewed positions
    v.add_(1000.0);
    const std::vector<double> after = base.to_vector<double>();
    std::vector<double> expected(before.size());
    for (size_t i = 0; i < before.size(); ++i) expected[i] = 2 * before[i];
    for (int64_t p : at) expected[static_cast<size_t>(p)] += 1000.0;
    for (size_t i = 0; i < after.size(); ++i) CHECK(after[i] == doctest::Approx(expected[i]));
}

}  // namespace

TEST_SUITE("views") {
    TEST_CASE("views: every view op shares storage and writes reach the base both ways") {
        check_view("view", {2, 6}, [](const Tensor& t) { return t.view({3, 4}); });
        check_view("reshape", {2, 6}, [](const Tensor& t) { return t.reshape({4, 3}); });
        check_view("flatten", {2, 3, 2}, [](const Tensor& t) { return t.flatten(1); });
        check_view("squeeze", {2, 1, 3}, [](const Tensor& t) { return t.squeeze(1); });
        check_view("unsqueeze", {2, 3}, [](const Tensor& t) { return t.unsqueeze(1); });
        check_view("t", {2, 3}, [](const Tensor& t) { return t.t(); });
        check_view("transpose", {2, 3, 4}, [](const Tensor& t) { return t.transpose(0, 2); });
        check_view("permute", {2, 3, 4}, [](const Tensor& t) { return t.permute({1, 2, 0}); });
        check_view("movedim", {2, 3, 4}, [](const Tensor& t) { return t.movedim(0, 2); });
        check_view("select", {3, 4}, [](const Tensor& t) { return t.select(1, 2); });
        check_view("operator[]", {3, 4}, [](const Tensor& t) { return t[1]; });
        check_view("slice with step", {3, 7}, [](const Tensor& t) { return t.slice(1, 1, 7, 3); });
        check_view("narrow", {5, 2}, [](const Tensor& t) { return t.narrow(0, 1, 3); });
        check_view("diagonal", {3, 4}, [](const Tensor& t) { return t.diagonal(1); });
        check_view("unfold, disjoint windows", {2, 6},
                   [](const Tensor& t) { return t.unfold(1, 2, 2); });
        check_view("as_strided", {12}, [](const Tensor& t) {
            return t.as_strided({2, 3}, {1, 4}, 1);
        });
        check_view("chunk", {6, 2}, [](const Tensor& t) { return t.chunk(3, 0)[1]; });
        check_view("split", {2, 7}, [](const Tensor& t) { return t.split(3, 1)[2]; });
        check_view("unbind", {3, 2}, [](const Tensor& t) { return t.unbind(1)[1]; });
        check_view("a view of a view", {4, 5},
                   [](const Tensor& t) { return t.t().slice(0, 1, 4)[2]; });
        check_view(
            "expand (read only)", {3, 1},
            [](const Tensor& t) {
                return t.expand({3, 4});
            },
            false);
        check_view("detach", {2, 2}, [](const Tensor& t) { return t.detach(); });
    }

    TEST_CASE("views: strides, offsets and contiguity are LibTorch's") {
        Tensor x = zeros({2, 3, 4});
        CHECK(x.strides() == std::vector<int64_t>{12, 4, 1});
        CHECK(x.is_contiguous());
        Tensor v = x.transpose(0, 2);
        CHECK(v.strides() == std::vector<int64_t>{1, 4, 12});
        CHECK_FALSE(v.is_contiguous());
        CHECK(x[1].storage_offset() == 12);
        CHECK(x.select(2, 3).storage_offset() == 3);
        CHECK(x.select(2, 3).data_ptr<float>() == x.data_ptr<float>() + 3);
        CHECK(x.expand({5, 2, 3, 4}).stride(0) == 0);
        Tensor c = v.contiguous();
        CHECK(c.is_contiguous());
        CHECK_FALSE(c.is_alias_of(x));
        CHECK(x.contiguous().is_same(x));  // no copy when already contiguous
    }

    TEST_CASE(
        "reshape: copies when the strides do not allow a view; view refuses, naming reshape") {
        Tensor x = grid({3, 4});
        Tensor t = x.t();
        Tensor r = t.reshape({12});
        CHECK_FALSE(r.is_alias_of(x));
        CHECK_VALUES(r, t.contiguous().to_vector<double>());
        CHECK_THROWS_CONTAINS(t.view({12}), std::invalid_argument, "view:", "reshape");
        // merging dims that are contiguous among themselves stays a view
        Tensor p = zeros({2, 3, 4}).permute({2, 0, 1});  // [4, 2, 3]: dims 1 and 2 still adjacent
        CHECK(p.reshape({4, 6}).is_alias_of(p));
    }

    TEST_CASE("x[i] = y and x[i][j] = v write into x") {
        Tensor x = zeros({3, 4}, kFloat64);
        x[1] = make_f64({1, 2, 3, 4}, {4});
        x[0][2] = 5.0;
        x[2] = 7.0;
        x.select(1, 3)[0] = -1.0;
        CHECK_VALUES(x, {0, 0, 5, -1, 1, 2, 3, 4, 7, 7, 7, 7});
        // a named handle is rebound, not written through, as in LibTorch
        Tensor row = x[0];
        row = make_f64({9, 9, 9, 9}, {4});
        CHECK_VALUES(x[0], {0, 0, 5, -1});
    }

    TEST_CASE("in place: writing into an expanded tensor whose elements alias is refused") {
        Tensor e = zeros({3, 1}).expand({3, 4});
        CHECK_THROWS_CONTAINS(e.add_(1.0), std::invalid_argument, "add_", "single memory location");
        CHECK_THROWS_CONTAINS(e.fill_(2.0), std::invalid_argument, "fill_",
                              "single memory location");
        CHECK_THROWS_CONTAINS(e.copy_(ones({3, 4})), std::invalid_argument, "copy_");
        CHECK_NOTHROW(e.clone().add_(1.0));
    }

    TEST_CASE("in place: on a non-leaf is recorded, and its gradient is LibTorch's") {
        Tensor leaf = make_f64({1, 2, 3}, {3}, true);
        Tensor a = leaf.clone();
        a.mul_(2.0);
        CHECK(a.grad_fn()->name() == "mul");
        (a * a).sum().backward();  // a = 2 leaf, d sum(a^2)/d leaf = 8 leaf
        CHECK_VALUES(leaf.grad(), {8, 16, 24});
    }

    TEST_CASE("in place: retain_grad keeps the gradient of the value after the op") {
        Tensor leaf = make_f64({1, 2}, {2}, true);
        Tensor a = leaf * 1.0;
        a.retain_grad();
        a.mul_(3.0);
        (a * a).sum().backward();  // d sum(a'^2)/d a' = 2 a' = 6 leaf
        CHECK_VALUES(a.grad(), {6, 12});
        CHECK_VALUES(leaf.grad(), {18, 36});
    }

    TEST_CASE("in place: a tensor that did not require grad takes the history of what it got") {
        Tensor w = make_f64({2, -1}, {2}, true);
        Tensor buf = zeros({2}, kFloat64);
        buf.add_(w);
        CHECK(buf.requires_grad());
        (buf * buf).sum().backward();
        CHECK_VALUES(w.grad(), {4, -2});
    }

    TEST_CASE("in place: through a view of a leaf that requires grad is refused") {
        Tensor leaf = make_f64({1, 2, 3, 4}, {2, 2}, true);
        CHECK_THROWS_CONTAINS(leaf[0].mul_(2.0), std::logic_error, "mul_",
                              "a view of a leaf tensor that requires grad");
        CHECK_THROWS_CONTAINS(leaf.t().add_(1.0), std::logic_error, "view of a leaf");
        {
            NoGradGuard no_grad;
            CHECK_NOTHROW(leaf[0].mul_(2.0));
        }
        CHECK_VALUES(leaf, {2, 4, 3, 4});
    }

    TEST_CASE("in place: a view made with recording off cannot be written with recording on") {
        Tensor x = make_f64({1, 2, 3, 4}, {2, 2}, true) * 1.0;
        Tensor v;
        {
            NoGradGuard no_grad;
            v = x[0];
        }
        CHECK_THROWS_CONTAINS(v.mul_(2.0), std::logic_error, "recording off");
    }

    TEST_CASE("in place: a view and its base share the version counter") {
        Tensor x = make_f64({1, 2, 3, 4}, {4}, true);
        Tensor y = x * 2.0;
        Tensor s = y.narrow(0, 0, 2);
        Tensor z = s * s;  // saves s
        const uint64_t v = y._version();
        y[3].add_(1.0);  // another part of the same storage
        CHECK(y._version() == v + 1);
        CHECK(s._version() == y._version());
        CHECK_THROWS_CONTAINS(z.sum().backward(), std::logic_error, "modified in place by add_");
    }

    TEST_CASE(
        "in place: an op whose backward reads its output stops backward when it is overwritten") {
        Tensor x = make_f64({0.5, 1.5}, {2}, true);
        Tensor y = x.exp();
        y[1].mul_(3.0);
        CHECK_THROWS_CONTAINS(y.sum().backward(), std::logic_error, "exp", "modified in place");
    }

    TEST_CASE("views: gradients of every view op match finite differences, to second order") {
        const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
            {"view",
             [](const Tensor& t) {
                 return t.view({4, 3}) * t.view({4, 3});
             }},
            {"transpose", [](const Tensor& t) { return t.transpose(0, 1) * t.t(); }},
            {"permute",
             [](const Tensor& t) {
                 return t.permute({1, 0}).pow(2);
             }},
            {"expand",
             [](const Tensor& t) {
                 return t.select(1, 0).unsqueeze(1).expand({3, 5}).pow(2);
             }},
            {"select", [](const Tensor& t) { return t.select(1, 2).pow(3); }},
            {"slice", [](const Tensor& t) { return t.slice(1, 0, 4, 2) * t.slice(1, 1, 4, 2); }},
            {"diagonal", [](const Tensor& t) { return t.diagonal(-1).pow(2); }},
            {"unfold", [](const Tensor& t) { return t.unfold(1, 2, 1).pow(2); }},
            {"as_strided",
             [](const Tensor& t) {
                 return t.as_strided({3, 3}, {1, 1}).pow(2);
             }},
            {"chunk",
             [](const Tensor& t) { return t.chunk(2, 1)[0] * 2.0 + t.chunk(2, 1)[1].sum(); }},
            {"unbind", [](const Tensor& t) { return t.unbind(0)[2].pow(2); }},
            {"movedim", [](const Tensor& t) { return t.unsqueeze(0).movedim(0, 2).pow(2); }},
        };
        for (const auto& [name, fn] : ops) {
            INFO("op: ", name);
            auto f = [fn = fn](const std::vector<Tensor>& in) { return fn(in[0]); };
            CHECK_GRADIENTS(f, {randn({3, 4}, f64())});
            CHECK_GRADGRADIENTS(f, {randn({3, 4}, f64())});
        }
    }

    TEST_CASE("in place through views: gradients match finite differences, to second order") {
        auto f = [](const std::vector<Tensor>& in) {
            Tensor y = in[0].clone();
            y.select(1, 0).mul_(in[1]);
            y.t()[2].add_(in[1].sum());
            return y.pow(2);
        };
        CHECK_GRADIENTS(f, {randn({3, 4}, f64()), randn({3}, f64())});
        CHECK_GRADGRADIENTS(f, {randn({3, 4}, f64()), randn({3}, f64())});
    }

    TEST_CASE("strided inputs: element-wise, reductions and products read views correctly") {
        Tensor x = grid({3, 4});
        Tensor t = x.t();
        std::vector<double> expected;
        const std::vector<double> xv = x.to_vector<double>();
        for (int j = 0; j < 4; ++j)
            for (int i = 0; i < 3; ++i) expected.push_back(xv[static_cast<size_t>(i * 4 + j)] + 1);
        CHECK_VALUES(t + 1.0, expected);
        CHECK(allclose(t.exp(), t.contiguous().exp()));
        CHECK(allclose(t.sum(0), t.contiguous().sum(0)));
        CHECK(allclose(tanh(x.slice(1, 0, 4, 2)), tanh(x.slice(1, 0, 4, 2).contiguous())));
        Tensor w = grid({3, 5}, 0.5);
        CHECK(allclose(t.matmul(w), t.contiguous().matmul(w), 1e-12, 1e-12));
        CHECK(allclose(x.slice(0, 0, 3, 2).matmul(x.t()),
                       x.slice(0, 0, 3, 2).contiguous().matmul(x.t().contiguous()), 1e-12, 1e-12));
    }

    TEST_CASE("views: golden values from PyTorch for in-place ops through views") {
        const std::map<std::string, std::function<Tensor(const std::vector<Tensor>&)>> fns = {
            {"inplace_mul_row",
             [](const std::vector<Tensor>& in) {
                 Tensor y = in[0].clone();
                 y[1].mul_(2.0);
                 return y;
             }},
            {"inplace_copy_into_view",
             [](const std::vector<Tensor>& in) {
                 Tensor y = zeros({3, 4}, kFloat64);
                 y.select(1, 1).copy_(in[1]);
                 return y * y;
             }},
            {"inplace_through_transpose",
             [](const std::vector<Tensor>& in) {
                 Tensor y = in[0] * 1.0;
                 y.t().add_(in[0].t() * 3.0);
                 return y.sin();
             }},
            {"inplace_view_of_view",
             [](const std::vector<Tensor>& in) {
                 Tensor y = in[0].clone();
                 Tensor v = y.slice(1, 1, 3);
                 v[1].mul_(in[1]);
                 return y * in[0];
             }},
            {"inplace_other_view_sees_it",
             [](const std::vector<Tensor>& in) {
                 Tensor y = in[0] * 2.0;
                 Tensor a = y[0];
                 y[1].mul_(3.0);
                 return a * y[1];
             }},
            {"inplace_diagonal",
             [](const std::vector<Tensor>& in) {
                 Tensor y = in[0].clone();
                 y.diagonal().mul_(in[0].diagonal());
                 return y;
             }},
            {"inplace_after_expand_clone",
             [](const std::vector<Tensor>& in) {
                 Tensor y = in[0].unsqueeze(0).expand({3, 4}).clone();
                 y[2].zero_();
                 return y * 2.0;
             }},
            {"strided_elementwise",
             [](const std::vector<Tensor>& in) {
                 return (in[0].t() * in[1].slice(0, 0, 4, 2).unsqueeze(0)).tanh() + in[0].t().exp();
             }},
            {"strided_matmul_transposed",
             [](const std::vector<Tensor>& in) { return in[0].t().matmul(in[1].slice(1, 1)); }},
            {"strided_matmul_sliced_rows",
             [](const std::vector<Tensor>& in) {
                 return in[0].slice(0, 0, 4, 2).matmul(in[1].t());
             }},
            {"unfold_windows",
             [](const std::vector<Tensor>& in) { return in[0].unfold(1, 3, 1).pow(2).sum(-1); }},
            {"as_strided_overlapping",
             [](const std::vector<Tensor>& in) {
                 return in[0].as_strided({3, 3}, {1, 1}) * 2.0;
             }},
            {"setitem",
             [](const std::vector<Tensor>& in) {
                 Tensor y = in[0].clone();
                 y[0] = in[1];
                 y[2][1] = 5.0;
                 return y * in[0];
             }},
        };
        const std::vector<GoldenCase> cases = read_golden(TAPEGRAD_GOLDEN_DIR "/views_golden.txt");
        REQUIRE(cases.size() == fns.size());
        for (const GoldenCase& c : cases) {
            REQUIRE_MESSAGE(fns.count(c.name) == 1, "no function for golden case " << c.name);
            check_golden_case(c, fns.at(c.name));
        }
    }

}  // TEST_SUITE
