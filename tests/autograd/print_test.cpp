// operator<< and str() print tensors exactly as LibTorch 1.13 does: compared with what
// LibTorch printed for the same tensors (tests/golden/print_golden.txt, by gen_print.cpp).

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {
// The sections of print_golden.txt: "== name" then the printed text, up to the next "== ".
std::map<std::string, std::string> read_print_golden() {
    std::ifstream in(TAPEGRAD_GOLDEN_DIR "/print_golden.txt");
    REQUIRE_MESSAGE(in.good(), "cannot open print_golden.txt");
    std::map<std::string, std::string> sections;
    std::string line, name, text;
    while (std::getline(in, line)) {
        if (line.rfind("== ", 0) == 0) {
            if (!name.empty()) sections[name] = text;
            name = line.substr(3);
            text.clear();
        } else {
            text += line + "\n";
        }
    }
    return sections;
}

Tensor values(const std::vector<double>& v, ScalarType dtype = kFloat32) {
    return make_f64(v, {static_cast<int64_t>(v.size())}).to(dtype);
}
}  // namespace

TEST_SUITE("print") {
    TEST_CASE("operator<<: prints as LibTorch for every dtype, rank and magnitude") {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        const std::map<std::string, Tensor> cases = {
            {"f32_2d", values({1.0, 2.5, -3.0, 4.0, 5.0, 6.25}).reshape({2, 3})},
            {"f32_0d", tensor(1.5f)},
            {"f64_1d", values({1.0, 2.0, 3.5}, kFloat64)},
            {"i64_3d", arange(24, kInt64).reshape({2, 3, 4})},
            {"bool_1d", values({1.0, 0.0, 1.0}).to(kBool)},
            {"f32_mixed_magnitudes", values({0.001, 100.0, 2.5, 3.0}).reshape({2, 2})},
            {"i64_0d", tensor(7.0).to(kInt64)},
            {"f64_0d_third", tensor(1.0 / 3.0, kFloat64)},
            {"f32_empty", zeros({0})},
            {"f32_empty_2d", zeros({0, 3})},
            {"f32_scaled_small", values({0.01, 0.02, 0.035})},
            {"f32_scaled_large", values({123456.0, 234567.5})},
            {"f32_scaled_2d", values({0.01, 0.02, 0.03, 0.045}).reshape({2, 2})},
            {"f32_scaled_3d", values({0.01, 0.02, 0.03, 0.045}).reshape({2, 1, 2})},
            {"f64_4d", (arange(16, kFloat64) * 0.5).reshape({2, 2, 2, 2})},
            {"f32_wide", (arange(30, kFloat32) * 0.5).reshape({2, 15})},
            {"f32_nan_inf", values({nan, inf, -1.5, 2.0})},
            {"f32_all_nan", values({nan, nan})},
            {"i64_big", values({1.0, 123456789.0}, kFloat64).to(kInt64)},
            {"i64_huge", values({1.0, 12345678901.0}, kFloat64).to(kInt64)},
            {"i64_negative", values({-5.0, 3.0, -120.0}).to(kInt64)},
            {"bool_2d", values({1.0, 0.0, 0.0, 1.0}).reshape({2, 2}).to(kBool)},
            {"f32_negative_large", values({-1000.5, 0.5}).reshape({1, 2})},
            {"f32_zeros", zeros({2, 2})},
            {"f32_integral_values", values({1.0, -2.0, 30.0})},
            {"f32_requires_grad", values({1.0, 2.0}).requires_grad_()},
            {"f32_with_grad_fn", values({1.0, 2.0}).requires_grad_() * 2},
            {"i32_1d", values({1.0, 2.0}).to(kInt32)},
            {"u8_1d", values({1.0, 200.0}).to(kUInt8)},
            {"f32_3d_empty", zeros({2, 0, 3})},
            {"f32_tiny", values({1e-10, 2e-10})},
            {"f32_huge_exp", values({1e-120, 1e120}, kFloat64)},
        };
        const std::map<std::string, std::string> golden = read_print_golden();
        for (const auto& [name, t] : cases) {
            INFO("case ", name);
            REQUIRE(golden.count(name) == 1);
            std::ostringstream os;
            os << t << "\n";
            CHECK(os.str() == golden.at(name));
        }
        // the stream's own format is left as it was
        std::ostringstream os;
        os << std::fixed << zeros({1}) << " " << 0.5;
        CHECK(os.str().substr(os.str().size() - 8) == "0.500000");
    }

    TEST_CASE("str: concatenates tensors and values as LibTorch's torch::str") {
        const std::map<std::string, std::string> golden = read_print_golden();
        CHECK(str(values({1.0, 2.0})) + "|\n" == golden.at("str_f32_1d"));
        CHECK(str("x = ", tensor(2.5f), ", n = ", 3) + "|\n" == golden.at("str_with_text"));
    }

    TEST_CASE("operator<<: an undefined tensor prints as LibTorch's") {
        std::ostringstream os;
        os << Tensor();
        CHECK(os.str() == "[ Tensor (undefined) ]");
    }
}
