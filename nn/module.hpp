#pragma once
// nn::Module, the base of every layer and user model, and ModuleHolder, the shared handle
// that TAPEGRAD_MODULE(Name) (LibTorch's TORCH_MODULE, also defined) wraps around NameImpl.
//
// A module owns named parameters (leaves that require grad), named buffers (state such as
// running statistics) and named child modules, and knows the modules that registered it, so
// that a cycle is refused when it would form. Dotted names like "fc1.weight" come from walking
// the tree; the walks use an explicit stack, so a deep model cannot overflow it.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/ordered_dict.hpp"

namespace tapegrad {
namespace nn {

class Module;

template <class Contained>
class ModuleHolder;

namespace detail {
template <class T>
struct is_shared_ptr : std::false_type {};
template <class T>
struct is_shared_ptr<std::shared_ptr<T>> : std::true_type {};

template <class T, class = void>
struct is_module_holder : std::false_type {};
template <class T>
struct is_module_holder<T, std::void_t<typename T::ContainedType>>
    : std::is_base_of<ModuleHolder<typename T::ContainedType>, T> {};

template <class T, class Contained>
struct is_shared_ptr_to : std::false_type {};
template <class T, class Contained>
struct is_shared_ptr_to<std::shared_ptr<T>, Contained> : std::is_convertible<T*, Contained*> {};

// True when a single constructor argument of type Head is a handle to a Contained rather than
// an argument for Contained's constructor: then ModuleHolder's copy/pointer constructors must
// handle it. (A std::shared_ptr to another module is an argument: `Sequential(ptr)`.)
template <class Head, class Contained>
constexpr bool is_handle_arg = std::is_base_of_v<ModuleHolder<Contained>, std::decay_t<Head>> ||
                               is_shared_ptr_to<std::decay_t<Head>, Contained>::value ||
                               std::is_same_v<std::decay_t<Head>, std::nullptr_t>;

[[noreturn]] void throw_empty_holder(const char* type_name);
/// "tapegrad::nn::LinearImpl" -> "Linear": the name printing and messages use for a type.
std::string readable_type_name(const std::type_info& type);
/// How many modules the tree walks and the cycle checks of register_module have visited on
/// this thread: tests bound the work of an operation with it instead of timing it.
uint64_t module_visits();
struct ModuleAccess;
}  // namespace detail

/// Base class of every module. Subclass it, register parameters and submodules in the
/// constructor, and hold the object by std::shared_ptr (or through a ModuleHolder).
class Module : public std::enable_shared_from_this<Module> {
public:
    /// `name` is what printing shows; by default it is the class name (without "Impl").
    explicit Module(std::string name);
    Module();
    virtual ~Module();
    /// A shallow copy, as LibTorch's: it shares the parameters, buffers and submodules.
    /// clone() makes a deep one.
    Module(const Module& other);
    Module& operator=(const Module& other);

    /// The module's type name, e.g. "Linear" or "Net".
    const std::string& name() const;

    /// A deep copy: parameters and buffers copied (not shared), every registered submodule
    /// cloned, training mode kept; gradients are not copied. The module and its submodules
    /// must derive from Cloneable<Derived> (every layer of tapegrad::nn does); a plain Module
    /// subclass throws std::logic_error, as in LibTorch.
    std::shared_ptr<Module> clone() const;

    /// Parameters of this module and (with recurse) of all its descendants, in registration
    /// order; the handles share storage with the module, so an optimizer updates it in place.
    std::vector<Tensor> parameters(bool recurse = true) const;
    /// As parameters(), keyed by dotted names such as "fc1.weight". Called on a root module
    /// (one nothing has registered), it also gives each tensor that full name (see the README).
    OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
    std::vector<Tensor> buffers(bool recurse = true) const;
    OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
    /// Direct submodules.
    std::vector<std::shared_ptr<Module>> children() const;
    OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;
    /// This module (when include_self; it must be held by a shared_ptr) and every descendant,
    /// in pre-order.
    std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
    OrderedDict<std::string, std::shared_ptr<Module>> named_modules(
        const std::string& name_prefix = std::string(), bool include_self = true) const;

    /// Sets training mode on this module and every descendant.
    virtual void train(bool on = true);
    /// train(false): Dropout passes inputs through, BatchNorm uses its running statistics.
    void eval() { train(false); }
    virtual bool is_training() const { return is_training_; }
    /// Fills the existing gradients of all parameters with zeros, as LibTorch 1.13 (and the
    /// optimizers' zero_grad); with set_to_none it releases them instead.
    virtual void zero_grad(bool set_to_none = false);
    /// Converts floating parameters and buffers to `dtype` in place: handles taken before the
    /// call (an optimizer's parameter list) see the converted tensors.
    virtual void to(ScalarType dtype, bool non_blocking = false);
    /// LibTorch's `module->to(device)`: a no-op for the CPU; any other device raises (tapegrad
    /// computes on the CPU only), naming the device.
    virtual void to(Device device, bool non_blocking = false);
    /// `module->to(device, dtype)`: the device checked, then the dtype as to(dtype).
    virtual void to(Device device, ScalarType dtype, bool non_blocking = false);
    /// Calls fn on this module and every descendant, in pre-order.
    void apply(const std::function<void(Module&)>& fn);
    /// Calls fn with the dotted name (after name_prefix) of this module and every descendant.
    void apply(const std::function<void(const std::string&, Module&)>& fn,
               const std::string& name_prefix = std::string());
    /// Calls fn with a shared_ptr to this module (which must be held by one) and every
    /// descendant.
    void apply(const std::function<void(const std::shared_ptr<Module>&)>& fn) const;

    /// This module as `ModuleType` (a module class, or a holder such as nn::Linear, giving
    /// LinearImpl*), or null when it is not one: `if (auto* fc = m.as<nn::Linear>()) ...`.
    template <class ModuleType>
    auto* as() noexcept {
        if constexpr (detail::is_module_holder<ModuleType>::value)
            return dynamic_cast<typename ModuleType::ContainedType*>(this);
        else
            return dynamic_cast<ModuleType*>(this);
    }
    template <class ModuleType>
    const auto* as() const noexcept {
        return const_cast<Module*>(this)->as<ModuleType>();
    }

    /// Writes the one-line description of this module, e.g. "Linear(in_features=3, ...)".
    virtual void pretty_print(std::ostream& stream) const;

    /// Registers a parameter: a leaf that requires grad (unless told otherwise), named `name`.
    /// Returns a reference to the stored handle.
    Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
    /// Registers a buffer: module state saved and converted with it but not trained.
    Tensor& register_buffer(std::string name, Tensor tensor);
    /// Registers a submodule; its parameters get dotted names under `name`. Refuses a module
    /// that would make a cycle (this module itself, or one that already contains it).
    template <class M>
    std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
        static_assert(std::is_base_of_v<Module, M>,
                      "register_module: M must derive from nn::Module");
        register_child(std::move(name), module);
        return module;
    }
    template <class M>
    std::shared_ptr<M> register_module(std::string name, ModuleHolder<M> module_holder) {
        return register_module(std::move(name), module_holder.ptr());
    }
    /// Puts `module` in place of the submodule registered as `name` (which must exist), as
    /// LibTorch: assign the result to the member that held the old one.
    template <class M>
    std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
        static_assert(std::is_base_of_v<Module, M>,
                      "replace_module: M must derive from nn::Module");
        replace_child(name, module);
        return module;
    }
    template <class M>
    std::shared_ptr<M> replace_module(const std::string& name, ModuleHolder<M> module_holder) {
        return replace_module(name, module_holder.ptr());
    }
    /// Removes the submodule registered as `name`; throws std::out_of_range if there is none.
    void unregister_module(const std::string& name);

protected:
    /// True for layers whose pretty_print already states their parameters' shapes (Linear);
    /// the tree printout lists the parameters of the others.
    virtual bool describes_parameters() const { return false; }

    /// For Cloneable: empties `copy` (a copy-constructed twin of a module) of the tensors and
    /// submodules it shares with the original, for reset() to make its own.
    static void clone_reset_state_(Module& copy);
    /// For Cloneable: copies the values (and requires_grad) of `original`'s own parameters and
    /// buffers into the same-named ones of `copy`; a name reset() did not register is an error,
    /// or is registered when `register_missing` (containers of tensors).
    static void clone_copy_tensors_(Module& copy, const Module& original, bool register_missing);

    /// This module's own parameters, protected as in LibTorch (ParameterList and
    /// ParameterDict are views of it).
    OrderedDict<std::string, Tensor> parameters_{"parameter"};

private:
    friend std::ostream& operator<<(std::ostream& stream, const Module& module);
    friend struct detail::ModuleAccess;
    std::vector<Tensor> tensors(OrderedDict<std::string, Tensor> Module::*which,
                                bool recurse) const;
    OrderedDict<std::string, Tensor> named_tensors(const char* what,
                                                   OrderedDict<std::string, Tensor> Module::*which,
                                                   bool recurse) const;
    void register_child(std::string name, std::shared_ptr<Module> module);
    void replace_child(const std::string& name, std::shared_ptr<Module> module);
    void check_name(const char* what, const std::string& name) const;
    void check_no_cycle(const char* what, const std::string& name, const Module& module) const;
    void detach_children();
    void attach_children();

    // Cloning, overridden by Cloneable<Derived> and the containers. clone() walks the tree
    // with a work list, so its depth costs no stack.
    /// A copy of this module alone: its own parameters and buffers deep-copied, its
    /// submodules as its constructor (reset()) makes them, still to be cloned.
    virtual std::shared_ptr<Module> clone_shallow_() const;
    /// Makes *this a copy of `fresh` (a clone_shallow_ of a module of the same type),
    /// keeping its identity, so that the members of its parent that point to it stay valid.
    virtual void clone_assign_(const Module& fresh);
    /// Adds `child`, the clone of `source`'s submodule `key`, to this clone of `source`; for
    /// containers, whose clone_shallow_ has no submodules.
    virtual void clone_adopt_(const Module& source, const std::string& key,
                              std::shared_ptr<Module> child);

    OrderedDict<std::string, Tensor> buffers_{"buffer"};
    OrderedDict<std::string, std::shared_ptr<Module>> children_{"submodule"};
    // The modules that registered this one, once per registration. Raw pointers: a parent
    // removes itself when it lets go of this module or is destroyed.
    std::vector<Module*> parents_;
    mutable std::optional<std::string> name_;
    bool is_training_ = true;
};

/// Prints the module tree: each submodule on its own line with its options and shapes.
/// Indentation stops growing after 32 levels (deeper lines are marked with their depth), so
/// the output stays linear in the size of the tree.
std::ostream& operator<<(std::ostream& stream, const Module& module);

/// A shared handle to a module implementation, as LibTorch's ModuleHolder: `Linear` holds a
/// `std::shared_ptr<LinearImpl>`; `fc->weight` reaches the implementation and `fc(x)` calls
/// its forward.
template <class Contained>
class ModuleHolder {
public:
    using ContainedType = Contained;

    /// Default-constructs the module when it can be (e.g. `nn::Sequential seq;`).
    template <class C = Contained, std::enable_if_t<std::is_default_constructible_v<C>, int> = 0>
    ModuleHolder() : impl_(std::make_shared<C>()) {}
    /// An empty holder, to be assigned later: `nn::Linear fc{nullptr};`.
    ModuleHolder(std::nullptr_t) {}  // NOLINT: implicit, as LibTorch
    /// Constructs the module from its constructor's arguments: `nn::Linear(784, 128)`.
    template <
        class Head, class... Tail,
        class = std::enable_if_t<!(sizeof...(Tail) == 0 && detail::is_handle_arg<Head, Contained>)>>
    explicit ModuleHolder(Head&& head, Tail&&... tail)
        : impl_(
              std::make_shared<Contained>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}
    /// Wraps an existing module (what register_module returns).
    ModuleHolder(std::shared_ptr<Contained> module) : impl_(std::move(module)) {}  // NOLINT

    explicit operator bool() const noexcept { return impl_ != nullptr; }
    bool is_empty() const noexcept { return impl_ == nullptr; }

    Contained* operator->() { return get(); }
    const Contained* operator->() const { return get(); }
    Contained& operator*() { return *get(); }
    const Contained& operator*() const { return *get(); }
    const std::shared_ptr<Contained>& ptr() const {
        check();
        return impl_;
    }
    Contained* get() {
        check();
        return impl_.get();
    }
    const Contained* get() const {
        check();
        return impl_.get();
    }

    /// Calls the module's forward.
    template <class... Args>
    decltype(auto) operator()(Args&&... args) {
        return get()->forward(std::forward<Args>(args)...);
    }
    /// Forwards indexing to the module, as LibTorch's holders do (`seq[0]`).
    template <class Arg>
    decltype(auto) operator[](Arg&& arg) const {
        return (*get())[std::forward<Arg>(arg)];
    }

protected:
    std::shared_ptr<Contained> impl_;

private:
    void check() const {
        if (!impl_) detail::throw_empty_holder(typeid(Contained).name());
    }
};

template <class Contained>
std::ostream& operator<<(std::ostream& stream, const ModuleHolder<Contained>& holder) {
    return stream << static_cast<const Module&>(*holder);
}

}  // namespace nn
}  // namespace tapegrad

/// Declares `Name` as the holder of `ImplType`, as LibTorch's TORCH_MODULE_IMPL.
#define TAPEGRAD_MODULE_IMPL(Name, ImplType)                        \
    class Name : public ::tapegrad::nn::ModuleHolder<ImplType> {    \
    public:                                                         \
        using ::tapegrad::nn::ModuleHolder<ImplType>::ModuleHolder; \
        using Impl = ImplType;                                      \
    }

/// Declares `Name` as the holder of `NameImpl`, as LibTorch's TORCH_MODULE.
#define TAPEGRAD_MODULE(Name) TAPEGRAD_MODULE_IMPL(Name, Name##Impl)

// A port renames torch:: to tapegrad::, but macros have no namespace: user code keeps writing
// TORCH_MODULE(Net). Defined unless LibTorch's own are (or TAPEGRAD_NO_TORCH_MACROS is set).
#if !defined(TAPEGRAD_NO_TORCH_MACROS)
#if !defined(TORCH_MODULE)
#define TORCH_MODULE(Name) TAPEGRAD_MODULE(Name)
#endif
#if !defined(TORCH_MODULE_IMPL)
#define TORCH_MODULE_IMPL(Name, ImplType) TAPEGRAD_MODULE_IMPL(Name, ImplType)
#endif
#endif
