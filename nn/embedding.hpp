#pragma once
// Embedding: a lookup table of learned vectors, indexed by int64 ids.

#include <cstdint>
#include <iosfwd>
#include <optional>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// Options of Embedding: `EmbeddingOptions(10000, 64).padding_idx(0).max_norm(1.0)`.
struct EmbeddingOptions {
    EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
        : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
    TAPEGRAD_ARG(int64_t, num_embeddings);
    TAPEGRAD_ARG(int64_t, embedding_dim);
    /// An id whose vector gets no gradient (and starts at zero), e.g. padding.
    TAPEGRAD_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
    /// Rows looked up with a norm above max_norm are rescaled to it, in the weight, first.
    TAPEGRAD_ARG(std::optional<double>, max_norm) = std::nullopt;
    /// The p of the max_norm norm.
    TAPEGRAD_ARG(double, norm_type) = 2.0;
    /// Scales each row's gradient by 1 / (how often its id appears in the batch).
    TAPEGRAD_ARG(bool, scale_grad_by_freq) = false;
    /// Sparse gradients: not supported (true is refused).
    TAPEGRAD_ARG(bool, sparse) = false;
    /// The initial weight ([num_embeddings, embedding_dim]), used as is instead of N(0, 1).
    TAPEGRAD_ARG(Tensor, _weight);
};

/// Options of Embedding::from_pretrained; freeze keeps the weight from requiring grad.
struct EmbeddingFromPretrainedOptions {
    TAPEGRAD_ARG(bool, freeze) = true;
    TAPEGRAD_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
    TAPEGRAD_ARG(std::optional<double>, max_norm) = std::nullopt;
    TAPEGRAD_ARG(double, norm_type) = 2.0;
    TAPEGRAD_ARG(bool, scale_grad_by_freq) = false;
    TAPEGRAD_ARG(bool, sparse) = false;
};

namespace functional {
/// Options of functional::embedding (those of Embedding without the sizes).
struct EmbeddingFuncOptions {
    TAPEGRAD_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
    TAPEGRAD_ARG(std::optional<double>, max_norm) = std::nullopt;
    TAPEGRAD_ARG(double, norm_type) = 2.0;
    TAPEGRAD_ARG(bool, scale_grad_by_freq) = false;
    TAPEGRAD_ARG(bool, sparse) = false;
};
/// Rows of `weight` ([num_embeddings, dim]) picked by int64 ids of any shape [*]:
/// [*, dim]. With max_norm, the rows looked up are first rescaled in `weight` itself.
Tensor embedding(const Tensor& input, const Tensor& weight,
                 const EmbeddingFuncOptions& options = {});
}  // namespace functional

/// Maps int64 ids of any shape [*] to vectors [*, embedding_dim]: rows of `weight`
/// ([num_embeddings, embedding_dim], initialised N(0, 1) as PyTorch). Repeated ids sum their
/// gradients.
class EmbeddingImpl : public Cloneable<EmbeddingImpl> {
public:
    EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
        : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
    explicit EmbeddingImpl(const EmbeddingOptions& options);

    /// Registers the weight (options._weight(), or a new one initialised).
    void reset() override;
    /// weight ~ N(0, 1), with the padding row zero.
    void reset_parameters();
    Tensor forward(const Tensor& indices);
    void pretty_print(std::ostream& stream) const override;

    EmbeddingOptions options;
    Tensor weight;

protected:
    bool describes_parameters() const override { return true; }
};

/// The holder of EmbeddingImpl, with LibTorch's from_pretrained.
class Embedding : public ModuleHolder<EmbeddingImpl> {
public:
    using ModuleHolder<EmbeddingImpl>::ModuleHolder;
    using Impl = EmbeddingImpl;
    /// An Embedding whose weight is `embeddings` ([num_embeddings, dim], used as is), frozen
    /// (requires_grad false) unless options.freeze(false).
    static Embedding from_pretrained(const Tensor& embeddings,
                                     const EmbeddingFromPretrainedOptions& options = {});
};

}  // namespace nn
}  // namespace tapegrad
