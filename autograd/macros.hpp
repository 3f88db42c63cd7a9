#pragma once
// LibTorch's checking macros, which the rename (torch:: -> tapegrad::) leaves as they are:
// TORCH_CHECK(cond, message parts...) and TORCH_INTERNAL_ASSERT / AT_ASSERT(cond, ...) throw
// std::runtime_error with the parts streamed together (LibTorch throws c10::Error, also a
// std::exception). Defined only where LibTorch's headers have not defined them already.

#include <sstream>
#include <stdexcept>
#include <string>

namespace tapegrad {
namespace detail {
template <class... Parts>
[[noreturn]] void check_failed(const char* kind, const char* condition, const char* file, int line,
                               const Parts&... parts) {
    std::ostringstream out;
    out << kind << " failed: " << condition << " at " << file << ":" << line;
    if constexpr (sizeof...(parts) > 0) {
        out << ": ";
        (out << ... << parts);
    }
    throw std::runtime_error(out.str());
}
}  // namespace detail
}  // namespace tapegrad

// The body of TORCH_CHECK and TORCH_INTERNAL_ASSERT: throws, naming the macro (kind) and the
// condition's text, when cond is false.
#define TAPEGRAD_CHECK_IMPL(kind, cond, text, ...)                                 \
    do {                                                                           \
        if (!(cond))                                                               \
            ::tapegrad::detail::check_failed(kind, text, __FILE__,                 \
                                             __LINE__ __VA_OPT__(, ) __VA_ARGS__); \
    } while (false)
#ifndef TORCH_CHECK
#define TORCH_CHECK(cond, ...) \
    TAPEGRAD_CHECK_IMPL("TORCH_CHECK", cond, #cond __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef TORCH_INTERNAL_ASSERT
#define TORCH_INTERNAL_ASSERT(cond, ...) \
    TAPEGRAD_CHECK_IMPL("TORCH_INTERNAL_ASSERT", cond, #cond __VA_OPT__(, ) __VA_ARGS__)
#endif
#ifndef AT_ASSERT
#define AT_ASSERT(cond, ...) TORCH_INTERNAL_ASSERT(cond __VA_OPT__(, ) __VA_ARGS__)
#endif
