// Margin and ranking losses: margin_ranking_loss, cosine_embedding_loss, triplet_margin_loss,
// soft_margin_loss, multilabel_soft_margin_loss. Each is composed of differentiable ops,
// which give its backward (and its second derivative).

#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "autograd/detail.hpp"
#include "autograd/ops.hpp"
#include "nn/functional/loss.hpp"
#include "nn/functional/loss_util.hpp"

namespace tapegrad {
namespace nn {
namespace functional {

using tapegrad::detail::fail;

namespace {
// Three operands of one shape (LibTorch checks only their dims, then broadcasts).
void check_three(const char* op, const char* names, const Tensor& a, const Tensor& b,
                 const Tensor& c) {
    tapegrad::detail::check_defined(op, a, "input");
    tapegrad::detail::check_defined(op, b, "input");
    tapegrad::detail::check_defined(op, c, "input");
    tapegrad::detail::check_floating(op, a);
    if (a.sizes() != b.sizes() || a.sizes() != c.sizes()) {
        fail(op, std::string(names) + " must have one shape, got " + shape_str(a.sizes()) + ", " +
                     shape_str(b.sizes()) + " and " + shape_str(c.sizes()));
    }
}

// The p-norm of x1 - x2 + eps over the last dim, as PyTorch's pairwise_distance.
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps) {
    const Tensor d = x1 - x2 + eps;
    if (p == 2.0) return d.square().sum(-1).sqrt();
    if (p == 1.0) return d.abs().sum(-1);
    if (std::isinf(p)) return std::get<0>(d.abs().max(-1));
    return d.abs().pow(p).sum(-1).pow(1.0 / p);
}
}  // namespace

// loss = max(0, -t (x1 - x2) + margin)
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options) {
    const char* op = "margin_ranking_loss";
    check_option(op, "margin", options.margin(), true, "a number");
    check_three(op, "input1, input2 and target", input1, input2, target);
    const Tensor t = target.dtype() == input1.dtype() ? target : target.to(input1.dtype());
    return reduce_loss((-t * (input1 - input2) + options.margin()).clamp_min(0.0),
                       options.reduction());
}

// cos = <x1, x2> / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12)) over the last dim
// loss = 1 - cos where t = 1, max(0, cos - margin) where t = -1
// ATen gives 0 for any other target value; a 0/1 target (a common slip) would then drop every
// dissimilar pair without a word, so other values are refused.
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingLossFuncOptions& options) {
    const char* op = "cosine_embedding_loss";
    check_option(op, "margin", options.margin(), options.margin() >= -1 && options.margin() <= 1,
                 "in [-1, 1]");
    tapegrad::detail::check_defined(op, input1, "input1");
    tapegrad::detail::check_defined(op, input2, "input2");
    tapegrad::detail::check_defined(op, target, "target");
    tapegrad::detail::check_floating(op, input1);
    if (input1.sizes() != input2.sizes()) {
        fail(op, "input1 has shape " + shape_str(input1.sizes()) + ", input2 " +
                     shape_str(input2.sizes()) + "; they must match");
    }
    const bool batched = input1.dim() == 2 && target.dim() == 1 && target.size(0) == input1.size(0);
    const bool single = input1.dim() == 1 && target.dim() == 0;
    if (!batched && !single) {
        fail(op,
             "expected inputs [N, D] with target [N], or inputs [D] with a 0-d target; got "
             "inputs " +
                 shape_str(input1.sizes()) + " and target " + shape_str(target.sizes()));
    }
    const std::vector<double> labels = target.contiguous().to_vector<double>();
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] != 1.0 && labels[i] != -1.0) {
            std::ostringstream msg;
            msg << "target must hold 1 (similar) or -1 (dissimilar), got " << labels[i]
                << " at index " << i;
            fail(op, msg.str());
        }
    }
    const int64_t d = input1.dim() - 1;
    const Tensor dot = (input1 * input2).sum(d);
    const Tensor norms = ((input1 * input1).sum(d) + 1e-12) * ((input2 * input2).sum(d) + 1e-12);
    const Tensor cos = dot / norms.sqrt();
    const Tensor loss = where(target.eq(1.0), 1.0 - cos, (cos - options.margin()).clamp_min(0.0));
    return reduce_loss(loss, options.reduction());
}

// loss = max(0, margin + d(a, p) - d(a, n)), d = pairwise_distance over the last dim; with
// swap, d(a, n) becomes min(d(a, n), d(p, n)).
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           const TripletMarginLossFuncOptions& options) {
    const char* op = "triplet_margin_loss";
    check_option(op, "margin", options.margin(), true, "a number");
    check_option(op, "p", options.p(), options.p() > 0, "positive");
    check_option(op, "eps", options.eps(), options.eps() >= 0, "non-negative");
    check_three(op, "anchor, positive and negative", anchor, positive, negative);
    if (anchor.dim() < 1) fail(op, "inputs need a feature dim, got 0-d tensors");
    const double p = options.p(), eps = options.eps();
    const Tensor d_pos = pairwise_distance(anchor, positive, p, eps);
    Tensor d_neg = pairwise_distance(anchor, negative, p, eps);
    if (options.swap()) d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps));
    return reduce_loss((options.margin() + d_pos - d_neg).clamp_min(0.0), options.reduction());
}

// loss = log(1 + exp(-t x)), averaged (kMean) over all elements.
Tensor soft_margin_loss(const Tensor& input, const Tensor& target,
                        const SoftMarginLossFuncOptions& options) {
    check_loss_shapes("soft_margin_loss", input, target);
    const Tensor t = target.dtype() == input.dtype() ? target : target.to(input.dtype());
    return reduce_loss(detail::softplus(-t * input), options.reduction());
}

// loss_i = 1/C sum_c w_c (t_ic softplus(-x_ic) + (1 - t_ic) softplus(x_ic))
// which is -1/C sum_c w_c (t log sigmoid(x) + (1 - t) log sigmoid(-x)), one per sample.
Tensor multilabel_soft_margin_loss(const Tensor& input, const Tensor& target,
                                   const MultilabelSoftMarginLossFuncOptions& options) {
    const char* op = "multilabel_soft_margin_loss";
    check_loss_shapes(op, input, target);
    if (input.dim() < 1) fail(op, "input needs a class dim, got a 0-d tensor");
    detail::check_weight(op, "weight", options.weight(), input.sizes());
    const Tensor t = target.dtype() == input.dtype() ? target : target.to(input.dtype());
    Tensor loss = t * detail::softplus(-input) + (1.0 - t) * detail::softplus(input);
    if (options.weight().defined()) loss = loss * options.weight();
    const int64_t classes = input.size(-1);
    return reduce_loss(loss.sum(-1) / static_cast<double>(classes), options.reduction());
}

}  // namespace functional
}  // namespace nn

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           double margin, Reduction reduction) {
    return nn::functional::margin_ranking_loss(
        input1, input2, target, nn::MarginRankingLossOptions(reduction).margin(margin));
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             double margin, Reduction reduction) {
    return nn::functional::cosine_embedding_loss(
        input1, input2, target, nn::CosineEmbeddingLossOptions(reduction).margin(margin));
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                           double margin, double p, double eps, bool swap, Reduction reduction) {
    return nn::functional::triplet_margin_loss(
        anchor, positive, negative,
        nn::TripletMarginLossOptions(reduction).margin(margin).p(p).eps(eps).swap(swap));
}

Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    return nn::functional::soft_margin_loss(input, target, nn::SoftMarginLossOptions(reduction));
}

}  // namespace tapegrad
