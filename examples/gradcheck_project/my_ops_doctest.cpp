// doctest cases for my_ops, with tapegrad's gradient-check assertions.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <autograd/gradcheck_doctest.hpp>

#include "test_input.hpp"

using my_ops::input;
using In = const std::vector<tapegrad::Tensor>&;

TEST_CASE("softplus: gradients match finite differences") {
    auto f = [](In in) { return my_ops::softplus(in[0]); };
    CHECK_GRADCHECK(f, {input()});
    CHECK_GRADGRADCHECK(f, {input()});
}

// Fails on purpose: CMakeLists.txt registers it as a test that must fail with gradcheck's report.
TEST_CASE("softplus_wrong: gradcheck reports the wrong backward") {
    auto f = [](In in) { return my_ops::softplus_wrong(in[0]); };
    CHECK_GRADCHECK(f, {input()});
}
