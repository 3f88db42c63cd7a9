#pragma once
// History: what fit() measured, one entry per epoch (Keras's History.history), written as
// CSV and drawn with gnuplot.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/arg.hpp"

namespace tapegrad {
namespace train {

/// Options of History::plot: `PlotOptions().title("Fashion-MNIST").gnuplot("/usr/bin/gnuplot")`.
struct PlotOptions {
    /// The gnuplot program: a name looked up on PATH, or a path. Empty (the default) tries
    /// gnuplot, then gnuplot-nox, gnuplot-qt and gnuplot-x11 (Debian's names) on PATH.
    TAPEGRAD_ARG(std::string, gnuplot);
    /// Shown above the two panels.
    TAPEGRAD_ARG(std::string, title);
    TAPEGRAD_ARG(int, width) = 1000;
    TAPEGRAD_ARG(int, height) = 400;
};

/// Per-epoch metrics, one column per metric as Keras's `history.history["loss"]`.
/// Validation columns are empty when fit() ran without validation data.
/// `history["val_f1_macro"]` reads any column by name, `keys()` lists them.
struct History {
    std::vector<int64_t> epoch;  ///< 1, 2, ...
    std::vector<double> loss;    ///< mean training loss over the epoch's samples
    std::vector<double> accuracy;
    std::vector<double> val_loss;
    std::vector<double> val_accuracy;
    std::vector<double> lr;       ///< learning rate of the first parameter group in that epoch
    std::vector<double> seconds;  ///< wall time of the epoch, validation included
    /// The columns of FitOptions::metrics: "f1_macro", "top_3_accuracy", ... and with
    /// validation data "val_f1_macro", ...
    std::map<std::string, std::vector<double>> metrics;
    /// Epoch (1-based) with the best monitored loss (val_loss if any, else loss); 0 if none.
    int64_t best_epoch = 0;
    /// Why training ended: "epochs", "loss_threshold", "early_stopping", "non_finite_loss",
    /// "target" (StopAtTarget), or what a callback that stopped it said.
    std::string stop_reason;

    /// Number of epochs recorded.
    size_t size() const { return loss.size(); }
    bool has_validation() const { return !val_loss.empty(); }

    /// The column called `name`: "loss", "accuracy", "val_loss", "val_accuracy", "lr",
    /// "seconds" or a metric's. Throws std::invalid_argument listing the columns there are.
    const std::vector<double>& operator[](const std::string& name) const;
    /// True when there is a column called `name`.
    bool contains(const std::string& name) const;
    /// The column names in CSV order: loss, accuracy, the training metrics, then with
    /// validation val_loss, val_accuracy and the validation metrics, then lr and seconds.
    std::vector<std::string> keys() const;

    /// The CSV text write_csv writes: a header line (epoch and keys()) and one line per epoch.
    std::string to_csv(char separator = ',') const;

    /// Writes a header line (epoch,loss,accuracy[,metrics][,val_loss,val_accuracy[,val
    /// metrics]],lr,seconds) and one line per epoch, through a temporary file in the same directory
    /// and a rename, so a reader never sees half a file. Throws std::runtime_error naming the path
    /// on failure.
    void write_csv(const std::string& path) const;

    /// Draws loss and accuracy curves (train and validation) side by side into `path`, an .svg
    /// (svg terminal) or .png (pngcairo, else png) file, by running gnuplot. Returns false,
    /// after saying why on std::cerr, when gnuplot is not installed or fails; throws
    /// std::invalid_argument for another extension.
    bool plot(const std::string& path, const PlotOptions& options = {}) const;
};

/// One named run for plot_histories, e.g. {"Adam", adam_history}.
struct NamedHistory {
    std::string name;
    History history;
};

/// Draws one panel per metric ("loss", "accuracy", "val_loss", "val_accuracy" or "lr") with
/// one curve per run, into an .svg or .png file, as History::plot does; lr uses a log scale.
/// Returns false, after saying why on std::cerr, when gnuplot is missing or fails.
bool plot_histories(const std::string& path, const std::vector<NamedHistory>& runs,
                    const std::vector<std::string>& metrics = {"loss"},
                    const PlotOptions& options = {});

/// The gnuplot program that History::plot would run with `options` (an absolute path), or an
/// empty string when there is none.
std::string find_gnuplot(const PlotOptions& options = {});

}  // namespace train
}  // namespace tapegrad
