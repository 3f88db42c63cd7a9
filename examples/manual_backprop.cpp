// Backpropagation by hand, as textbooks write it, for a two-layer sigmoid MLP with an MSE
// loss; every gradient is checked element by element against tapegrad's. A second, subtly
// wrong derivation (the 1/numel of the mean forgotten) shows why such checks are worth having.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tapegrad.hpp>
#include <vector>
namespace tg = tapegrad;

// Largest |a - b| over all elements, printing the first few pairs.
double compare(const char* name, const tg::Tensor& by_hand, const tg::Tensor& autograd) {
    const auto a = by_hand.to_vector<double>();
    const auto b = autograd.to_vector<double>();
    double worst = a.size() == b.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        worst = std::max(worst, std::abs(a[i] - b[i]));
    std::printf("  %-3s %-7s by hand %+.6f %+.6f ...  autograd %+.6f %+.6f ...  max |diff| %.1e\n",
                name, tg::shape_str(autograd.sizes()).c_str(), a[0], a[1], b[0], b[1], worst);
    return worst;
}

int main() {
    tg::manual_seed(0);
    const auto f64 = tg::kFloat64;
    auto x = tg::randn({8, 3}, f64);                    // [N, in]
    auto t = tg::rand({8, 2}, f64);                     // targets in (0, 1)
    auto w1 = tg::randn({3, 4}, f64).requires_grad_();  // [in, hidden]
    auto b1 = tg::zeros({4}, f64).requires_grad_();
    auto w2 = tg::randn({4, 2}, f64).requires_grad_();  // [hidden, out]
    auto b2 = tg::zeros({2}, f64).requires_grad_();

    // forward: h = sigmoid(x w1 + b1), y = sigmoid(h w2 + b2), L = mean((y - t)^2)
    auto h = tg::sigmoid(tg::matmul(x, w1) + b1);
    auto y = tg::sigmoid(tg::matmul(h, w2) + b2);
    auto loss = tg::mse_loss(y, t);
    loss.backward();  // what the engine does for us
    std::printf("loss %.6f\n", loss.item<double>());

    // backward by hand, from the output down, with the chain rule at every step
    tg::NoGradGuard no_grad;
    auto backward_by_hand = [&](bool forget_mean) {
        const double scale = forget_mean ? 2.0 : 2.0 / static_cast<double>(y.numel());
        auto dy = scale * (y - t);          // dL/dy     [N, out]
        auto dz2 = dy * y * (1.0 - y);      // sigmoid'(z) = y (1 - y)
        auto dw2 = tg::matmul(h.t(), dz2);  // dL/dw2 = h^T dz2   [hidden, out]
        auto db2 = dz2.sum(0);              // the bias is broadcast over the batch
        auto dh = tg::matmul(dz2, w2.t());  // dL/dh = dz2 w2^T   [N, hidden]
        auto dz1 = dh * h * (1.0 - h);
        auto dw1 = tg::matmul(x.t(), dz1);  // [in, hidden]
        auto db1 = dz1.sum(0);
        return std::vector<tg::Tensor>{dw1, db1, dw2, db2};
    };

    const std::vector<std::string> names = {"w1", "b1", "w2", "b2"};
    const std::vector<tg::Tensor> params = {w1, b1, w2, b2};
    double worst_right = 0, worst_wrong = 0;
    std::printf("correct derivation:\n");
    auto right = backward_by_hand(false);
    for (size_t i = 0; i < params.size(); ++i)
        worst_right = std::max(worst_right, compare(names[i].c_str(), right[i], params[i].grad()));
    std::printf("derivation that forgets the 1/numel of the mean:\n");
    auto wrong = backward_by_hand(true);
    for (size_t i = 0; i < params.size(); ++i)
        worst_wrong = std::max(worst_wrong, compare(names[i].c_str(), wrong[i], params[i].grad()));

    const bool ok = worst_right < 1e-12 && worst_wrong > 1e-3;
    std::printf("hand gradients %s autograd to %.1e; the wrong derivation is off by %.1e %s\n",
                worst_right < 1e-12 ? "match" : "DO NOT MATCH", worst_right, worst_wrong,
                worst_wrong > 1e-3 ? "and the check catches it" : "and the check MISSES it");
    return ok ? 0 : 1;
}
