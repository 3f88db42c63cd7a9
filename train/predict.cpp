#include "train/predict.hpp"

#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace train {

namespace {

// Runs `for_each_input` (which calls its argument with each input batch) with the model in
// eval() mode under NoGradGuard, restoring the mode after, and concatenates the outputs.
Tensor collect(
    const nn::AnyModule& model,
    const std::function<void(const std::function<void(const Tensor&)>&)>& for_each_input) {
    if (model.is_empty()) throw std::invalid_argument("predict: the model is empty");
    nn::Module& module = *model.ptr();
    const bool was_training = module.is_training();
    module.eval();
    NoGradGuard no_grad;
    std::vector<Tensor> outputs;
    try {
        for_each_input([&](const Tensor& input) { outputs.push_back(model.forward(input)); });
    } catch (...) {
        module.train(was_training);
        throw;
    }
    module.train(was_training);
    if (outputs.empty()) throw std::invalid_argument("predict: there are no samples");
    return outputs.size() == 1 ? outputs[0] : cat(outputs, 0);
}

void check_batch_size(int64_t batch_size) {
    if (batch_size <= 0) {
        throw std::invalid_argument("predict: batch_size must be > 0, got " +
                                    std::to_string(batch_size));
    }
}

}  // namespace

Tensor predict(const nn::AnyModule& model, const Tensor& x, int64_t batch_size) {
    check_batch_size(batch_size);
    if (!x.defined() || x.dim() == 0) {
        throw std::invalid_argument(
            "predict: the inputs must be [n, ...], got " +
            (x.defined() ? shape_str(x.sizes()) : std::string("undefined")));
    }
    const int64_t n = x.size(0);
    return collect(model, [&](const std::function<void(const Tensor&)>& run) {
        for (int64_t start = 0; start < n; start += batch_size) {
            run(x.slice(0, start, std::min(n, start + batch_size)));
        }
    });
}

Tensor predict(const nn::AnyModule& model, const data::TensorDataset& dataset, int64_t batch_size) {
    check_batch_size(batch_size);
    const auto n = static_cast<int64_t>(*dataset.size());
    return collect(model, [&](const std::function<void(const Tensor&)>& run) {
        for (int64_t start = 0; start < n; start += batch_size) {
            std::vector<size_t> indices(
                static_cast<size_t>(std::min(n, start + batch_size) - start));
            std::iota(indices.begin(), indices.end(), static_cast<size_t>(start));
            run(dataset.get_batch(indices).data);
        }
    });
}

Tensor predict(const nn::AnyModule& model, data::DataLoader& loader) {
    return collect(model, [&](const std::function<void(const Tensor&)>& run) {
        for (const data::Batch& batch : loader) run(batch.data);
    });
}

}  // namespace train
}  // namespace tapegrad
