// GoogleTest cases for my_ops, with tapegrad's gradient-check assertions.
#include <autograd/gradcheck_gtest.hpp>

#include "test_input.hpp"

using my_ops::input;
using In = const std::vector<tapegrad::Tensor>&;

TEST(Softplus, GradientsMatchFiniteDifferences) {
    auto f = [](In in) { return my_ops::softplus(in[0]); };
    EXPECT_GRADCHECK(f, {input()});
    EXPECT_GRADGRADCHECK(f, {input()});  // the backward is differentiable too
    tapegrad::autograd::GradcheckOptions fast;
    fast.fast_mode = true;  // one backward instead of one per output element
    EXPECT_GRADCHECK(f, {input()}, fast);
}

// Fails on purpose: CMakeLists.txt registers it as a test that must fail with gradcheck's report.
TEST(WrongSoftplus, GradcheckReportsTheWrongBackward) {
    auto f = [](In in) { return my_ops::softplus_wrong(in[0]); };
    EXPECT_GRADCHECK(f, {input()}) << "(softplus_wrong's backward is wrong on purpose)";
}
