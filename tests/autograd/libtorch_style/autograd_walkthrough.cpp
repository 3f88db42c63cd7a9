// An autograd walkthrough written as a LibTorch program: it compiles against LibTorch as it is,
// and against tapegrad after renaming torch:: to tapegrad:: and <torch/torch.h> to
// <tapegrad.hpp> (tests/autograd/tests.cmake does both and compares what they print).
// LibTorch's C++ API has no autograd::functional, so only that step differs: the LibTorch
// build forms the Jacobian row by row with autograd::grad, the same numbers.
#include <torch/torch.h>

#include <iostream>

using namespace torch::autograd;

// y = x^3, with its derivative written by hand: grad_x = 3 x^2 grad_y.
class Cube : public Function<Cube> {
public:
    static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x) {
        ctx->save_for_backward({x});
        return x * x * x;
    }
    static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
        auto x = ctx->get_saved_variables()[0];
        return {3 * x * x * grad_outputs[0]};
    }
};

// f(v) = [v0 * v1, v1^2 + v2, sin(v0)]
torch::Tensor f(const torch::Tensor& v) {
    return torch::stack({v[0] * v[1], v[1] * v[1] + v[2], torch::sin(v[0])});
}

int main() {
    std::cout << "-- a leaf that requires grad, and ops on it\n";
    Variable x = torch::ones({2, 2}, torch::requires_grad());
    auto y = x + 2;
    auto z = y * y * 3;
    auto out = z.mean();
    std::cout << z << "\n" << out << "\n";
    std::cout << "leaf: " << x.is_leaf() << ", y is a leaf: " << y.is_leaf() << "\n";

    std::cout << "-- backward into the leaf's grad: d(mean(3 (x+2)^2))/dx = 1.5 (x+2)\n";
    out.backward();
    std::cout << x.grad() << "\n";

    std::cout << "-- a non-scalar output takes the gradient to contract with\n";
    auto a = torch::tensor({1.0, 2.0, 3.0}, torch::dtype(torch::kDouble).requires_grad(true));
    auto b = a * a * 2;
    b.backward(torch::tensor({0.1, 1.0, 0.01}, torch::kDouble));
    std::cout << a.grad() << "\n";

    std::cout << "-- no recording under NoGradGuard\n";
    {
        torch::NoGradGuard no_grad;
        std::cout << "requires grad: " << (a * 2).requires_grad() << "\n";
    }
    std::cout << "requires grad: " << (a * 2).requires_grad() << "\n";

    std::cout << "-- a custom Function\n";
    auto c = torch::tensor({1.0, -2.0, 0.5}, torch::requires_grad());
    auto cubed = Cube::apply(c);
    cubed.sum().backward();
    std::cout << cubed << "\n" << c.grad() << "\n";

    std::cout << "-- second derivatives: backward with create_graph\n";
    auto w = torch::tensor({2.0, 3.0}, torch::requires_grad());
    auto u = (w * w * w).sum();
    variable_list first = torch::autograd::grad({u}, {w}, {}, /*retain_graph=*/true,
                                                /*create_graph=*/true);
    std::cout << first[0] << "\n";
    first[0].sum().backward();
    std::cout << w.grad() << "\n";

    std::cout << "-- backward(gradient, retain_graph, create_graph, inputs)\n";
    auto p = torch::tensor({1.0, 2.0}, torch::requires_grad());
    auto q = torch::tensor({3.0, 4.0}, torch::requires_grad());
    auto r = (p * q).sum();
    r.backward({}, /*retain_graph=*/true, /*create_graph=*/false, tensor_list{p});
    std::cout << p.grad() << "\n"
              << "q has a grad: " << q.grad().defined() << "\n";

    std::cout << "-- the Jacobian of f at v\n";
    auto v = torch::tensor({0.5, -1.0, 2.0}, torch::kDouble);
#ifdef TAPEGRAD
    auto jac = torch::autograd::functional::jacobian(f, v);
#else
    auto vg = v.detach().requires_grad_(true);
    auto fv = f(vg);
    std::vector<torch::Tensor> rows;
    for (int64_t i = 0; i < fv.size(0); ++i) {
        rows.push_back(torch::autograd::grad({fv[i]}, {vg}, {}, /*retain_graph=*/true)[0]);
    }
    auto jac = torch::stack(rows);
#endif
    std::cout << jac << "\n";
    std::cout << "sizes: " << jac.sizes() << ", as a vector of " << jac.sizes().vec().size()
              << "\n";
    std::cout << torch::str("max |J| = ", jac.abs().max().item<double>()) << "\n";
}
