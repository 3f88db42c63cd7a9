#pragma once
// Mode: whether a monitored metric improves downwards or upwards (callbacks, search).

#include <string>

namespace tapegrad {
namespace train {

/// Whether a monitored value improves downwards (a loss) or upwards (an accuracy). `automatic`
/// picks max for names containing "acc", "auc", "precision", "recall" or "f1", min otherwise.
enum class Mode { automatic, min, max };

/// `mode`, with automatic resolved for the metric called `monitor`.
Mode resolve_mode(Mode mode, const std::string& monitor);

}  // namespace train
}  // namespace tapegrad
