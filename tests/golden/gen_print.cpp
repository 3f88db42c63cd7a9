// Writes tests/golden/print_golden.txt: what LibTorch 1.13 prints for `std::cout << tensor`
// and torch::str(...), for the dtypes, ranks and magnitudes tests/autograd/print_test.cpp checks.
// Not built by default; to regenerate (Debian's libtorch-dev):
//   g++ -std=c++17 -O1 tests/golden/gen_print.cpp -o /tmp/gen_print \
//       -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10
//   /tmp/gen_print > tests/golden/print_golden.txt
// Each case is "== <name>" followed by what was printed; "== end" closes the file. The test
// builds the same tensors from the same values.
#include <torch/torch.h>

#include <cmath>
#include <iostream>
#include <limits>

int main() {
    auto show = [](const char* name, const torch::Tensor& t) {
        std::cout << "== " << name << "\n" << t << "\n";
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    show("f32_2d", torch::tensor({1.0, 2.5, -3.0, 4.0, 5.0, 6.25}).reshape({2, 3}));
    show("f32_0d", torch::tensor(1.5));
    show("f64_1d", torch::tensor({1.0, 2.0, 3.5}, torch::kDouble));
    show("i64_3d", torch::arange(24, torch::kLong).reshape({2, 3, 4}));
    show("bool_1d", torch::tensor({1.0, 0.0, 1.0}).to(torch::kBool));
    show("f32_mixed_magnitudes", torch::tensor({0.001, 100.0, 2.5, 3.0}).reshape({2, 2}));
    show("i64_0d", torch::tensor(7.0).to(torch::kLong));
    show("f64_0d_third", torch::tensor(1.0 / 3.0, torch::kDouble));
    show("f32_empty", torch::zeros({0}));
    show("f32_empty_2d", torch::zeros({0, 3}));
    show("f32_scaled_small", torch::tensor({0.01, 0.02, 0.035}));
    show("f32_scaled_large", torch::tensor({123456.0, 234567.5}));
    show("f32_scaled_2d", torch::tensor({0.01, 0.02, 0.03, 0.045}).reshape({2, 2}));
    show("f32_scaled_3d", torch::tensor({0.01, 0.02, 0.03, 0.045}).reshape({2, 1, 2}));
    show("f64_4d", (torch::arange(16, torch::kDouble) * 0.5).reshape({2, 2, 2, 2}));
    show("f32_wide", (torch::arange(30, torch::kFloat) * 0.5).reshape({2, 15}));
    show("f32_nan_inf", torch::tensor({nan, inf, -1.5, 2.0}));
    show("f32_all_nan", torch::tensor({nan, nan}));
    show("i64_big", torch::tensor({1.0, 123456789.0}).to(torch::kLong));
    show("i64_huge", torch::tensor({1.0, 12345678901.0}).to(torch::kLong));
    show("i64_negative", torch::tensor({-5.0, 3.0, -120.0}).to(torch::kLong));
    show("bool_2d", torch::tensor({1.0, 0.0, 0.0, 1.0}).reshape({2, 2}).to(torch::kBool));
    show("f32_negative_large", torch::tensor({-1000.5, 0.5}).reshape({1, 2}));
    show("f32_zeros", torch::zeros({2, 2}));
    show("f32_integral_values", torch::tensor({1.0, -2.0, 30.0}));
    show("f32_requires_grad", torch::tensor({1.0, 2.0}).requires_grad_());
    show("f32_with_grad_fn", torch::tensor({1.0, 2.0}).requires_grad_() * 2);
    show("i32_1d", torch::tensor({1.0, 2.0}).to(torch::kInt));
    show("u8_1d", torch::tensor({1.0, 200.0}).to(torch::kByte));
    show("f32_3d_empty", torch::zeros({2, 0, 3}));
    show("f32_tiny", torch::tensor({1e-10, 2e-10}));
    show("f32_huge_exp", torch::tensor({1e-120, 1e120}, torch::kDouble));
    std::cout << "== str_f32_1d\n" << torch::str(torch::tensor({1.0, 2.0})) << "|\n";
    std::cout << "== str_with_text\n"
              << torch::str("x = ", torch::tensor(2.5), ", n = ", 3) << "|\n";
    std::cout << "== end\n";
}
