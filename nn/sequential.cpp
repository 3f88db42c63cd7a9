#include "nn/sequential.hpp"

#include <ostream>
#include <stdexcept>

namespace tapegrad {
namespace nn {

namespace detail {
void throw_index(const char* container, size_t index, size_t size) {
    throw std::out_of_range(std::string(container) + ": index " + std::to_string(index) +
                            " is out of range for " + std::to_string(size) + " modules");
}

void throw_wrong_type(const char* container, size_t index, const Module& m,
                      const std::type_info& wanted) {
    throw std::invalid_argument(std::string(container) + ": module " + std::to_string(index) +
                                " is a " + m.name() + ", not a " + readable_type_name(wanted));
}
}  // namespace detail

SequentialImpl::SequentialImpl(std::initializer_list<NamedAnyModule> named_modules)
    : SequentialImpl() {
    modules_.reserve(named_modules.size());
    for (const NamedAnyModule& m : named_modules) append(m.name(), m.module());
}

SequentialImpl::SequentialImpl(const OrderedDict<std::string, AnyModule>& named_modules)
    : SequentialImpl() {
    modules_.reserve(named_modules.size());
    for (const auto& item : named_modules) append(item.key(), item.value());
}

void SequentialImpl::append(std::string name, AnyModule module) {
    if (module.is_empty()) {
        throw std::invalid_argument("Sequential: module '" + name + "' is empty");
    }
    register_module(std::move(name), module.ptr());
    all_tensor_ = all_tensor_ && module.forwards_tensor();
    modules_.push_back(std::move(module));
}

Tensor SequentialImpl::forward_tensors(const Tensor& input) const {
    Tensor x = input;
    for (const AnyModule& m : modules_) x = m.forward_tensor(x);
    return x;
}

AnyValue SequentialImpl::chain_forward_(std::vector<AnyValue>& inputs) {
    if (inputs.size() != 1) {
        throw std::invalid_argument("Sequential: a nested Sequential takes one input, got " +
                                    std::to_string(inputs.size()));
    }
    return forward<AnyValue>(std::move(inputs.front()));
}

void SequentialImpl::pretty_print(std::ostream& stream) const {
    stream << "Sequential";
}

std::shared_ptr<Module> SequentialImpl::clone_shallow_() const {
    auto copy = std::make_shared<SequentialImpl>();
    copy->train(is_training());
    return copy;
}

void SequentialImpl::clone_adopt_(const Module& source, const std::string& key,
                                  std::shared_ptr<Module> child) {
    const auto& original = dynamic_cast<const SequentialImpl&>(source);
    append(key, original.modules_.at(modules_.size()).rebound(std::move(child)));
}

}  // namespace nn
}  // namespace tapegrad
