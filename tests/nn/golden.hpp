#pragma once
// The LibTorch reference values of nn (tests/golden/nn_golden.txt, written by
// tests/golden/gen_nn/gen_nn.cpp) and a check that replays one case.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tests/autograd/test_util.hpp"

namespace tapegrad {
namespace testing {

/// The case `name` of nn_golden.txt (the file is read once).
inline const GoldenCase& nn_golden(const std::string& name) {
    static const std::vector<GoldenCase> cases = read_golden(TAPEGRAD_GOLDEN_DIR "/nn_golden.txt");
    for (const GoldenCase& c : cases)
        if (c.name == name) return c;
    throw std::runtime_error("no case " + name + " in nn_golden.txt");
}

/// Rebuilds the inputs of case `name` (float64, requiring grad where LibTorch's did; the
/// inputs listed in `integer` as int64), checks fn's output against LibTorch's, then runs
/// backward with the case's gout and checks every listed gradient.
inline void check_nn_golden(const std::string& name,
                            const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                            const std::set<size_t>& integer = {}, double rtol = 1e-12) {
    const GoldenCase& c = nn_golden(name);
    INFO("LibTorch case ", c.name, ": ", c.op);
    std::vector<Tensor> in;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
        Tensor t = make_f64(c.inputs[i].values, c.inputs[i].shape, c.has_grad[i]);
        in.push_back(integer.count(i) ? t.to(kInt64) : t);
    }
    const Tensor out = fn(in);
    CHECK(out.sizes() == c.out.shape);
    CHECK_VALUES(out, c.out.values, rtol, 1e-14);
    if (c.gout.empty()) return;
    out.backward(make_f64(c.gout, c.out.shape));
    for (size_t i = 0; i < c.inputs.size(); ++i)
        if (c.has_grad[i]) CHECK_VALUES(in[i].grad(), c.grads[i], 1e-10, 1e-14);
}

}  // namespace testing
}  // namespace tapegrad
