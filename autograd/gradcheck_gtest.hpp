#pragma once
// Gradient-check assertions for GoogleTest. Optional: include it after (or instead of)
// <gtest/gtest.h> and link your test against tapegrad::tapegrad and GTest::gtest_main.
//
//   auto f = [](const std::vector<tapegrad::Tensor>& in) { return my_op(in[0], in[1]); };
//   EXPECT_GRADCHECK(f, {a, b});                 // a, b float64, requires_grad
//   ASSERT_GRADCHECK(f, {a, b}, options) << "extra context";
//   EXPECT_GRADGRADCHECK(f, {a, b});             // second derivatives
//
// On failure the test prints gradcheck's report: the input and its element, the output and
// its element, analytic and numeric values and the error (and, for small ones, both
// Jacobians). Like GoogleTest's own assertions they accept `<<` for more context. Pass the
// function as a name: a lambda written inside the macro's arguments splits at the commas of
// its capture list.

#include <gtest/gtest.h>

#include "autograd/gradcheck.hpp"

/// EXPECT that gradcheck(fn, inputs[, options]) passes, printing its report when it does not.
#define EXPECT_GRADCHECK(fn, ...) \
    TAPEGRAD_GTEST_GRADCHECK_(ADD_FAILURE(), gradcheck, fn, __VA_ARGS__)
/// ASSERT that gradcheck(fn, inputs[, options]) passes (returns from the test when it does not).
#define ASSERT_GRADCHECK(fn, ...) TAPEGRAD_GTEST_GRADCHECK_(FAIL(), gradcheck, fn, __VA_ARGS__)
/// EXPECT that gradgradcheck(fn, inputs[, options]) passes.
#define EXPECT_GRADGRADCHECK(fn, ...) \
    TAPEGRAD_GTEST_GRADCHECK_(ADD_FAILURE(), gradgradcheck, fn, __VA_ARGS__)
/// ASSERT that gradgradcheck(fn, inputs[, options]) passes.
#define ASSERT_GRADGRADCHECK(fn, ...) \
    TAPEGRAD_GTEST_GRADCHECK_(FAIL(), gradgradcheck, fn, __VA_ARGS__)

// switch/case keeps a user's `if (c) EXPECT_GRADCHECK(...); else ...` unambiguous, as
// GoogleTest's own macros do; the trailing else takes the user's `<< ...`.
#define TAPEGRAD_GTEST_GRADCHECK_(fail, check, fn, ...)                 \
    switch (0)                                                          \
    case 0:                                                             \
    default:                                                            \
        if (const ::tapegrad::autograd::GradcheckResult tg_gradcheck_ = \
                ::tapegrad::autograd::check(fn, __VA_ARGS__);           \
            tg_gradcheck_.ok) {                                         \
        } else                                                          \
            fail << #check " of " #fn " failed:\n" << tg_gradcheck_.message << "\n"
