// A typical user file, compiled (not run) by run_comparison.sh to time the compile-time cost of
// the umbrella header; user_tu_torch.cpp is the same file for LibTorch.
#include <tapegrad.hpp>

#include <cstdio>
namespace tg = tapegrad;

struct NetImpl : tg::nn::Module {
    NetImpl() {
        fc1 = register_module("fc1", tg::nn::Linear(784, 128));
        fc2 = register_module("fc2", tg::nn::Linear(128, 10));
    }
    tg::Tensor forward(const tg::Tensor& x) { return fc2(tg::relu(fc1(x))); }
    tg::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TAPEGRAD_MODULE(Net);

int main() {
    tg::manual_seed(0);
    Net net;
    tg::optim::Adam opt(net->parameters(), tg::optim::AdamOptions(1e-3));
    const auto x = tg::rand({64, 784});
    const auto y = tg::randint(0, 10, {64});
    for (int step = 0; step < 10; ++step) {
        opt.zero_grad();
        auto loss = tg::nn::functional::cross_entropy(net(x), y);
        loss.backward();
        opt.step();
        std::printf("step %d loss %.4f\n", step, loss.item<float>());
    }
}
