#pragma once
// Grad mode and anomaly mode: thread-local switches with RAII guards.

namespace tapegrad {

/// Whether ops record on the tape in this thread (on by default).
struct GradMode {
    static bool is_enabled();
    static void set_enabled(bool enabled);
};

/// Turns recording off for its lifetime in this thread; nestable, as LibTorch's.
class NoGradGuard {
public:
    NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
    ~NoGradGuard() { GradMode::set_enabled(prev_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool prev_;
};

/// Sets grad mode to `enabled` for its lifetime (used by the engine for create_graph).
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

namespace autograd {

/// Anomaly mode: nodes remember the ops that led to them, and a NaN or Inf produced by a
/// forward or backward raises an exception naming the op.
struct AnomalyMode {
    static bool is_enabled();
    static void set_enabled(bool enabled);
};

/// Turns anomaly mode on for its lifetime in this thread.
class DetectAnomalyGuard {
public:
    DetectAnomalyGuard() : prev_(AnomalyMode::is_enabled()) { AnomalyMode::set_enabled(true); }
    ~DetectAnomalyGuard() { AnomalyMode::set_enabled(prev_); }
    DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
    DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
    bool prev_;
};

}  // namespace autograd
}  // namespace tapegrad
