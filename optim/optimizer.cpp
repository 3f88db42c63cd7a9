#include "optim/optimizer.hpp"

#include <stdexcept>
#include <string>
#include <typeinfo>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"

namespace tapegrad {
namespace optim {

namespace {
// "parameter 2", or "parameter 2 of group 1" past the first group.
std::string param_label(size_t group, size_t index) {
    std::string s = "parameter " + std::to_string(index);
    if (group > 0) s += " of group " + std::to_string(group);
    return s;
}
}  // namespace

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_), options_(other.options_ ? other.options_->clone() : nullptr) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
    if (this != &other) {
        params_ = other.params_;
        options_ = other.options_ ? other.options_->clone() : nullptr;
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

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
    if (!defaults_) throw std::invalid_argument("Optimizer: got no default options");
    defaults_->check();
    size_t total = 0;
    for (const auto& group : param_groups) total += group.params().size();
    if (total == 0) throw std::invalid_argument("Optimizer: got an empty parameter list");
    for (const auto& group : param_groups) add_param_group(group);
}

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
    const size_t g = param_groups_.size();
    std::unordered_map<const TensorImpl*, std::string> seen;
    for (size_t gi = 0; gi < param_groups_.size(); ++gi) {
        const auto& params = param_groups_[gi].params();
        for (size_t i = 0; i < params.size(); ++i)
            seen.emplace(params[i].unsafeGetTensorImpl(), param_label(gi, i));
    }
    const auto& params = param_group.params();
    for (size_t i = 0; i < params.size(); ++i) {
        const Tensor& p = params[i];
        const std::string label = param_label(g, i);
        if (!p.defined())
            throw std::invalid_argument("Optimizer: " + label + " is an undefined tensor");
        if (!p.is_floating_point())
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
        options.check();
        group.set_options(options.clone());
    } else {
        group.set_options(defaults_->clone());
    }
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

Tensor Optimizer::run_closure(const LossClosure& closure) {
    if (!closure) return Tensor();
    AutoGradMode enable_grad(true);
    return closure();
}

OptimizerParamState& Optimizer::state_of(const Tensor& p) {
    auto& slot = state_[p.unsafeGetTensorImpl()];
    if (!slot) slot = make_state();
    return *slot;
}

const Tensor& Optimizer::checked_grad(const Tensor& p, size_t group, size_t index) const {
    const Tensor& grad = p.grad();
    if (grad.defined() && (grad.dtype() != p.dtype() || grad.sizes() != p.sizes()))
        throw std::logic_error(std::string(name()) + ": " + param_label(group, index) + " is " +
                               to_string(p.dtype()) + " " + shape_str(p.sizes()) +
                               " but its gradient is " + to_string(grad.dtype()) + " " +
                               shape_str(grad.sizes()));
    return grad;
}

}  // namespace optim
}  // namespace tapegrad
