#include "nn/containers.hpp"

#include <ostream>
#include <stdexcept>

namespace tapegrad {
namespace nn {

namespace {
template <class Container>
std::shared_ptr<Container> empty_like(const Container& original) {
    auto copy = std::make_shared<Container>();
    copy->train(original.is_training());
    return copy;
}

}  // namespace

// ---- ModuleList -------------------------------------------------------------------------------

void ModuleListImpl::append(std::shared_ptr<Module> module) {
    if (!module) throw std::invalid_argument("ModuleList: cannot add a null module");
    register_module(std::to_string(modules_.size()), module);
    modules_.push_back(std::move(module));
}

// The new module is registered under the last name first, which checks it (null, cycle)
// before anything moves; then every name from `index` on is pointed at its new module.
void ModuleListImpl::insert_at(size_t index, std::shared_ptr<Module> module) {
    if (index > modules_.size()) detail::throw_index("ModuleList", index, modules_.size());
    if (!module) throw std::invalid_argument("ModuleList: cannot insert a null module");
    register_module(std::to_string(modules_.size()), module);
    modules_.insert(modules_.begin() + static_cast<std::ptrdiff_t>(index), std::move(module));
    for (size_t i = index; i + 1 < modules_.size(); ++i)
        replace_module(std::to_string(i), modules_[i]);
    replace_module(std::to_string(modules_.size() - 1), modules_.back());
}

void ModuleListImpl::pretty_print(std::ostream& stream) const {
    stream << "ModuleList";
}

std::shared_ptr<Module> ModuleListImpl::clone_shallow_() const {
    return empty_like(*this);
}

void ModuleListImpl::clone_adopt_(const Module&, const std::string&,
                                  std::shared_ptr<Module> child) {
    append(std::move(child));
}

// ---- ModuleDict -------------------------------------------------------------------------------

ModuleDictImpl::ModuleDictImpl(
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    update(modules);
}

ModuleDictImpl::ModuleDictImpl(const OrderedDict<std::string, std::shared_ptr<Module>>& modules) {
    update(modules);
}

void ModuleDictImpl::insert_ptr(const std::string& key, std::shared_ptr<Module> module) {
    if (!module) throw std::invalid_argument("ModuleDict: module '" + key + "' is null");
    if (std::shared_ptr<Module>* slot = modules_.find(key)) {
        replace_module(key, module);
        *slot = std::move(module);
        return;
    }
    register_module(key, module);
    modules_.insert(key, std::move(module));
}

std::shared_ptr<Module> ModuleDictImpl::pop(const std::string& key) {
    std::shared_ptr<Module> module = modules_[key];
    unregister_module(key);
    modules_.erase(key);
    return module;
}

void ModuleDictImpl::clear() {
    for (const std::string& key : modules_.keys()) unregister_module(key);
    modules_.clear();
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> ModuleDictImpl::items() const {
    return modules_.pairs();
}

void ModuleDictImpl::throw_wrong_type(const std::string& key, const std::type_info& wanted) const {
    throw std::invalid_argument("ModuleDict: module '" + key + "' is a " + (*this)[key]->name() +
                                ", not a " + detail::readable_type_name(wanted));
}

void ModuleDictImpl::pretty_print(std::ostream& stream) const {
    stream << "ModuleDict";
}

std::shared_ptr<Module> ModuleDictImpl::clone_shallow_() const {
    return empty_like(*this);
}

void ModuleDictImpl::clone_adopt_(const Module&, const std::string& key,
                                  std::shared_ptr<Module> child) {
    insert_ptr(key, std::move(child));
}

// ---- ParameterList, ParameterDict ----------------------------------------------------------

void ParameterListImpl::append(const Tensor& param) {
    register_parameter(std::to_string(parameters_.size()), param, param.requires_grad());
}

void ParameterListImpl::pretty_print(std::ostream& stream) const {
    stream << "ParameterList";
}

ParameterDictImpl::ParameterDictImpl(const OrderedDict<std::string, Tensor>& params) {
    update(params);
}

Tensor& ParameterDictImpl::insert(const std::string& key, const Tensor& param) {
    if (Tensor* slot = parameters_.find(key)) {
        if (!param.defined()) {
            throw std::invalid_argument("ParameterDict: tensor '" + key + "' is undefined");
        }
        Tensor p = param.is_leaf() ? param : param.detach();
        p.requires_grad_(param.requires_grad());
        p.set_name(key);
        return *slot = p;
    }
    return register_parameter(key, param, param.requires_grad());
}

Tensor ParameterDictImpl::pop(const std::string& key) {
    Tensor param = parameters_[key];
    parameters_.erase(key);
    return param;
}

void ParameterDictImpl::pretty_print(std::ostream& stream) const {
    stream << "ParameterDict";
}

}  // namespace nn
}  // namespace tapegrad
