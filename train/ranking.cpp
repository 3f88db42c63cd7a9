#include "train/ranking.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "train/detail.hpp"

namespace tapegrad {
namespace train {

int64_t count_top_k(const Tensor& output, const Tensor& target, int64_t k) {
    NoGradGuard no_grad;
    if (!output.defined() || !target.defined() || output.dim() != 2 || target.dim() == 0 ||
        output.size(0) != target.size(0)) {
        detail::throw_shapes("top_k_accuracy", output, target,
                             "scores [N, C] with int64 classes [N] or one-hot rows [N, C]");
    }
    const int64_t n = output.size(0);
    const int64_t classes = output.size(1);
    if (k < 1 || k > classes) {
        throw std::invalid_argument("top_k_accuracy: k must be in [1, " + std::to_string(classes) +
                                    "] for an output " + shape_str(output.sizes()) + ", got " +
                                    std::to_string(k));
    }
    const std::vector<int64_t> truth = detail::classes_of_target("top_k_accuracy", output, target);
    const std::vector<double> scores = detail::values_of(output);
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t t = truth[static_cast<size_t>(i)];
        if (t < 0 || t >= classes) {
            throw std::invalid_argument("top_k_accuracy: target " + std::to_string(t) +
                                        " (sample " + std::to_string(i) +
                                        ") is not a class in [0, " + std::to_string(classes) + ")");
        }
        const double* row = scores.data() + i * classes;
        const double s = row[t];
        if (std::isnan(s)) continue;
        int64_t higher = 0;  // classes scored strictly above the true one
        for (int64_t j = 0; j < classes; ++j) higher += row[j] > s ? 1 : 0;
        if (higher < k) ++correct;
    }
    return correct;
}

double top_k_accuracy(const Tensor& output, const Tensor& target, int64_t k) {
    const int64_t correct = count_top_k(output, target, k);
    const int64_t n = output.size(0);
    return n ? static_cast<double>(correct) / static_cast<double>(n) : std::nan("");
}

void binary_scores(const Tensor& output, const Tensor& target, std::vector<double>& scores,
                   std::vector<int64_t>& labels) {
    NoGradGuard no_grad;
    if (!output.defined() || !target.defined() || output.dim() == 0 || target.dim() == 0 ||
        output.size(0) != target.size(0)) {
        detail::throw_shapes("roc_auc", output, target,
                             "a binary model's output [N], [N, 1] or [N, 2]");
    }
    const int64_t n = output.size(0);
    std::vector<double> s;
    std::vector<int64_t> l;
    if (output.numel() == n && output.dim() <= 2) {
        s = detail::values_of(output);
        if (target.numel() != n) detail::throw_shapes("roc_auc", output, target);
        l = detail::binary_labels("roc_auc", target);
    } else if (output.dim() == 2 && output.size(1) == 2) {
        const std::vector<double> v = detail::values_of(output);
        for (int64_t i = 0; i < n; ++i) s.push_back(v[2 * i + 1] - v[2 * i]);
        l = detail::classes_of_target("roc_auc", output, target);
        for (int64_t c : l) {
            if (c != 0 && c != 1) {
                throw std::invalid_argument("roc_auc: target " + std::to_string(c) +
                                            " is not a class of a binary model (0 or 1)");
            }
        }
    } else {
        throw std::invalid_argument(
            "roc_auc: ROC AUC needs a binary model's output [N], [N, 1] "
            "or [N, 2]; got " +
            shape_str(output.sizes()));
    }
    scores.insert(scores.end(), s.begin(), s.end());
    labels.insert(labels.end(), l.begin(), l.end());
}

double roc_auc(const std::vector<double>& scores, const std::vector<int64_t>& labels) {
    if (scores.size() != labels.size()) {
        throw std::invalid_argument("roc_auc: " + std::to_string(scores.size()) + " scores but " +
                                    std::to_string(labels.size()) + " labels");
    }
    for (double s : scores) {
        if (std::isnan(s)) return std::nan("");  // no order to measure
    }
    std::vector<size_t> order(scores.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return scores[a] < scores[b]; });
    // rank sum of the positives, tied scores sharing their average rank
    double positive_ranks = 0;
    int64_t positives = 0;
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
        const double rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // 1-based
        for (size_t k = i; k < j; ++k) {
            if (labels[order[k]] == 1) {
                positive_ranks += rank;
                ++positives;
            }
        }
        i = j;
    }
    const int64_t negatives = static_cast<int64_t>(scores.size()) - positives;
    if (positives == 0 || negatives == 0) return std::nan("");
    const double p = static_cast<double>(positives);
    return (positive_ranks - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

double roc_auc(const Tensor& output, const Tensor& target) {
    std::vector<double> scores;
    std::vector<int64_t> labels;
    binary_scores(output, target, scores, labels);
    return roc_auc(scores, labels);
}

}  // namespace train
}  // namespace tapegrad
