#pragma once
// Embedding: a lookup table of learned vectors, indexed by int64 ids.

#include <cstdint>
#include <iosfwd>
#include <optional>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// Options of Embedding: `EmbeddingOptions(10000, 64).padding_idx(0)`.
struct EmbeddingOptions {
    EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
        : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
    TAPEGRAD_ARG(int64_t, num_embeddings);
    TAPEGRAD_ARG(int64_t, embedding_dim);
    /// An id whose vector stays zero and gets no gradient (e.g. padding).
    TAPEGRAD_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

/// Maps int64 ids of any shape [*] to vectors [*, embedding_dim]: rows of `weight`
/// ([num_embeddings, embedding_dim], initialised N(0, 1) as PyTorch). Repeated ids sum their
/// gradients.
class EmbeddingImpl : public Module {
public:
    EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
        : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
    explicit EmbeddingImpl(const EmbeddingOptions& options);

    void reset_parameters();
    Tensor forward(const Tensor& indices);
    void pretty_print(std::ostream& stream) const override;

    EmbeddingOptions options;
    Tensor weight;

protected:
    bool describes_parameters() const override { return true; }
};
TAPEGRAD_MODULE(Embedding);

}  // namespace nn
}  // namespace tapegrad
