#pragma once
// Grad mode and anomaly mode: thread-local switches with RAII guards.

namespace tapegrad {

/// Whether ops record on the tape in this thread (on by default).
struct GradMode {
    static bool is_enabled();
    static void set_enabled(bool enabled);
};

/// Sets grad mode to `enabled` for its lifetime, then restores what it was (used by the engine
/// for create_graph). The guards below are this one with a fixed setting.
class AutoGradMode {
public:
    explicit AutoGradMode(bool enabled) : prev_(GradMode::is_enabled()) {
        GradMode::set_enabled(enabled);
    }
    ~AutoGradMode() { GradMode::set_enabled(prev_); }
    AutoGradMode(const AutoGradMode&) = delete;
    AutoGradMode& operator=(const AutoGradMode&) = delete;

private:
    bool prev_;
};

/// Turns recording off for its lifetime in this thread; nestable, as LibTorch's.
struct NoGradGuard : public AutoGradMode {
    NoGradGuard() : AutoGradMode(false) {}
};

/// LibTorch's InferenceMode guard: recording off for its lifetime in this thread, as
/// NoGradGuard (InferenceMode(false) leaves grad mode as it is). Unlike LibTorch, tensors made
/// under it are ordinary tensors: they may be used in autograd later, and nothing is faster.
struct InferenceMode : public AutoGradMode {
    explicit InferenceMode(bool enabled = true)
        : AutoGradMode(enabled ? false : GradMode::is_enabled()) {}
};

namespace autograd {

/// Anomaly mode: nodes remember the ops that led to them, and (unless check_nan is off) a NaN
/// or Inf produced by a forward or backward raises an exception naming the op.
struct AnomalyMode {
    static bool is_enabled();
    static void set_enabled(bool enabled, bool check_nan = true);
    /// Whether anomaly mode checks outputs and gradients for NaN and Inf.
    static bool should_check_nan();
};

/// Turns anomaly mode on for its lifetime in this thread; with check_nan false it only records
/// where each node came from (for error messages), as LibTorch's.
class DetectAnomalyGuard {
public:
    explicit DetectAnomalyGuard(bool check_nan = true)
        : prev_(AnomalyMode::is_enabled()), prev_check_nan_(AnomalyMode::should_check_nan()) {
        AnomalyMode::set_enabled(true, check_nan);
    }
    ~DetectAnomalyGuard() { AnomalyMode::set_enabled(prev_, prev_check_nan_); }
    DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
    DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
    bool prev_, prev_check_nan_;
};

}  // namespace autograd
}  // namespace tapegrad
