// Start-up cost: one 2x2 tensor op, then exit. run_comparison.sh times the whole process
// against startup_torch.cpp, which does the same with LibTorch.
#include <tapegrad.hpp>

int main() {
    const auto a = tapegrad::ones({2, 2});
    const auto b = a + a;
    return b.sum().item<float>() == 8.f ? 0 : 1;
}
