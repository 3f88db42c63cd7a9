#pragma once
// nn::Module, the base of every layer and user model, and ModuleHolder, the shared handle
// that TAPEGRAD_MODULE(Name) wraps around NameImpl (LibTorch's TORCH_MODULE).
//
// A module owns named parameters (leaves that require grad), named buffers (state such as
// running statistics) and named child modules. Dotted names like "fc1.weight" come from
// walking the tree; the walks use an explicit stack, so a deep model cannot overflow it.

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

// True when a single constructor argument of type Head is a handle rather than an argument
// for Contained's constructor: then ModuleHolder's copy/pointer constructors must handle it.
template <class Head, class Contained>
constexpr bool is_handle_arg =
    std::is_base_of_v<ModuleHolder<Contained>, std::decay_t<Head>> ||
    is_shared_ptr<std::decay_t<Head>>::value || std::is_same_v<std::decay_t<Head>, std::nullptr_t>;

[[noreturn]] void throw_empty_holder(const char* type_name);
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
    Module(const Module&) = default;
    Module& operator=(const Module&) = default;

    /// The module's type name, e.g. "Linear" or "Net".
    const std::string& name() const;

    /// Parameters of this module and (with recurse) of all its descendants, in registration
    /// order; the handles share storage with the module, so an optimizer updates it in place.
    std::vector<Tensor> parameters(bool recurse = true) const;
    /// As parameters(), keyed by dotted names such as "fc1.weight".
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
    /// Clears the gradients of all parameters (releases them when set_to_none).
    virtual void zero_grad(bool set_to_none = true);
    /// Converts floating parameters and buffers to `dtype` in place: handles taken before the
    /// call (an optimizer's parameter list) see the converted tensors.
    virtual void to(ScalarType dtype, bool non_blocking = false);
    /// Calls fn on this module and every descendant, in pre-order.
    void apply(const std::function<void(Module&)>& fn);

    /// Writes the one-line description of this module, e.g. "Linear(in_features=3, ...)".
    virtual void pretty_print(std::ostream& stream) const;

    /// Registers a parameter: a leaf that requires grad (unless told otherwise), named `name`.
    /// Returns a reference to the stored handle.
    Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
    /// Registers a buffer: module state saved and converted with it but not trained.
    Tensor& register_buffer(std::string name, Tensor tensor);
    /// Registers a submodule; its parameters get dotted names under `name`.
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

protected:
    /// True for layers whose pretty_print already states their parameters' shapes (Linear);
    /// the tree printout lists the parameters of the others.
    virtual bool describes_parameters() const { return false; }

private:
    friend std::ostream& operator<<(std::ostream& stream, const Module& module);
    friend struct detail::ModuleAccess;
    void register_child(std::string name, std::shared_ptr<Module> module);
    void check_name(const char* what, const std::string& name) const;

    OrderedDict<std::string, Tensor> parameters_{"parameter"};
    OrderedDict<std::string, Tensor> buffers_{"buffer"};
    OrderedDict<std::string, std::shared_ptr<Module>> children_{"submodule"};
    mutable std::optional<std::string> name_;
    bool is_training_ = true;
};

/// Prints the module tree: each submodule on its own line with its options and shapes.
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

/// Declares `Name` as the holder of `NameImpl`, as LibTorch's TORCH_MODULE.
#define TAPEGRAD_MODULE_IMPL(Name, ImplType)                        \
    class Name : public ::tapegrad::nn::ModuleHolder<ImplType> {    \
    public:                                                         \
        using ::tapegrad::nn::ModuleHolder<ImplType>::ModuleHolder; \
        using Impl = ImplType;                                      \
    }

#define TAPEGRAD_MODULE(Name) TAPEGRAD_MODULE_IMPL(Name, Name##Impl)
