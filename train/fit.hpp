#pragma once
// fit() and evaluate(): the Keras-style training loop, written with the public API only. It
// is the PyTorch-style loop (zero_grad, forward, loss, backward, step) plus the bookkeeping
// around it: metrics, validation, a progress bar, callbacks, stopping rules and a History.
//
//   auto history = tapegrad::fit(model, tapegrad::cross_entropy, optimizer, train_loader,
//                                tapegrad::FitOptions().epochs(10).validation(test_data));
//   auto history = tapegrad::fit(model, tapegrad::cross_entropy, optimizer, train_dataset,
//                                tapegrad::FitOptions().batch_size(32).validation_split(0.2));
//   auto [loss, accuracy, n, metrics] = tapegrad::evaluate(model, test_loader,
//   tapegrad::cross_entropy);

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "data/dataloader.hpp"
#include "data/dataset.hpp"
#include "nn/arg.hpp"
#include "distributed/process_group.hpp"
#include "nn/functional/loss.hpp"
#include "nn/sequential.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "train/callbacks.hpp"
#include "train/history.hpp"
#include "train/metric.hpp"

namespace tapegrad {
namespace train {

namespace detail {
// True for a loss module handle (nn::CrossEntropyLoss, ...) whose `options` have a reduction
// and build the module: fit can then ask it for per-sample losses.
template <class F, class = void>
struct is_unreducible_module : std::false_type {};
template <class F>
struct is_unreducible_module<F, std::void_t<decltype(std::declval<F&>()->options.reduction(kNone)),
                                            decltype(std::decay_t<decltype(*std::declval<F&>())>(
                                                std::declval<F&>()->options))>> : std::true_type {};
}  // namespace detail

class LossFn;
namespace detail {
/// The batch loss fit trains on: `loss` as given, or with sample weights (undefined when
/// there are none) and class weights (empty when none) sum_i w_i * loss_i / N, as Keras.
Tensor weighted_loss(const LossFn& loss, const Tensor& output, const Tensor& target, Tensor weights,
                     const std::map<int64_t, double>& class_weight);
}  // namespace detail

/// A loss: any callable `(Tensor output, Tensor target) -> Tensor` (a lambda, a loss module
/// such as nn::CrossEntropyLoss), or a loss function whose third argument is an options struct
/// with defaults, passed by name: `tapegrad::cross_entropy`, `tapegrad::mse_loss`.
class LossFn {
public:
    template <class F, class = std::enable_if_t<
                           !std::is_same_v<std::decay_t<F>, LossFn> &&
                           std::is_invocable_r_v<Tensor, F&, const Tensor&, const Tensor&>>>
    LossFn(F f)  // NOLINT: implicit, so that a lambda or a module can be passed directly
        : fn_(f) {
        if constexpr (detail::is_unreducible_module<F>::value) {
            per_sample_ = [f](const Tensor& output, const Tensor& target) mutable {
                auto options = f->options;
                options.reduction(kNone);
                std::decay_t<decltype(*f)> unreduced(options);
                return unreduced.forward(output, target);
            };
        }
    }
    template <class O>
    LossFn(Tensor (*f)(const Tensor&, const Tensor&, const O&))  // NOLINT: implicit
        : fn_([f](const Tensor& output, const Tensor& target) { return f(output, target, O{}); }),
          per_sample_([f](const Tensor& output, const Tensor& target) {
              O options;
              options.reduction(kNone);
              return f(output, target, options);
          }) {}

    /// The loss of `output` against `target`, a scalar.
    Tensor operator()(const Tensor& output, const Tensor& target) const {
        return fn_(output, target);
    }
    /// True when per_sample() works: loss functions and loss modules, and per_sample_loss.
    bool has_per_sample() const { return static_cast<bool>(per_sample_); }
    /// The loss of each sample, [N]: the loss with reduction kNone, averaged over every
    /// dimension but the first. Throws std::logic_error when the loss cannot give it (a lambda
    /// returning a scalar: wrap one that returns per-sample values in per_sample_loss).
    Tensor per_sample(const Tensor& output, const Tensor& target) const;

private:
    friend LossFn per_sample_loss(std::function<Tensor(const Tensor&, const Tensor&)> fn);
    LossFn() = default;
    std::function<Tensor(const Tensor&, const Tensor&)> fn_;
    std::function<Tensor(const Tensor&, const Tensor&)> per_sample_;
};

/// A loss from a function returning one loss per sample ([N], or [N, ...] averaged per
/// sample): its scalar is their mean, and fit can weight the samples (class_weight,
/// sample_weight).
LossFn per_sample_loss(std::function<Tensor(const Tensor&, const Tensor&)> fn);

/// How fit() trains: `FitOptions().epochs(20).validation(val).metrics({F1Score(Average::macro)})`.
class FitOptions {
public:
    using ClassWeight = std::map<int64_t, double>;

    /// Number of passes over the training data (default 10).
    TAPEGRAD_ARG(int64_t, epochs) = 10;

public:
    /// Data evaluated after every epoch (val_loss, val_accuracy, val_ metrics), with the loader
    /// as given.
    FitOptions& validation(std::shared_ptr<data::DataLoader> loader) {
        validation_ = std::move(loader);
        return *this;
    }
    /// As above, with a copy of `loader`.
    FitOptions& validation(const data::DataLoader& loader) {
        return validation(std::make_shared<data::DataLoader>(loader));
    }
    /// As above, over `dataset` in order, in batches of `batch_size`.
    FitOptions& validation(const data::TensorDataset& dataset, int64_t batch_size = 256) {
        return validation(std::make_shared<data::DataLoader>(
            dataset, data::DataLoaderOptions().batch_size(batch_size)));
    }
    const std::shared_ptr<data::DataLoader>& validation() const { return validation_; }
    /// Keras's validation_split, for fit over a dataset: the last `fraction` of its samples
    /// (taken before any shuffling) are held out and evaluated after every epoch.
    TAPEGRAD_ARG(double, validation_split) = 0.0;

    /// Samples per batch when fit batches a dataset itself (unset: 32, as Keras). A loader
    /// has its own batch size: setting this with one is refused.
    TAPEGRAD_ARG(std::optional<int64_t>, batch_size);

    /// Whether fit draws a new order of a dataset's samples every epoch (unset: true, as
    /// Keras). A loader keeps its own order (DataLoaderOptions::shuffle): asking for another
    /// with one is refused.
    TAPEGRAD_ARG(std::optional<bool>, shuffle);

    /// Seed of the order fit draws for a dataset (default 42, as DataLoaderOptions).
    TAPEGRAD_ARG(uint64_t, seed) = 42;

    /// One weight per training sample [n] of a dataset, multiplying its loss (Keras's
    /// sample_weight): the batch loss becomes sum(w_i * loss_i) / N.
    TAPEGRAD_ARG(Tensor, sample_weight);

    /// A weight per class, multiplying the training loss of the samples of that class (Keras's
    /// class_weight); every class that occurs in the targets needs one.
    TAPEGRAD_ARG(ClassWeight, class_weight);

    /// Metrics computed over every epoch (columns "f1_macro", ...) and over the validation
    /// data ("val_f1_macro", ...), beside the loss and accuracy.
    TAPEGRAD_ARG(std::vector<AnyMetric>, metrics);

public:
    /// Callbacks called in this order, after the ones fit makes from early_stopping,
    /// loss_threshold and scheduler.
    FitOptions& callbacks(std::vector<std::shared_ptr<Callback>> callbacks) {
        callbacks_ = std::move(callbacks);
        return *this;
    }
    /// Appends one callback, shared: read its state after fit.
    FitOptions& callback(std::shared_ptr<Callback> callback) {
        callbacks_.push_back(std::move(callback));
        return *this;
    }
    /// Appends a copy of `callback`.
    template <class C, class = std::enable_if_t<std::is_base_of_v<Callback, C>>>
    FitOptions& callback(const C& callback) {
        return this->callback(std::make_shared<C>(callback));
    }
    const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }
    /// Stops after the first epoch whose mean training loss is at or below `threshold`
    /// (StopAtTarget("loss", threshold), stop_reason "loss_threshold"; default off).
    TAPEGRAD_ARG(double, loss_threshold) = -std::numeric_limits<double>::infinity();

public:
    /// Stops once the monitored loss (val_loss with validation data, else loss) has not
    /// improved by more than `min_delta` for `patience` epochs in a row (an EarlyStopping).
    FitOptions& early_stopping(int64_t patience, double min_delta = 0.0) {
        patience_ = patience;
        min_delta_ = min_delta;
        return *this;
    }
    int64_t patience() const { return patience_; }
    double min_delta() const { return min_delta_; }
    /// With early stopping, ends fit() with the weights (parameters and buffers) of the
    /// epoch with the best monitored loss (default true).
    TAPEGRAD_ARG(bool, restore_best) = true;

public:
    /// Steps `scheduler` after every epoch; it must outlive fit().
    FitOptions& scheduler(optim::LRScheduler& scheduler) {
        scheduler_ = std::make_shared<LearningRateScheduler>(scheduler);
        return *this;
    }
    /// Steps `scheduler` after every epoch with the monitored loss; it must outlive fit().
    FitOptions& scheduler(optim::ReduceLROnPlateau& scheduler) {
        scheduler_ = std::make_shared<LearningRateScheduler>(scheduler);
        return *this;
    }
    const std::shared_ptr<Callback>& scheduler() const { return scheduler_; }
    /// A progress bar on stderr when it is a terminal, and one line per epoch on stdout
    /// (default true).
    TAPEGRAD_ARG(bool, verbose) = true;

    /// For single-output models: the output above which the prediction is class 1 (default
    /// 0.5, for a sigmoid output; use 0 for logits).
    TAPEGRAD_ARG(double, binary_threshold) = 0.5;

    /// Called after every epoch (after validation and the callbacks) with the history so far.
    TAPEGRAD_ARG(std::function<void(const History&)>, on_epoch_end);

    /// Trains data-parallel over this process group (e.g.
    /// c10d::ProcessGroupMPI::createProcessGroupMPI(), linking tapegrad::distributed): every
    /// rank calls fit with the same options. fit copies rank 0's parameters and buffers to all
    /// ranks, averages the gradients over the ranks before each optimizer step, sums the
    /// epoch's losses, accuracies and metrics over the ranks (weighted by samples), so every
    /// rank records the same History and its callbacks decide alike; only rank 0 prints, and
    /// CSVLogger and ModelCheckpoint write on rank 0 only. A dataset is sharded by fit (each
    /// rank a disjoint part of each epoch's order, padded to equal length as
    /// DistributedSampler); a DataLoader must shard itself
    /// (data::samplers::DistributedRandomSampler) and give every rank as many batches.
    TAPEGRAD_ARG(std::shared_ptr<distributed::ProcessGroup>, process_group);

private:
    std::shared_ptr<data::DataLoader> validation_;
    std::vector<std::shared_ptr<Callback>> callbacks_;
    int64_t patience_ = -1;  // off
    double min_delta_ = 0.0;
    std::shared_ptr<Callback> scheduler_;
};

/// Mean loss and accuracy over a data set, as Keras's evaluate(), and the metrics asked for.
struct EvalResult {
    double loss = 0.0;
    double accuracy = 0.0;
    int64_t samples = 0;
    std::vector<MetricValue> metrics;  ///< in the order of the metrics given

    /// The value of the metric called `name`; throws std::invalid_argument naming the others.
    double metric(const std::string& name) const;
};

/// Trains `model` (a module handle or std::shared_ptr to one with forward(Tensor)) for
/// options.epochs() passes over `train_loader`: per batch zero_grad, forward, loss, backward,
/// optimizer.step(). The loader's order and batch size are used as they are. Returns the
/// per-epoch History; throws std::invalid_argument when the model is empty, epochs is
/// negative, or the loader has no batches, and std::logic_error for options that need a
/// dataset (validation_split, sample_weight, batch_size, shuffle).
History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            data::DataLoader& train_loader, const FitOptions& options = {});
/// As above over a dataset that fit batches itself: batch_size (32) samples a batch, a new
/// order every epoch unless shuffle(false), validation_split and sample_weight available.
History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            const data::TensorDataset& train, const FitOptions& options = {});
/// As above over inputs `x` [n, ...] and targets `y` [n, ...] (Keras's fit(x, y)).
History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            const Tensor& x, const Tensor& y, const FitOptions& options = {});

/// The sample-weighted mean loss and the accuracy of `model` over `loader`, computed in eval()
/// mode (restored afterwards) under NoGradGuard. `binary_threshold` as in FitOptions.
EvalResult evaluate(const nn::AnyModule& model, data::DataLoader& loader, const LossFn& loss,
                    double binary_threshold = 0.5);
/// As above, with `metrics` computed over the whole loader (EvalResult::metrics).
EvalResult evaluate(const nn::AnyModule& model, data::DataLoader& loader, const LossFn& loss,
                    const std::vector<AnyMetric>& metrics, double binary_threshold = 0.5);
/// As above over `dataset` in order, in batches of `batch_size`.
EvalResult evaluate(const nn::AnyModule& model, const data::TensorDataset& dataset,
                    const LossFn& loss, int64_t batch_size = 256, double binary_threshold = 0.5);
EvalResult evaluate(const nn::AnyModule& model, const data::TensorDataset& dataset,
                    const LossFn& loss, const std::vector<AnyMetric>& metrics,
                    int64_t batch_size = 256, double binary_threshold = 0.5);

}  // namespace train

using train::EvalResult;
using train::evaluate;
using train::fit;
using train::FitOptions;
using train::History;

}  // namespace tapegrad
