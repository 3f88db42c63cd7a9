// A regression loop written as a LibTorch 1.13 program: it fits a cubic polynomial with one
// Linear layer over the features [x, x^2, x^3, x^4], SGD and smooth_l1_loss, reading the loss
// with the untyped item(). It compiles against LibTorch unchanged; CTest builds it from a copy
// with torch:: renamed to tapegrad:: and <torch/torch.h> to <tapegrad.hpp>. Exit code 0 when
// the fit converges, 1 when it does not.

#include <torch/torch.h>

#include <cstdio>
#include <iostream>

namespace {

constexpr int64_t kDegree = 4;

// [x, x^2, x^3, x^4] for x of shape [n, 1]
torch::Tensor features(const torch::Tensor& x) {
    std::vector<torch::Tensor> powers;
    for (int64_t i = 1; i <= kDegree; ++i) powers.push_back(x.pow(i));
    return torch::cat(powers, 1);
}

}  // namespace

int main() {
    torch::manual_seed(1);
    const auto true_w = torch::tensor({0.5, -1.5, 0.25, 0.0}, torch::kFloat32).unsqueeze(1);
    const float true_b = 0.75f;
    auto target_fn = [&](const torch::Tensor& x) { return features(x).mm(true_w) + true_b; };

    torch::nn::Linear fc(kDegree, 1);
    torch::optim::SGD optimizer(fc->parameters(), torch::optim::SGDOptions(0.1));
    const torch::Device device(torch::cuda::is_available() ? torch::kCUDA : torch::kCPU);
    fc->to(device);

    float loss_value = 0;
    int64_t batches = 0;
    for (batches = 1; batches <= 20000; ++batches) {
        auto x = torch::rand({32, 1}).mul(2).sub(1).to(device);  // x in [-1, 1)
        auto y = target_fn(x);
        optimizer.zero_grad();
        auto loss = torch::nn::functional::smooth_l1_loss(fc(features(x)), y);
        loss.backward();
        optimizer.step();
        loss_value = loss.item().toFloat();  // the untyped item(): a Scalar
        if (loss_value < 1e-5f) break;
    }
    std::printf("loss %.3g after %lld batches\n", loss_value, static_cast<long long>(batches));
    std::cout << "learned weight:\n"
              << fc->weight << "\nlearned bias: " << fc->bias.item<float>() << "\n";

    // the loop must have found the polynomial, not only a small loss on the last batch
    torch::NoGradGuard no_grad;
    auto x = torch::linspace(-1, 1, 101).unsqueeze(1);
    const float max_error = (fc(features(x)) - target_fn(x)).abs().max().item<float>();
    std::printf("largest error on [-1, 1]: %.3g\n", max_error);
    return loss_value < 1e-5f && max_error < 0.05f ? 0 : 1;
}
