#pragma once
// Node: one entry of the tape. It knows which op made a tensor, where the gradients of that
// op's inputs go next (edges), and how to turn the output's gradient into theirs (backward).

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autograd {

/// What a backward returns: one gradient per input, in input order (undefined where the input
/// needs none).
using Grads = std::vector<Tensor>;

/// Which inputs an op's backward reads (bit i: input i). Their storage versions are recorded,
/// so that backward refuses to run on an input modified in place after the op used it;
/// inputs the backward never reads (add's, a view's) may be modified freely.
constexpr uint32_t kSavesAll = ~0u;
constexpr uint32_t kSavesNone = 0;

/// Where the gradient of one input goes: into the node that made it, or into a leaf's .grad.
/// For an input the backward reads, it also remembers the input's storage version.
struct Edge {
    std::shared_ptr<Node> fn;        // the input's grad_fn, or null for a leaf
    uint32_t output_nr = 0;          // which output of fn the input is
    std::weak_ptr<TensorImpl> leaf;  // the leaf to accumulate into when fn is null
    std::weak_ptr<Storage> storage;  // the input's data, watched but not kept alive
    uint64_t version = 0;            // storage->version when the op ran
    /// False when the input needs no gradient.
    bool is_valid() const { return fn != nullptr || !leaf.expired(); }
    /// True when the input's data was modified in place since the op ran.
    bool modified() const {
        const std::shared_ptr<Storage> s = storage.lock();
        return s && s->version != version;
    }
};

/// What the engine may assume of an op's backward, declared when the op is recorded (the last
/// argument of record). Bits; kNoTraits for nearly every op.
enum NodeTraits : uint32_t {
    kNoTraits = 0,
    /// The backward only re-views its gradient (transpose, permute), so the gradient it receives
    /// may stay in a permuted layout: for x.t().matmul(w), matmul's backward writes the gradient
    /// of x.t() column-major, transpose's backward turns it into x's row-major layout, and no
    /// strided copy is made (LibTorch does the same). Every other backward may read its
    /// gradient's memory flat, so the engine hands it a contiguous one.
    kGradAnyLayout = 1,
};

/// Lets a backward write the gradient of one of its inputs straight where the engine would
/// sum it (a leaf's .grad), instead of returning a temporary that the engine then adds: a
/// matrix product writes its weight gradient into .grad with gemm's beta = 1 (or beta = 0 into
/// a fresh .grad). The engine offers it only where the result is the same as returning the
/// gradient: no create_graph, no autograd::grad capture, no anomaly mode, and for input k only
/// when k is a leaf that requires grad, has no hooks, and whose .grad is undefined or a
/// contiguous buffer of the leaf's shape and dtype that nobody else holds. The write happens
/// under the leaf's lock, so passes on several threads that meet in one leaf stay correct.
class GradSink {
public:
    /// Calls `write(Tensor& dest, bool accumulate)` with the destination of input `input` and
    /// returns true, or returns false without calling it (then the backward returns that
    /// gradient as usual; after true it returns an undefined tensor for it). `dest` is
    /// contiguous and has the input's shape and dtype; with `accumulate` it holds values to add
    /// to (beta = 1), else its contents are unset and must be overwritten (beta = 0).
    template <class F>
    bool write(size_t input, const F& f) {
        return write_into(
            input,
            [](const void* fn, Tensor& dest, bool acc) { (*static_cast<const F*>(fn))(dest, acc); },
            &f);
    }
    /// A sink that never accepts: a backward called outside the engine's offer gets this one.
    static GradSink& none();

protected:
    ~GradSink() = default;
    using Writer = void (*)(const void* f, Tensor& dest, bool accumulate);
    virtual bool write_into(size_t input, Writer writer, const void* f) = 0;
};

/// One recorded op. Subclasses hold what their backward saved; the engine calls apply().
class Node : public std::enable_shared_from_this<Node> {
public:
    Node(const char* op, std::vector<Edge> next, uint32_t traits = kNoTraits);
    virtual ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    /// The op's name, e.g. "mul" or "matmul".
    std::string name() const { return op_; }
    const char* op() const { return op_; }
    /// One edge per input of the op, in input order.
    const std::vector<Edge>& next_edges() const { return next_; }
    /// How many tensors the op made: 1 for every built-in op; a custom Function has one per
    /// tensor its forward returns.
    size_t num_outputs() const { return 1 + more_.size(); }
    /// Shape and dtype of output `k`.
    std::vector<int64_t> output_sizes(size_t k = 0) const { return output(k).sizes.vec(); }
    /// The same shape without a copy (the engine checks every gradient against it).
    const tapegrad::detail::DimVector& output_dims(size_t k = 0) const { return output(k).sizes; }
    ScalarType output_dtype(size_t k = 0) const { return output(k).dtype; }
    /// Creation order: later nodes have larger numbers.
    uint64_t sequence_nr() const { return seq_; }
    /// The ops that led here, recorded only in anomaly mode.
    const std::string& creation_context() const { return context_; }
    /// True after a backward without retain_graph freed what this node saved.
    bool released() const { return (state_.load(std::memory_order_acquire) & kReleased) != 0; }
    /// A one-line statement of this node's backward rule, for print_tape.
    virtual std::string rule() const { return rule_ ? rule_ : ""; }
    /// True when the backward accepts a gradient in any dense layout (kGradAnyLayout).
    bool takes_any_layout() const { return (traits_ & kGradAnyLayout) != 0; }

    /// Gradients for each input given the gradient of each output (undefined for an output
    /// that received none); throws if released. Passes on other threads that reach this node
    /// apply it side by side (see release). With a `sink`, a one-output backward that takes
    /// one may write some input gradients straight into their destination (see GradSink).
    Grads apply(const tensor_list& grad_outputs, GradSink* sink = nullptr);
    /// Frees the saved values (called by backward unless retain_graph). While the node is
    /// being applied (by a pass on another thread, or by the pass that nests the caller),
    /// freeing waits until the last apply returns.
    void release();

    /// Hooks that see (and may replace) the gradient of output `k`.
    HookList& hooks(size_t k = 0) { return output(k).hooks; }
    /// The output tensor `k` whose .grad() is kept (retain_grad), if any.
    std::weak_ptr<TensorImpl>& retained(size_t k = 0) { return output(k).retained; }
    const std::weak_ptr<TensorImpl>& retained(size_t k = 0) const { return output(k).retained; }

protected:
    /// The backward of a one-output op (every built-in op).
    virtual Grads run(const Tensor& grad_out) = 0;
    /// The backward given every output's gradient; a one-output op needs only run().
    virtual Grads run_all(const tensor_list& grad_outputs) { return run(grad_outputs[0]); }
    /// The backward of a one-output op offered a sink; only backwards that use one override it.
    virtual Grads run_into(const Tensor& grad_out, GradSink& /*sink*/) { return run(grad_out); }
    virtual void release_saved() = 0;
    /// Makes the node's outputs `n` (one for a new node); each output's shape and dtype is
    /// then set by attach_output.
    void set_num_outputs(size_t n) { more_.resize(n > 0 ? n - 1 : 0); }
    /// Shape and dtype of an output no tensor is attached to (one without a gradient).
    void set_output_meta(size_t k, const std::vector<int64_t>& sizes, ScalarType dtype) {
        output(k).sizes.assign(sizes);
        output(k).dtype = dtype;
    }
    /// The output tensor, rebuilt from the saved storage with this node as its grad_fn, so a
    /// backward written in terms of the output is itself differentiable.
    Tensor saved_output();

private:
    friend void attach(Tensor& out, const std::shared_ptr<Node>& node, bool save_output,
                       const char* rule);
    friend void attach_output(Tensor& out, const std::shared_ptr<Node>& node, size_t k);
    // what the engine must know of each output, and the hooks on it; the first is kept
    // inline, since nearly every node has one output
    struct Output {
        tapegrad::detail::DimVector sizes;  // inline up to 6 dims: no allocation per op
        ScalarType dtype = kFloat32;
        HookList hooks;
        std::weak_ptr<TensorImpl> retained;
    };
    Output& output(size_t k) { return k == 0 ? first_ : more_[k - 1]; }
    const Output& output(size_t k) const { return k == 0 ? first_ : more_[k - 1]; }
    const char* op_;
    const char* rule_ = nullptr;
    uint32_t traits_ = kNoTraits;
    std::vector<Edge> next_;
    Output first_;
    std::vector<Output> more_;
    uint64_t seq_ = 0;
    std::string context_;
    // kReleased, kReleasePending, and 4 times the number of applies running: two atomic
    // steps per apply let passes on several threads (or nested passes) share a node, and a
    // release never frees what a running apply reads
    static constexpr uint32_t kReleased = 1, kReleasePending = 2, kApplying = 4;
    std::atomic<uint32_t> state_{0};
    void end_apply();
    void release_now();
    std::shared_ptr<Storage> out_storage_;  // only for ops that save their output
    int64_t out_offset_ = 0;
    tapegrad::detail::DimVector out_strides_;  // inline up to 6 dims: no allocation per op
    uint64_t out_version_ = 0;
};

/// Connects `out` to `node`: sets its grad_fn and the node's output metadata.
void attach(Tensor& out, const std::shared_ptr<Node>& node, bool save_output, const char* rule);
/// Connects `out` as output `k` of a node with several outputs.
void attach_output(Tensor& out, const std::shared_ptr<Node>& node, size_t k);

/// A node whose backward is a lambda: `grad_out -> Grads`, `(grad_out, out) -> Grads` for
/// ops whose gradient is cheapest in terms of their output (exp, sigmoid, tanh, softmax), or
/// `(grad_out, GradSink&) -> Grads` for ops that can write an input's gradient in place
/// (matrix products).
template <class F>
class LambdaNode final : public Node {
public:
    static constexpr bool kSavesOutput = std::is_invocable_v<F&, const Tensor&, const Tensor&>;
    static constexpr bool kTakesSink = std::is_invocable_v<F&, const Tensor&, GradSink&>;
    LambdaNode(const char* op, std::vector<Edge> next, F fn, uint32_t traits = kNoTraits)
        : Node(op, std::move(next), traits), fn_(std::move(fn)) {}

protected:
    Grads run(const Tensor& grad_out) override {
        if constexpr (kSavesOutput)
            return (*fn_)(grad_out, saved_output());
        else if constexpr (kTakesSink)
            return (*fn_)(grad_out, GradSink::none());
        else
            return (*fn_)(grad_out);
    }
    Grads run_into(const Tensor& grad_out, GradSink& sink) override {
        if constexpr (kTakesSink)
            return (*fn_)(grad_out, sink);
        else
            return run(grad_out);
    }
    void release_saved() override { fn_.reset(); }

private:
    std::optional<F> fn_;
};

namespace detail {
/// One entry of record's input list: a reference, so that listing `{a, b}` copies no handle
/// (a copy is two atomic count updates, a large part of a small op's cost).
class InputRef {
public:
    InputRef(const Tensor& t) : t_(&t) {}  // NOLINT: implicit, so that `{a, b}` lists inputs
    operator const Tensor&() const { return *t_; }  // NOLINT

private:
    const Tensor* t_;
};

/// True when an op on these inputs must be recorded: grad mode is on and one requires grad.
bool needs_graph(std::initializer_list<InputRef> inputs);
bool needs_graph(const std::vector<Tensor>& inputs);
std::vector<Edge> make_edges(std::initializer_list<InputRef> inputs, uint32_t saved = kSavesAll);
std::vector<Edge> make_edges(const std::vector<Tensor>& inputs, uint32_t saved = kSavesAll);

/// Destroys a node without recursion: a chain of a million nodes would overflow the stack if
/// each destructor released the next.
void release_node(std::shared_ptr<Node>&& node);

template <class F, class Inputs>
Tensor record_node(const char* op, Tensor out, const Inputs& inputs, F&& backward, const char* rule,
                   uint32_t saved, uint32_t traits) {
    if (!needs_graph(inputs)) return out;
    using Fn = std::decay_t<F>;
    auto node = std::make_shared<LambdaNode<Fn>>(op, make_edges(inputs, saved),
                                                 std::forward<F>(backward), traits);
    attach(out, node, LambdaNode<Fn>::kSavesOutput, rule);
    return out;
}
}  // namespace detail

/// Records `out = op(inputs)` on the tape with its backward rule; returns `out`. This is the
/// only place an op touches the graph. `rule` is the backward's math, shown by print_tape.
/// `saved` names the inputs the backward reads (kSavesNone for add, views, sums...); `traits`
/// declares what the engine may assume of the backward (NodeTraits).
template <class F>
Tensor record(const char* op, Tensor out, std::initializer_list<detail::InputRef> inputs,
              F&& backward, const char* rule = nullptr, uint32_t saved = kSavesAll,
              uint32_t traits = kNoTraits) {
    return detail::record_node(op, std::move(out), inputs, std::forward<F>(backward), rule, saved,
                               traits);
}
// (a template in `List` so that a braced list `{a, b}` never picks this one)
template <class F, class List, std::enable_if_t<std::is_same_v<List, std::vector<Tensor>>, int> = 0>
Tensor record(const char* op, Tensor out, const List& inputs, F&& backward,
              const char* rule = nullptr, uint32_t saved = kSavesAll, uint32_t traits = kNoTraits) {
    return detail::record_node(op, std::move(out), inputs, std::forward<F>(backward), rule, saved,
                               traits);
}

}  // namespace autograd
}  // namespace tapegrad
