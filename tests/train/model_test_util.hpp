#pragma once
// Data and parameter helpers shared by the train suites: two Gaussian blobs, a small fixed
// prediction set worked by hand, and copies of parameters to compare.

#include <vector>

#include "tapegrad.hpp"

namespace tapegrad_test {

/// Two Gaussian blobs in 2-D around (-2, 0) and (2, 0), labels 0 and 1 (int64), `n` samples
/// each; with flip_labels the labels are swapped.
inline tapegrad::data::TensorDataset blobs(int64_t n, bool flip_labels = false) {
    namespace tg = tapegrad;
    auto x0 = tg::randn({n, 2}) + tg::tensor({-2.0f, 0.0f});
    auto x1 = tg::randn({n, 2}) + tg::tensor({2.0f, 0.0f});
    auto y = tg::cat({tg::zeros({n}, tg::kInt64), tg::ones({n}, tg::kInt64)});
    if (flip_labels) y = 1 - y;
    return tg::data::TensorDataset(tg::cat({x0, x1}), y);
}

/// Six samples of three classes, worked by hand in classification_test.cpp:
///   predicted (argmax)  0 1 2 2 1 0
///   true                0 1 1 2 0 0      rows are true classes: [2 1 0; 0 1 1; 0 0 1]
inline tapegrad::Tensor six_outputs() {
    return tapegrad::tensor({{3.0f, 1.0f, 0.0f},
                             {0.0f, 2.0f, 1.0f},
                             {0.0f, 1.0f, 4.0f},
                             {1.0f, 0.0f, 2.0f},
                             {0.0f, 5.0f, 1.0f},
                             {2.0f, 1.0f, 1.0f}});
}
inline tapegrad::Tensor six_targets() {
    return tapegrad::tensor({0, 1, 1, 2, 0, 0});
}

/// Detached copies of `params`.
inline std::vector<tapegrad::Tensor> copy_of(const std::vector<tapegrad::Tensor>& params) {
    std::vector<tapegrad::Tensor> out;
    for (const auto& p : params) out.push_back(p.detach().clone());
    return out;
}

/// True when both lists hold equal tensors.
inline bool all_equal(const std::vector<tapegrad::Tensor>& a,
                      const std::vector<tapegrad::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].detach().equal(b[i])) return false;
    }
    return true;
}

}  // namespace tapegrad_test
