#pragma once
// predict(): a model's outputs for a whole data set, batch by batch, as Keras's model.predict.
//
//   tapegrad::Tensor logits = tapegrad::train::predict(model, test.data());   // [n, 10]
//   tapegrad::Tensor classes = logits.argmax(1);

#include <cstdint>

#include "autograd/tensor.hpp"
#include "data/dataloader.hpp"
#include "data/dataset.hpp"
#include "nn/sequential.hpp"

namespace tapegrad {
namespace train {

/// The outputs of `model` for every sample of `x` [n, ...], in order, stacked into [n, ...]:
/// batches of `batch_size` (32, as Keras) run in eval() mode under NoGradGuard, and the
/// model's previous mode is restored, also when forward throws. Throws std::invalid_argument
/// for an empty model, batch_size <= 0, or no samples.
Tensor predict(const nn::AnyModule& model, const Tensor& x, int64_t batch_size = 32);
/// As above over the data of `dataset`'s samples, in index order.
Tensor predict(const nn::AnyModule& model, const data::TensorDataset& dataset,
               int64_t batch_size = 32);
/// As above over the batches of `loader`, in the loader's order (a shuffling loader gives a
/// new order every pass: then targets must come from the same pass, or use a dataset).
Tensor predict(const nn::AnyModule& model, data::DataLoader& loader);

}  // namespace train
}  // namespace tapegrad
