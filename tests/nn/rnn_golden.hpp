#pragma once
// Runs the cases of tests/golden/rnn_golden.txt (written by tests/golden/gen_rnn.py from
// LibTorch 1.13) through a tapegrad module: its parameters are set from the file, then the
// outputs and every gradient are compared with LibTorch's.

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

namespace tapegrad {
namespace testing {

inline const std::vector<GoldenCase>& rnn_cases() {
    static const std::vector<GoldenCase> cases = read_golden(TAPEGRAD_GOLDEN_DIR "/rnn_golden.txt");
    return cases;
}

// every result of a layer or cell flattened into one vector
inline Tensor flat(const std::vector<Tensor>& outs) {
    std::vector<Tensor> parts;
    for (const Tensor& o : outs) parts.push_back(o.flatten());
    return cat(parts, 0);
}

using RNNGoldenCall =
    std::function<std::vector<Tensor>(const Tensor& x, const std::vector<Tensor>& states)>;

// Golden case `name`: inputs x, then n_states states, then the module's parameters in order
// (their names listed after "parameters" on the op line). Sets the parameters from the file and
// compares the output and every gradient with LibTorch's.
inline void check_rnn_golden(const std::string& name, nn::Module& module, size_t n_states,
                             const RNNGoldenCall& call) {
    const GoldenCase* found = nullptr;
    for (const GoldenCase& c : rnn_cases())
        if (c.name == name) found = &c;
    REQUIRE_MESSAGE(found != nullptr, "golden case " << name << " is not in rnn_golden.txt");
    const GoldenCase& c = *found;
    INFO("golden case ", c.name, ": ", c.op);
    module.to(kFloat64);
    const auto named = module.named_parameters();
    const std::vector<Tensor> params = named.values();
    std::ostringstream names;
    for (const auto& item : named) names << " " << item.key();
    CHECK(c.op.substr(c.op.find("; parameters") + 12) == names.str());
    REQUIRE(c.inputs.size() == 1 + n_states + params.size());
    std::vector<Tensor> leaves;
    for (size_t i = 0; i <= n_states; ++i)
        leaves.push_back(make_f64(c.inputs[i].values, c.inputs[i].shape, true));
    {
        NoGradGuard no_grad;
        for (size_t k = 0; k < params.size(); ++k) {
            const GoldenTensor& g = c.inputs[1 + n_states + k];
            REQUIRE(params[k].sizes() == g.shape);
            params[k].copy_(make_f64(g.values, g.shape));
        }
    }
    module.zero_grad();
    const Tensor out = flat(call(leaves[0], std::vector<Tensor>(leaves.begin() + 1, leaves.end())));
    CHECK_MESSAGE(mismatch(out, c.out.values, 1e-10, 1e-12).empty(),
                  "output: " << mismatch(out, c.out.values, 1e-10, 1e-12));
    out.backward(make_f64(c.gout, c.out.shape));
    for (size_t i = 0; i < c.inputs.size(); ++i) {
        const Tensor grad = i <= n_states ? leaves[i].grad() : params[i - 1 - n_states].grad();
        const std::string err = mismatch(grad, c.grads[i], 1e-10, 1e-12);
        CHECK_MESSAGE(err.empty(), "gradient of input " << i << ": " << err);
    }
}

}  // namespace testing
}  // namespace tapegrad
