// Every core op against the values PyTorch 1.13 computed in float64 (tests/golden/ops_golden.txt):
// the forward output to 1e-12 relative, then backward(gout) and each input's gradient.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

using GoldenFn = std::function<Tensor(const std::vector<Tensor>&)>;

std::map<std::string, GoldenFn>& mappings() {
    static std::map<std::string, GoldenFn> m;
    return m;
}

bool register_mapping(const char* name, GoldenFn fn) {
    mappings()[name] = std::move(fn);
    return true;
}

// The losses are covered by the nn suite.
const std::set<std::string> kLosses = {"mse_loss", "binary_cross_entropy",
                                       "binary_cross_entropy_with_logits", "cross_entropy",
                                       "nll_loss"};

void run_golden(const std::string& name) {
    const GoldenCase* found = nullptr;
    for (const GoldenCase& c : golden_cases())
        if (c.name == name) found = &c;
    REQUIRE_MESSAGE(found != nullptr, "golden case " << name << " is not in the file");
    const GoldenCase& c = *found;
    INFO("golden case ", c.name, ": ", c.op);

    std::vector<Tensor> inputs;
    for (size_t i = 0; i < c.inputs.size(); ++i)
        inputs.push_back(make_f64(c.inputs[i].values, c.inputs[i].shape, c.has_grad[i]));

    const Tensor out = mappings().at(name)(inputs);
    REQUIRE(out.defined());
    CHECK_MESSAGE(out.dtype() == kFloat64, "output dtype is " << to_string(out.dtype()));
    CHECK_MESSAGE(out.sizes() == c.out.shape, "output shape " << shape_str(out.sizes())
                                                              << ", expected "
                                                              << shape_str(c.out.shape));
    const std::string out_err = mismatch(out, c.out.values);
    CHECK_MESSAGE(out_err.empty(), c.name << ": output " << out_err);

    REQUIRE_MESSAGE(out.requires_grad(), c.name << ": output does not require grad");
    out.backward(make_f64(c.gout, c.out.shape));
    for (size_t i = 0; i < c.inputs.size(); ++i) {
        if (!c.has_grad[i]) continue;
        const std::string err = mismatch(inputs[i].grad(), c.grads[i]);
        CHECK_MESSAGE(err.empty(), c.name << ": grad of input " << i << ": " << err);
    }
}

}  // namespace

// GOLDEN(op, case, fn): maps a golden case to code and makes it one test.
#define GOLDEN_CAT2(a, b) a##b
#define GOLDEN_CAT(a, b) GOLDEN_CAT2(a, b)
#define GOLDEN(op, case_name, ...)                                    \
    static const bool GOLDEN_CAT(golden_registered_, __LINE__) =      \
        register_mapping(case_name, __VA_ARGS__);                     \
    TEST_CASE(op ": agrees with PyTorch on golden case " case_name) { \
        run_golden(case_name);                                        \
    }

using In = const std::vector<Tensor>&;

TEST_SUITE("golden") {
    GOLDEN("add", "add", [](In in) { return in[0] + in[1]; })
    GOLDEN("add", "add_broadcast_row", [](In in) { return in[0] + in[1]; })
    GOLDEN("add", "add_broadcast_col", [](In in) { return in[0] + in[1]; })
    GOLDEN("sub", "sub_broadcast", [](In in) { return in[0] - in[1]; })
    GOLDEN("mul", "mul_broadcast", [](In in) { return in[0] * in[1]; })
    GOLDEN("div", "div_broadcast", [](In in) { return in[0] / in[1]; })
    GOLDEN("add", "add_scalar", [](In in) { return in[0] + 2.5; })
    GOLDEN("rsub", "rsub_scalar", [](In in) { return 2.5 - in[0]; })
    GOLDEN("mul", "mul_scalar", [](In in) { return in[0] * -1.5; })
    GOLDEN("rdiv", "rdiv_scalar", [](In in) { return 2.0 / in[0]; })
    GOLDEN("neg", "neg", [](In in) { return -in[0]; })
    GOLDEN("pow", "pow_scalar", [](In in) { return in[0].pow(3.0); })
    GOLDEN("pow", "pow_frac", [](In in) { return in[0].pow(0.5); })
    GOLDEN("exp", "exp", [](In in) { return exp(in[0]); })
    GOLDEN("log", "log", [](In in) { return log(in[0]); })
    GOLDEN("sqrt", "sqrt", [](In in) { return sqrt(in[0]); })
    GOLDEN("abs", "abs", [](In in) { return abs(in[0]); })
    GOLDEN("tanh", "tanh", [](In in) { return tanh(in[0]); })
    GOLDEN("sigmoid", "sigmoid", [](In in) { return sigmoid(in[0]); })
    GOLDEN("relu", "relu", [](In in) { return relu(in[0]); })
    GOLDEN("leaky_relu", "leaky_relu", [](In in) { return leaky_relu(in[0], 0.1); })
    GOLDEN("gelu", "gelu", [](In in) { return gelu(in[0]); })
    GOLDEN("clamp", "clamp", [](In in) { return in[0].clamp(-0.5, 0.5); })
    GOLDEN("matmul", "matmul_2d", [](In in) { return matmul(in[0], in[1]); })
    GOLDEN("matmul", "matmul_1d_2d", [](In in) { return matmul(in[0], in[1]); })
    GOLDEN("matmul", "matmul_2d_1d", [](In in) { return matmul(in[0], in[1]); })
    GOLDEN("matmul", "matmul_batched", [](In in) { return matmul(in[0], in[1]); })
    GOLDEN("transpose", "transpose", [](In in) { return in[0].transpose(0, 1); })
    GOLDEN("reshape", "reshape", [](In in) { return in[0].reshape({3, 2}); })
    GOLDEN("view", "view_infer", [](In in) { return in[0].view({-1, 6}); })
    GOLDEN("flatten", "flatten", [](In in) { return in[0].flatten(1); })
    GOLDEN("unsqueeze", "unsqueeze", [](In in) { return in[0].unsqueeze(1); })
    GOLDEN("squeeze", "squeeze", [](In in) { return in[0].squeeze(1); })
    GOLDEN("slice", "slice", [](In in) { return in[0].slice(/*dim=*/1, /*start=*/1, /*end=*/3); })
    GOLDEN("select", "select", [](In in) { return in[0].select(/*dim=*/1, /*index=*/2); })
    GOLDEN("index_select", "index_select", [](In in) {
        return in[0].index_select(0, make_i64({2, 0, 2}, {3}));
    })
    GOLDEN("cat", "cat", [](In in) { return cat({in[0], in[1]}, /*dim=*/1); })
    GOLDEN("stack", "stack", [](In in) { return stack({in[0], in[1]}, /*dim=*/0); })
    GOLDEN("sum", "sum_all", [](In in) { return in[0].sum(); })
    GOLDEN("sum", "sum_dim", [](In in) { return in[0].sum(0); })
    GOLDEN("sum", "sum_dim_keepdim", [](In in) { return in[0].sum(1, /*keepdim=*/true); })
    GOLDEN("mean", "mean_all", [](In in) { return in[0].mean(); })
    GOLDEN("mean", "mean_dim", [](In in) { return in[0].mean(1); })
    GOLDEN("max", "max_all", [](In in) { return in[0].max(); })
    GOLDEN("max", "max_dim_values", [](In in) { return std::get<0>(in[0].max(1)); })
    GOLDEN("softmax", "softmax", [](In in) { return softmax(in[0], 1); })
    GOLDEN("log_softmax", "log_softmax", [](In in) { return log_softmax(in[0], 1); })
    GOLDEN("softmax", "softmax_dim0", [](In in) { return softmax(in[0], 0); })

    TEST_CASE("golden: every case of the file is mapped to an op, or is a loss left to nn") {
        const std::vector<GoldenCase>& cases = golden_cases();
        CHECK(cases.size() >= 53);
        for (const GoldenCase& c : cases) {
            const bool mapped = mappings().count(c.name) != 0;
            const bool loss = kLosses.count(c.name) != 0;
            CHECK_MESSAGE((mapped || loss), "golden case "
                                                << c.name << " (" << c.op
                                                << ") has no mapping in golden_test.cpp");
            CHECK_MESSAGE(c.out.values.size() == c.gout.size(),
                          "golden case " << c.name << ": gout and out differ in length");
        }
        // and nothing mapped refers to a case that has gone from the file
        for (const auto& [name, fn] : mappings()) {
            bool present = false;
            for (const GoldenCase& c : cases) present = present || c.name == name;
            CHECK_MESSAGE(present, "mapped golden case " << name << " is not in the file");
        }
    }

    TEST_CASE("golden: the reader parses shapes, 0-d outputs and gradients") {
        const std::vector<GoldenCase>& cases = golden_cases();
        const GoldenCase* sum_all = nullptr;
        const GoldenCase* bce = nullptr;
        for (const GoldenCase& c : cases) {
            if (c.name == "sum_all") sum_all = &c;
            if (c.name == "binary_cross_entropy") bce = &c;
        }
        REQUIRE(sum_all != nullptr);
        CHECK(sum_all->inputs.size() == 1);
        CHECK(sum_all->inputs[0].shape == std::vector<int64_t>{2, 3});
        CHECK(sum_all->inputs[0].values.size() == 6);
        CHECK(sum_all->out.shape.empty());
        CHECK(sum_all->out.values.size() == 1);
        CHECK(sum_all->gout.size() == 1);
        CHECK(sum_all->grads[0].size() == 6);
        REQUIRE(bce != nullptr);
        CHECK(bce->inputs.size() == 2);
        CHECK(bce->has_grad[0]);
        CHECK_FALSE(bce->has_grad[1]);
    }

}  // TEST_SUITE
