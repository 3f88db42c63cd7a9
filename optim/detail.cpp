#include "optim/detail.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

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

void check_non_negative(const char* optimizer, const char* what, double value) {
    if (!(value >= 0))
        throw std::invalid_argument(std::string(optimizer) + ": " + what + " must be >= 0, got " +
                                    format_number(value));
}

void check_betas(const char* optimizer, double beta1, double beta2) {
    const bool ok = beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1;
    if (!ok)
        throw std::invalid_argument(std::string(optimizer) + ": betas must be in [0, 1), got (" +
                                    format_number(beta1) + ", " + format_number(beta2) + ")");
}

}  // namespace detail
}  // namespace optim
}  // namespace tapegrad
