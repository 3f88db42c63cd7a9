#include "nn/embedding.hpp"

#include <cmath>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tapegrad {
namespace nn {

namespace {
// padding_idx in [0, n): a negative one counts from the end, as in LibTorch.
std::optional<int64_t> normalized_padding(const char* op, const std::optional<int64_t>& p,
                                          int64_t n) {
    if (!p) return p;
    if (*p < -n || *p >= n) {
        throw std::invalid_argument(std::string(op) + ": padding_idx " + std::to_string(*p) +
                                    " is out of range for " + std::to_string(n) + " embeddings");
    }
    return *p < 0 ? *p + n : *p;
}

void check_not_sparse(const char* op, bool sparse) {
    if (sparse) {
        throw std::invalid_argument(std::string(op) +
                                    ": sparse gradients are not supported; use sparse(false)");
    }
}

// Rescales, in `weight`, each row among `ids` whose norm of order p exceeds max_norm to
// max_norm / (norm + 1e-7) times itself (PyTorch's embedding_renorm_). Not recorded.
void renorm_rows(const Tensor& weight, const std::vector<int64_t>& ids, double max_norm, double p) {
    const int64_t dim = weight.size(1);
    const Tensor w = weight.contiguous();
    std::vector<char> done(static_cast<size_t>(weight.size(0)), 0);
    NoGradGuard no_grad;
    for (int64_t id : ids) {
        if (done[static_cast<size_t>(id)]++) continue;
        double norm = 0;
        tapegrad::detail::dispatch_floating(w.dtype(), [&](auto zero) {
            using T = decltype(zero);
            const T* row = w.data_ptr<T>() + id * dim;
            for (int64_t j = 0; j < dim; ++j) {
                const double a = std::abs(static_cast<double>(row[j]));
                norm = std::isinf(p) ? std::max(norm, a) : norm + std::pow(a, p);
            }
        });
        if (!std::isinf(p)) norm = std::pow(norm, 1.0 / p);
        if (norm > max_norm) weight.select(0, id).mul_(max_norm / (norm + 1e-7));
    }
}

// y[i..., :] = weight[ids[i...], :]       grad_weight rows += g_i grad_out rows (index_select)
// g_i is 0 for padding ids, 1 / count(id) with scale_grad_by_freq, else 1; it scales only the
// gradient: y = rows + (rows - rows.detach()) (g - 1) has the value of rows exactly.
Tensor lookup(const char* op, const Tensor& input, const Tensor& weight,
              const functional::EmbeddingFuncOptions& options) {
    tapegrad::detail::check_defined(op, weight, "weight");
    if (weight.dim() != 2) {
        throw std::invalid_argument(std::string(op) +
                                    ": weight must be 2-D [num_embeddings, "
                                    "embedding_dim], got shape " +
                                    shape_str(weight.sizes()));
    }
    tapegrad::detail::check_defined(op, input, "indices");
    if (input.dtype() != kInt64) {
        throw std::invalid_argument(std::string(op) + ": indices must be int64, got " +
                                    to_string(input.dtype()));
    }
    check_not_sparse(op, options.sparse());
    const int64_t n = weight.size(0);
    const std::optional<int64_t> padding = normalized_padding(op, options.padding_idx(), n);
    const std::vector<int64_t> ids = input.contiguous().to_vector<int64_t>();
    for (size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0 || ids[i] >= n) {
            throw std::invalid_argument(
                std::string(op) + ": index " + std::to_string(ids[i]) + " (at flat position " +
                std::to_string(i) + ") is out of range for " + std::to_string(n) + " embeddings");
        }
    }
    if (const auto& max_norm = options.max_norm())
        renorm_rows(weight, ids, *max_norm, options.norm_type());

    std::vector<int64_t> out_shape = input.sizes();
    out_shape.push_back(weight.size(1));
    Tensor rows = weight.index_select(0, input.reshape({-1}));
    if (padding || options.scale_grad_by_freq()) {
        std::vector<double> count(static_cast<size_t>(n), 0.0);
        for (int64_t id : ids) count[static_cast<size_t>(id)] += 1;
        Tensor g = empty({static_cast<int64_t>(ids.size()), 1}, weight.dtype());
        tapegrad::detail::dispatch_floating(g.dtype(), [&](auto zero) {
            using T = decltype(zero);
            T* out = g.data_ptr<T>();
            for (size_t i = 0; i < ids.size(); ++i) {
                const bool pad = padding && ids[i] == *padding;
                const double freq = options.scale_grad_by_freq() ? count[size_t(ids[i])] : 1.0;
                out[i] = static_cast<T>(pad ? 0.0 : 1.0 / freq);
            }
        });
        rows = rows + (rows - rows.detach()) * (g - 1.0);
    }
    return rows.reshape(out_shape);
}
}  // namespace

Tensor functional::embedding(const Tensor& input, const Tensor& weight,
                             const EmbeddingFuncOptions& options) {
    return lookup("embedding", input, weight, options);
}

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& opts) : options(opts) {
    reset();
}

void EmbeddingImpl::reset() {
    check_not_sparse("Embedding", options.sparse());
    const int64_t n = options.num_embeddings();
    options.padding_idx(normalized_padding("Embedding", options.padding_idx(), n));
    const std::vector<int64_t> shape{n, options.embedding_dim()};
    if (options._weight().defined()) {
        if (options._weight().sizes() != shape) {
            throw std::invalid_argument("Embedding: _weight has shape " +
                                        shape_str(options._weight().sizes()) + ", expected " +
                                        shape_str(shape));
        }
        weight = register_parameter("weight", options._weight());
        // used once: a clone's reset() must make its own tensor, not share this one
        options._weight(Tensor());
        return;
    }
    weight = register_parameter("weight", tapegrad::empty(shape));
    reset_parameters();
}

void EmbeddingImpl::reset_parameters() {
    init::normal_(weight);
    if (const auto& p = options.padding_idx()) {
        NoGradGuard no_grad;
        weight.select(0, *p).zero_();
    }
}

Tensor EmbeddingImpl::forward(const Tensor& indices) {
    return lookup("Embedding", indices, weight,
                  functional::EmbeddingFuncOptions()
                      .padding_idx(options.padding_idx())
                      .max_norm(options.max_norm())
                      .norm_type(options.norm_type())
                      .scale_grad_by_freq(options.scale_grad_by_freq()));
}

void EmbeddingImpl::pretty_print(std::ostream& stream) const {
    stream << "Embedding(num_embeddings=" << options.num_embeddings()
           << ", embedding_dim=" << options.embedding_dim();
    if (options.padding_idx()) stream << ", padding_idx=" << *options.padding_idx();
    if (options.max_norm()) stream << ", max_norm=" << *options.max_norm();
    if (options.norm_type() != 2.0) stream << ", norm_type=" << options.norm_type();
    if (options.scale_grad_by_freq()) stream << ", scale_grad_by_freq=true";
    stream << ")";
}

Embedding Embedding::from_pretrained(const Tensor& embeddings,
                                     const EmbeddingFromPretrainedOptions& options) {
    if (!embeddings.defined() || embeddings.dim() != 2) {
        throw std::invalid_argument(
            "Embedding::from_pretrained: embeddings must be a 2-D tensor [num_embeddings, "
            "embedding_dim], got " +
            (embeddings.defined() ? "shape " + shape_str(embeddings.sizes()) : "undefined"));
    }
    Embedding embedding(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                            ._weight(embeddings)
                            .padding_idx(options.padding_idx())
                            .max_norm(options.max_norm())
                            .norm_type(options.norm_type())
                            .scale_grad_by_freq(options.scale_grad_by_freq())
                            .sparse(options.sparse()));
    embedding->weight.requires_grad_(!options.freeze());
    return embedding;
}

}  // namespace nn
}  // namespace tapegrad
