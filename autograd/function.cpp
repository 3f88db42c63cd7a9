#include "autograd/function.hpp"

#include "autograd/ops.hpp"
#include "autograd/platform.hpp"

namespace tapegrad {

const char* IValue::tagKind() const {
    static const char* const kinds[] = {"None",   "Bool",    "Int",   "Double",
                                        "String", "IntList", "Tensor"};
    return kinds[v_.index()];
}

namespace autograd {

void AutogradContext::save_for_backward(tensor_list to_save) {
    saved_ = std::move(to_save);
    versions_.clear();
    is_output_.assign(saved_.size(), false);
}

void AutogradContext::detail_before_forward(const char* name, std::vector<bool> needs_grad) {
    name_ = name;
    needs_grad_ = std::move(needs_grad);
}

void AutogradContext::detail_after_forward(const tensor_list& raw_outputs) {
    versions_.clear();
    for (size_t i = 0; i < saved_.size(); ++i) {
        const Tensor& s = saved_[i];
        versions_.push_back(s.defined() ? s._version() : 0);
        for (const Tensor& out : raw_outputs)
            if (s.defined() && s.is_same(out)) is_output_[i] = true;
    }
}

bool AutogradContext::detail_saves_output() const {
    for (bool o : is_output_)
        if (o) return true;
    return false;
}

tensor_list AutogradContext::get_saved_variables() const {
    tensor_list out = saved_;
    for (size_t i = 0; i < out.size(); ++i) {
        if (!out[i].defined()) continue;
        if (is_output_[i] && output_.defined()) {
            out[i] = output_;  // the node checked its output's version when it rebuilt it
            continue;
        }
        if (i < versions_.size() && out[i]._version() != versions_[i]) {
            throw std::logic_error(std::string(name_) + ": saved tensor " + std::to_string(i) +
                                   " of shape " + shape_str(out[i].sizes()) +
                                   ", needed for the gradient, was modified in place after "
                                   "forward (version " +
                                   std::to_string(versions_[i]) + " then, " +
                                   std::to_string(out[i]._version()) + " now)");
        }
    }
    return out;
}

bool AutogradContext::needs_input_grad(size_t index) const {
    return index < needs_grad_.size() && needs_grad_[index];
}

namespace detail {

std::string function_name(const char* mangled) {
    std::string name = tapegrad::detail::demangle(mangled);
    // drop the namespaces ("(anonymous namespace)::Cube" -> "Cube"), not template arguments
    const size_t open = name.find('<');
    const size_t colon = name.rfind("::", open);
    if (colon != std::string::npos && (open == std::string::npos || colon < open))
        name = name.substr(colon + 2);
    return name;
}

void throw_bad_backward(const char* name, const std::string& what) {
    throw std::logic_error(std::string("backward of ") + name + ": " + what);
}

Tensor zeros_for(const std::vector<int64_t>& sizes, ScalarType dtype) {
    return zeros(sizes, TensorOptions(dtype));
}

}  // namespace detail
}  // namespace autograd
}  // namespace tapegrad
