// The smallest user of the library: one gradient, checked. Exits non-zero when it is wrong.
#include <tapegrad.hpp>

#include <cmath>
#include <cstdio>

int main() {
    auto x = tapegrad::tensor({1.0, 2.0, 3.0}, tapegrad::requires_grad());
    (x * x).sum().backward();  // d/dx sum(x^2) = 2x
    const auto g = x.grad().to_vector<float>();
    const bool ok = g.size() == 3 && g[0] == 2.0f && g[1] == 4.0f && g[2] == 6.0f;
    std::printf("grad %g %g %g: %s\n", g[0], g[1], g[2], ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
