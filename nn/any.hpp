#pragma once
// AnyValue and AnyModule, as LibTorch's: a value of any copyable type, and a module of any
// type whose forward has any (fixed) signature. Sequential holds AnyModules; a call goes
// through AnyValues, except for the common `Tensor forward(Tensor)`, which is called directly.

#include <any>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// A value of any copyable type: what AnyModule::any_forward takes and returns.
class AnyValue {
public:
    template <class T, class = std::enable_if_t<!std::is_same_v<std::decay_t<T>, AnyValue>>>
    explicit AnyValue(T&& value) : value_(std::forward<T>(value)) {}

    /// A pointer to the value if it is a T, else null.
    template <class T>
    T* try_get() noexcept {
        return std::any_cast<T>(&value_);
    }
    template <class T>
    const T* try_get() const noexcept {
        return std::any_cast<T>(&value_);
    }
    /// The value as a T; throws std::invalid_argument naming both types when it is not one.
    template <class T>
    T get() const {
        if (const T* v = try_get<T>()) return *v;
        throw std::invalid_argument("AnyValue: asked for a " +
                                    detail::readable_type_name(typeid(T)) + ", but it holds a " +
                                    detail::readable_type_name(value_.type()));
    }
    const std::type_info& type_info() const noexcept { return value_.type(); }

private:
    std::any value_;
};

namespace detail {

// The signature of M::forward, read from &M::forward (which must name one function).
template <class F>
struct forward_signature;
template <class C, class R, class... A>
struct forward_signature<R (C::*)(A...)> {
    using result = R;
    using args = std::tuple<A...>;
};
template <class C, class R, class... A>
struct forward_signature<R (C::*)(A...) const> : forward_signature<R (C::*)(A...)> {};
template <class C, class R, class... A>
struct forward_signature<R (C::*)(A...) noexcept> : forward_signature<R (C::*)(A...)> {};
template <class C, class R, class... A>
struct forward_signature<R (C::*)(A...) const noexcept> : forward_signature<R (C::*)(A...)> {};

template <class M, class = void>
struct has_forward : std::false_type {};
template <class M>
struct has_forward<M, std::void_t<decltype(&M::forward)>> : std::true_type {};

template <class T>
AnyValue to_any(T&& value) {
    if constexpr (std::is_same_v<std::decay_t<T>, AnyValue>)
        return std::forward<T>(value);
    else
        return AnyValue(std::forward<T>(value));
}

// Containers whose forward is a template (Sequential) chain through this hook instead.
template <class M, class = void>
struct chains : std::false_type {};
template <class M>
struct chains<M, std::void_t<decltype(&M::chain_forward_)>> : std::true_type {};

[[noreturn]] void throw_forward_arity(const Module& m, size_t expected, size_t got);
[[noreturn]] void throw_forward_argument(const Module& m, size_t index,
                                         const std::type_info& expected, const std::type_info& got);

// Modules whose forward has default arguments say so with TAPEGRAD_FORWARD_HAS_DEFAULT_ARGS.
template <class M, class = void>
struct has_default_args : std::false_type {};
template <class M>
struct has_default_args<M, std::void_t<decltype(&M::_forward_populate_default_args)>>
    : std::true_type {};

// Calls m.forward with the values in `args`, each converted to its parameter's type; missing
// trailing arguments that have defaults are filled in first.
template <class M, class... A, size_t... I>
AnyValue call_forward(M& m, std::vector<AnyValue>& args, std::index_sequence<I...>) {
    if constexpr (has_default_args<M>::value) {
        if (args.size() >= M::_forward_num_required_args() && args.size() < sizeof...(A))
            M::_forward_populate_default_args(args);
    }
    if (args.size() != sizeof...(A)) throw_forward_arity(m, sizeof...(A), args.size());
    std::tuple<std::decay_t<A>*...> values{args[I].template try_get<std::decay_t<A>>()...};
    ((std::get<I>(values)
          ? void()
          : throw_forward_argument(m, I, typeid(std::decay_t<A>), args[I].type_info())),
     ...);
    return AnyValue(m.forward(std::forward<A>(*std::get<I>(values))...));
}

template <class M, class Args>
struct ForwardCall;
template <class M, class... A>
struct ForwardCall<M, std::tuple<A...>> {
    static AnyValue any(void* m, std::vector<AnyValue>& args) {
        return call_forward<M, A...>(*static_cast<M*>(m), args, std::index_sequence_for<A...>());
    }
};

// How AnyModule calls M: through its forward's signature, or through chain_forward_.
template <class M, bool = chains<M>::value>
struct ForwardOf {
    using Signature = forward_signature<decltype(&M::forward)>;
    using Result = typename Signature::result;
    using Args = typename Signature::args;

    static AnyValue any(void* m, std::vector<AnyValue>& args) {
        return ForwardCall<M, Args>::any(m, args);
    }
    // `Tensor forward(Tensor)` (by value, const& or &&): the direct path, with no AnyValue.
    static constexpr bool takes_one_tensor() {
        if constexpr (std::tuple_size_v<Args> == 1) {
            using A0 = std::tuple_element_t<0, Args>;
            return std::is_same_v<std::decay_t<A0>, Tensor> && !std::is_same_v<A0, Tensor&> &&
                   std::is_same_v<std::decay_t<Result>, Tensor>;
        }
        return false;
    }
    static Tensor tensor(void* m, const Tensor& x) {
        if constexpr (takes_one_tensor())
            return static_cast<M*>(m)->forward(Tensor(x));
        else
            return x;  // never called: AnyModule keeps a null pointer for other signatures
    }
};
template <class M>
struct ForwardOf<M, true> {
    using Result = AnyValue;
    static AnyValue any(void* m, std::vector<AnyValue>& args) {
        return static_cast<M*>(m)->chain_forward_(args);
    }
    static constexpr bool takes_one_tensor() { return true; }
    static Tensor tensor(void* m, const Tensor& x) { return static_cast<M*>(m)->forward(x); }
};

}  // namespace detail

/// A module of any type with a forward of any fixed signature, held by a shared_ptr (LibTorch's
/// AnyModule). `forward<T>(args...)` returns T; `any_forward(args...)` an AnyValue.
class AnyModule {
public:
    AnyModule() = default;
    template <class M>
    AnyModule(std::shared_ptr<M> module)  // NOLINT: implicit, as Sequential's arguments need
        : module_(module), object_(module.get()) {
        static_assert(std::is_base_of_v<Module, M>, "AnyModule: M must derive from nn::Module");
        static_assert(detail::has_forward<M>::value || detail::chains<M>::value,
                      "AnyModule: the module needs one forward() method with fixed argument and "
                      "return types (not a template, not overloaded)");
        using F = detail::ForwardOf<M>;
        static_assert(!std::is_void_v<typename F::Result>,
                      "AnyModule: a forward() that returns void cannot be chained");
        any_forward_ = &F::any;
        tensor_forward_ = F::takes_one_tensor() ? &F::tensor : nullptr;
        rebind_ = [](Module* m) -> void* { return dynamic_cast<M*>(m); };
        type_ = &typeid(M);
    }
    template <class M>
    AnyModule(const ModuleHolder<M>& holder) : AnyModule(holder.ptr()) {}  // NOLINT
    /// Takes a module by value: `AnyModule(nn::LinearImpl(2, 3))`.
    template <class M, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>>>
    explicit AnyModule(M&& module)
        : AnyModule(std::make_shared<std::decay_t<M>>(std::forward<M>(module))) {}

    /// Calls forward with `args`, each wrapped in an AnyValue (an AnyValue passes as is).
    template <class... Args>
    AnyValue any_forward(Args&&... args) const {
        check("any_forward");
        std::vector<AnyValue> values;
        values.reserve(sizeof...(Args));
        (values.push_back(detail::to_any(std::forward<Args>(args))), ...);
        return any_forward_(object_, values);
    }
    /// Calls forward and returns its result as ReturnType (Tensor by default); throws
    /// std::invalid_argument if the arguments or the result have other types.
    template <class ReturnType = Tensor, class... Args>
    ReturnType forward(Args&&... args) const {
        if constexpr (std::is_same_v<ReturnType, Tensor> && sizeof...(Args) == 1 &&
                      (std::is_same_v<std::decay_t<Args>, Tensor> && ...)) {
            if (tensor_forward_) return tensor_forward_(object_, args...);
        }
        AnyValue out = any_forward(std::forward<Args>(args)...);
        if constexpr (std::is_same_v<ReturnType, AnyValue>)
            return out;
        else
            return out.get<ReturnType>();
    }

    /// The module as T (a module class); throws std::invalid_argument if it is not one.
    template <class T, class = std::enable_if_t<std::is_base_of_v<Module, T>>>
    T& get() const {
        check("get");
        if (T* m = dynamic_cast<T*>(module_.get())) return *m;
        throw std::invalid_argument("AnyModule: asked for a " +
                                    detail::readable_type_name(typeid(T)) + ", but it holds a " +
                                    module_->name());
    }
    /// The module as a holder type: `any.get<nn::Linear>()`.
    template <class T, class C = typename T::ContainedType,
              class = std::enable_if_t<detail::is_module_holder<T>::value>>
    T get() const {
        return T(ptr<C>());
    }
    const std::shared_ptr<Module>& ptr() const { return module_; }
    /// The module as std::shared_ptr<T>, or null if it is not a T.
    template <class T>
    std::shared_ptr<T> ptr() const {
        return std::dynamic_pointer_cast<T>(module_);
    }
    /// The type the module was stored as.
    const std::type_info& type_info() const;
    bool is_empty() const noexcept { return module_ == nullptr; }
    /// An AnyModule holding a deep copy (Module::clone) of the module.
    AnyModule clone() const;
    /// This AnyModule's forward, applied to `module` (a module of the same type).
    AnyModule rebound(std::shared_ptr<Module> module) const;
    /// True when forward is `Tensor forward(Tensor)`, called without AnyValues.
    bool forwards_tensor() const noexcept { return tensor_forward_ != nullptr; }
    /// The direct call of a `Tensor forward(Tensor)` module (forwards_tensor() must hold).
    Tensor forward_tensor(const Tensor& input) const { return tensor_forward_(object_, input); }

private:
    void check(const char* what) const;

    std::shared_ptr<Module> module_;
    void* object_ = nullptr;  // module_ as the type it was stored as
    AnyValue (*any_forward_)(void*, std::vector<AnyValue>&) = nullptr;
    Tensor (*tensor_forward_)(void*, const Tensor&) = nullptr;
    void* (*rebind_)(Module*) = nullptr;
    const std::type_info* type_ = nullptr;
};

/// A name and a module, for building a Sequential with chosen child names.
class NamedAnyModule {
public:
    template <class M>
    NamedAnyModule(std::string name, M&& module)
        : name_(std::move(name)), module_(std::forward<M>(module)) {}
    const std::string& name() const noexcept { return name_; }
    const AnyModule& module() const noexcept { return module_; }

private:
    std::string name_;
    AnyModule module_;
};

}  // namespace nn
}  // namespace tapegrad

/// Inside a module class: the default values of forward's trailing arguments, as pairs
/// {index, AnyValue(default)}, so that AnyModule and Sequential can call forward with fewer
/// arguments (LibTorch's FORWARD_HAS_DEFAULT_ARGS): `TAPEGRAD_FORWARD_HAS_DEFAULT_ARGS({1,
/// nn::AnyValue(std::optional<std::vector<int64_t>>())})`.
#define TAPEGRAD_FORWARD_HAS_DEFAULT_ARGS(...)                                                \
public:                                                                                       \
    static size_t _forward_num_required_args() {                                              \
        std::pair<size_t, ::tapegrad::nn::AnyValue> defaults[] = {__VA_ARGS__};               \
        return defaults[0].first;                                                             \
    }                                                                                         \
    static void _forward_populate_default_args(std::vector<::tapegrad::nn::AnyValue>& args) { \
        std::pair<size_t, ::tapegrad::nn::AnyValue> defaults[] = {__VA_ARGS__};               \
        for (auto& d : defaults)                                                              \
            if (d.first >= args.size()) args.push_back(std::move(d.second));                  \
    }

#if !defined(TAPEGRAD_NO_TORCH_MACROS) && !defined(FORWARD_HAS_DEFAULT_ARGS)
#define FORWARD_HAS_DEFAULT_ARGS(...) TAPEGRAD_FORWARD_HAS_DEFAULT_ARGS(__VA_ARGS__)
#endif
