#include "autograd/grad_mode.hpp"

namespace tapegrad {

namespace {
thread_local bool grad_enabled = true;
thread_local bool anomaly_enabled = false;
thread_local bool anomaly_check_nan = true;
}  // namespace

bool GradMode::is_enabled() {
    return grad_enabled;
}
void GradMode::set_enabled(bool enabled) {
    grad_enabled = enabled;
}

namespace autograd {
bool AnomalyMode::is_enabled() {
    return anomaly_enabled;
}
void AnomalyMode::set_enabled(bool enabled, bool check_nan) {
    anomaly_enabled = enabled;
    anomaly_check_nan = check_nan;
}
bool AnomalyMode::should_check_nan() {
    return anomaly_check_nan;
}
}  // namespace autograd

}  // namespace tapegrad
