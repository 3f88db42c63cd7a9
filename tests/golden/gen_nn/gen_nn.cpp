// Writes tests/golden/nn_golden.txt: values and gradients of nn's losses and layer options as
// LibTorch 1.13 computes them in float64, in the format of ops_golden.txt.
//
//   cmake -S tests/golden/gen_nn -B /tmp/gen_nn -G Ninja && cmake --build /tmp/gen_nn
//   /tmp/gen_nn/gen_nn > tests/golden/nn_golden.txt
//
// Inputs are built by formula (grid) or listed; integer targets are written as numbers and
// read back as int64 by the tests. The upstream gradient of an output with n elements is
// 0.1 * (i + 1), as in ops_golden.txt.

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace F = torch::nn::functional;
using torch::Tensor;

namespace {

Tensor grid(std::vector<int64_t> shape, double scale = 1.0, double shift = 0.0) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[size_t(i)] = std::sin(1.7 * i + 0.3) * scale + shift;
    return torch::tensor(v, torch::kDouble).reshape(shape);
}

Tensor values(std::vector<double> v, std::vector<int64_t> shape) {
    return torch::tensor(v, torch::kDouble).reshape(shape);
}

void print_values(const char* key, const Tensor& t, bool with_shape) {
    const Tensor c = t.detach().to(torch::kDouble).contiguous();
    std::printf("%s", key);
    if (with_shape) {
        std::printf(" shape");
        for (int64_t s : c.sizes()) std::printf(" %lld", static_cast<long long>(s));
    }
    std::printf(" :");
    const double* p = c.data_ptr<double>();
    for (int64_t i = 0; i < c.numel(); ++i) std::printf(" %.17g", p[i]);
    std::printf("\n");
}

struct Input {
    Tensor value;
    bool grad;
};

// One case: the inputs, the output of fn, and (when any input requires grad) the gradients
// of sum(out * gout).
void emit(const std::string& name, const std::string& op, std::vector<Input> inputs,
          const std::function<Tensor(const std::vector<Tensor>&)>& fn) {
    std::vector<Tensor> in;
    for (Input& i : inputs) {
        Tensor t = i.value.detach().clone();
        if (i.grad) t.requires_grad_();
        in.push_back(t);
    }
    std::printf("case %s\nop %s\n", name.c_str(), op.c_str());
    for (size_t i = 0; i < in.size(); ++i)
        print_values(("in" + std::to_string(i)).c_str(), in[i], true);
    Tensor out = fn(in);
    print_values("out", out, true);
    bool any = false;
    for (const Input& i : inputs) any = any || i.grad;
    if (any) {
        Tensor gout =
            torch::arange(1, out.numel() + 1, torch::kDouble).mul(0.1).reshape(out.sizes());
        print_values("gout", gout, false);
        out.backward(gout);
        for (size_t i = 0; i < in.size(); ++i)
            if (inputs[i].grad)
                print_values(("grad" + std::to_string(i)).c_str(), in[i].grad(), false);
    }
    std::printf("end\n");
}

}  // namespace

int main() {
    std::printf(
        "# nn losses and layer options computed by LibTorch %s in float64, written by\n"
        "# tests/golden/gen_nn/gen_nn.cpp (format as ops_golden.txt). Integer targets are listed\n"
        "# as numbers (read as int64). gout[i] = 0.1 * (i + 1).\n",
        TORCH_VERSION);
    const auto R = at::Reduction::Mean;
    const auto none = at::Reduction::None;
    const auto sum = at::Reduction::Sum;
    const Tensor x34 = grid({3, 4}, 2.0), t34 = grid({3, 4}, 1.0, 0.3);

    // smooth_l1_loss (ATen, so that beta is honoured) and huber_loss
    emit("smooth_l1_loss", "torch::smooth_l1_loss(x, t)", {{x34, true}, {t34, true}},
         [&](auto in) { return torch::smooth_l1_loss(in[0], in[1], R); });
    emit("smooth_l1_loss_beta_none", "torch::smooth_l1_loss(x, t, None, beta=0.5)",
         {{x34, true}, {t34, true}},
         [&](auto in) { return torch::smooth_l1_loss(in[0], in[1], none, 0.5); });
    emit("smooth_l1_loss_beta0_sum", "torch::smooth_l1_loss(x, t, Sum, beta=0)",
         {{x34, true}, {t34, true}},
         [&](auto in) { return torch::smooth_l1_loss(in[0], in[1], sum, 0.0); });
    emit("huber_loss", "F::huber_loss(x, t)", {{x34, true}, {t34, true}},
         [&](auto in) { return F::huber_loss(in[0], in[1]); });
    emit("huber_loss_delta_none", "F::huber_loss(x, t, delta 0.7, kNone)",
         {{x34, true}, {t34, true}}, [&](auto in) {
             return F::huber_loss(in[0], in[1],
                                  F::HuberLossFuncOptions().delta(0.7).reduction(torch::kNone));
         });

    // kl_div: log-probability input, probability target with a zero (no target gradient:
    // PyTorch's is NaN there), and log targets
    const Tensor logp = torch::log_softmax(grid({3, 4}, 1.5), 1);
    const Tensor prob =
        values({0.1, 0.2, 0.3, 0.4, 0.0, 0.5, 0.25, 0.25, 0.7, 0.1, 0.1, 0.1}, {3, 4});
    emit("kl_div_batchmean", "F::kl_div(logp, p, kBatchMean)", {{logp, true}, {prob, false}},
         [&](auto in) { return F::kl_div(in[0], in[1], F::KLDivFuncOptions(torch::kBatchMean)); });
    emit("kl_div_mean", "F::kl_div(logp, p)", {{logp, true}, {prob, false}},
         [&](auto in) { return F::kl_div(in[0], in[1]); });
    emit("kl_div_sum_positive_target", "F::kl_div(logp, softmax(q), kSum)",
         {{logp, true}, {torch::softmax(grid({3, 4}, 0.7, 0.2), 1), true}},
         [&](auto in) { return F::kl_div(in[0], in[1], F::KLDivFuncOptions(torch::kSum)); });
    emit("kl_div_log_target_none", "F::kl_div(logp, logq, kNone, log_target)",
         {{logp, true}, {torch::log_softmax(grid({3, 4}, 0.7, 0.2), 1), true}}, [&](auto in) {
             return F::kl_div(in[0], in[1], F::KLDivFuncOptions(torch::kNone).log_target(true));
         });

    // margin_ranking_loss
    const Tensor y5 = values({1, -1, 1, 1, -1}, {5});
    emit("margin_ranking_loss", "F::margin_ranking_loss(a, b, y, margin 0.3)",
         {{grid({5}), true}, {grid({5}, 0.8, 0.1), true}, {y5, false}}, [&](auto in) {
             return F::margin_ranking_loss(in[0], in[1], in[2],
                                           F::MarginRankingLossFuncOptions().margin(0.3));
         });
    emit("margin_ranking_loss_none", "F::margin_ranking_loss(a, b, y, kNone)",
         {{grid({5}), true}, {grid({5}, 0.8, 0.1), true}, {y5, false}}, [&](auto in) {
             return F::margin_ranking_loss(
                 in[0], in[1], in[2], F::MarginRankingLossFuncOptions().reduction(torch::kNone));
         });

    // cosine_embedding_loss
    const Tensor y4 = values({1, -1, -1, 1}, {4});
    emit("cosine_embedding_loss", "F::cosine_embedding_loss(a, b, y, margin 0.2)",
         {{grid({4, 3}), true}, {grid({4, 3}, 0.9, 0.3), true}, {y4, false}}, [&](auto in) {
             return F::cosine_embedding_loss(in[0], in[1], in[2],
                                             F::CosineEmbeddingLossFuncOptions().margin(0.2));
         });
    emit("cosine_embedding_loss_none", "F::cosine_embedding_loss(a, b, y, margin -0.5, kNone)",
         {{grid({4, 3}), true}, {grid({4, 3}, 0.9, 0.3), true}, {y4, false}}, [&](auto in) {
             return F::cosine_embedding_loss(
                 in[0], in[1], in[2],
                 F::CosineEmbeddingLossFuncOptions().margin(-0.5).reduction(torch::kNone));
         });
    emit("cosine_embedding_loss_1d", "F::cosine_embedding_loss(a [3], b [3], y 0-d = -1)",
         {{grid({3}), true}, {grid({3}, 0.9, 0.3), true}, {values({-1}, {}), false}},
         [&](auto in) { return F::cosine_embedding_loss(in[0], in[1], in[2]); });

    // triplet_margin_loss
    const Tensor a = grid({4, 3}), p = grid({4, 3}, 0.9, 0.3), n = grid({4, 3}, 1.2, -0.2);
    emit("triplet_margin_loss", "F::triplet_margin_loss(a, p, n)",
         {{a, true}, {p, true}, {n, true}},
         [&](auto in) { return F::triplet_margin_loss(in[0], in[1], in[2]); });
    emit("triplet_margin_loss_p1_swap_none",
         "F::triplet_margin_loss(a, p, n, margin 0.5, p 1, swap, kNone)",
         {{a, true}, {p, true}, {n, true}}, [&](auto in) {
             return F::triplet_margin_loss(
                 in[0], in[1], in[2],
                 F::TripletMarginLossFuncOptions().margin(0.5).p(1).swap(true).reduction(
                     torch::kNone));
         });
    emit("triplet_margin_loss_p3_sum", "F::triplet_margin_loss(a, p, n, margin 2, p 3, kSum)",
         {{a, true}, {p, true}, {n, true}}, [&](auto in) {
             return F::triplet_margin_loss(
                 in[0], in[1], in[2],
                 F::TripletMarginLossFuncOptions().margin(2.0).p(3).reduction(torch::kSum));
         });

    // poisson_nll_loss
    const Tensor counts = values({0, 1, 2, 3, 0.5, 4}, {2, 3});
    emit("poisson_nll_loss", "F::poisson_nll_loss(log_rate, t)",
         {{grid({2, 3}), true}, {counts, false}},
         [&](auto in) { return F::poisson_nll_loss(in[0], in[1]); });
    emit(
        "poisson_nll_loss_rate_full_none",
        "F::poisson_nll_loss(rate, t, log_input false, full, kNone)",
        {{grid({2, 3}, 0.5, 1.0), true}, {counts, false}}, [&](auto in) {
            return F::poisson_nll_loss(
                in[0], in[1],
                F::PoissonNLLLossFuncOptions().log_input(false).full(true).reduction(torch::kNone));
        });

    // soft_margin_loss, multilabel_soft_margin_loss
    const Tensor y23 = values({1, -1, -1, 1, 1, -1}, {2, 3});
    emit("soft_margin_loss", "F::soft_margin_loss(x, y)", {{grid({2, 3}, 2.0), true}, {y23, false}},
         [&](auto in) { return F::soft_margin_loss(in[0], in[1]); });
    emit("soft_margin_loss_none", "F::soft_margin_loss(x, y, kNone)",
         {{grid({2, 3}, 2.0), true}, {y23, false}}, [&](auto in) {
             return F::soft_margin_loss(in[0], in[1], F::SoftMarginLossFuncOptions(torch::kNone));
         });
    const Tensor labels = values({1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0}, {3, 4});
    emit("multilabel_soft_margin_loss", "F::multilabel_soft_margin_loss(x, t, weight)",
         {{grid({3, 4}, 2.0), true}, {labels, false}, {values({0.5, 1, 2, 1.5}, {4}), false}},
         [&](auto in) {
             return F::multilabel_soft_margin_loss(
                 in[0], in[1], F::MultilabelSoftMarginLossFuncOptions().weight(in[2]));
         });
    emit("multilabel_soft_margin_loss_none", "F::multilabel_soft_margin_loss(x, t, kNone)",
         {{grid({3, 4}, 2.0), true}, {labels, false}}, [&](auto in) {
             return F::multilabel_soft_margin_loss(
                 in[0], in[1], F::MultilabelSoftMarginLossFuncOptions().reduction(torch::kNone));
         });

    // nll_loss in ATen's order, with weight and ignore_index
    const Tensor logp43 = torch::log_softmax(grid({4, 3}, 2.0), 1);
    const Tensor classes = values({2, 1, 0, 1}, {4}), w3 = values({0.5, 2.0, 1.0}, {3});
    emit("nll_loss_aten_mean", "torch::nll_loss(logp, t, w, Mean, ignore_index 0)",
         {{logp43, true}, {classes, false}, {w3, false}},
         [&](auto in) { return torch::nll_loss(in[0], in[1].to(torch::kLong), in[2], R, 0); });
    emit("nll_loss_aten_sum", "torch::nll_loss(logp, t, w, Sum)",
         {{logp43, true}, {classes, false}, {w3, false}},
         [&](auto in) { return torch::nll_loss(in[0], in[1].to(torch::kLong), in[2], sum); });
    emit("nll_loss_aten_none", "torch::nll_loss(logp, t, {}, None, ignore_index 1)",
         {{logp43, true}, {classes, false}},
         [&](auto in) { return torch::nll_loss(in[0], in[1].to(torch::kLong), {}, none, 1); });

    // binary cross entropy: ATen's function takes input [N, 1] against target [N]
    const Tensor prob41 = grid({4, 1}, 0.4, 0.5), target4 = values({0, 1, 1, 0}, {4});
    emit("binary_cross_entropy_n1_n_none", "torch::binary_cross_entropy(x [4, 1], t [4], {}, None)",
         {{prob41, true}, {target4, false}},
         [&](auto in) { return torch::binary_cross_entropy(in[0], in[1], {}, none); });
    emit("binary_cross_entropy_n1_n_weight",
         "torch::binary_cross_entropy(x [4, 1], t [4], w [4, 1])",
         {{prob41, true}, {target4, false}, {values({1, 2, 0.5, 1}, {4, 1}), false}},
         [&](auto in) { return torch::binary_cross_entropy(in[0], in[1], in[2]); });
    emit("binary_cross_entropy_with_logits_weights",
         "F::binary_cross_entropy_with_logits(x, t, weight [3], pos_weight [3])",
         {{grid({2, 3}, 3.0), true},
          {grid({2, 3}, 0.4, 0.5), true},
          {w3, false},
          {values({1.0, 3.0, 0.25}, {3}), false}},
         [&](auto in) {
             return F::binary_cross_entropy_with_logits(
                 in[0], in[1],
                 F::BinaryCrossEntropyWithLogitsFuncOptions().weight(in[2]).pos_weight(in[3]));
         });

    // GELU's tanh approximation
    emit("gelu_tanh", "F::gelu(x, approximate tanh)", {{grid({2, 3}, 2.0), true}},
         [&](auto in) { return F::gelu(in[0], F::GELUFuncOptions().approximate("tanh")); });

    // Embedding options
    const Tensor table = grid({4, 3}, 3.0), ids = values({1, 3, 1, 0}, {4});
    emit("embedding_max_norm", "F::embedding(ids, W, max_norm 1.5): the lookup",
         {{table, true}, {ids, false}}, [&](auto in) {
             return F::embedding(in[1].to(torch::kLong), in[0],
                                 F::EmbeddingFuncOptions().max_norm(1.5));
         });
    emit("embedding_max_norm_p1_weight", "F::embedding(ids, W, max_norm 2, norm_type 1): W after",
         {{table, false}, {ids, false}}, [&](auto in) {
             Tensor w = in[0].clone();
             F::embedding(in[1].to(torch::kLong), w,
                          F::EmbeddingFuncOptions().max_norm(2.0).norm_type(1.0));
             return w;
         });
    emit("embedding_scale_grad_by_freq_padding",
         "F::embedding(ids, W, padding_idx 0, scale_grad_by_freq)", {{table, true}, {ids, false}},
         [&](auto in) {
             return F::embedding(in[1].to(torch::kLong), in[0],
                                 F::EmbeddingFuncOptions().padding_idx(0).scale_grad_by_freq(true));
         });
    return 0;
}
