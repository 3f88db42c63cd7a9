#pragma once
// fit() and evaluate(): the Keras-style training loop, written with the public API only. It
// is the PyTorch-style loop (zero_grad, forward, loss, backward, step) plus the bookkeeping
// around it: metrics, validation, a progress bar, stopping rules and a History.
//
//   auto history = tapegrad::fit(model, tapegrad::cross_entropy, optimizer, train_loader,
//                                tapegrad::FitOptions().epochs(10).validation(test_data));
//   auto [loss, accuracy, n] = tapegrad::evaluate(model, test_loader, tapegrad::cross_entropy);

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

#include "autograd/tensor.hpp"
#include "data/dataloader.hpp"
#include "data/dataset.hpp"
#include "nn/sequential.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "train/history.hpp"

namespace tapegrad {
namespace train {

/// A loss: any callable `(Tensor output, Tensor target) -> Tensor` (a lambda, a loss module
/// such as nn::CrossEntropyLoss), or a loss function whose third argument is an options struct
/// with defaults, passed by name: `tapegrad::cross_entropy`, `tapegrad::mse_loss`.
class LossFn {
  public:
    template <class F, class = std::enable_if_t<
                           !std::is_same_v<std::decay_t<F>, LossFn> &&
                           std::is_invocable_r_v<Tensor, F&, const Tensor&, const Tensor&>>>
    LossFn(F f)  // NOLINT: implicit, so that a lambda or a module can be passed directly
        : fn_(std::move(f)) {}
    template <class O>
    LossFn(Tensor (*f)(const Tensor&, const Tensor&, const O&))  // NOLINT: implicit
        : fn_([f](const Tensor& output, const Tensor& target) { return f(output, target, O{}); }) {}

    /// The loss of `output` against `target`, a scalar.
    Tensor operator()(const Tensor& output, const Tensor& target) const {
        return fn_(output, target);
    }

  private:
    std::function<Tensor(const Tensor&, const Tensor&)> fn_;
};

/// How fit() trains: `FitOptions().epochs(20).validation(val).early_stopping(3)`.
class FitOptions {
  public:
    /// Number of passes over the training loader (default 10).
    FitOptions& epochs(int64_t n) {
        epochs_ = n;
        return *this;
    }
    /// Data evaluated after every epoch (val_loss, val_accuracy), with the loader as given.
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
    /// Stops after the first epoch whose mean training loss is below `threshold`.
    FitOptions& loss_threshold(double threshold) {
        loss_threshold_ = threshold;
        return *this;
    }
    /// Stops once the monitored loss (val_loss with validation data, else loss) has not
    /// improved by more than `min_delta` for `patience` epochs in a row.
    FitOptions& early_stopping(int64_t patience, double min_delta = 0.0) {
        patience_ = patience;
        min_delta_ = min_delta;
        return *this;
    }
    /// With early stopping, ends fit() with the weights (parameters and buffers) of the
    /// epoch with the best monitored loss (default true).
    FitOptions& restore_best(bool on) {
        restore_best_ = on;
        return *this;
    }
    /// Steps `scheduler` after every epoch; it must outlive fit().
    FitOptions& scheduler(optim::LRScheduler& scheduler) {
        scheduler_ = [s = &scheduler](double) { s->step(); };
        return *this;
    }
    /// Steps `scheduler` after every epoch with the monitored loss; it must outlive fit().
    FitOptions& scheduler(optim::ReduceLROnPlateau& scheduler) {
        scheduler_ = [s = &scheduler](double monitored) { s->step(monitored); };
        return *this;
    }
    /// A progress bar on stderr when it is a terminal, and one line per epoch on stdout
    /// (default true).
    FitOptions& verbose(bool on) {
        verbose_ = on;
        return *this;
    }
    /// For single-output models: the output above which the prediction is class 1 (default
    /// 0.5, for a sigmoid output; use 0 for logits).
    FitOptions& binary_threshold(double threshold) {
        binary_threshold_ = threshold;
        return *this;
    }
    /// Called after every epoch (after validation and the scheduler) with the history so far.
    FitOptions& on_epoch_end(std::function<void(const History&)> callback) {
        on_epoch_end_ = std::move(callback);
        return *this;
    }

    int64_t epochs() const { return epochs_; }
    const std::shared_ptr<data::DataLoader>& validation() const { return validation_; }
    double loss_threshold() const { return loss_threshold_; }
    int64_t patience() const { return patience_; }
    double min_delta() const { return min_delta_; }
    bool restore_best() const { return restore_best_; }
    bool verbose() const { return verbose_; }
    double binary_threshold() const { return binary_threshold_; }
    const std::function<void(double)>& scheduler() const { return scheduler_; }
    const std::function<void(const History&)>& on_epoch_end() const { return on_epoch_end_; }

  private:
    int64_t epochs_ = 10;
    std::shared_ptr<data::DataLoader> validation_;
    double loss_threshold_ = -std::numeric_limits<double>::infinity();  // off
    int64_t patience_ = -1;                                             // off
    double min_delta_ = 0.0;
    bool restore_best_ = true;
    bool verbose_ = true;
    double binary_threshold_ = 0.5;
    std::function<void(double)> scheduler_;
    std::function<void(const History&)> on_epoch_end_;
};

/// Mean loss and accuracy over a data set, as Keras's evaluate().
struct EvalResult {
    double loss = 0.0;
    double accuracy = 0.0;
    int64_t samples = 0;
};

/// Trains `model` (a module handle or std::shared_ptr to one with forward(Tensor)) for
/// options.epochs() passes over `train_loader`: per batch zero_grad, forward, loss, backward,
/// optimizer.step(). Returns the per-epoch History; throws std::invalid_argument when the
/// model is empty or epochs is negative.
History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            data::DataLoader& train_loader, const FitOptions& options = {});

/// The sample-weighted mean loss and the accuracy of `model` over `loader`, computed in eval()
/// mode (restored afterwards) under NoGradGuard. `binary_threshold` as in FitOptions.
EvalResult evaluate(const nn::AnyModule& model, data::DataLoader& loader, const LossFn& loss,
                    double binary_threshold = 0.5);
/// As above over `dataset` in order, in batches of `batch_size`.
EvalResult evaluate(const nn::AnyModule& model, const data::TensorDataset& dataset,
                    const LossFn& loss, int64_t batch_size = 256, double binary_threshold = 0.5);

}  // namespace train

using train::EvalResult;
using train::evaluate;
using train::fit;
using train::FitOptions;
using train::History;

}  // namespace tapegrad
