#include "nn/embedding.hpp"

#include <ostream>
#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tapegrad {
namespace nn {

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& opts) : options(opts) {
    if (const auto& p = options.padding_idx()) {
        const int64_t n = options.num_embeddings();
        if (*p < -n || *p >= n) {
            throw std::invalid_argument("Embedding: padding_idx " + std::to_string(*p) +
                                        " is out of range for " + std::to_string(n) +
                                        " embeddings");
        }
        if (*p < 0) options.padding_idx(*p + n);
    }
    weight =
        register_parameter("weight", empty({options.num_embeddings(), options.embedding_dim()}));
    reset_parameters();
}

void EmbeddingImpl::reset_parameters() {
    init::normal_(weight);
    if (const auto& p = options.padding_idx()) {
        NoGradGuard no_grad;
        weight.select(0, *p).zero_();
    }
}

// y[i..., :] = weight[indices[i...], :]        grad_weight rows += grad_out rows (index_select)
Tensor EmbeddingImpl::forward(const Tensor& indices) {
    if (indices.dtype() != kInt64) {
        throw std::invalid_argument(std::string("Embedding: indices must be int64, got ") +
                                    to_string(indices.dtype()));
    }
    const int64_t n = options.num_embeddings();
    const int64_t* ids = indices.data_ptr<int64_t>();
    for (int64_t i = 0; i < indices.numel(); ++i) {
        if (ids[i] < 0 || ids[i] >= n) {
            throw std::invalid_argument(
                "Embedding: index " + std::to_string(ids[i]) + " (at flat position " +
                std::to_string(i) + ") is out of range for " + std::to_string(n) + " embeddings");
        }
    }
    std::vector<int64_t> out_shape = indices.sizes();
    out_shape.push_back(options.embedding_dim());
    Tensor rows = weight.index_select(0, indices.reshape({-1}));
    if (const auto& p = options.padding_idx()) {
        // Multiplying the padding rows by zero keeps them zero and stops their gradient.
        Tensor keep = indices.reshape({-1, 1}).ne(*p).to(weight.dtype());
        rows = rows * keep;
    }
    return rows.reshape(out_shape);
}

void EmbeddingImpl::pretty_print(std::ostream& stream) const {
    stream << "Embedding(num_embeddings=" << options.num_embeddings()
           << ", embedding_dim=" << options.embedding_dim();
    if (options.padding_idx()) stream << ", padding_idx=" << *options.padding_idx();
    stream << ")";
}

}  // namespace nn
}  // namespace tapegrad
