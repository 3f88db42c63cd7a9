#pragma once
// Optimizer: the base of every optimizer. It owns the parameter groups (each with its own
// options), the per-parameter state (moments, step counts), zero_grad(), the step loop and what
// save/load and the schedulers need; an optimizer such as Adam writes only its update rule.
//
// step() runs under NoGradGuard and calls update() once for each parameter that has a
// gradient. The updates work in place on the parameters and reuse their state tensors: after
// the first step, a step allocates nothing. State follows its parameter: after `p.set_data(...)`
// (e.g. `model->to(kFloat64)`) the next step converts the state to the parameter's new dtype.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/arg.hpp"  // TAPEGRAD_ARG: chained option setters, shared with nn

namespace tapegrad {
namespace optim {

/// The values a numeric option may take. Every option must also be finite.
enum class Range { any, non_negative, positive };

/// How a state tensor is shaped, so that loading can check it: like its parameter, one flat
/// vector over all the parameters (LBFGS), or a single number.
enum class StateShape { like_param, flat, scalar };

/// Walks the named fields of an options or state object; checks, save, load, the dtype
/// conversion of state and the schedulers' access to momentum are built on it. Each method
/// does nothing by default, so a visitor overrides only the kinds of field it cares about.
class FieldVisitor {
public:
    virtual ~FieldVisitor() = default;
    /// A number such as lr or momentum; options are checked against `range`.
    virtual void number(const char* /*name*/, double& /*value*/, Range /*range*/ = Range::any) {}
    /// A yes/no option such as nesterov.
    virtual void flag(const char* /*name*/, bool& /*value*/) {}
    /// A count >= 0 such as the number of steps taken.
    virtual void count(const char* /*name*/, int64_t& /*value*/) {}
    /// A short text such as LBFGS's line_search_fn; empty when not set.
    virtual void text(const char* /*name*/, std::optional<std::string>& /*value*/) {}
    /// A state tensor. A required one that is undefined is never saved; an optional one may be
    /// undefined, and the optimizer makes it when it first needs it.
    virtual void tensor(const char* /*name*/, Tensor& /*value*/, bool /*required*/,
                        StateShape /*shape*/ = StateShape::like_param) {}
    /// A list of state tensors, such as LBFGS's history.
    virtual void tensors(const char* /*name*/, std::deque<Tensor>& /*values*/,
                         StateShape /*shape*/) {}
};

/// The hyperparameters of one parameter group. Each optimizer has its own subclass.
class OptimizerOptions {
public:
    virtual ~OptimizerOptions() = default;
    virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
    /// The learning rate; throws std::logic_error unless the subclass has one.
    virtual double get_lr() const;
    /// Sets the learning rate; throws std::invalid_argument unless it is finite and >= 0
    /// (std::logic_error unless the subclass has one).
    virtual void set_lr(double lr);
    /// Visits every option by name; the default visits none.
    virtual void visit(FieldVisitor& visitor);
    /// Throws std::invalid_argument naming `optimizer` and the first option that is not finite
    /// or out of its range. Subclasses add the checks that involve two options.
    virtual void check(const char* optimizer) const;
};

/// LibTorch's base for options: clone() through the copy constructor of `Derived`.
template <class Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
public:
    std::unique_ptr<OptimizerOptions> clone() const override {
        return std::make_unique<Derived>(static_cast<const Derived&>(*this));
    }
};

/// What an optimizer keeps for one parameter between steps. Each optimizer has its own subclass.
class OptimizerParamState {
public:
    virtual ~OptimizerParamState() = default;
    /// A deep copy: the tensors are cloned.
    virtual std::unique_ptr<OptimizerParamState> clone() const = 0;
    /// Visits every count, number and tensor of the state by name.
    virtual void visit(FieldVisitor& visitor) = 0;
};

/// LibTorch's base for states: a deep clone() through visit().
template <class Derived>
class OptimizerCloneableParamState : public OptimizerParamState {
public:
    std::unique_ptr<OptimizerParamState> clone() const override;
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
    /// The lr the first scheduler found (PyTorch's group["initial_lr"]); schedulers start from it.
    const std::optional<double>& initial_lr() const { return initial_lr_; }
    void set_initial_lr(double lr) { initial_lr_ = lr; }

private:
    std::vector<Tensor> params_;
    std::unique_ptr<OptimizerOptions> options_;
    std::optional<double> initial_lr_;
};

/// Per-parameter state, keyed by `p.unsafeGetTensorImpl()`.
using OptimizerState = std::unordered_map<const void*, std::unique_ptr<OptimizerParamState>>;

/// The base of SGD, Adagrad, RMSprop, Adam, AdamW and LBFGS.
class Optimizer {
public:
    /// Evaluates the model and returns the loss after calling backward; step(closure) calls it
    /// with grad mode on.
    using LossClosure = std::function<Tensor()>;

    /// Checks the defaults and every group; throws std::invalid_argument when there are no
    /// parameters at all, a parameter is not a float32 or float64 leaf, or appears twice.
    Optimizer(std::vector<OptimizerParamGroup> param_groups,
              std::unique_ptr<OptimizerOptions> defaults);
    Optimizer(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> defaults);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// Calls the closure (if any), then update() for every parameter that has a gradient;
    /// returns the closure's loss, or an undefined tensor without a closure.
    virtual Tensor step(LossClosure closure = nullptr);
    /// The optimizer's LibTorch name, "SGD" or "Adam", used in messages and saved files.
    const char* name() const noexcept { return name_; }

    /// Adds a group; one without options takes a copy of the defaults.
    void add_param_group(const OptimizerParamGroup& param_group);
    /// Fills every existing gradient with zeros, as LibTorch 1.13 (a gradient made with
    /// create_graph is cut from its graph first); with set_to_none, releases them instead.
    void zero_grad(bool set_to_none = false);

    std::vector<OptimizerParamGroup>& param_groups() noexcept { return param_groups_; }
    const std::vector<OptimizerParamGroup>& param_groups() const noexcept { return param_groups_; }
    OptimizerState& state() noexcept { return state_; }
    const OptimizerState& state() const noexcept { return state_; }
    OptimizerOptions& defaults() noexcept { return *defaults_; }
    const OptimizerOptions& defaults() const noexcept { return *defaults_; }
    /// Number of parameters over all groups.
    size_t size() const noexcept;

    /// A fresh, empty state object of this optimizer's kind (used by load); null when the
    /// optimizer keeps no state.
    virtual std::unique_ptr<OptimizerParamState> make_state() const { return nullptr; }

protected:
    /// For the optimizers of this library: `name` is what name() returns.
    Optimizer(std::vector<OptimizerParamGroup> param_groups,
              std::unique_ptr<OptimizerOptions> defaults, const char* name);

    /// One parameter's update, in place: the rule each optimizer writes. `p` and `grad` are
    /// contiguous; `state` is null when keeps_state() is false. The default throws: an
    /// optimizer overrides update() or step().
    virtual void update(const Tensor& p, const Tensor& grad, const OptimizerOptions& options,
                        OptimizerParamState* state);
    /// Whether update() needs a state object under these options (SGD without momentum does
    /// not, so it makes none, as LibTorch's).
    virtual bool keeps_state(const OptimizerOptions& /*options*/) const { return true; }

    /// Calls the closure, if any, with grad mode on; returns its loss.
    static Tensor run_closure(const LossClosure& closure);
    /// The state of `p` (parameter `index` of `group`), made by make_state() on first use and
    /// converted to p's dtype if p changed dtype since. Throws std::logic_error if p changed
    /// shape.
    OptimizerParamState& state_of(const Tensor& p, size_t group, size_t index);
    /// p.grad(), checked to match p's shape and dtype; undefined when p has no gradient.
    const Tensor& checked_grad(const Tensor& p, size_t group, size_t index) const;

    std::vector<OptimizerParamGroup> param_groups_;
    OptimizerState state_;
    std::unique_ptr<OptimizerOptions> defaults_;

private:
    void init(std::vector<OptimizerParamGroup> param_groups);
    const char* name_ = "Optimizer";
};

/// An Optimizer whose groups hold `Options` and whose parameters keep a `State`: the typed
/// constructors, make_state(), and update() with the options and state already cast. `Options`
/// names its optimizer in `Options::optimizer_name`.
template <class Options, class State>
class TypedOptimizer : public Optimizer {
public:
    explicit TypedOptimizer(std::vector<OptimizerParamGroup> param_groups, Options defaults = {})
        : Optimizer(std::move(param_groups), std::make_unique<Options>(std::move(defaults)),
                    Options::optimizer_name) {}
    explicit TypedOptimizer(std::vector<Tensor> params, Options defaults = {})
        : TypedOptimizer(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))},
                         std::move(defaults)) {}

    std::unique_ptr<OptimizerParamState> make_state() const override {
        return std::make_unique<State>();
    }

protected:
    /// The update rule with typed options and state (state is null when keeps_state() is false).
    virtual void update(const Tensor& p, const Tensor& grad, const Options& options, State* state) {
        Optimizer::update(p, grad, options, state);
    }

private:
    void update(const Tensor& p, const Tensor& grad, const OptimizerOptions& options,
                OptimizerParamState* state) final {
        update(p, grad, static_cast<const Options&>(options), static_cast<State*>(state));
    }
};

namespace detail {
/// Throws std::invalid_argument "<who>: <what> must be finite, got inf" or "... must be >= 0,
/// got -1" unless `value` is finite and within `range`.
void check_number(const char* who, const char* what, double value, Range range);

/// Clones every tensor of `state` in place (the other fields were copied already).
void clone_tensors(OptimizerParamState& state);

/// The number option called `name` ("momentum", "beta1") of `options`, or null if it has none.
double* find_number(OptimizerOptions& options, const char* name);
}  // namespace detail

/// The base of the options of every optimizer here: clone(), and get_lr() and set_lr() over
/// an `lr` option (set_lr refuses what the optimizer would). `Derived` has `lr()` setters.
template <class Derived>
class OptimizerOptionsBase : public OptimizerCloneableOptions<Derived> {
public:
    double get_lr() const override { return static_cast<const Derived&>(*this).lr(); }
    void set_lr(double lr) override {
        detail::check_number("set_lr", "learning rate", lr, Range::non_negative);
        static_cast<Derived&>(*this).lr(lr);
    }
};

template <class Derived>
std::unique_ptr<OptimizerParamState> OptimizerCloneableParamState<Derived>::clone() const {
    auto copy = std::make_unique<Derived>(static_cast<const Derived&>(*this));
    detail::clone_tensors(*copy);
    return copy;
}

}  // namespace optim
}  // namespace tapegrad
