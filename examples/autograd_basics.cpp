// A scalar walk-through, micrograd-sized: build an expression, print every value and
// gradient, and check the gradients against finite differences.
#include <tapegrad.hpp>

#include <cmath>
#include <cstdio>
namespace tg = tapegrad;

// f(a, b) = relu(a * b + b^3) * tanh(a) - b / a, written with tapegrad ops.
tg::Tensor f(const tg::Tensor& a, const tg::Tensor& b) {
    auto c = a * b + b.pow(3);
    auto d = tg::relu(c) * tg::tanh(a);
    return d - b / a;
}

int main() {
    auto opts = tg::dtype(tg::kFloat64).requires_grad(true);
    auto a = tg::tensor(-1.5, opts);  // 0-d tensors: scalars with a graph
    auto b = tg::tensor(2.0, opts);
    auto y = f(a, b);
    y.backward();
    std::printf("a = %.4f, b = %.4f\n", a.item<double>(), b.item<double>());
    std::printf("y = f(a, b) = %.6f   (made by '%s')\n", y.item<double>(),
                y.grad_fn()->name().c_str());
    std::printf("dy/da = %.6f\ndy/db = %.6f\n", a.grad().item<double>(), b.grad().item<double>());

    // the same derivatives by central differences, outside the graph
    const double h = 1e-6;
    auto at = [&](double av, double bv) {
        tg::NoGradGuard no_grad;
        return f(tg::tensor(av, tg::kFloat64), tg::tensor(bv, tg::kFloat64)).item<double>();
    };
    const double da = (at(-1.5 + h, 2.0) - at(-1.5 - h, 2.0)) / (2 * h);
    const double db = (at(-1.5, 2.0 + h) - at(-1.5, 2.0 - h)) / (2 * h);
    std::printf("finite differences: dy/da = %.6f, dy/db = %.6f\n", da, db);

    // the library's checker does the same for every element of every input
    auto check =
        tg::autograd::gradcheck([](const std::vector<tg::Tensor>& in) { return f(in[0], in[1]); },
                                {a.detach().requires_grad_(), b.detach().requires_grad_()});
    std::printf("gradcheck: %s\n", check ? "passed" : check.message.c_str());

    const bool ok = check && std::abs(da - a.grad().item<double>()) < 1e-6 &&
                    std::abs(db - b.grad().item<double>()) < 1e-6;
    std::printf("%s (analytic and numeric gradients should agree to about 1e-6)\n",
                ok ? "gradients agree" : "GRADIENTS DISAGREE");
    return ok ? 0 : 1;
}
