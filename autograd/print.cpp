// Printing tensors in LibTorch's format: the values as columns of one width, a common factor
// ("0.01 *") when the magnitudes allow it, a "(i,j,.,.) = " block per matrix beyond 2-D, then
// "[ CPUFloatType{2,3} ]". The rules (and their quirks) are LibTorch 1.13's, checked against
// its output in tests/golden/print_golden.txt.

#include <cmath>
#include <iomanip>
#include <ios>
#include <ostream>
#include <string>
#include <vector>

#include "autograd/format.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {

namespace {

// "CPUFloatType", as LibTorch's Tensor::toString().
const char* type_name(ScalarType t) {
    return detail::enum_name(
        t, {"CPUFloatType", "CPUDoubleType", "CPULongType", "CPUIntType", "CPUShortType",
            "CPUCharType", "CPUByteType", "CPUBoolType", "CPUBFloat16Type"});
}

// Restores a stream's flags and precision on scope exit.
class FormatGuard {
public:
    explicit FormatGuard(std::ostream& os)
        : os_(os), flags_(os.flags()), precision_(os.precision()) {}
    ~FormatGuard() {
        os_.flags(flags_);
        os_.precision(precision_);
    }
    FormatGuard(const FormatGuard&) = delete;
    FormatGuard& operator=(const FormatGuard&) = delete;

private:
    std::ostream& os_;
    std::ios_base::fmtflags flags_;
    std::streamsize precision_;
};

void default_float(std::ostream& os) {
    os.unsetf(std::ios_base::floatfield);
}

struct Format {
    double scale = 1;
    int width = 0;
};

// Chooses the column width, the notation (set on `os`) and a common factor for `v`, as
// LibTorch: integers plainly (scientific past 9 digits); fractions fixed with 4 decimals,
// scaled by 10^(digits-1) when the largest is >= 1e5 or < 0.1, scientific when the digit
// counts of the smallest and largest differ by more than 4. Only finite values count.
Format choose_format(std::ostream& os, const double* v, int64_t n) {
    bool int_mode = true;
    for (int64_t i = 0; i < n; ++i) {
        if (std::isfinite(v[i]) && v[i] != std::ceil(v[i])) {
            int_mode = false;
            break;
        }
    }
    int64_t first = 0;
    while (first < n && !std::isfinite(v[first])) ++first;
    double exp_min = 1, exp_max = 1;
    if (first < n) {
        exp_min = exp_max = std::fabs(v[first]);
        for (int64_t i = first; i < n; ++i) {
            const double z = std::fabs(v[i]);
            if (!std::isfinite(z)) continue;
            if (z < exp_min) exp_min = z;
            // LibTorch compares the signed value here, so a large negative never raises the max
            if (v[i] > exp_max) exp_max = z;
        }
        exp_min = exp_min != 0 ? std::floor(std::log10(exp_min)) + 1 : 1;
        exp_max = exp_max != 0 ? std::floor(std::log10(exp_max)) + 1 : 1;
    }
    Format f;
    if (int_mode) {
        if (exp_max > 9) {
            f.width = 11;
            os << std::scientific << std::setprecision(4);
        } else {
            f.width = static_cast<int>(exp_max) + 1;
            default_float(os);
        }
    } else if (exp_max - exp_min > 4) {
        f.width = std::fabs(exp_max) > 99 || std::fabs(exp_min) > 99 ? 12 : 11;
        os << std::scientific << std::setprecision(4);
    } else {
        if (exp_max > 5 || exp_max < 0) {
            f.width = 7;
            f.scale = std::pow(10, exp_max - 1);
        } else {
            f.width = exp_max == 0 ? 7 : static_cast<int>(exp_max) + 6;
        }
        os << std::fixed << std::setprecision(4);
    }
    return f;
}

void print_scale(std::ostream& os, double scale) {
    FormatGuard guard(os);
    default_float(os);
    os << scale << " *\n";
}

void print_indent(std::ostream& os, int64_t indent) {
    os << std::string(static_cast<size_t>(indent), ' ');
}

// One [rows, cols] matrix at `v`, split into blocks of columns that fit `line_width`.
void print_matrix(std::ostream& os, const double* v, int64_t rows, int64_t cols, int64_t line_width,
                  int64_t indent) {
    const Format f = choose_format(os, v, rows * cols);
    print_indent(os, indent);
    const int64_t per_line = (line_width - indent) / (f.width + 1);
    for (int64_t first = 0; first < cols;) {
        const int64_t last = first + per_line <= cols ? first + per_line - 1 : cols - 1;
        if (per_line < cols) {
            if (first != 0) os << '\n';
            os << "Columns " << first + 1 << " to " << last + 1;
            print_indent(os, indent);
        }
        if (f.scale != 1) {
            print_scale(os, f.scale);
            print_indent(os, indent);
        }
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t c = first; c <= last; ++c) {
                os << std::setw(f.width) << v[r * cols + c] / f.scale;
                if (c != last) {
                    os << ' ';
                    continue;
                }
                os << '\n';
                if (r != rows - 1) {
                    print_indent(os, indent);
                    if (f.scale != 1) os << ' ';
                }
            }
        }
        first = last + 1;
    }
}

// A tensor of 3 or more dims as one "(i,j,.,.) = " block per matrix. The block index runs
// with the first dim fastest, as LibTorch's (Torch7's) counter does.
void print_blocks(std::ostream& os, const Tensor& t, const double* v, int64_t line_width) {
    const int64_t outer = t.dim() - 2;
    const int64_t rows = t.size(-2), cols = t.size(-1);
    std::vector<int64_t> counter(static_cast<size_t>(outer), 0);
    for (bool first_block = true;; first_block = false) {
        if (!first_block) {
            int64_t d = 0;
            while (d < outer && ++counter[static_cast<size_t>(d)] >= t.size(d)) {
                counter[static_cast<size_t>(d)] = 0;
                ++d;
            }
            if (d == outer) return;
            os << '\n';
        }
        int64_t offset = 0;
        os << '(';
        for (int64_t d = 0; d < outer; ++d) {
            offset = offset * t.size(d) + counter[static_cast<size_t>(d)];
            os << counter[static_cast<size_t>(d)] + 1 << ',';
        }
        os << ".,.) = \n";
        print_matrix(os, v + offset * rows * cols, rows, cols, line_width, 1);
    }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "[ Tensor (undefined) ]";
    FormatGuard guard(os);
    const std::vector<double> values = t.to_vector<double>();
    const double* v = values.data();
    const int64_t line_width = 80;
    if (t.dim() == 0) {
        default_float(os);
        os << v[0] << '\n';
    } else if (t.numel() > 0 && t.dim() == 1) {
        const Format f = choose_format(os, v, t.numel());
        if (f.scale != 1) print_scale(os, f.scale);
        for (double x : values) os << std::setw(f.width) << x / f.scale << '\n';
    } else if (t.numel() > 0 && t.dim() == 2) {
        print_matrix(os, v, t.size(0), t.size(1), line_width, 0);
    } else if (t.numel() > 0) {
        print_blocks(os, t, v, line_width);
    }
    os << "[ " << type_name(t.dtype()) << '{';
    for (int64_t d = 0; d < t.dim(); ++d) os << (d ? "," : "") << t.size(d);
    return os << "} ]";
}

}  // namespace tapegrad
