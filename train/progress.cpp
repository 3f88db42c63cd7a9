#include "train/progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace tapegrad {
namespace train {

ProgressBar::ProgressBar(std::FILE* stream, bool enabled, int64_t epoch, int64_t epochs,
                         int64_t batches)
    : stream_(stream),
      enabled_(enabled && stream != nullptr),
      epoch_(epoch),
      epochs_(epochs),
      batches_(std::max<int64_t>(batches, 1)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

bool ProgressBar::stderr_is_terminal() {
    return ::isatty(::fileno(stderr)) == 1;
}

void ProgressBar::update(int64_t batches_done, double loss, double accuracy) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    // redrawing every batch would spend more time on the terminal than on small batches
    if (batches_done < batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double eta = batches_done > 0 ? elapsed / static_cast<double>(batches_done) *
                                              static_cast<double>(batches_ - batches_done)
                                        : 0.0;
    constexpr int kWidth = 25;
    const int filled = static_cast<int>(kWidth * batches_done / batches_);
    std::string bar(static_cast<size_t>(kWidth), ' ');
    for (int i = 0; i < filled; ++i) bar[static_cast<size_t>(i)] = '=';
    if (filled < kWidth) bar[static_cast<size_t>(filled)] = '>';
    char line[256];
    int n = std::snprintf(line, sizeof line, "epoch %lld/%lld [%s] %lld/%lld ETA %s loss %.4f",
                          static_cast<long long>(epoch_), static_cast<long long>(epochs_),
                          bar.c_str(), static_cast<long long>(batches_done),
                          static_cast<long long>(batches_), format_seconds(eta).c_str(), loss);
    if (accuracy >= 0 && n > 0 && static_cast<size_t>(n) < sizeof line) {
        std::snprintf(line + n, sizeof line - static_cast<size_t>(n), " acc %.4f", accuracy);
    }
    const std::string text = line;
    // pad with spaces so that a shorter line covers the previous one completely
    std::fprintf(stream_, "\r%s%*s", text.c_str(),
                 static_cast<int>(last_width_ > text.size() ? last_width_ - text.size() : 0), "");
    std::fflush(stream_);
    last_width_ = text.size();
}

void ProgressBar::clear() {
    if (!enabled_ || last_width_ == 0) return;
    std::fprintf(stream_, "\r%*s\r", static_cast<int>(last_width_), "");
    std::fflush(stream_);
    last_width_ = 0;
}

std::string format_seconds(double seconds) {
    char buf[32];
    if (seconds < 60) {
        std::snprintf(buf, sizeof buf, "%.1fs", seconds);
    } else if (seconds < 3600) {
        const int s = static_cast<int>(seconds + 0.5);
        std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
    } else {
        const int m = static_cast<int>(seconds / 60 + 0.5);
        std::snprintf(buf, sizeof buf, "%dh%02dm", m / 60, m % 60);
    }
    return buf;
}

}  // namespace train
}  // namespace tapegrad
