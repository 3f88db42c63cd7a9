#pragma once
// summary(): a table of a model's layers, their output shapes and parameter counts, as Keras's
// model.summary().
//
//   std::cout << tapegrad::train::summary(model, {784});
//
//   Model: Sequential, input [N, 784]
//   ______________________________________________________
//    Layer (type)         Output shape         Param #
//   ======================================================
//    0 (Linear)           [N, 256]             200,960
//    1 (ReLU)             [N, 256]                   0
//   ...

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/sequential.hpp"

namespace tapegrad {
namespace train {

/// One row of a summary: a submodule, by its dotted name.
struct LayerSummary {
    std::string name;   ///< "0", "encoder.fc1", or "(own)" for the model's own parameters
    std::string type;   ///< the module's name(), e.g. "Linear"
    int64_t depth = 0;  ///< 0 for the model's children, 1 for theirs, ...
    /// The layer's output shape with the batch dimension as -1; empty when the forward does
    /// not show it (layers called inside a custom forward: only Sequential chains are traced).
    std::vector<int64_t> output_shape;
    int64_t params = 0;     ///< parameters and floating buffers registered on this module itself
    int64_t trainable = 0;  ///< of those, parameters that require grad
};

/// What summary() found: the rows, and totals over the whole model with each tensor counted
/// once. Non-trainable counts parameters that do not require grad and floating buffers
/// (BatchNorm's running statistics), as Keras counts them.
struct ModelSummary {
    std::string type;
    std::vector<int64_t> input_shape;   ///< batch dimension as -1
    std::vector<int64_t> output_shape;  ///< batch dimension as -1
    std::vector<LayerSummary> layers;
    int64_t total_params = 0;
    int64_t trainable_params = 0;
    int64_t non_trainable_params = 0;
    int64_t total_bytes = 0;
    int64_t trainable_bytes = 0;
    int64_t non_trainable_bytes = 0;

    /// The Keras-style table, shapes written [N, ...].
    std::string to_string() const;
};

std::ostream& operator<<(std::ostream& stream, const ModelSummary& summary);

/// Summarises `model` for inputs of shape [N, input_shape...]: runs it once on a zero batch of
/// two samples of `dtype` (int64 for an Embedding) in eval() mode under NoGradGuard, restoring
/// the mode after, and records each layer's output shape (every layer of a Sequential, nested
/// ones included; for other modules the model's output) and parameter counts. Throws
/// std::invalid_argument naming the layer when the forward fails (a wrong input shape).
ModelSummary summary(const nn::AnyModule& model, const std::vector<int64_t>& input_shape,
                     ScalarType dtype = kFloat32);

}  // namespace train
}  // namespace tapegrad
