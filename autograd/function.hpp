#pragma once
// Custom differentiable functions, in LibTorch's shape:
//
//   struct Cube : tapegrad::autograd::Function<Cube> {
//       // y = x^3                      grad_x = 3 x^2 * grad_out
//       static Tensor forward(AutogradContext* ctx, Tensor x) {
//           ctx->save_for_backward({x});
//           return x * x * x;
//       }
//       static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
//           Tensor x = ctx->get_saved_variables()[0];
//           return {3.0 * x * x * grad_outputs[0]};
//       }
//   };
//   Tensor y = Cube::apply(x);
//
// apply runs forward with recording off, then records one node (autograd::record) whose
// backward calls Derived::backward: the engine treats it like any built-in op. Backward is
// written with tapegrad ops, so with create_graph it is recorded and can be differentiated
// again (gradgradcheck). A forward that returns a tensor_list gets one node per output; they
// share the context, and each calls backward with zeros for the other outputs' gradients.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {

/// A value kept in AutogradContext::saved_data: none, bool, int, double, string, int list or
/// tensor, read back with the matching to*() (LibTorch's IValue, reduced to these types).
class IValue {
public:
    IValue() = default;
    IValue(bool v) : v_(v) {}                             // NOLINT: implicit, as LibTorch's
    IValue(int v) : v_(static_cast<int64_t>(v)) {}        // NOLINT
    IValue(int64_t v) : v_(v) {}                          // NOLINT
    IValue(double v) : v_(v) {}                           // NOLINT
    IValue(std::string v) : v_(std::move(v)) {}           // NOLINT
    IValue(const char* v) : v_(std::string(v)) {}         // NOLINT
    IValue(std::vector<int64_t> v) : v_(std::move(v)) {}  // NOLINT
    IValue(Tensor v) : v_(std::move(v)) {}                // NOLINT

    bool isNone() const { return v_.index() == 0; }
    bool isBool() const { return v_.index() == 1; }
    bool isInt() const { return v_.index() == 2; }
    bool isDouble() const { return v_.index() == 3; }
    bool isString() const { return v_.index() == 4; }
    bool isIntList() const { return v_.index() == 5; }
    bool isTensor() const { return v_.index() == 6; }

    bool toBool() const { return get<bool>("Bool"); }
    int64_t toInt() const { return get<int64_t>("Int"); }
    double toDouble() const { return get<double>("Double"); }
    const std::string& toStringRef() const { return get<std::string>("String"); }
    std::vector<int64_t> toIntVector() const { return get<std::vector<int64_t>>("IntList"); }
    Tensor toTensor() const { return get<Tensor>("Tensor"); }
    /// "None", "Bool", "Int", "Double", "String", "IntList" or "Tensor".
    const char* tagKind() const;

private:
    template <class T>
    const T& get(const char* wanted) const {
        if (const T* p = std::get_if<T>(&v_)) return *p;
        throw std::logic_error(std::string("IValue: expected ") + wanted + " but got " + tagKind());
    }
    std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<int64_t>, Tensor>
        v_;
};

namespace autograd {

/// What forward hands to backward: tensors saved with save_for_backward, other values in
/// saved_data, and which inputs need a gradient.
class AutogradContext {
public:
    AutogradContext() = default;
    AutogradContext(const AutogradContext&) = delete;
    AutogradContext& operator=(const AutogradContext&) = delete;

    /// Keeps tensors (inputs, outputs of forward, or intermediates) for backward.
    void save_for_backward(tensor_list to_save);
    /// The saved tensors, in the order given; an output of forward comes back connected to
    /// this node, so a backward written in terms of it is differentiable. Throws if one of them
    /// was modified in place since forward.
    tensor_list get_saved_variables() const;
    /// True when the argument at `index` of forward is a tensor that needs a gradient.
    bool needs_input_grad(size_t index) const;

    /// Non-tensor values for backward, e.g. `ctx->saved_data["scale"] = 2.0`.
    std::unordered_map<std::string, IValue> saved_data;

    // ---- used by Function::apply and its node ------------------------------------------
    /// Before forward: the function's name (for messages) and which arguments need grad.
    void detail_before_forward(const char* name, std::vector<bool> needs_grad);
    /// After forward: remembers versions, and which saved tensors are outputs of forward.
    void detail_after_forward(const tensor_list& raw_outputs);
    /// True when some saved tensor is an output of forward.
    bool detail_saves_output() const;
    /// During one backward: the output rebuilt by the node, given back for the saved slots
    /// that hold it (reset afterwards, or the context would own its own node).
    void detail_set_output(const Tensor& out) { output_ = out; }

private:
    tensor_list saved_;
    std::vector<uint64_t> versions_;
    std::vector<bool> is_output_;  // per saved tensor: is it the output of forward?
    std::vector<bool> needs_grad_;
    Tensor output_;
    const char* name_ = "Function";
};

namespace detail {
/// "Cube" from the mangled name of a type.
std::string function_name(const char* mangled);
/// The error for a backward returning the wrong number of gradients, or a gradient for an
/// argument that is not a tensor.
[[noreturn]] void throw_bad_backward(const char* name, const std::string& what);

template <class T>
constexpr bool is_tensor_arg = std::is_same_v<std::decay_t<T>, Tensor>;

template <class D, class = void>
struct has_backward_rule : std::false_type {};
template <class D>
struct has_backward_rule<D, std::void_t<decltype(D::backward_rule)>> : std::true_type {};

/// One backward through a custom function's node: calls `backward` with the gradient of
/// output `which` (zeros for the others), and returns one gradient per tensor argument.
template <class Backward>
Grads run_custom_backward(const char* name, AutogradContext* ctx, Backward backward, size_t which,
                          const Tensor& grad_out,
                          const std::vector<std::vector<int64_t>>& out_sizes, ScalarType dtype,
                          const std::vector<bool>& is_tensor);
}  // namespace detail

/// Base of a custom differentiable function: Derived defines static forward(ctx, args...)
/// returning a Tensor or tensor_list, and static backward(ctx, grad_outputs) returning one
/// gradient per argument of forward (undefined for non-tensor arguments). Optionally,
/// `static constexpr const char* backward_rule = "..."` is shown by print_tape.
template <class Derived>
struct Function {
    /// Runs Derived::forward without recording and records its backward on the tape.
    template <class... Args>
    static auto apply(Args&&... args) {
        auto ctx = std::make_shared<AutogradContext>();
        tensor_list inputs;
        std::vector<bool> is_tensor, needs_grad;
        auto collect = [&](const auto& arg) {
            if constexpr (detail::is_tensor_arg<decltype(arg)>) {
                inputs.push_back(arg);
                is_tensor.push_back(true);
                needs_grad.push_back(arg.defined() && arg.requires_grad());
            } else {
                is_tensor.push_back(false);
                needs_grad.push_back(false);
            }
        };
        (collect(args), ...);
        ctx->detail_before_forward(name(), needs_grad);
        using Out = decltype(Derived::forward(ctx.get(), std::forward<Args>(args)...));
        static_assert(std::is_same_v<Out, Tensor> || std::is_same_v<Out, tensor_list>,
                      "Function: forward must return a Tensor or a tensor_list");
        Out raw;
        {
            NoGradGuard no_grad;
            raw = Derived::forward(ctx.get(), std::forward<Args>(args)...);
        }
        if constexpr (std::is_same_v<Out, Tensor>) {
            return attach_outputs(ctx, inputs, is_tensor, tensor_list{raw})[0];
        } else {
            return attach_outputs(ctx, inputs, is_tensor, raw);
        }
    }

    /// The node's name: the class name, e.g. "Cube".
    static const char* name() {
        static const std::string n = detail::function_name(typeid(Derived).name());
        return n.c_str();
    }

private:
    static const char* rule() {
        if constexpr (detail::has_backward_rule<Derived>::value)
            return Derived::backward_rule;
        else
            return nullptr;
    }

    static tensor_list attach_outputs(const std::shared_ptr<AutogradContext>& ctx,
                                      const tensor_list& inputs, const std::vector<bool>& is_tensor,
                                      const tensor_list& raw) {
        ctx->detail_after_forward(raw);
        std::vector<std::vector<int64_t>> sizes;
        for (const Tensor& r : raw) {
            if (!r.defined()) {
                throw std::logic_error(std::string(name()) +
                                       ": forward returned an undefined tensor");
            }
            sizes.push_back(r.sizes());
        }
        const bool saves_output = ctx->detail_saves_output();
        if (saves_output && raw.size() > 1) {
            throw std::logic_error(std::string(name()) +
                                   ": saving an output of forward is supported only when forward "
                                   "returns one tensor; save the inputs and recompute it instead");
        }
        tensor_list outs;
        for (size_t i = 0; i < raw.size(); ++i) {
            // a fresh handle, so the node never becomes the grad_fn of an input (forward may
            // return one unchanged) and the context never holds its own node's output
            Tensor out = raw[i].detach();
            const ScalarType dt = out.dtype();
            auto backward = [](AutogradContext* c, tensor_list g) {
                return Derived::backward(c, std::move(g));
            };
            if (saves_output) {
                out = record(
                    name(), out, inputs,
                    [ctx, sizes, dt, is_tensor, backward](const Tensor& grad_out,
                                                          const Tensor& self) {
                        ctx->detail_set_output(self);
                        try {
                            Grads g = detail::run_custom_backward(name(), ctx.get(), backward, 0,
                                                                  grad_out, sizes, dt, is_tensor);
                            ctx->detail_set_output(Tensor());
                            return g;
                        } catch (...) {
                            ctx->detail_set_output(Tensor());
                            throw;
                        }
                    },
                    rule());
            } else {
                out = record(
                    name(), out, inputs,
                    [ctx, sizes, dt, is_tensor, backward, i](const Tensor& grad_out) {
                        return detail::run_custom_backward(name(), ctx.get(), backward, i, grad_out,
                                                           sizes, dt, is_tensor);
                    },
                    rule());
            }
            outs.push_back(std::move(out));
        }
        return outs;
    }
};

namespace detail {
Tensor zeros_for(const std::vector<int64_t>& sizes, ScalarType dtype);

template <class Backward>
Grads run_custom_backward(const char* name, AutogradContext* ctx, Backward backward, size_t which,
                          const Tensor& grad_out,
                          const std::vector<std::vector<int64_t>>& out_sizes, ScalarType dtype,
                          const std::vector<bool>& is_tensor) {
    tensor_list grad_outputs(out_sizes.size());
    for (size_t k = 0; k < out_sizes.size(); ++k)
        grad_outputs[k] = k == which ? grad_out : zeros_for(out_sizes[k], dtype);
    const tensor_list grads = backward(ctx, std::move(grad_outputs));
    size_t n_tensors = 0;
    for (bool t : is_tensor) n_tensors += t;
    // LibTorch's rule: one gradient per argument of forward; also accepted: one per tensor
    if (grads.size() != is_tensor.size() && grads.size() != n_tensors) {
        throw_bad_backward(name, "returned " + std::to_string(grads.size()) +
                                     " gradients, expected " + std::to_string(is_tensor.size()) +
                                     " (one per argument of forward)");
    }
    if (grads.size() == n_tensors) return grads;
    Grads per_tensor;
    for (size_t k = 0; k < grads.size(); ++k) {
        if (is_tensor[k])
            per_tensor.push_back(grads[k]);
        else if (grads[k].defined()) {
            throw_bad_backward(name, "returned a gradient for argument " + std::to_string(k) +
                                         ", which is not a tensor; return an undefined Tensor()");
        }
    }
    return per_tensor;
}
}  // namespace detail

}  // namespace autograd
}  // namespace tapegrad
