#pragma once
// Gradient-check assertions for doctest. Optional: include it in a test file instead of
// <doctest/doctest.h> (it includes that) and link your test against tapegrad::tapegrad.
//
//   auto f = [](const std::vector<tapegrad::Tensor>& in) { return my_op(in[0], in[1]); };
//   CHECK_GRADCHECK(f, {a, b});                  // a, b float64, requires_grad
//   REQUIRE_GRADCHECK(f, {a, b}, options);       // with GradcheckOptions
//   CHECK_GRADGRADCHECK(f, {a, b});              // second derivatives
//
// On failure the test prints gradcheck's report: the input and its element, the output and
// its element, analytic and numeric values and the error (and, for small ones, both
// Jacobians). Pass the function as a name: a lambda written inside the macro's arguments
// splits at the commas of its capture list.

#include <doctest/doctest.h>

#include "autograd/gradcheck.hpp"

/// CHECK that gradcheck(fn, inputs[, options]) passes, printing its report when it does not.
#define CHECK_GRADCHECK(fn, ...) TAPEGRAD_DOCTEST_GRADCHECK_(CHECK, gradcheck, fn, __VA_ARGS__)
/// REQUIRE that gradcheck(fn, inputs[, options]) passes (the test case stops when it does not).
#define REQUIRE_GRADCHECK(fn, ...) TAPEGRAD_DOCTEST_GRADCHECK_(REQUIRE, gradcheck, fn, __VA_ARGS__)
/// CHECK that gradgradcheck(fn, inputs[, options]) passes.
#define CHECK_GRADGRADCHECK(fn, ...) \
    TAPEGRAD_DOCTEST_GRADCHECK_(CHECK, gradgradcheck, fn, __VA_ARGS__)
/// REQUIRE that gradgradcheck(fn, inputs[, options]) passes.
#define REQUIRE_GRADGRADCHECK(fn, ...) \
    TAPEGRAD_DOCTEST_GRADCHECK_(REQUIRE, gradgradcheck, fn, __VA_ARGS__)

#define TAPEGRAD_DOCTEST_GRADCHECK_(level, check, fn, ...)               \
    do {                                                                 \
        const ::tapegrad::autograd::GradcheckResult tg_gradcheck_ =      \
            ::tapegrad::autograd::check(fn, __VA_ARGS__);                \
        level##_MESSAGE(tg_gradcheck_.ok, #check " of " #fn " failed:\n" \
                                              << tg_gradcheck_.message); \
    } while (0)
