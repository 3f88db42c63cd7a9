#pragma once
// Callbacks: objects fit() calls at the start and end of training, of each epoch and after each
// batch, as Keras's. They read the History so far and the current batch, change the learning
// rate, save the model, and can stop training (fit honours it after the batch or epoch).
//
//   auto stop = std::make_shared<train::EarlyStopping>(
//       train::EarlyStoppingOptions().monitor("val_accuracy").patience(3).restore_best_weights(true));
//   tapegrad::fit(model, loss, optimizer, loader, tapegrad::FitOptions().validation(val)
//       .callbacks({stop, std::make_shared<train::CSVLogger>("log.csv")}));
//   // or by value: FitOptions().callback(train::StopAtTarget("val_accuracy", 0.95))

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nn/arg.hpp"
#include "nn/module.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "train/history.hpp"
#include "train/mode.hpp"

namespace tapegrad {
namespace train {

/// What fit() shows its callbacks, and where they ask it to stop.
struct FitState {
    FitState(nn::Module& model, optim::Optimizer& optimizer, const History& history)
        : model(model), optimizer(optimizer), history(history) {}

    nn::Module& model;
    optim::Optimizer& optimizer;
    /// The epochs done so far; in on_epoch_end it includes the current one.
    const History& history;
    int64_t epochs = 0;      ///< epochs planned (FitOptions::epochs)
    int64_t epoch = 0;       ///< the current epoch, from 1
    int64_t batches = 0;     ///< batches per epoch
    int64_t batch = 0;       ///< in on_batch_end: batches done in this epoch, from 1
    int64_t batch_size = 0;  ///< in on_batch_end: samples in that batch
    double batch_loss = std::numeric_limits<double>::quiet_NaN();  ///< that batch's loss
    double loss = std::numeric_limits<double>::quiet_NaN();  ///< mean loss of the epoch so far
    bool has_validation = false;                             ///< val_ columns will be recorded
    bool verbose = true;         ///< FitOptions::verbose: callbacks print only when it is on
    int rank = 0;                ///< with FitOptions::process_group, this process's rank
    int world_size = 1;          ///< and the number of processes; callbacks write on rank 0
    bool stop_training = false;  ///< set (through stop) to end fit after this batch or epoch
    std::string stop_reason;     ///< becomes History::stop_reason

    /// Asks fit to stop after the current batch (or epoch); the first reason given is kept.
    void stop(const std::string& reason);
    /// The current epoch's value of a History column, e.g. value("val_loss") in on_epoch_end.
    /// Throws std::invalid_argument naming the columns there are.
    double value(const std::string& name) const;
};

/// The base of callbacks: override the hooks you need. fit() calls them in the order of
/// FitOptions::callbacks.
class Callback {
public:
    virtual ~Callback() = default;
    virtual void on_train_begin(FitState&) {}
    virtual void on_epoch_begin(FitState&) {}
    virtual void on_batch_end(FitState&) {}
    /// After the epoch's History row (validation included) is recorded.
    virtual void on_epoch_end(FitState&) {}
    virtual void on_train_end(FitState&) {}
};

/// Calls the functions it is given (Keras's LambdaCallback); any may be empty.
class LambdaCallback : public Callback {
public:
    std::function<void(FitState&)> train_begin, epoch_begin, batch_end, epoch_end, train_end;
    void on_train_begin(FitState& s) override;
    void on_epoch_begin(FitState& s) override;
    void on_batch_end(FitState& s) override;
    void on_epoch_end(FitState& s) override;
    void on_train_end(FitState& s) override;
};

/// Options of EarlyStopping, with Keras's defaults.
struct EarlyStoppingOptions {
    /// The History column watched; "" means val_loss, or loss without validation data.
    TAPEGRAD_ARG(std::string, monitor) = "val_loss";
    TAPEGRAD_ARG(Mode, mode) = Mode::automatic;
    /// Epochs without improvement before stopping.
    TAPEGRAD_ARG(int64_t, patience) = 0;
    /// The least change that counts as an improvement.
    TAPEGRAD_ARG(double, min_delta) = 0.0;
    /// If set (not NaN), the patience counter runs until the value beats this baseline.
    TAPEGRAD_ARG(double, baseline) = std::numeric_limits<double>::quiet_NaN();
    /// At the end of training, put back the parameters and buffers of the best epoch.
    TAPEGRAD_ARG(bool, restore_best_weights) = false;
};

/// Stops once `monitor` has not improved by more than min_delta for `patience` epochs in a
/// row (never after the last planned epoch: then training ends anyway), with stop_reason
/// "early_stopping". Throws
/// std::invalid_argument at the first epoch's end when the monitored column does not exist.
class EarlyStopping : public Callback {
public:
    explicit EarlyStopping(EarlyStoppingOptions options = {});
    void on_train_begin(FitState& s) override;
    void on_epoch_end(FitState& s) override;
    void on_train_end(FitState& s) override;

    /// The best monitored value so far, and its epoch (0 before the first).
    double best() const { return best_; }
    int64_t best_epoch() const { return best_epoch_; }
    /// The epoch after which it stopped training, 0 if it did not.
    int64_t stopped_epoch() const { return stopped_epoch_; }
    const EarlyStoppingOptions& options() const { return options_; }

private:
    EarlyStoppingOptions options_;
    Mode mode_ = Mode::min;
    std::string monitor_;
    double best_ = 0;
    int64_t best_epoch_ = 0;
    int64_t wait_ = 0;
    int64_t stopped_epoch_ = 0;
    std::vector<Tensor> best_state_;
};

/// Stops after the first epoch whose `monitor` reaches `target`: at or below it in min mode
/// (a loss), at or above it in max mode (an accuracy). History::stop_reason becomes `reason`.
class StopAtTarget : public Callback {
public:
    StopAtTarget(std::string monitor, double target, Mode mode = Mode::automatic,
                 std::string reason = "target");
    void on_epoch_end(FitState& s) override;

private:
    std::string monitor_;
    double target_;
    Mode mode_;
    std::string reason_;
};

/// Options of ModelCheckpoint.
struct ModelCheckpointOptions {
    /// The History column that decides which epoch is best.
    TAPEGRAD_ARG(std::string, monitor) = "val_loss";
    TAPEGRAD_ARG(Mode, mode) = Mode::automatic;
    /// Save only when the monitored value improves (best); otherwise after every epoch (last).
    TAPEGRAD_ARG(bool, save_best_only) = false;
};

/// Saves the model with tapegrad::save (parameters and buffers, written atomically) at the end
/// of epochs. The path may name History columns, as Keras's: "ckpt_{epoch:03d}_{val_loss:.4f}.tg"
/// ({epoch} and {epoch:03d}-style integer formats, {name} and {name:.4f}-style for the rest).
/// In a data-parallel fit only rank 0 writes (the ranks hold the same weights); the file names
/// the wrapped module's parameters, so it loads into the model with any number of processes.
class ModelCheckpoint : public Callback {
public:
    explicit ModelCheckpoint(std::string path, ModelCheckpointOptions options = {});
    void on_train_begin(FitState& s) override;
    void on_epoch_end(FitState& s) override;

    /// The last file written ("" before the first), its epoch, and the best value seen.
    const std::string& last_saved() const { return last_saved_; }
    int64_t last_saved_epoch() const { return last_saved_epoch_; }
    double best() const { return best_; }

private:
    std::string path_;
    ModelCheckpointOptions options_;
    std::string monitor_;
    Mode mode_ = Mode::min;
    double best_ = 0;
    std::string last_saved_;
    int64_t last_saved_epoch_ = 0;
};

/// The path pattern of ModelCheckpoint with the current epoch's values filled in.
std::string format_checkpoint_path(const std::string& pattern, const FitState& state);

/// Writes History::to_csv(separator) to `path` after every epoch (atomically: the whole file is
/// rewritten), so the log is complete even if training is killed. With `append`, the rows go
/// after what the file already holds (without a second header line). In a data-parallel fit
/// only rank 0 writes (every rank records the same History).
class CSVLogger : public Callback {
public:
    explicit CSVLogger(std::string path, bool append = false, char separator = ',');
    void on_train_begin(FitState& s) override;
    void on_epoch_end(FitState& s) override;

private:
    std::string path_;
    bool append_;
    char separator_;
    std::string kept_;  // what the file held before training, with append
};

/// Sets the learning rate each epoch: from a function of the epoch and the current rate,
/// called before the epoch (Keras's LearningRateScheduler: `epoch` counts from 0 there), or by
/// stepping an optim scheduler after the epoch (ReduceLROnPlateau with the monitored value).
/// Schedulers must outlive fit().
class LearningRateScheduler : public Callback {
public:
    /// `schedule(epoch, lr)` returns the rate for epoch (from 0); every parameter group gets
    /// it. A rate that is negative or not finite throws std::invalid_argument.
    explicit LearningRateScheduler(std::function<double(int64_t epoch, double lr)> schedule);
    /// Calls scheduler.step() after each epoch.
    explicit LearningRateScheduler(optim::LRScheduler& scheduler);
    /// Calls scheduler.step(value of `monitor`) after each epoch; an empty monitor means
    /// val_loss, or loss without validation data.
    explicit LearningRateScheduler(optim::ReduceLROnPlateau& scheduler, std::string monitor = "");
    void on_epoch_begin(FitState& s) override;
    void on_epoch_end(FitState& s) override;

private:
    std::function<double(int64_t, double)> schedule_;
    std::function<void(double)> step_;
    bool needs_value_ = false;
    std::string monitor_;
};

/// The learning rate of the optimizer's first parameter group.
double current_lr(const optim::Optimizer& optimizer);

}  // namespace train
}  // namespace tapegrad
