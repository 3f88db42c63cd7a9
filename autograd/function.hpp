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
// apply runs forward with recording off, then records one node whose backward calls
// Derived::backward: the engine treats it like any built-in op. Backward is written with
// tapegrad ops, so with create_graph it is recorded and can be differentiated again
// (gradgradcheck). A forward that returns a tensor_list makes one node with one output per
// tensor; backward is called once, with the gradient of each output (zeros for an output
// that got none, unless ctx->set_materialize_grads(false), which passes undefined tensors).

#include <cstdint>
#include <functional>
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

class AutogradContext;
namespace detail {
class FunctionNode;
void check_forward_writes(const char* name, const AutogradContext& ctx, const tensor_list& inputs,
                          const std::vector<uint64_t>& versions_before, const tensor_list& raw);
}  // namespace detail

/// What forward hands to backward: tensors saved with save_for_backward, other values in
/// saved_data, which inputs need a gradient, and what forward did to its inputs and outputs.
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
    /// Declares inputs that forward modified in place (and returns): they take this node's
    /// history, as with a built-in in-place op.
    void mark_dirty(const tensor_list& inputs);
    /// Declares outputs that have no gradient (indices, masks): they do not require grad.
    void mark_non_differentiable(const tensor_list& outputs);
    /// Whether backward gets zeros (true, the default) or undefined tensors for the outputs
    /// that received no gradient.
    void set_materialize_grads(bool value) { materialize_grads_ = value; }

    /// Non-tensor values for backward, e.g. `ctx->saved_data["scale"] = 2.0`.
    std::unordered_map<std::string, IValue> saved_data;

private:
    template <class>
    friend struct Function;
    friend class detail::FunctionNode;
    friend void detail::check_forward_writes(const char*, const AutogradContext&,
                                             const tensor_list&, const std::vector<uint64_t>&,
                                             const tensor_list&);
    void before_forward(const char* name, std::vector<bool> needs_grad);
    void after_forward(const tensor_list& raw_outputs);
    bool is_dirty(const Tensor& t) const;
    bool is_non_differentiable(const Tensor& t) const;

    tensor_list saved_;
    std::vector<uint64_t> versions_;
    std::vector<int64_t> output_index_;  // per saved tensor: which output of forward, or -1
    std::vector<bool> needs_grad_;
    tensor_list dirty_, non_differentiable_;
    bool materialize_grads_ = true;
    const detail::FunctionNode* node_ = nullptr;  // set while its backward runs
    const char* name_ = "Function";
};

using variable_list = std::vector<Tensor>;
using tapegrad::tensor_list;
using tapegrad::TensorList;
/// LibTorch's name for a tensor that may require grad: a Tensor.
using Variable = Tensor;

namespace detail {
/// "Cube" from the mangled name of a type.
std::string function_name(const char* mangled);

template <class T>
constexpr bool is_tensor_arg = std::is_same_v<std::decay_t<T>, Tensor>;

template <class D, class = void>
struct has_backward_rule : std::false_type {};
template <class D>
struct has_backward_rule<D, std::void_t<decltype(D::backward_rule)>> : std::true_type {};

/// The node of a custom function: one output per tensor forward returned; its backward
/// calls Derived::backward once with every output's gradient.
class FunctionNode final : public Node {
public:
    using Backward = std::function<tensor_list(AutogradContext*, tensor_list)>;
    FunctionNode(const char* name, std::vector<Edge> next, std::shared_ptr<AutogradContext> ctx,
                 Backward backward, std::vector<bool> is_tensor, const char* rule);
    std::string rule() const override { return rule_ ? rule_ : ""; }

    /// Connects forward's outputs to this node (and dirty inputs, whose history it becomes);
    /// returns what apply hands back.
    tensor_list connect(const tensor_list& inputs, const tensor_list& raw_outputs);
    /// Output `k` rebuilt from `raw` (forward's own tensor), with this node as its grad_fn.
    Tensor output_tensor(const Tensor& raw, size_t k) const;

protected:
    Grads run(const Tensor& grad_out) override { return run_all({grad_out}); }
    Grads run_all(const tensor_list& grad_outputs) override;
    void release_saved() override;

private:
    std::shared_ptr<AutogradContext> ctx_;
    Backward backward_;
    std::vector<bool> is_tensor_;
    const char* rule_;
};

/// Outputs of a forward run with nothing to record: dirty inputs come back as themselves.
tensor_list unrecorded_outputs(const AutogradContext& ctx, const tensor_list& inputs,
                               const tensor_list& raw_outputs);
/// Raises unless every input forward changed in place was marked dirty (and returned).
void check_forward_writes(const char* name, const AutogradContext& ctx, const tensor_list& inputs,
                          const std::vector<uint64_t>& versions_before, const tensor_list& raw);
}  // namespace detail

/// Base of a custom differentiable function: Derived defines static forward(ctx, args...)
/// returning a Tensor or tensor_list, and static backward(ctx, grad_outputs) returning one
/// gradient per argument of forward (undefined for non-tensor arguments; extra undefined ones
/// are ignored). Optionally, `static constexpr const char* backward_rule = "..."` is shown by
/// print_tape.
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
        std::vector<uint64_t> versions;
        for (const Tensor& t : inputs) versions.push_back(t.defined() ? t._version() : 0);
        ctx->before_forward(name(), needs_grad);
        using Out = decltype(Derived::forward(ctx.get(), std::forward<Args>(args)...));
        static_assert(std::is_same_v<Out, Tensor> || std::is_same_v<Out, tensor_list>,
                      "Function: forward must return a Tensor or a tensor_list");
        Out result;
        {
            NoGradGuard no_grad;
            result = Derived::forward(ctx.get(), std::forward<Args>(args)...);
        }
        tensor_list raw;
        if constexpr (std::is_same_v<Out, Tensor>)
            raw = {result};
        else
            raw = result;
        detail::check_forward_writes(name(), *ctx, inputs, versions, raw);
        ctx->after_forward(raw);
        tensor_list outs;
        if (!detail::needs_graph(inputs)) {
            outs = detail::unrecorded_outputs(*ctx, inputs, raw);
        } else {
            auto node = std::make_shared<detail::FunctionNode>(
                name(), detail::make_edges(inputs, kSavesNone), ctx,
                [](AutogradContext* c, tensor_list g) {
                    return Derived::backward(c, std::move(g));
                },
                is_tensor, rule());
            outs = node->connect(inputs, raw);
        }
        if constexpr (std::is_same_v<Out, Tensor>)
            return outs[0];
        else
            return outs;
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
};

}  // namespace autograd
}  // namespace tapegrad
