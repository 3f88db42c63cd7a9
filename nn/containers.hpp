#pragma once
// ModuleList, ModuleDict, ParameterList and ParameterDict, as LibTorch's: containers that
// register what they hold, so that parameters(), to(), save() and clone() see it, but have no
// forward of their own (call the modules yourself).

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/tensor.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"
#include "nn/ordered_dict.hpp"
#include "nn/sequential.hpp"

namespace tapegrad {
namespace nn {

namespace detail {
/// What ParameterList and ParameterDict share: this module's own parameters as the contents,
/// iterated as OrderedDict items, and cloned name by name.
template <class Derived>
class ParameterContainer : public Cloneable<Derived> {
public:
    using Iterator = OrderedDict<std::string, Tensor>::iterator;
    using ConstIterator = OrderedDict<std::string, Tensor>::const_iterator;

    void reset() override {}
    size_t size() const noexcept { return this->parameters_.size(); }
    Iterator begin() { return this->parameters_.begin(); }
    Iterator end() { return this->parameters_.end(); }
    ConstIterator begin() const { return this->parameters_.begin(); }
    ConstIterator end() const { return this->parameters_.end(); }

private:
    std::shared_ptr<Module> clone_shallow_() const override {
        auto copy = std::make_shared<Derived>();
        copy->train(this->is_training());
        NoGradGuard no_grad;
        for (const auto& item : this->parameters_) {
            copy->register_parameter(item.key(), item.value().detach().clone(),
                                     item.value().requires_grad());
        }
        return copy;
    }
};

// A module given as a holder, a std::shared_ptr or an object, as a std::shared_ptr<Module>.
template <class M>
std::shared_ptr<Module> to_module_ptr(M&& module) {
    using D = std::decay_t<M>;
    if constexpr (is_module_holder<D>::value)
        return module.ptr();
    else if constexpr (is_shared_ptr<D>::value)
        return std::forward<M>(module);
    else
        return std::make_shared<D>(std::forward<M>(module));
}
}  // namespace detail

/// A list of modules, named "0", "1", ... in registration order.
class ModuleListImpl : public Cloneable<ModuleListImpl>,
                       public detail::ModuleSequence<std::shared_ptr<Module>> {
public:
    ModuleListImpl() : ModuleSequence("ModuleList") {}
    /// `ModuleList(nn::Linear(3, 4), nn::ReLU())`.
    template <class... Modules, class = std::enable_if_t<(sizeof...(Modules) > 0) &&
                                                         (detail::is_module_arg<Modules> && ...)>>
    explicit ModuleListImpl(Modules&&... modules) : ModuleListImpl() {
        modules_.reserve(sizeof...(Modules));
        (push_back(std::forward<Modules>(modules)), ...);
    }

    void reset() override {}
    /// Appends a module (holder, std::shared_ptr or object).
    template <class M>
    void push_back(M&& module) {
        append(detail::to_module_ptr(std::forward<M>(module)));
    }
    /// Appends every module of `container`.
    template <class Container>
    void extend(const Container& container) {
        for (const auto& module : container) push_back(module);
    }
    /// Inserts a module before position `index` (at the end when index == size()); the
    /// modules after it are renamed to keep the names equal to the positions.
    template <class M>
    void insert(size_t index, M&& module) {
        insert_at(index, detail::to_module_ptr(std::forward<M>(module)));
    }

    void pretty_print(std::ostream& stream) const override;

private:
    void append(std::shared_ptr<Module> module);
    void insert_at(size_t index, std::shared_ptr<Module> module);
    std::shared_ptr<Module> clone_shallow_() const override;
    void clone_adopt_(const Module& source, const std::string& key,
                      std::shared_ptr<Module> child) override;
};
TAPEGRAD_MODULE(ModuleList);

/// Modules by name, in insertion order.
class ModuleDictImpl : public Cloneable<ModuleDictImpl> {
public:
    using Iterator = OrderedDict<std::string, std::shared_ptr<Module>>::iterator;
    using ConstIterator = OrderedDict<std::string, std::shared_ptr<Module>>::const_iterator;

    ModuleDictImpl() = default;
    explicit ModuleDictImpl(
        const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules);
    explicit ModuleDictImpl(const OrderedDict<std::string, std::shared_ptr<Module>>& modules);

    void reset() override {}
    /// Adds `module` under `key`, replacing the module already there.
    template <class M>
    void insert(const std::string& key, M&& module) {
        insert_ptr(key, detail::to_module_ptr(std::forward<M>(module)));
    }
    /// insert() for every (key, module) of `container`: pairs or an OrderedDict.
    template <class Container>
    void update(const Container& container) {
        for (const auto& item : container) {
            if constexpr (std::is_same_v<std::decay_t<decltype(item)>,
                                         OrderedDict<std::string, std::shared_ptr<Module>>::Item>)
                insert(item.key(), item.value());
            else
                insert(item.first, item.second);
        }
    }
    /// Removes the module under `key` and returns it; throws std::out_of_range if none.
    std::shared_ptr<Module> pop(const std::string& key);
    void clear();

    std::vector<std::pair<std::string, std::shared_ptr<Module>>> items() const;
    std::vector<std::string> keys() const { return modules_.keys(); }
    std::vector<std::shared_ptr<Module>> values() const { return modules_.values(); }
    size_t size() const noexcept { return modules_.size(); }
    bool empty() const noexcept { return modules_.is_empty(); }
    bool contains(const std::string& key) const noexcept { return modules_.contains(key); }
    /// The module under `key`; throws std::out_of_range naming it when missing.
    std::shared_ptr<Module> operator[](const std::string& key) const { return modules_[key]; }
    /// The module under `key` as an M; throws std::invalid_argument if it is not one.
    template <class M>
    M& at(const std::string& key) const {
        static_assert(std::is_base_of_v<Module, M>,
                      "ModuleDict::at<M>: M must be a module class (LinearImpl, not Linear)");
        if (auto* m = dynamic_cast<M*>((*this)[key].get())) return *m;
        throw_wrong_type(key, typeid(M));
    }
    Iterator begin() { return modules_.begin(); }
    Iterator end() { return modules_.end(); }
    ConstIterator begin() const { return modules_.begin(); }
    ConstIterator end() const { return modules_.end(); }
    void pretty_print(std::ostream& stream) const override;

private:
    void insert_ptr(const std::string& key, std::shared_ptr<Module> module);
    [[noreturn]] void throw_wrong_type(const std::string& key, const std::type_info& wanted) const;
    std::shared_ptr<Module> clone_shallow_() const override;
    void clone_adopt_(const Module& source, const std::string& key,
                      std::shared_ptr<Module> child) override;

    OrderedDict<std::string, std::shared_ptr<Module>> modules_{"module"};
};
TAPEGRAD_MODULE(ModuleDict);

/// A list of parameters, named "0", "1", ...; each keeps its requires_grad flag.
class ParameterListImpl : public detail::ParameterContainer<ParameterListImpl> {
public:
    ParameterListImpl() = default;
    /// `ParameterList(torch::randn({3}), torch::randn({4}))`.
    template <class... Tensors,
              class = std::enable_if_t<(sizeof...(Tensors) > 0) &&
                                       (std::is_convertible_v<Tensors, Tensor> && ...)>>
    explicit ParameterListImpl(Tensors&&... params) {
        (append(std::forward<Tensors>(params)), ...);
    }

    /// Registers `param` as the next parameter.
    void append(const Tensor& param);
    /// Registers an item of a named_parameters() dict.
    void append(const OrderedDict<std::string, Tensor>::Item& item) { append(item.value()); }
    template <class Container>
    void extend(const Container& container) {
        for (const auto& param : container) append(param);
    }
    template <class Container>
    ParameterListImpl& operator+=(const Container& other) {
        extend(other);
        return *this;
    }

    /// The parameter at `index`; throws std::out_of_range past the end.
    Tensor& at(size_t index) { return parameters_[index].value(); }
    const Tensor& at(size_t index) const { return parameters_[index].value(); }
    Tensor& operator[](size_t index) { return at(index); }
    const Tensor& operator[](size_t index) const { return at(index); }
    bool is_empty() const noexcept { return parameters_.is_empty(); }
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(ParameterList);

/// Parameters by name, in insertion order; each keeps its requires_grad flag.
class ParameterDictImpl : public detail::ParameterContainer<ParameterDictImpl> {
public:
    ParameterDictImpl() = default;
    explicit ParameterDictImpl(const OrderedDict<std::string, Tensor>& params);

    /// Registers `param` under `key` (replacing the parameter there) and returns it.
    Tensor& insert(const std::string& key, const Tensor& param);
    /// Removes the parameter under `key` and returns it; throws std::out_of_range if none.
    Tensor pop(const std::string& key);
    /// insert() for every item of an OrderedDict of tensors.
    template <class Container>
    void update(const Container& container) {
        for (const auto& item : container) insert(item.key(), item.value());
    }
    void clear() { parameters_.clear(); }

    std::vector<std::string> keys() const { return parameters_.keys(); }
    std::vector<Tensor> values() const { return parameters_.values(); }
    std::vector<std::pair<std::string, Tensor>> items() const { return parameters_.pairs(); }
    bool empty() const noexcept { return parameters_.is_empty(); }
    bool contains(const std::string& key) const noexcept { return parameters_.contains(key); }
    /// The parameter under `key`; throws std::out_of_range naming it when missing.
    Tensor& get(const std::string& key) { return parameters_[key]; }
    const Tensor& get(const std::string& key) const { return parameters_[key]; }
    Tensor& operator[](const std::string& key) { return get(key); }
    const Tensor& operator[](const std::string& key) const { return get(key); }
    void pretty_print(std::ostream& stream) const override;
};
TAPEGRAD_MODULE(ParameterDict);

}  // namespace nn
}  // namespace tapegrad
