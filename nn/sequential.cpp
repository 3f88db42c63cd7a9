#include "nn/sequential.hpp"

#include <ostream>
#include <stdexcept>

namespace tapegrad {
namespace nn {

SequentialImpl::SequentialImpl(std::initializer_list<NamedAnyModule> named_modules) {
    for (const NamedAnyModule& m : named_modules) push_back(m.name, m.module);
}

void SequentialImpl::push_back(std::string name, AnyModule module) {
    if (module.is_empty()) {
        throw std::invalid_argument("Sequential: module '" + name + "' is empty");
    }
    register_module(std::move(name), module.ptr());
    modules_.push_back(std::move(module));
}

Tensor SequentialImpl::forward(const Tensor& input) {
    if (modules_.empty()) {
        throw std::logic_error("Sequential: forward called on an empty Sequential");
    }
    Tensor x = input;
    for (const AnyModule& m : modules_) x = m.forward(x);
    return x;
}

std::shared_ptr<Module> SequentialImpl::operator[](size_t index) const {
    if (index >= modules_.size()) {
        throw std::out_of_range("Sequential: index " + std::to_string(index) +
                                " is out of range for " + std::to_string(modules_.size()) +
                                " modules");
    }
    return modules_[index].ptr();
}

void SequentialImpl::pretty_print(std::ostream& stream) const {
    stream << "Sequential";
}

}  // namespace nn
}  // namespace tapegrad
