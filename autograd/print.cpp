// Printing tensors.

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {

// ---- printing -----------------------------------------------------------------------------------

namespace {
// One element as text: integers plainly, floats with 4 decimals.
std::string format_value(double x, bool integral) {
    char buf[40];
    if (integral) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x));
    else std::snprintf(buf, sizeof buf, "%.4f", x);
    return buf;
}

// Prints one dim level, eliding the middle of long dims as PyTorch does; every element is
// padded to `width` so columns line up.
void print_level(std::ostream& os, const Tensor& t, const std::vector<std::string>& v, int64_t dim,
                 int64_t offset, int64_t stride, int indent, bool summarise, size_t width) {
    const int64_t n = t.size(dim);
    const int64_t inner = stride / (n == 0 ? 1 : n);
    const bool last = dim + 1 == t.dim();
    const std::string sep = last ? ", " : ",\n" + std::string(indent + 1, ' ');
    os << '[';
    for (int64_t i = 0; i < n; ++i) {
        if (summarise && n > 6 && i == 3) {
            os << "..." << sep;
            i = n - 3;
        }
        if (last) {
            const std::string& x = v[static_cast<size_t>(offset + i)];
            os << std::string(width - x.size(), ' ') << x;
        } else {
            print_level(os, t, v, dim + 1, offset + i * inner, inner, indent + 1, summarise, width);
        }
        if (i + 1 < n) os << sep;
    }
    os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "tensor(undefined)";
    const std::vector<double> values = t.to_vector<double>();
    std::vector<std::string> text;
    size_t width = 0;
    for (double x : values) {
        text.push_back(format_value(x, t.dtype() == kInt64));
        width = std::max(width, text.back().size());
    }
    os << "tensor(";
    if (t.dim() == 0) os << text[0];
    else print_level(os, t, text, 0, 0, t.numel(), 7, t.numel() > 1000, width);
    os << ", shape=" << shape_str(t.sizes()) << ", dtype=" << to_string(t.dtype());
    if (t.grad_fn()) os << ", grad_fn=<" << t.grad_fn()->name() << ">";
    else if (t.requires_grad()) os << ", requires_grad=true";
    return os << ')';
}

}  // namespace tapegrad
