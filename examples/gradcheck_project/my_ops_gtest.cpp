// GoogleTest cases for my_ops, with tapegrad's gradient-check assertions.
#include <autograd/gradcheck_gtest.hpp>

#include "my_ops.hpp"

namespace tg = tapegrad;
using In = const std::vector<tg::Tensor>&;

namespace {
tg::Tensor input() {
    tg::manual_seed(0);  // gradient checks need float64 inputs that require grad
    return tg::randn({2, 3}, tg::TensorOptions().dtype(tg::kFloat64).requires_grad(true));
}
}  // namespace

TEST(Softplus, GradientsMatchFiniteDifferences) {
    auto f = [](In in) { return my_ops::softplus(in[0]); };
    EXPECT_GRADCHECK(f, {input()});
    EXPECT_GRADGRADCHECK(f, {input()});  // the backward is differentiable too
    tg::autograd::GradcheckOptions fast;
    fast.fast_mode = true;  // one backward instead of one per output element
    EXPECT_GRADCHECK(f, {input()}, fast);
}

// Fails on purpose: CMakeLists.txt registers it as a test that must fail with gradcheck's report.
TEST(WrongSoftplus, GradcheckReportsTheWrongBackward) {
    auto f = [](In in) { return my_ops::softplus_wrong(in[0]); };
    EXPECT_GRADCHECK(f, {input()}) << "(softplus_wrong's backward is wrong on purpose)";
}
