#include "optim/detail.hpp"

#include <cstdio>
#include <cstdlib>

namespace tapegrad {
namespace optim {
namespace detail {

std::string format_number(double v) {
    char buf[32];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

std::string param_label(size_t group, size_t index) {
    std::string s = "parameter " + std::to_string(index);
    if (group > 0) s += " of group " + std::to_string(group);
    return s;
}

void add_count(const char* optimizer, const char* what, int64_t& counter, int64_t n) {
    int64_t sum = 0;
    if (__builtin_add_overflow(counter, n, &sum))
        throw std::logic_error(std::string(optimizer) + ": " + what + " = " +
                               std::to_string(counter) + " cannot grow by " + std::to_string(n) +
                               " without overflowing int64");
    counter = sum;
}

}  // namespace detail
}  // namespace optim
}  // namespace tapegrad
