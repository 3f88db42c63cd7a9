#include "optim/optimizer.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

namespace {

// Checks every number and count of an options object; texts and flags have no range here.
class Checker final : public FieldVisitor {
public:
    explicit Checker(const char* optimizer) : optimizer_(optimizer) {}
    void number(const char* name, double& value, Range range) override {
        // the learning rate is named in full in messages, as users call it
        const char* what = std::strcmp(name, "lr") == 0 ? "learning rate" : name;
        detail::check_number(optimizer_, what, value, range);
    }
    void count(const char* name, int64_t& value) override {
        if (value < 0)
            throw std::invalid_argument(std::string(optimizer_) + ": " + name +
                                        " must be >= 0, got " + std::to_string(value));
    }

private:
    const char* optimizer_;
};

// Applies `f` to every defined tensor of a state object.
template <class F>
class TensorWalker final : public FieldVisitor {
public:
    explicit TensorWalker(F f) : f_(std::move(f)) {}
    void tensor(const char* name, Tensor& value, bool, StateShape shape) override {
        if (value.defined()) f_(name, value, shape);
    }
    void tensors(const char* name, std::deque<Tensor>& values, StateShape shape) override {
        for (Tensor& value : values)
            if (value.defined()) f_(name, value, shape);
    }

private:
    F f_;
};

template <class F>
void for_each_tensor(OptimizerParamState& state, F f) {
    TensorWalker<F> walker(std::move(f));
    state.visit(walker);
}

}  // namespace

void detail::check_number(const char* who, const char* what, double value, Range range) {
    std::string rule;
    if (!std::isfinite(value))
        rule = "finite";
    else if (range == Range::non_negative && value < 0)
        rule = ">= 0";
    else if (range == Range::positive && value <= 0)
        rule = "> 0";
    if (!rule.empty())
        throw std::invalid_argument(std::string(who) + ": " + what + " must be " + rule + ", got " +
                                    detail::format_number(value));
}

void detail::clone_tensors(OptimizerParamState& state) {
    for_each_tensor(state, [](const char*, Tensor& t, StateShape) { t = t.detach().clone(); });
}

double* detail::find_number(OptimizerOptions& options, const char* name) {
    // visit() hands out references to the fields: keep the address of the one asked for
    struct Finder final : FieldVisitor {
        const char* wanted;
        double* found = nullptr;
        explicit Finder(const char* w) : wanted(w) {}
        void number(const char* n, double& value, Range) override {
            if (std::strcmp(n, wanted) == 0) found = &value;
        }
    } finder(name);
    options.visit(finder);
    return finder.found;
}

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_),
      options_(other.options_ ? other.options_->clone() : nullptr),
      initial_lr_(other.initial_lr_) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
    if (this != &other) {
        params_ = other.params_;
        options_ = other.options_ ? other.options_->clone() : nullptr;
        initial_lr_ = other.initial_lr_;
    }
    return *this;
}

OptimizerOptions& OptimizerParamGroup::options() {
    if (!options_) throw std::logic_error("OptimizerParamGroup: this group has no options yet");
    return *options_;
}

const OptimizerOptions& OptimizerParamGroup::options() const {
    if (!options_) throw std::logic_error("OptimizerParamGroup: this group has no options yet");
    return *options_;
}

double OptimizerOptions::get_lr() const {
    throw std::logic_error("OptimizerOptions: get_lr() is not overridden by these options");
}

void OptimizerOptions::set_lr(double) {
    throw std::logic_error("OptimizerOptions: set_lr() is not overridden by these options");
}

void OptimizerOptions::visit(FieldVisitor&) {}

void OptimizerOptions::check(const char* optimizer) const {
    Checker checker(optimizer);
    // visit() serves reading and writing; the checker only reads
    const_cast<OptimizerOptions*>(this)->visit(checker);
}

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
    init(std::move(param_groups));
}

Optimizer::Optimizer(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> defaults)
    : Optimizer(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))},
                std::move(defaults)) {}

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults, const char* name)
    : defaults_(std::move(defaults)), name_(name) {
    init(std::move(param_groups));
}

void Optimizer::init(std::vector<OptimizerParamGroup> param_groups) {
    if (!defaults_) throw std::invalid_argument("Optimizer: got no default options");
    defaults_->check(name_);
    size_t total = 0;
    for (const auto& group : param_groups) total += group.params().size();
    if (total == 0) throw std::invalid_argument("Optimizer: got an empty parameter list");
    for (const auto& group : param_groups) add_param_group(group);
}

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
    const size_t g = param_groups_.size();
    std::unordered_map<const void*, std::string> seen;
    for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
        const auto& params = param_groups_[gi].params();
        for (size_t i = 0; i < params.size(); ++i)
            seen.emplace(params[i].unsafeGetTensorImpl(), detail::param_label(gi, i));
    }
    const auto& params = param_group.params();
    for (size_t i = 0; i < params.size(); ++i) {
        const Tensor& p = params[i];
        const std::string label = detail::param_label(g, i);
        if (!p.defined())
            throw std::invalid_argument("Optimizer: " + label + " is an undefined tensor");
        if (p.dtype() != kFloat32 && p.dtype() != kFloat64)
            throw std::invalid_argument("Optimizer: " + label + " has dtype " +
                                        to_string(p.dtype()) +
                                        "; only float32 and float64 tensors can be optimized");
        if (!p.is_leaf())
            throw std::invalid_argument("Optimizer: " + label + " is not a leaf tensor (made by " +
                                        p.grad_fn()->name() +
                                        "); optimize leaves such as model parameters");
        auto [it, inserted] = seen.emplace(p.unsafeGetTensorImpl(), label);
        if (!inserted)
            throw std::invalid_argument("Optimizer: " + label + " is the same tensor as " +
                                        it->second + "; a tensor can be optimized only once");
    }
    OptimizerParamGroup group(params);
    if (param_group.has_options()) {
        const OptimizerOptions& options = param_group.options();
        if (typeid(options) != typeid(*defaults_))
            throw std::invalid_argument("Optimizer: parameter group " + std::to_string(g) +
                                        " has options made for another optimizer");
        options.check(name_);
        group.set_options(options.clone());
    } else {
        group.set_options(defaults_->clone());
    }
    if (param_group.initial_lr()) group.set_initial_lr(*param_group.initial_lr());
    param_groups_.push_back(std::move(group));
}

void Optimizer::zero_grad(bool set_to_none) {
    NoGradGuard no_grad;
    for (auto& group : param_groups_) {
        for (auto& p : group.params()) {
            Tensor& grad = p.mutable_grad();
            if (!grad.defined()) continue;
            if (set_to_none) {
                grad = Tensor();
                continue;
            }
            // a gradient made with create_graph is part of a graph: cut it before zeroing
            if (!grad.is_leaf())
                grad.detach_();
            else if (grad.requires_grad())
                grad.requires_grad_(false);
            grad.zero_();
        }
    }
}

size_t Optimizer::size() const noexcept {
    size_t n = 0;
    for (const auto& group : param_groups_) n += group.params().size();
    return n;
}

Tensor Optimizer::step(LossClosure closure) {
    Tensor loss = run_closure(closure);
    NoGradGuard no_grad;
    for (size_t g = 0; g < param_groups_.size(); ++g) {
        const OptimizerOptions& options = param_groups_[g].options();
        // options may have changed through their setters since the last step
        options.check(name_);
        const auto& params = param_groups_[g].params();
        for (size_t i = 0; i < params.size(); ++i) {
            const Tensor& p = params[i];
            const Tensor& grad = checked_grad(p, g, i);
            if (!grad.defined()) continue;
            OptimizerParamState* state = keeps_state(options) ? &state_of(p, g, i) : nullptr;
            // the update loops read and write raw memory: give them contiguous tensors, and
            // copy back into p if it was not (a no-op for the usual contiguous parameter)
            const Tensor work = p.contiguous();
            update(work, grad.contiguous(), options, state);
            if (!work.is_same(p)) p.copy_(work);
        }
    }
    return loss;
}

void Optimizer::update(const Tensor&, const Tensor&, const OptimizerOptions&,
                       OptimizerParamState*) {
    throw std::logic_error(std::string(name_) + ": an optimizer must override update() or step()");
}

Tensor Optimizer::run_closure(const LossClosure& closure) {
    if (!closure) return Tensor();
    AutoGradMode enable_grad(true);
    return closure();
}

OptimizerParamState& Optimizer::state_of(const Tensor& p, size_t group, size_t index) {
    auto& slot = state_[p.unsafeGetTensorImpl()];
    if (!slot) {
        slot = make_state();
        if (!slot)
            throw std::logic_error(std::string(name_) +
                                   ": keeps_state() is true but make_state() made nothing");
        return *slot;
    }
    // the parameter may have new data since the last step (set_data, Module::to)
    for_each_tensor(*slot, [&](const char* name, Tensor& t, StateShape shape) {
        if (shape == StateShape::like_param && t.sizes() != p.sizes())
            throw std::logic_error(std::string(name_) + ": " + detail::param_label(group, index) +
                                   " has shape " + shape_str(p.sizes()) + " but its state " + name +
                                   " has shape " + shape_str(t.sizes()) +
                                   "; a parameter cannot change shape between steps");
        if (t.dtype() != p.dtype()) t = t.to(p.dtype());
    });
    return *slot;
}

const Tensor& Optimizer::checked_grad(const Tensor& p, size_t group, size_t index) const {
    const Tensor& grad = p.grad();
    if (grad.defined() && (grad.dtype() != p.dtype() || grad.sizes() != p.sizes()))
        throw std::logic_error(std::string(name_) + ": " + detail::param_label(group, index) +
                               " is " + to_string(p.dtype()) + " " + shape_str(p.sizes()) +
                               " but its gradient is " + to_string(grad.dtype()) + " " +
                               shape_str(grad.sizes()));
    return grad;
}

}  // namespace optim
}  // namespace tapegrad
