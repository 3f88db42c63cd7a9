#pragma once
// Runs the cases of tests/golden/conv_golden.txt (written by tests/golden/gen_conv.cpp from
// LibTorch 1.13) through tapegrad: the output, then backward with the file's upstream gradient
// and every gradient the file lists.

#include <functional>
#include <string>
#include <vector>

#include "tests/autograd/test_util.hpp"

namespace tapegrad {
namespace testing {

inline const std::vector<GoldenCase>& conv_golden_cases() {
    static const std::vector<GoldenCase> cases =
        read_golden(TAPEGRAD_GOLDEN_DIR "/conv_golden.txt");
    return cases;
}

using ConvGoldenFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Compares fn on the inputs of case `name` with LibTorch's output and gradients, to rtol
/// 1e-10 (LibTorch sums in another order). Inputs that have a gradient in the file require grad.
inline void check_conv_golden(const std::string& name, const ConvGoldenFn& fn) {
    const GoldenCase* found = nullptr;
    for (const GoldenCase& c : conv_golden_cases())
        if (c.name == name) found = &c;
    REQUIRE_MESSAGE(found != nullptr, "golden case " << name << " is not in conv_golden.txt");
    const GoldenCase& c = *found;
    INFO("golden case ", c.name, ": ", c.op);
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < c.inputs.size(); ++i)
        inputs.push_back(make_f64(c.inputs[i].values, c.inputs[i].shape, c.has_grad[i]));
    const Tensor out = fn(inputs);
    REQUIRE(out.defined());
    CHECK_MESSAGE(out.sizes() == c.out.shape, "output shape " << shape_str(out.sizes())
                                                              << ", expected "
                                                              << shape_str(c.out.shape));
    const std::string err = mismatch(out, c.out.values, 1e-10, 1e-12);
    CHECK_MESSAGE(err.empty(), "output: " << err);
    if (c.gout.empty()) return;
    REQUIRE_MESSAGE(out.requires_grad(), "the output does not require grad");
    out.backward(make_f64(c.gout, c.out.shape));
    for (size_t i = 0; i < c.inputs.size(); ++i) {
        if (!c.has_grad[i]) continue;
        const std::string gerr = mismatch(inputs[i].grad(), c.grads[i], 1e-10, 1e-12);
        CHECK_MESSAGE(gerr.empty(), "gradient of input " << i << ": " << gerr);
    }
}

/// Float64 inputs that require grad: randn of each shape under a fixed seed.
inline std::vector<Tensor> randn_f64(std::initializer_list<std::vector<int64_t>> shapes,
                                     uint64_t seed = 0) {
    manual_seed(seed);
    std::vector<Tensor> out;
    for (const auto& s : shapes) out.push_back(randn(s, f64()));
    return out;
}

}  // namespace testing
}  // namespace tapegrad
