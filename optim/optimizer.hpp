#pragma once
// Optimizer: the base of every optimizer. It holds parameter groups (each with its own
// options), the per-parameter state (moments, step counts), zero_grad(), and step().
//
// Updates run under NoGradGuard, in place on the parameters, and reuse their state tensors:
// after the first step, a step allocates nothing.

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"  // TAPEGRAD_ARG: chained option setters, shared with nn

namespace tapegrad {
namespace optim {

/// Walks the named fields of an options or state object; save and load are built on it.
class FieldVisitor {
public:
    virtual ~FieldVisitor() = default;
    /// A hyperparameter such as lr or momentum.
    virtual void number(const char* name, double& value) = 0;
    /// A yes/no hyperparameter such as nesterov.
    virtual void flag(const char* name, bool& value) = 0;
    /// A counter such as the number of steps taken.
    virtual void count(const char* name, int64_t& value) = 0;
    /// A state tensor shaped like its parameter. An optional one may be undefined; the
    /// optimizer then makes it when it first needs it.
    virtual void tensor(const char* name, Tensor& value, bool required) = 0;
};

/// The hyperparameters of one parameter group. Each optimizer has its own subclass.
class OptimizerOptions {
public:
    virtual ~OptimizerOptions() = default;
    virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
    virtual double get_lr() const = 0;
    virtual void set_lr(double lr) = 0;
    /// Throws std::invalid_argument naming the optimizer and the option that is out of range.
    virtual void check() const = 0;
    /// Visits every hyperparameter by name.
    virtual void visit(FieldVisitor& visitor) = 0;
};

/// What an optimizer keeps for one parameter between steps. Each optimizer has its own subclass.
class OptimizerParamState {
public:
    virtual ~OptimizerParamState() = default;
    virtual std::unique_ptr<OptimizerParamState> clone() const = 0;
    /// Visits every counter and tensor of the state by name.
    virtual void visit(FieldVisitor& visitor) = 0;
};

/// Parameters that share options; a group made without options takes the optimizer's defaults.
class OptimizerParamGroup {
public:
    // NOLINTNEXTLINE: implicit, as LibTorch's, so that `{params}` makes a group
    OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}
    OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options)
        : params_(std::move(params)), options_(std::move(options)) {}
    OptimizerParamGroup(const OptimizerParamGroup& other);
    OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
    OptimizerParamGroup(OptimizerParamGroup&&) = default;
    OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;

    bool has_options() const { return options_ != nullptr; }
    /// The group's options; throws std::logic_error if it has none.
    OptimizerOptions& options();
    const OptimizerOptions& options() const;
    void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
    std::vector<Tensor>& params() { return params_; }
    const std::vector<Tensor>& params() const { return params_; }

private:
    std::vector<Tensor> params_;
    std::unique_ptr<OptimizerOptions> options_;
};

/// Per-parameter state, keyed by the parameter's TensorImpl.
using OptimizerState = std::unordered_map<const TensorImpl*, std::unique_ptr<OptimizerParamState>>;

/// The base of SGD, Adagrad, RMSprop, Adam and AdamW.
class Optimizer {
public:
    /// Evaluates the model and returns the loss after calling backward; step(closure) calls it
    /// with grad mode on.
    using LossClosure = std::function<Tensor()>;

    /// Checks the defaults and every group; throws std::invalid_argument when there are no
    /// parameters at all, a parameter is not a floating leaf, or appears twice.
    Optimizer(std::vector<OptimizerParamGroup> param_groups,
              std::unique_ptr<OptimizerOptions> defaults);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// Updates every parameter that has a gradient; returns the closure's loss, or an undefined
    /// tensor without a closure.
    virtual Tensor step(LossClosure closure = nullptr) = 0;
    /// The optimizer's LibTorch name, "SGD" or "Adam", used in messages.
    virtual const char* name() const = 0;

    /// Adds a group; one without options takes a copy of the defaults.
    void add_param_group(const OptimizerParamGroup& param_group);
    /// Releases every gradient (undefined grad, the default, as nn::Module::zero_grad and
    /// LibTorch 2), or sets it to zero in place when set_to_none is false.
    void zero_grad(bool set_to_none = true);

    std::vector<OptimizerParamGroup>& param_groups() noexcept { return param_groups_; }
    const std::vector<OptimizerParamGroup>& param_groups() const noexcept { return param_groups_; }
    OptimizerState& state() noexcept { return state_; }
    const OptimizerState& state() const noexcept { return state_; }
    OptimizerOptions& defaults() noexcept { return *defaults_; }
    const OptimizerOptions& defaults() const noexcept { return *defaults_; }
    /// Number of parameters over all groups.
    size_t size() const noexcept;

    /// A fresh, empty state object of this optimizer's kind (used by load).
    virtual std::unique_ptr<OptimizerParamState> make_state() const = 0;

protected:
    /// Calls the closure, if any, with grad mode on; returns its loss.
    static Tensor run_closure(const LossClosure& closure);
    /// The state of `p`, made by make_state() on first use.
    OptimizerParamState& state_of(const Tensor& p);
    /// p.grad(), checked to match p's shape and dtype; undefined when p has no gradient.
    /// `group` and `index` locate p in the messages.
    const Tensor& checked_grad(const Tensor& p, size_t group, size_t index) const;

    std::vector<OptimizerParamGroup> param_groups_;
    OptimizerState state_;
    std::unique_ptr<OptimizerOptions> defaults_;
};

}  // namespace optim
}  // namespace tapegrad
