#pragma once
// LibTorch's transforms (torch::data::transforms): what dataset.map(...) applies to each batch.
//
//   auto train = data::datasets::MNIST(dir)
//                    .map(data::transforms::Normalize<>(0.1307, 0.3081))   // each example
//                    .map(data::transforms::Stack<>());                    // the batch
//
// A Transform<In, Out> changes each example of a batch; a BatchTransform<InBatch, OutBatch>
// changes the batch as a whole (Stack turns a vector of examples into one stacked example).

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "data/example.hpp"

namespace tapegrad {
namespace data {
namespace transforms {

/// Turns a whole batch of type InputBatch into an OutputBatch.
template <class InputBatch, class OutputBatch>
class BatchTransform {
public:
    using InputBatchType = InputBatch;
    using OutputBatchType = OutputBatch;

    virtual ~BatchTransform() = default;
    virtual OutputBatch apply_batch(InputBatch input_batch) = 0;
};

/// Turns each example of a batch (an Input) into an Output.
template <class Input, class Output>
class Transform : public BatchTransform<std::vector<Input>, std::vector<Output>> {
public:
    using InputType = Input;
    using OutputType = Output;

    virtual OutputType apply(InputType input) = 0;

    /// apply() on each example, in order.
    std::vector<Output> apply_batch(std::vector<Input> input_batch) override {
        std::vector<Output> output_batch;
        output_batch.reserve(input_batch.size());
        for (auto&& input : input_batch) output_batch.push_back(apply(std::move(input)));
        return output_batch;
    }
};

/// A BatchTransform made of a function of the whole batch.
template <class Input, class Output = Input>
class BatchLambda : public BatchTransform<Input, Output> {
public:
    using typename BatchTransform<Input, Output>::InputBatchType;
    using typename BatchTransform<Input, Output>::OutputBatchType;
    using FunctionType = std::function<OutputBatchType(InputBatchType)>;

    explicit BatchLambda(FunctionType function) : function_(std::move(function)) {}
    OutputBatchType apply_batch(InputBatchType input_batch) override {
        return function_(std::move(input_batch));
    }

private:
    FunctionType function_;
};

/// A Transform made of a function of one example, e.g.
/// `Lambda<Example<>>([](Example<> e) { e.data = e.data.flatten(); return e; })`.
template <class Input, class Output = Input>
class Lambda : public Transform<Input, Output> {
public:
    using typename Transform<Input, Output>::InputType;
    using typename Transform<Input, Output>::OutputType;
    using FunctionType = std::function<Output(Input)>;

    explicit Lambda(FunctionType function) : function_(std::move(function)) {}
    OutputType apply(InputType input) override { return function_(std::move(input)); }

private:
    FunctionType function_;
};

/// A BatchTransform from a vector of T to one T.
template <class T, class BatchType = std::vector<T>>
using Collation = BatchTransform<BatchType, T>;

/// A Collation made of a function.
template <class T, class BatchType = std::vector<T>>
using Collate = BatchLambda<BatchType, T>;

template <class T = Example<>>
struct Stack;

/// Stacks the examples' data and targets along a new first dimension: n examples of data
/// [...] and target [...] become data [n, ...] and target [n, ...].
template <>
struct Stack<Example<>> : public Collation<Example<>> {
    Example<> apply_batch(std::vector<Example<>> examples) override;
};

/// Stacks the tensors of TensorExamples along a new first dimension.
template <>
struct Stack<TensorExample> : public Collation<TensorExample> {
    TensorExample apply_batch(std::vector<TensorExample> examples) override;
};

/// A Transform of the data tensor of each example (the target passes through).
template <class Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
public:
    using E = Example<Tensor, Target>;
    using typename Transform<E, E>::InputType;
    using typename Transform<E, E>::OutputType;

    virtual Tensor operator()(Tensor input) = 0;
    OutputType apply(InputType input) override {
        input.data = (*this)(std::move(input.data));
        return input;
    }
};

/// A TensorTransform made of a function of the data tensor.
template <class Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
public:
    using FunctionType = std::function<Tensor(Tensor)>;
    explicit TensorLambda(FunctionType function) : function_(std::move(function)) {}
    Tensor operator()(Tensor input) override { return function_(std::move(input)); }

private:
    FunctionType function_;
};

namespace detail {
/// `values` as a float32 tensor [C, 1, 1]; throws std::invalid_argument naming `what` when it
/// is empty or (for a standard deviation) holds a value that is not positive and finite.
Tensor channel_stats(const char* what, ArrayRef<double> values, bool positive);
/// Throws std::invalid_argument unless mean and stddev have as many channels, or one has one.
void check_channels(const Tensor& mean, const Tensor& stddev);
/// (input - mean) / stddev, after checking that input [..., C, H, W] has the channels of
/// mean and stddev [C, 1, 1] (or that they have one).
Tensor normalize(const Tensor& input, const Tensor& mean, const Tensor& stddev);
}  // namespace detail

/// (data - mean) / stddev per channel: data [C, H, W] with one mean and stddev per channel, or
/// one of each for all. `Normalize<>(0.1307, 0.3081)`, `Normalize<>({0.5, 0.5, 0.5}, {...})`.
template <class Target = Tensor>
struct Normalize : public TensorTransform<Target> {
    /// Throws std::invalid_argument for empty lists, lists of different lengths (other than
    /// one), or a standard deviation that is not positive and finite.
    Normalize(ArrayRef<double> mean, ArrayRef<double> stddev)
        : mean(detail::channel_stats("mean", mean, false)),
          stddev(detail::channel_stats("stddev", stddev, true)) {
        detail::check_channels(this->mean, this->stddev);
    }
    Tensor operator()(Tensor input) override { return detail::normalize(input, mean, stddev); }

    /// [C, 1, 1] float32.
    Tensor mean, stddev;
};

}  // namespace transforms
}  // namespace data
}  // namespace tapegrad
