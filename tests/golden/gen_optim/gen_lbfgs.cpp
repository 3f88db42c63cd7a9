// LBFGS trajectories on a 4-D Rosenbrock function, computed by LibTorch 1.13 in float64: the
// reference that tests/optim/lbfgs_test.cpp replays. Built by this folder's CMakeLists.txt
// (not by tapegrad's build); its output is tests/golden/lbfgs_rosenbrock.txt.
//
// f(x) = sum_{i=0..2} 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2, with x = cat(a, b): two
// parameters, so the flattening of several tensors into one vector is tested too.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace {

struct Config {
    const char* name;
    torch::optim::LBFGSOptions options;
    int steps;
};

torch::Tensor rosenbrock(const torch::Tensor& a, const torch::Tensor& b) {
    auto x = torch::cat({a, b});
    auto head = x.slice(0, 0, 3), tail = x.slice(0, 1, 4);
    return (100.0 * (tail - head * head).pow(2) + (1.0 - head).pow(2)).sum();
}

void print_values(const char* key, int step, const torch::Tensor& t) {
    std::printf("%s %d", key, step);
    auto c = t.contiguous();
    for (int64_t i = 0; i < c.numel(); ++i) std::printf(" %.17g", c.data_ptr<double>()[i]);
    std::printf("\n");
}

// cat(a, b) after each of `steps` steps from a start moved by `nudge` in its first coordinate.
std::vector<torch::Tensor> trajectory(const Config& config, double nudge) {
    auto a = torch::tensor({-1.5 + nudge, 2.0}, torch::kFloat64).requires_grad_();
    auto b = torch::tensor({-1.2, 1.0}, torch::kFloat64).requires_grad_();
    torch::optim::LBFGS opt({a, b}, config.options);
    auto closure = [&] {
        opt.zero_grad();
        auto loss = rosenbrock(a, b);
        loss.backward();
        return loss;
    };
    std::vector<torch::Tensor> xs;
    for (int step = 1; step <= config.steps; ++step) {
        opt.step(closure);
        xs.push_back(torch::cat({a.detach(), b.detach()}).clone());
    }
    return xs;
}

void run(const Config& config) {
    // how far LibTorch itself moves when the start moves by one rounding error: a comparison
    // to 1e-6 means something only where this spread is far below it
    const auto base = trajectory(config, 0), up = trajectory(config, 1e-15),
               down = trajectory(config, -1e-15);
    auto a = torch::tensor({-1.5, 2.0}, torch::kFloat64).requires_grad_();
    auto b = torch::tensor({-1.2, 1.0}, torch::kFloat64).requires_grad_();
    torch::optim::LBFGS opt({a, b}, config.options);
    const auto& o = config.options;
    std::printf(
        "config %s lr=%.17g max_iter=%lld max_eval=%lld tolerance_grad=%.17g "
        "tolerance_change=%.17g history_size=%lld line_search_fn=%s\n",
        config.name, o.lr(), static_cast<long long>(o.max_iter()),
        static_cast<long long>(
            static_cast<const torch::optim::LBFGSOptions&>(opt.defaults()).max_eval().value()),
        o.tolerance_grad(), o.tolerance_change(), static_cast<long long>(o.history_size()),
        o.line_search_fn() ? o.line_search_fn()->c_str() : "none");
    int evaluations = 0;
    auto closure = [&] {
        ++evaluations;
        opt.zero_grad();
        auto loss = rosenbrock(a, b);
        loss.backward();
        return loss;
    };
    for (int step = 1; step <= config.steps; ++step) {
        auto loss = opt.step(closure);
        std::printf("loss %d %.17g\n", step, loss.item<double>());
        print_values("step", step, torch::cat({a.detach(), b.detach()}));
        const auto& state =
            static_cast<const torch::optim::LBFGSParamState&>(*opt.state().begin()->second);
        const double spread =
            std::max((up[step - 1] - base[step - 1]).abs().max().item<double>(),
                     (down[step - 1] - base[step - 1]).abs().max().item<double>());
        std::printf("# spread under a 1e-15 nudge of the start: %.3g\n", spread);
        std::printf("evals %d %d %lld %lld\n", step, evaluations,
                    static_cast<long long>(state.func_evals()),
                    static_cast<long long>(state.n_iter()));
    }
    std::printf("end\n");
}

}  // namespace

int main() {
    std::printf(
        "# LBFGS on the 4-D Rosenbrock function, computed by LibTorch %d.%d.%d in float64\n"
        "# by tests/golden/gen_optim/gen_lbfgs.cpp. Start: a = [-1.5, 2], b = [-1.2, 1].\n"
        "# 'loss N' is what step N returned (the loss before it), 'step N' holds\n"
        "# cat(a, b) after it, 'evals N' the closure calls so far, then the state's\n"
        "# func_evals and n_iter. The spread comments say how far LibTorch's own result\n"
        "# moves when the start moves by 1e-15.\n",
        TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
    using torch::optim::LBFGSOptions;
    const Config configs[] = {
        // without a line search and with lr 1 the run is chaotic from the third step on: a
        // nudge of 1e-15 moves LibTorch's own result by 1e-4 there, so only two steps are kept
        {"plain", LBFGSOptions(1).max_iter(20), 2},
        {"plain_small_lr", LBFGSOptions(0.25).max_iter(10).history_size(4), 6},
        {"strong_wolfe", LBFGSOptions(1).max_iter(20).line_search_fn("strong_wolfe"), 6},
        {"strong_wolfe_short_history",
         LBFGSOptions(0.8).max_iter(15).max_eval(18).history_size(3).line_search_fn("strong_wolfe"),
         8},
        {"strong_wolfe_loose",
         LBFGSOptions(1).max_iter(50).tolerance_grad(1e-5).tolerance_change(1e-6).line_search_fn(
             "strong_wolfe"),
         4},
    };
    for (const auto& config : configs) run(config);
}
