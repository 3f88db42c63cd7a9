#include "train/fit.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"

namespace tapegrad {
namespace train {

namespace {

double first_lr(const optim::Optimizer& optimizer) {
    const auto& groups = optimizer.param_groups();
    if (!groups.empty() && groups[0].has_options()) return groups[0].options().get_lr();
    return optimizer.defaults().get_lr();
}

// Every parameter and buffer of the model: what restore_best saves and puts back.
std::vector<Tensor> state_of(const nn::Module& module) {
    std::vector<Tensor> state = module.parameters();
    for (const Tensor& b : module.buffers()) state.push_back(b);
    return state;
}

std::vector<Tensor> snapshot(const std::vector<Tensor>& state) {
    NoGradGuard no_grad;
    std::vector<Tensor> copy;
    copy.reserve(state.size());
    for (const Tensor& t : state) copy.push_back(t.detach().clone());
    return copy;
}

void restore(const std::vector<Tensor>& state, const std::vector<Tensor>& saved) {
    NoGradGuard no_grad;
    for (size_t i = 0; i < state.size(); ++i) Tensor(state[i]).copy_(saved[i]);
}

nn::Module& module_of(const nn::AnyModule& model, const char* who) {
    if (model.is_empty()) throw std::invalid_argument(std::string(who) + ": the model is empty");
    return *model.ptr();
}

void print_epoch(const History& h, int64_t epochs, int64_t batches) {
    const size_t i = h.size() - 1;
    std::printf("epoch %lld/%lld  %lld batches  %s  loss %.4f",
                static_cast<long long>(h.epoch[i]), static_cast<long long>(epochs),
                static_cast<long long>(batches), format_seconds(h.seconds[i]).c_str(), h.loss[i]);
    if (!std::isnan(h.accuracy[i])) std::printf("  acc %.4f", h.accuracy[i]);
    if (h.has_validation()) {
        std::printf("  val_loss %.4f", h.val_loss[i]);
        if (!std::isnan(h.val_accuracy[i])) std::printf("  val_acc %.4f", h.val_accuracy[i]);
    }
    std::printf("  lr %.3g\n", h.lr[i]);
    std::fflush(stdout);
}

}  // namespace

EvalResult evaluate(const nn::AnyModule& model, data::DataLoader& loader, const LossFn& loss,
                    double binary_threshold) {
    nn::Module& module = module_of(model, "evaluate");
    const bool was_training = module.is_training();
    module.eval();
    NoGradGuard no_grad;
    double loss_sum = 0.0;
    int64_t correct = 0;
    int64_t seen = 0;
    int64_t scored = 0;  // samples whose output has an accuracy (see has_accuracy)
    try {
        for (const data::Batch& batch : loader) {
            const Tensor output = model.forward(batch.data);
            const int64_t n = batch.data.size(0);
            loss_sum += loss(output, batch.target).item<double>() * static_cast<double>(n);
            if (has_accuracy(output, batch.target)) {
                correct += count_correct(output, batch.target, binary_threshold);
                scored += n;
            }
            seen += n;
        }
    } catch (...) {
        module.train(was_training);
        throw;
    }
    module.train(was_training);
    EvalResult result;
    result.samples = seen;
    result.loss = seen ? loss_sum / static_cast<double>(seen) : std::nan("");
    result.accuracy =
        scored ? static_cast<double>(correct) / static_cast<double>(scored) : std::nan("");
    return result;
}

EvalResult evaluate(const nn::AnyModule& model, const data::TensorDataset& dataset,
                    const LossFn& loss, int64_t batch_size, double binary_threshold) {
    data::DataLoader loader(dataset, data::DataLoaderOptions().batch_size(batch_size));
    return evaluate(model, loader, loss, binary_threshold);
}

History fit(const nn::AnyModule& model, const LossFn& loss, optim::Optimizer& optimizer,
            data::DataLoader& train_loader, const FitOptions& options) {
    nn::Module& module = module_of(model, "fit");
    if (options.epochs() < 0) {
        throw std::invalid_argument("fit: epochs must be >= 0, got " +
                                    std::to_string(options.epochs()));
    }
    const bool draw_bar = options.verbose() && ProgressBar::stderr_is_terminal();
    const bool early_stopping = options.patience() >= 0;
    const std::vector<Tensor> state = state_of(module);
    std::vector<Tensor> best_state;
    double best = std::numeric_limits<double>::infinity();
    int64_t epochs_without_improvement = 0;

    History history;
    history.stop_reason = "epochs";
    for (int64_t epoch = 1; epoch <= options.epochs(); ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        const double lr = first_lr(optimizer);
        module.train();
        ProgressBar bar(stderr, draw_bar, epoch, options.epochs(), train_loader.size());
        double loss_sum = 0.0;
        int64_t correct = 0;
        int64_t seen = 0;
        int64_t scored = 0;
        int64_t batches = 0;
        for (const data::Batch& batch : train_loader) {
            optimizer.zero_grad();
            const Tensor output = model.forward(batch.data);
            const Tensor batch_loss = loss(output, batch.target);
            batch_loss.backward();
            optimizer.step();

            const int64_t n = batch.data.size(0);
            loss_sum += batch_loss.item<double>() * static_cast<double>(n);
            if (has_accuracy(output, batch.target)) {
                correct += count_correct(output, batch.target, options.binary_threshold());
                scored += n;
            }
            seen += n;
            ++batches;
            bar.update(batches, loss_sum / static_cast<double>(seen),
                       scored ? static_cast<double>(correct) / static_cast<double>(scored) : -1.0);
        }
        bar.clear();

        history.epoch.push_back(epoch);
        history.loss.push_back(seen ? loss_sum / static_cast<double>(seen) : std::nan(""));
        history.accuracy.push_back(scored ? static_cast<double>(correct) / static_cast<double>(scored)
                                          : std::nan(""));
        history.lr.push_back(lr);
        if (options.validation()) {
            const EvalResult val =
                evaluate(model, *options.validation(), loss, options.binary_threshold());
            history.val_loss.push_back(val.loss);
            history.val_accuracy.push_back(val.accuracy);
        }
        history.seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (options.verbose()) print_epoch(history, options.epochs(), batches);

        const double monitored =
            history.has_validation() ? history.val_loss.back() : history.loss.back();
        if (monitored < best - options.min_delta()) {
            best = monitored;
            history.best_epoch = epoch;
            epochs_without_improvement = 0;
            if (early_stopping && options.restore_best()) best_state = snapshot(state);
        } else {
            ++epochs_without_improvement;
        }
        if (options.scheduler()) options.scheduler()(monitored);
        if (options.on_epoch_end()) options.on_epoch_end()(history);

        if (!std::isfinite(history.loss.back())) {
            history.stop_reason = "non_finite_loss";
            if (options.verbose()) std::printf("stopping: the training loss is not finite\n");
            break;
        }
        if (history.loss.back() < options.loss_threshold()) {
            history.stop_reason = "loss_threshold";
            if (options.verbose()) {
                std::printf("stopping: loss %.4f is below the threshold %.4g\n",
                            history.loss.back(), options.loss_threshold());
            }
            break;
        }
        if (early_stopping && epochs_without_improvement >= options.patience() &&
            epoch < options.epochs()) {
            history.stop_reason = "early_stopping";
            if (options.verbose()) {
                std::printf("early stopping: %s has not improved for %lld epochs\n",
                            history.has_validation() ? "val_loss" : "loss",
                            static_cast<long long>(epochs_without_improvement));
            }
            break;
        }
    }
    if (!best_state.empty() && history.best_epoch != history.epoch.back()) {
        restore(state, best_state);
        if (options.verbose()) {
            std::printf("restored the weights of epoch %lld (%s %.4f)\n",
                        static_cast<long long>(history.best_epoch),
                        history.has_validation() ? "val_loss" : "loss", best);
        }
    }
    std::fflush(stdout);
    return history;
}

}  // namespace train
}  // namespace tapegrad
