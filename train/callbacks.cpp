#include "train/callbacks.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "autograd/grad_mode.hpp"
#include "nn/serialize.hpp"
#include "train/detail.hpp"

namespace tapegrad {
namespace train {

namespace {

bool contains(const std::string& s, const char* part) {
    return s.find(part) != std::string::npos;
}

// True when `current` beats `reference` by more than `min_delta` (NaN never does).
bool improves(Mode mode, double current, double reference, double min_delta = 0.0) {
    if (std::isnan(current)) return false;
    return mode == Mode::max ? current - min_delta > reference : current + min_delta < reference;
}

double worst(Mode mode) {
    return mode == Mode::max ? -INFINITY : INFINITY;
}

// The column a callback watches: "" means val_loss, or loss without validation data. A
// validation column without validation data is refused before the first epoch.
std::string watched(const char* who, const std::string& monitor, const FitState& s) {
    if (monitor.empty()) return s.has_validation ? "val_loss" : "loss";
    if (monitor.rfind("val_", 0) == 0 && !s.has_validation) {
        throw std::invalid_argument(std::string(who) + ": monitors '" + monitor +
                                    "', but fit has no validation data (give it "
                                    "FitOptions::validation or validation_split)");
    }
    return monitor;
}

// Every parameter and buffer of the model: what restore_best_weights saves and puts back.
std::vector<Tensor> state_of(const nn::Module& module) {
    std::vector<Tensor> state = module.parameters();
    for (const Tensor& b : module.buffers()) state.push_back(b);
    return state;
}

std::vector<Tensor> snapshot(const nn::Module& module) {
    NoGradGuard no_grad;
    std::vector<Tensor> copy;
    for (const Tensor& t : state_of(module)) copy.push_back(t.detach().clone());
    return copy;
}

void restore(const nn::Module& module, const std::vector<Tensor>& saved) {
    NoGradGuard no_grad;
    const std::vector<Tensor> state = state_of(module);
    if (state.size() != saved.size()) {
        throw std::logic_error("EarlyStopping: the model has " + std::to_string(state.size()) +
                               " parameters and buffers now, " + std::to_string(saved.size()) +
                               " when the best weights were saved");
    }
    for (size_t i = 0; i < state.size(); ++i) state[i].copy_(saved[i]);
}

void set_lr(optim::Optimizer& optimizer, double lr) {
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace

Mode resolve_mode(Mode mode, const std::string& monitor) {
    if (mode != Mode::automatic) return mode;
    const std::string name = monitor.rfind("val_", 0) == 0 ? monitor.substr(4) : monitor;
    for (const char* upwards : {"acc", "auc", "precision", "recall", "f1"}) {
        if (contains(name, upwards)) return Mode::max;
    }
    return Mode::min;
}

double current_lr(const optim::Optimizer& optimizer) {
    const auto& groups = optimizer.param_groups();
    if (!groups.empty() && groups[0].has_options()) return groups[0].options().get_lr();
    return optimizer.defaults().get_lr();
}

void FitState::stop(const std::string& reason) {
    if (stop_training) return;
    stop_training = true;
    stop_reason = reason;
}

double FitState::value(const std::string& name) const {
    const std::vector<double>& column = history[name];
    if (column.empty()) {
        throw std::logic_error("FitState::value: column '" + name +
                               "' has no value yet (no epoch has ended)");
    }
    return column.back();
}

void LambdaCallback::on_train_begin(FitState& s) {
    if (train_begin) train_begin(s);
}
void LambdaCallback::on_epoch_begin(FitState& s) {
    if (epoch_begin) epoch_begin(s);
}
void LambdaCallback::on_batch_end(FitState& s) {
    if (batch_end) batch_end(s);
}
void LambdaCallback::on_epoch_end(FitState& s) {
    if (epoch_end) epoch_end(s);
}
void LambdaCallback::on_train_end(FitState& s) {
    if (train_end) train_end(s);
}

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
    if (options_.patience() < 0) {
        throw std::invalid_argument("EarlyStopping: patience must be >= 0, got " +
                                    std::to_string(options_.patience()));
    }
    if (!(options_.min_delta() >= 0) || !std::isfinite(options_.min_delta())) {
        throw std::invalid_argument("EarlyStopping: min_delta must be finite and >= 0, got " +
                                    detail::format_number(options_.min_delta()));
    }
}

void EarlyStopping::on_train_begin(FitState& s) {
    monitor_ = watched("EarlyStopping", options_.monitor(), s);
    mode_ = resolve_mode(options_.mode(), monitor_);
    best_ = worst(mode_);
    best_epoch_ = 0;
    wait_ = 0;
    stopped_epoch_ = 0;
    best_state_.clear();
}

void EarlyStopping::on_epoch_end(FitState& s) {
    const double current = s.value(monitor_);
    // as Keras: count the epoch, and start again from 0 on an improvement (that also beats
    // the baseline, when there is one)
    ++wait_;
    if (improves(mode_, current, best_, options_.min_delta())) {
        best_ = current;
        best_epoch_ = s.epoch;
        if (options_.restore_best_weights()) best_state_ = snapshot(s.model);
        if (std::isnan(options_.baseline()) || improves(mode_, current, options_.baseline())) {
            wait_ = 0;
        }
        return;
    }
    if (wait_ >= options_.patience() && s.epoch < s.epochs) {
        stopped_epoch_ = s.epoch;
        s.stop("early_stopping");
        if (s.verbose) {
            std::printf("early stopping: %s has not improved for %lld epochs\n", monitor_.c_str(),
                        static_cast<long long>(wait_));
        }
    }
}

void EarlyStopping::on_train_end(FitState& s) {
    if (best_state_.empty() || s.history.epoch.empty() || best_epoch_ == s.history.epoch.back()) {
        return;
    }
    restore(s.model, best_state_);
    if (s.verbose) {
        std::printf("restored the weights of epoch %lld (%s %.4f)\n",
                    static_cast<long long>(best_epoch_), monitor_.c_str(), best_);
    }
}

StopAtTarget::StopAtTarget(std::string monitor, double target, Mode mode, std::string reason)
    : monitor_(std::move(monitor)), target_(target), mode_(mode), reason_(std::move(reason)) {
    if (std::isnan(target_)) throw std::invalid_argument("StopAtTarget: the target is NaN");
    if (monitor_.empty()) throw std::invalid_argument("StopAtTarget: the monitor is empty");
    mode_ = resolve_mode(mode_, monitor_);
}

void StopAtTarget::on_epoch_end(FitState& s) {
    watched("StopAtTarget", monitor_, s);
    const double v = s.value(monitor_);
    const bool reached = mode_ == Mode::max ? v >= target_ : v <= target_;
    if (!reached) return;
    s.stop(reason_);
    if (s.verbose) {
        std::printf("stopping: %s %.4f reached the target %.4g\n", monitor_.c_str(), v, target_);
    }
}

ModelCheckpoint::ModelCheckpoint(std::string path, ModelCheckpointOptions options)
    : path_(std::move(path)), options_(std::move(options)) {
    if (path_.empty()) throw std::invalid_argument("ModelCheckpoint: the path is empty");
}

void ModelCheckpoint::on_train_begin(FitState& s) {
    monitor_ = options_.save_best_only() ? watched("ModelCheckpoint", options_.monitor(), s)
                                         : options_.monitor();
    mode_ = resolve_mode(options_.mode(), monitor_);
    best_ = worst(mode_);
    last_saved_.clear();
    last_saved_epoch_ = 0;
}

void ModelCheckpoint::on_epoch_end(FitState& s) {
    if (options_.save_best_only()) {
        const double v = s.value(monitor_);
        if (!improves(mode_, v, best_)) return;
        best_ = v;
    }
    const std::string path = format_checkpoint_path(path_, s);
    if (s.rank == 0) save(s.model, path);
    last_saved_ = path;
    last_saved_epoch_ = s.epoch;
}

std::string format_checkpoint_path(const std::string& pattern, const FitState& state) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if ((c == '{' || c == '}') && i + 1 < pattern.size() && pattern[i + 1] == c) {
            out += c;  // "{{" and "}}" are literal braces, as in Python's format
            ++i;
            continue;
        }
        if (c == '}') {
            throw std::invalid_argument("ModelCheckpoint: unmatched '}' in '" + pattern + "'");
        }
        if (c != '{') {
            out += c;
            continue;
        }
        const size_t close = pattern.find('}', i);
        if (close == std::string::npos) {
            throw std::invalid_argument("ModelCheckpoint: unmatched '{' in '" + pattern + "'");
        }
        const std::string field = pattern.substr(i + 1, close - i - 1);
        const size_t colon = field.find(':');
        const std::string name = field.substr(0, colon);
        const bool integer = name == "epoch";
        const std::string spec = colon == std::string::npos ? std::string(integer ? "d" : ".6g")
                                                            : field.substr(colon + 1);
        // a printf conversion made of flags, width and precision only: nothing else reaches
        // snprintf
        const std::string conversions = integer ? "d" : "eEfFgG";
        bool ok = !spec.empty() && conversions.find(spec.back()) != std::string::npos;
        for (size_t k = 0; ok && k + 1 < spec.size(); ++k) {
            ok = std::isdigit(static_cast<unsigned char>(spec[k])) || spec[k] == '.' ||
                 spec[k] == '-' || spec[k] == '+' || spec[k] == ' ';
        }
        if (!ok) {
            throw std::invalid_argument("ModelCheckpoint: cannot format {" + field + "} in '" +
                                        pattern + "': use a format such as " +
                                        (integer ? "{epoch:03d}" : "{" + name + ":.4f}"));
        }
        char buf[64];
        if (integer) {
            const std::string format = "%" + spec.substr(0, spec.size() - 1) + "lld";
            std::snprintf(buf, sizeof buf, format.c_str(), static_cast<long long>(state.epoch));
        } else {
            std::snprintf(buf, sizeof buf, ("%" + spec).c_str(), state.value(name));
        }
        out += buf;
        i = close;
    }
    return out;
}

CSVLogger::CSVLogger(std::string path, bool append, char separator)
    : path_(std::move(path)), append_(append), separator_(separator) {
    if (path_.empty()) throw std::invalid_argument("CSVLogger: the path is empty");
}

void CSVLogger::on_train_begin(FitState&) {
    kept_.clear();
    if (!append_) return;
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;  // nothing to append to yet
    std::ostringstream text;
    text << in.rdbuf();
    kept_ = text.str();
    if (!kept_.empty() && kept_.back() != '\n') kept_ += '\n';
}

void CSVLogger::on_epoch_end(FitState& s) {
    if (s.rank != 0) return;
    std::string text = s.history.to_csv(separator_);
    if (!kept_.empty()) text.erase(0, text.find('\n') + 1);  // the file has its header already
    detail::write_file_atomically("CSVLogger", path_, kept_ + text);
}

LearningRateScheduler::LearningRateScheduler(
    std::function<double(int64_t epoch, double lr)> schedule)
    : schedule_(std::move(schedule)) {
    if (!schedule_) throw std::invalid_argument("LearningRateScheduler: the schedule is empty");
}

LearningRateScheduler::LearningRateScheduler(optim::LRScheduler& scheduler)
    : step_([s = &scheduler](double) { s->step(); }) {}

LearningRateScheduler::LearningRateScheduler(optim::ReduceLROnPlateau& scheduler,
                                             std::string monitor)
    : step_([s = &scheduler](double value) { s->step(value); }),
      needs_value_(true),
      monitor_(std::move(monitor)) {}

void LearningRateScheduler::on_epoch_begin(FitState& s) {
    if (!schedule_) return;
    const double lr = schedule_(s.epoch - 1, current_lr(s.optimizer));
    if (!std::isfinite(lr) || lr < 0) {
        throw std::invalid_argument("LearningRateScheduler: the schedule gave lr " +
                                    detail::format_number(lr) + " for epoch " +
                                    std::to_string(s.epoch - 1) +
                                    "; a learning rate must be finite and >= 0");
    }
    set_lr(s.optimizer, lr);
}

void LearningRateScheduler::on_epoch_end(FitState& s) {
    if (!step_) return;
    step_(needs_value_ ? s.value(watched("LearningRateScheduler", monitor_, s)) : 0.0);
}

}  // namespace train
}  // namespace tapegrad
