#pragma once
// ProgressBar: the line fit() redraws on a terminal while an epoch runs.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tapegrad {
namespace train {

/// Draws `epoch 3/10 [=========>     ] 600/938 ETA 2.1s loss 0.3412 acc 0.8765` on a
/// terminal, redrawing it in place (a carriage return) at most ten times a second. Does
/// nothing unless `enabled`.
class ProgressBar {
public:
    /// `stream` is where the bar goes; fit() passes stderr, and enables the bar only when
    /// stderr is a terminal and verbose is on.
    ProgressBar(std::FILE* stream, bool enabled, int64_t epoch, int64_t epochs, int64_t batches);

    /// Called after each batch with the running mean loss and accuracy (accuracy < 0 hides it).
    void update(int64_t batches_done, double loss, double accuracy);
    /// Clears the bar so that the epoch's summary line can take its place.
    void clear();

    /// True when fit() should draw a bar: verbose is on and stderr is a terminal.
    static bool stderr_is_terminal();

private:
    std::FILE* stream_;
    bool enabled_;
    int64_t epoch_;
    int64_t epochs_;
    int64_t batches_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    size_t last_width_ = 0;
};

/// "1.2s", "3m04s" or "1h02m": a duration for progress lines.
std::string format_seconds(double seconds);

}  // namespace train
}  // namespace tapegrad
