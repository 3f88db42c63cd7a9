#pragma once
// Sequential: a chain of modules, each taking one tensor and returning one.

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// A module of any type with a `Tensor forward(Tensor)`, held by a shared_ptr (a slimmed-down
/// LibTorch AnyModule).
class AnyModule {
public:
    AnyModule() = default;
    template <class M>
    AnyModule(std::shared_ptr<M> module)  // NOLINT: implicit, as LibTorch
        : module_(module), forward_([m = module.get()](const Tensor& x) { return m->forward(x); }) {
        static_assert(std::is_base_of_v<Module, M>, "AnyModule: M must derive from nn::Module");
    }
    template <class M>
    AnyModule(const ModuleHolder<M>& holder) : AnyModule(holder.ptr()) {}  // NOLINT

    /// Calls the module's forward.
    Tensor forward(const Tensor& input) const { return forward_(input); }
    const std::shared_ptr<Module>& ptr() const { return module_; }
    bool is_empty() const { return module_ == nullptr; }

private:
    std::shared_ptr<Module> module_;
    std::function<Tensor(const Tensor&)> forward_;
};

/// A name and a module, for building a Sequential with chosen child names.
struct NamedAnyModule {
    template <class M>
    NamedAnyModule(std::string name, M&& module)
        : name(std::move(name)), module(std::forward<M>(module)) {}
    std::string name;
    AnyModule module;
};

/// Calls its modules in order, feeding each one's output to the next. Children are named
/// "0", "1", ... unless names are given.
class SequentialImpl : public Module {
public:
    SequentialImpl() = default;
    /// `Sequential(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 2))`.
    template <class First, class... Rest,
              class = std::enable_if_t<!std::is_base_of_v<Module, std::decay_t<First>>>>
    explicit SequentialImpl(First&& first, Rest&&... rest) {
        push_back(std::forward<First>(first));
        (push_back(std::forward<Rest>(rest)), ...);
    }
    /// `Sequential({{"fc1", nn::Linear(4, 8)}, {"act", nn::ReLU()}})`.
    explicit SequentialImpl(std::initializer_list<NamedAnyModule> named_modules);

    /// Appends a module named after its position.
    void push_back(AnyModule module) {
        push_back(std::to_string(modules_.size()), std::move(module));
    }
    /// Appends a module under `name`.
    void push_back(std::string name, AnyModule module);

    /// Passes `input` through every module in order.
    Tensor forward(const Tensor& input);
    size_t size() const { return modules_.size(); }
    bool is_empty() const { return modules_.empty(); }
    /// The module at `index`; throws std::out_of_range past the end.
    std::shared_ptr<Module> operator[](size_t index) const;
    std::shared_ptr<Module> ptr(size_t index) const { return (*this)[index]; }
    /// The module at `index` as M (null if it is not an M).
    template <class M>
    std::shared_ptr<M> ptr(size_t index) const {
        return std::dynamic_pointer_cast<M>((*this)[index]);
    }
    std::vector<AnyModule>::const_iterator begin() const { return modules_.begin(); }
    std::vector<AnyModule>::const_iterator end() const { return modules_.end(); }
    void pretty_print(std::ostream& stream) const override;

private:
    std::vector<AnyModule> modules_;
};

/// The holder of SequentialImpl; also constructible from a braced list of named modules.
class Sequential : public ModuleHolder<SequentialImpl> {
public:
    using ModuleHolder<SequentialImpl>::ModuleHolder;
    using Impl = SequentialImpl;
    Sequential() : ModuleHolder<SequentialImpl>(std::make_shared<SequentialImpl>()) {}
    Sequential(std::initializer_list<NamedAnyModule> named_modules)
        : ModuleHolder<SequentialImpl>(std::make_shared<SequentialImpl>(named_modules)) {}
};

}  // namespace nn
}  // namespace tapegrad
