#pragma once
// Sequential: a chain of modules, each fed the previous one's output, as LibTorch's. The
// modules may have any forward signature: the first gets the arguments of forward(), each
// next one the previous result. A chain of `Tensor forward(Tensor)` modules (the usual case)
// is called directly, without the AnyValue wrapping.

#include <cstddef>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/any.hpp"
#include "nn/cloneable.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

namespace detail {
// What Sequential's variadic constructor takes: modules, holders, shared_ptrs, AnyModules.
template <class T, class D = std::decay_t<T>>
constexpr bool is_module_arg = std::is_base_of_v<Module, D> || is_module_holder<D>::value ||
                               std::is_same_v<D, AnyModule> ||
                               (is_shared_ptr<D>::value && !std::is_same_v<D, std::nullptr_t>);

[[noreturn]] void throw_index(const char* container, size_t index, size_t size);
[[noreturn]] void throw_wrong_type(const char* container, size_t index, const Module& m,
                                   const std::type_info& wanted);

inline const std::shared_ptr<Module>& as_module(const AnyModule& m) {
    return m.ptr();
}
inline const std::shared_ptr<Module>& as_module(const std::shared_ptr<Module>& m) {
    return m;
}

/// What Sequential and ModuleList share: modules by position (`Element` is AnyModule or
/// std::shared_ptr<Module>), reached as modules, as a given class, or by iteration.
template <class Element>
class ModuleSequence {
public:
    using Iterator = typename std::vector<Element>::iterator;
    using ConstIterator = typename std::vector<Element>::const_iterator;

    size_t size() const noexcept { return modules_.size(); }
    bool is_empty() const noexcept { return modules_.empty(); }
    /// The module at `index`; throws std::out_of_range past the end.
    std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }
    std::shared_ptr<Module> ptr(size_t index) const {
        if (index >= modules_.size()) throw_index(kind_, index, modules_.size());
        return as_module(modules_[index]);
    }
    /// The module at `index` as std::shared_ptr<M>, or null if it is not an M.
    template <class M>
    std::shared_ptr<M> ptr(size_t index) const {
        static_assert(std::is_base_of_v<Module, M>, "ptr<M>: M must be a module class");
        return std::dynamic_pointer_cast<M>(ptr(index));
    }
    /// The module at `index` as an M; throws std::invalid_argument if it is not one.
    template <class M>
    M& at(size_t index) const {
        static_assert(std::is_base_of_v<Module, M>,
                      "at<M>: M must be a module class (LinearImpl, not Linear)");
        const std::shared_ptr<Module> m = ptr(index);
        if (auto* typed = dynamic_cast<M*>(m.get())) return *typed;
        throw_wrong_type(kind_, index, *m, typeid(M));
    }
    Iterator begin() { return modules_.begin(); }
    Iterator end() { return modules_.end(); }
    ConstIterator begin() const { return modules_.begin(); }
    ConstIterator end() const { return modules_.end(); }

protected:
    explicit ModuleSequence(const char* kind) : kind_(kind) {}

    std::vector<Element> modules_;

private:
    const char* kind_;
};
}  // namespace detail

/// Calls its modules in order, feeding each one's output to the next. Children are named
/// "0", "1", ... unless names are given.
class SequentialImpl : public Cloneable<SequentialImpl>, public detail::ModuleSequence<AnyModule> {
public:
    SequentialImpl() : ModuleSequence("Sequential") {}
    /// `Sequential(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 2))`.
    template <
        class First, class... Rest,
        class = std::enable_if_t<
            detail::is_module_arg<First> && (detail::is_module_arg<Rest> && ...) &&
            !(sizeof...(Rest) == 0 && std::is_base_of_v<SequentialImpl, std::decay_t<First>>)>>
    explicit SequentialImpl(First&& first, Rest&&... rest) : SequentialImpl() {
        modules_.reserve(1 + sizeof...(Rest));
        push_back(std::forward<First>(first));
        (push_back(std::forward<Rest>(rest)), ...);
    }
    /// `Sequential({{"fc1", nn::Linear(4, 8)}, {"act", nn::ReLU()}})`.
    explicit SequentialImpl(std::initializer_list<NamedAnyModule> named_modules);
    /// From named modules: `Sequential(model->named_children())`.
    explicit SequentialImpl(const OrderedDict<std::string, AnyModule>& named_modules);

    /// Does nothing: a Sequential has no tensors of its own (clone() clones its modules).
    void reset() override {}

    /// Appends a module named after its position: a holder, a std::shared_ptr, a module
    /// object (moved into a new shared_ptr) or an AnyModule.
    template <class M>
    void push_back(M&& module) {
        push_back(std::to_string(modules_.size()), std::forward<M>(module));
    }
    /// Appends a module under `name`.
    template <class M>
    void push_back(std::string name, M&& module) {
        append(std::move(name), AnyModule(std::forward<M>(module)));
    }
    /// Appends every module of `container` (another Sequential, or a list of modules).
    template <class Container>
    void extend(const Container& container) {
        for (const auto& module : container) push_back(module);
    }

    /// Passes `inputs` through every module in order and returns the last result as
    /// ReturnType (Tensor by default; AnyValue returns it unconverted).
    template <class ReturnType = Tensor, class... Inputs>
    ReturnType forward(Inputs&&... inputs) {
        if (modules_.empty()) {
            throw std::logic_error("Sequential: forward called on an empty Sequential");
        }
        if constexpr (std::is_same_v<ReturnType, Tensor> && sizeof...(Inputs) == 1 &&
                      (std::is_same_v<std::decay_t<Inputs>, Tensor> && ...)) {
            if (all_tensor_) return forward_tensors(inputs...);
        }
        AnyValue value = modules_.front().any_forward(std::forward<Inputs>(inputs)...);
        for (size_t i = 1; i < modules_.size(); ++i)
            value = modules_[i].any_forward(std::move(value));
        if constexpr (std::is_same_v<ReturnType, AnyValue>)
            return value;
        else
            return value.template get<ReturnType>();
    }
    /// What AnyModule calls when a Sequential is nested in another container.
    AnyValue chain_forward_(std::vector<AnyValue>& inputs);

    void pretty_print(std::ostream& stream) const override;

private:
    void append(std::string name, AnyModule module);
    Tensor forward_tensors(const Tensor& input) const;
    std::shared_ptr<Module> clone_shallow_() const override;
    void clone_adopt_(const Module& source, const std::string& key,
                      std::shared_ptr<Module> child) override;

    bool all_tensor_ = true;  // every module is `Tensor forward(Tensor)`
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
