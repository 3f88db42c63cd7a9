// Start-up cost: one 2x2 tensor op, then exit (the twin of startup_tapegrad.cpp).
#include <torch/torch.h>

int main() {
    const auto a = torch::ones({2, 2});
    const auto b = a + a;
    return b.sum().item<float>() == 8.f ? 0 : 1;
}
