// The backward pass: order the graph, sweep it in reverse, accumulate, free.
//
// 1. Plan (BackwardPlan, below): walk the graph from the outputs with an explicit stack (never
//    recursion), counting for every node how many edges point at it: the gradients it must
//    wait for.
// 2. Start from the outputs. A node runs once all its gradients have arrived and been summed;
//    its backward turns the output gradient into one gradient per input, which is added to
//    the input's node (or, for a leaf, to its .grad()).
// 3. Unless retain_graph, each node frees what it saved as soon as it has run.
//
// Everything a pass writes besides .grad lives in its GraphTask, never on the shared nodes.

#include "autograd/engine.hpp"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/planner.hpp"

namespace tapegrad {
namespace autograd {

// ---- 1. the plan: which nodes a pass runs, and in which order ----------------------------

namespace {
// Where a node's address starts probing in the plan's table (Fibonacci hashing).
size_t home_slot(const Node* n, size_t mask) {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(n) * 0x9E3779B97F4A7C15ull) >> 32) &
           mask;
}
}  // namespace

namespace {
// The arrays of finished plans, kept per thread for the next one: a pass would otherwise
// allocate (and glibc consolidate) a few kilobytes per thousand nodes every time.
struct PlanArrays {
    std::vector<Node*> nodes;
    std::vector<int64_t> waiting, first_target, targets, ready, values, todo, first_slot;
    std::vector<const Node*> keys;
};
thread_local std::vector<PlanArrays> spare_arrays;
}  // namespace

BackwardPlan::BackwardPlan(const std::vector<Node*>& roots) {
    if (!spare_arrays.empty()) {
        PlanArrays& a = spare_arrays.back();
        nodes_.swap(a.nodes);
        waiting_.swap(a.waiting);
        first_target_.swap(a.first_target);
        targets_.swap(a.targets);
        ready_.swap(a.ready);
        values_.swap(a.values);
        todo_.swap(a.todo);
        keys_.swap(a.keys);
        first_slot_.swap(a.first_slot);
        spare_arrays.pop_back();
    }
    keys_.assign(std::max<size_t>(64, keys_.size()), nullptr);
    values_.assign(keys_.size(), -1);
    std::vector<int64_t>& todo = todo_;
    for (Node* r : roots) {
        if (!r) continue;
        roots_.push_back(r->shared_from_this());
        bool fresh = false;
        const int64_t i = insert(r, fresh);
        if (fresh) todo.push_back(i);
    }
    // each node's edge targets are filled when it is first popped; targets of nodes found
    // later are appended behind, so first_target_ indexes one flat array
    first_target_.assign(nodes_.size(), -1);
    while (!todo.empty()) {
        const int64_t i = todo.back();
        todo.pop_back();
        first_target_[static_cast<size_t>(i)] = static_cast<int64_t>(targets_.size());
        for (const Edge& e : nodes_[static_cast<size_t>(i)]->next_edges()) {
            int64_t t = -1;
            if (e.fn) {
                bool fresh = false;
                t = insert(e.fn.get(), fresh);
                ++waiting_[static_cast<size_t>(t)];
                if (fresh) {
                    first_target_.push_back(-1);
                    todo.push_back(t);
                }
            }
            targets_.push_back(t);
        }
    }
}

BackwardPlan::~BackwardPlan() {
    PlanArrays a;
    nodes_.clear();
    waiting_.clear();
    first_target_.clear();
    targets_.clear();
    ready_.clear();
    todo_.clear();
    first_slot_.clear();
    a.first_slot.swap(first_slot_);
    a.nodes.swap(nodes_);
    a.waiting.swap(waiting_);
    a.first_target.swap(first_target_);
    a.targets.swap(targets_);
    a.ready.swap(ready_);
    a.values.swap(values_);
    a.todo.swap(todo_);
    a.keys.swap(keys_);
    if (spare_arrays.size() < 4) spare_arrays.push_back(std::move(a));
}

int64_t BackwardPlan::insert(Node* n, bool& fresh) {
    const size_t mask = keys_.size() - 1;
    size_t h = home_slot(n, mask);
    while (keys_[h] && keys_[h] != n) h = (h + 1) & mask;
    if (keys_[h]) {
        fresh = false;
        return values_[h];
    }
    fresh = true;
    const int64_t i = static_cast<int64_t>(nodes_.size());
    keys_[h] = n;
    values_[h] = i;
    nodes_.push_back(n);
    waiting_.push_back(0);
    first_slot_.push_back(num_slots_);
    num_slots_ += static_cast<int64_t>(n->num_outputs());
    if (nodes_.size() * 2 > keys_.size()) grow();
    return i;
}

void BackwardPlan::grow() {
    std::vector<const Node*> old = std::move(keys_);
    keys_.assign(old.size() * 2, nullptr);
    values_.assign(old.size() * 2, -1);
    const size_t mask = keys_.size() - 1;
    for (size_t i = 0; i < nodes_.size(); ++i) {
        size_t h = home_slot(nodes_[i], mask);
        while (keys_[h]) h = (h + 1) & mask;
        keys_[h] = nodes_[i];
        values_[h] = static_cast<int64_t>(i);
    }
}

int64_t BackwardPlan::index_of(const Node* n) const {
    const size_t mask = keys_.size() - 1;
    size_t h = home_slot(n, mask);
    while (keys_[h] && keys_[h] != n) h = (h + 1) & mask;
    return keys_[h] ? values_[h] : -1;
}

void BackwardPlan::seed(const std::vector<Node*>& roots) {
    for (Node* r : roots) {
        if (!r) continue;
        const int64_t i = index_of(r);
        if (waiting_[static_cast<size_t>(i)] != 0) continue;
        waiting_[static_cast<size_t>(i)] = -1;  // queued: a repeated root is not queued twice
        ready_.push_back(i);
    }
}

void BackwardPlan::finish(int64_t i) {
    const size_t n = nodes_[static_cast<size_t>(i)]->next_edges().size();
    for (size_t k = 0; k < n; ++k) {
        const int64_t t = target(i, k);
        if (t >= 0 && --waiting_[static_cast<size_t>(t)] == 0) ready_.push_back(t);
    }
}

// ---- 2. the pass ------------------------------------------------------------------------------

namespace {

// True when nobody else can see `t`'s buffer, so adding into it in place is safe: a view
// counts when its base is held by the view alone (a transposed gradient, made as gemm_out.t()).
bool exclusive(const Tensor& t) {
    const TensorImpl& i = tapegrad::detail::impl(t);
    if (tapegrad::detail::impl_ptr(t).use_count() != 1) return false;
    if (!i.base) return i.storage.use_count() == 1;
    return i.base.use_count() == 1 && i.storage.use_count() == 2 && i.base->storage == i.storage;
}

// True when t's elements fill its storage span exactly once in some order of its dims: a
// contiguous tensor, or a permutation of one (a transposed gradient as matmul's backward
// writes it), but no gaps and no repeats (expand).
bool dense_permutation(const Tensor& t) {
    if (t.is_contiguous()) return true;
    std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of dims of size > 1
    for (int64_t d = 0; d < t.dim(); ++d)
        if (t.size(d) != 1) dims.emplace_back(t.stride(d), t.size(d));
    std::sort(dims.begin(), dims.end());
    int64_t expected = 1;
    for (const auto& [stride, size] : dims) {
        if (stride != expected) return false;
        expected *= size;
    }
    return true;
}

// slot += g, recorded when create_graph (grad mode is then on), in place when it is safe: the
// slot's buffer is ours alone and has no gaps or repeated elements (a gradient may arrive as
// a view, e.g. an expand with stride 0, which must not be written into or kept as a sum).
// With `any_layout`, a gradient laid out as a permutation of a contiguous one is kept as it is.
void accumulate(Tensor& slot, Tensor g, bool create_graph, bool any_layout = false) {
    if (!slot.defined()) {
        if (create_graph ||
            (exclusive(g) && (g.is_contiguous() || (any_layout && dense_permutation(g)))))
            slot = std::move(g);
        else
            slot = g.detach().clone();
    } else if (create_graph || !exclusive(slot) ||
               !(slot.is_contiguous() || (any_layout && dense_permutation(slot)))) {
        slot = slot + g;
    } else {
        slot.add_(g);
    }
}

// `expected`: a node output's shape (a DimVector) or a leaf's sizes
template <class Dims>
void check_shape(const Node& node, size_t input, const Tensor& g, const Dims& expected,
                 ScalarType dtype) {
    if (!(expected == g.sizes())) {
        throw std::logic_error("backward of " + node.name() + ": gradient for input " +
                               std::to_string(input) + " has shape " + shape_str(g.sizes()) +
                               ", expected " +
                               shape_str(std::vector<int64_t>(expected.begin(), expected.end())));
    }
    if (g.dtype() != dtype) {
        throw std::logic_error("backward of " + node.name() + ": gradient for input " +
                               std::to_string(input) + " has dtype " + to_string(g.dtype()) +
                               ", expected " + to_string(dtype));
    }
}

Tensor run_hooks(const HookList& hooks, Tensor g, const char* where) {
    hooks.for_each([&](const GradHook& hook) {
        Tensor r = hook(g);
        if (!r.defined()) return;
        if (r.sizes() != g.sizes()) {
            throw std::logic_error(std::string("hook on ") + where +
                                   ": returned a gradient of "
                                   "shape " +
                                   shape_str(r.sizes()) + ", expected " + shape_str(g.sizes()));
        }
        if (r.dtype() != g.dtype()) {
            throw std::logic_error(std::string("hook on ") + where +
                                   ": returned a gradient of "
                                   "dtype " +
                                   to_string(r.dtype()) + ", expected " + to_string(g.dtype()));
        }
        g = std::move(r);
    });
    return g;
}

// Leaves are shared between passes (two threads may backpropagate into one parameter): their
// .grad is updated under one of a few striped locks, chosen by the leaf's address.
std::mutex& leaf_lock(const TensorImpl* leaf) {
    static std::mutex locks[64];
    return locks[(reinterpret_cast<uintptr_t>(leaf) >> 6) % 64];
}

// t.grad += g, as LibTorch's AccumulateGrad: detached unless create_graph, laid out as a fresh
// tensor (so optimizers may read it flat), under the tensor's lock (parallel passes may meet).
void accumulate_grad(TensorImpl& t, Tensor g, bool create_graph) {
    // g = g.detach() drops the old handle, so a gradient nobody else holds stays exclusive
    // and becomes .grad without a copy (a detached view beside it would force a clone)
    if (!create_graph) g = g.detach();
    std::lock_guard<std::mutex> lock(leaf_lock(&t));
    accumulate(t.grad, std::move(g), create_graph);
    if (!t.grad.is_contiguous()) t.grad = t.grad.contiguous();
}

// One backward pass. It owns everything the pass needs besides the graph (its plan, the
// gradient buffer of every node it will run, the leaves whose hooks it defers), so passes
// nest and run side by side. In capture mode (autograd::grad) gradients for the requested
// inputs are collected instead of being accumulated into .grad(). It is also the GradSink
// of the node it runs: a backward may write a leaf's gradient straight into its .grad.
class GraphTask final : public GradSink {
public:
    GraphTask(bool keep_graph, bool create_graph)
        : keep_graph_(keep_graph), create_graph_(create_graph) {}

    void capture(const tensor_list& inputs) {
        capturing_ = true;
        captured_.assign(inputs.size(), Tensor());
        targets_ = inputs;
    }
    tensor_list take_captured() { return std::move(captured_); }

    void execute(const tensor_list& roots, const tensor_list& root_grads) {
        AutoGradMode mode(create_graph_);
        std::vector<Node*> root_nodes;
        for (const Tensor& r : roots) root_nodes.push_back(r.grad_fn().get());
        BackwardPlan plan(root_nodes);
        // in place writes give what accumulate_grad would: not so for a recorded sum, a
        // capture, or anomaly mode's check of every returned gradient
        offers_sink_ = !create_graph_ && !capturing_ && !AnomalyMode::is_enabled();
        buffers_.resize(static_cast<size_t>(plan.num_slots()));
        for (size_t i = 0; i < roots.size(); ++i) {
            if (root_nodes[i]) {
                const int64_t s = plan.slot(plan.index_of(root_nodes[i]), roots[i].output_nr());
                accumulate(buffers_[static_cast<size_t>(s)], root_grads[i], create_graph_);
            } else {
                deliver_to_leaf(tapegrad::detail::impl_ptr(roots[i]), root_grads[i]);
            }
        }
        count_hooked_leaves(plan);
        plan.seed(root_nodes);
        while (!plan.done()) {
            const int64_t i = plan.pop();
            run_node(plan, i);
            plan.finish(i);
        }
        flush_hooked_leaves();
    }

private:
    void run_node(const BackwardPlan& plan, int64_t index) {
        Node& node = plan.node(index);
        // the summed gradient of each output; a node runs when any output received one
        const size_t n_out = node.num_outputs();
        grad_outs_.resize(n_out);
        bool any = false;
        for (size_t k = 0; k < n_out; ++k) {
            Tensor& g = grad_outs_[k];
            g = std::move(
                buffers_[static_cast<size_t>(plan.slot(index, static_cast<uint32_t>(k)))]);
            if (!g.defined()) continue;
            any = true;
            g = run_hooks(node.hooks(k), std::move(g), node.op());
            if (auto kept = node.retained(k).lock()) {
                Tensor r = create_graph_ ? g : g.detach();
                std::lock_guard<std::mutex> lock(leaf_lock(kept.get()));
                accumulate(kept->grad, r, create_graph_);
            }
            capture_node(node, static_cast<uint32_t>(k), g);
        }
        Grads grads;
        if (any) {
            check_versions(node);
            sink_node_ = &node;
            grads = node.apply(grad_outs_, offers_sink_ ? this : nullptr);
            // drop our handles, so a gradient passed through unchanged (add's) stays exclusive
            // and is summed in place downstream instead of being copied
            for (Tensor& g : grad_outs_) g = Tensor();
            if (grads.size() != node.next_edges().size()) {
                throw std::logic_error("backward of " + node.name() + ": returned " +
                                       std::to_string(grads.size()) + " gradients for " +
                                       std::to_string(node.next_edges().size()) + " inputs");
            }
        }
        if (!keep_graph_) node.release();
        const std::vector<Edge>& edges = node.next_edges();
        for (size_t k = 0; k < edges.size(); ++k) {
            const Edge& e = edges[k];
            const bool has_grad = !grads.empty() && grads[k].defined();
            if (e.fn) {
                if (!has_grad) continue;
                Tensor g = std::move(grads[k]);
                check_shape(node, k, g, e.fn->output_dims(e.output_nr),
                            e.fn->output_dtype(e.output_nr));
                const bool any_layout = !g.is_contiguous() && e.fn->takes_any_layout();
                accumulate(
                    buffers_[static_cast<size_t>(plan.slot(plan.target(index, k), e.output_nr))],
                    std::move(g), create_graph_, any_layout);
            } else if (auto leaf = e.leaf.lock()) {
                if (has_grad) {
                    check_shape(node, k, grads[k], leaf->sizes, leaf->dtype);
                    deliver_to_leaf(leaf, std::move(grads[k]));
                }
                contribution_done(leaf.get());
            }
        }
    }

    // A backward reads the inputs its op saved: if one was changed in place since, the
    // gradient would be silently wrong, so refuse (as LibTorch does).
    static void check_versions(const Node& node) {
        const std::vector<Edge>& edges = node.next_edges();
        for (size_t i = 0; i < edges.size(); ++i) {
            if (!edges[i].modified()) continue;
            const std::shared_ptr<Storage> s = edges[i].storage.lock();
            throw std::logic_error(
                "backward: a tensor needed for the gradient of '" + node.name() + "' (input " +
                std::to_string(i) + ") was modified in place by " +
                (s->last_inplace ? s->last_inplace : "an in-place op") +
                " after it was used; clone() it before modifying, or modify it after backward");
        }
    }

    void capture_node(const Node& node, uint32_t output_nr, const Tensor& g) {
        if (!capturing_) return;
        for (size_t i = 0; i < targets_.size(); ++i)
            if (targets_[i].grad_fn().get() == &node && targets_[i].output_nr() == output_nr)
                captured_[i] = g;
    }

    // A leaf with hooks gets its contributions summed first, so that its hooks see the whole
    // gradient of this pass once; they run as soon as the last node that feeds the leaf has run
    // (as LibTorch's AccumulateGrad), so a hook may start work on a finished gradient while the
    // rest of backward goes on (DistributedDataParallel's all-reduce). Other leaves add directly.
    struct HookedLeaf {
        std::shared_ptr<TensorImpl> leaf;  // null once flushed
        Tensor sum;
        int64_t pending = 0;  // edges into the leaf from nodes that have not run yet
    };

    HookedLeaf* find_hooked(const TensorImpl* leaf) {
        for (HookedLeaf& h : hooked_)
            if (h.leaf.get() == leaf) return &h;
        return nullptr;
    }

    void count_hooked_leaves(const BackwardPlan& plan) {
        for (int64_t i = 0; i < plan.size(); ++i) {
            for (const Edge& e : plan.node(i).next_edges()) {
                if (e.fn) continue;
                std::shared_ptr<TensorImpl> leaf = e.leaf.lock();
                if (!leaf || leaf->hooks.empty()) continue;
                HookedLeaf* h = find_hooked(leaf.get());
                if (!h) h = &hooked_.emplace_back(HookedLeaf{std::move(leaf), Tensor(), 0});
                ++h->pending;
            }
        }
    }

    void deliver_to_leaf(const std::shared_ptr<TensorImpl>& leaf, Tensor g) {
        HookedLeaf* h = find_hooked(leaf.get());
        if (!h) {
            if (leaf->hooks.empty()) return accumulate_leaf(*leaf, std::move(g));
            // a root, or a hook added during this pass: its hooks run at the end
            h = &hooked_.emplace_back(HookedLeaf{leaf, Tensor(), 0});
        }
        accumulate(h->sum, std::move(g), create_graph_);
    }

    void contribution_done(const TensorImpl* leaf) {
        HookedLeaf* h = find_hooked(leaf);
        if (h && h->pending > 0 && --h->pending == 0) flush(*h);
    }

    void flush(HookedLeaf& h) {
        std::shared_ptr<TensorImpl> leaf = std::move(h.leaf);
        if (h.sum.defined())
            accumulate_leaf(*leaf, run_hooks(leaf->hooks, std::move(h.sum), "a leaf"));
    }

    void flush_hooked_leaves() {
        for (size_t i = 0; i < hooked_.size(); ++i)  // a hook may add entries: index, not iterator
            if (hooked_[i].leaf) flush(hooked_[i]);
        hooked_.clear();
    }

    void accumulate_leaf(TensorImpl& leaf, Tensor g) {
        if (capturing_) {
            for (size_t i = 0; i < targets_.size(); ++i)
                if (targets_[i].is_leaf() && &tapegrad::detail::impl(targets_[i]) == &leaf)
                    accumulate(captured_[i], g, create_graph_);
            return;
        }
        if (!leaf.requires_grad) return;
        accumulate_grad(leaf, std::move(g), create_graph_);
    }

    // GradSink: input k of the running node is a leaf whose .grad may take the write (see
    // GradSink in node.hpp for the rules); under its lock, as accumulate_grad.
    bool write_into(size_t input, Writer writer, const void* f) override {
        const std::vector<Edge>& edges = sink_node_->next_edges();
        if (input >= edges.size() || edges[input].fn) return false;
        const std::shared_ptr<TensorImpl> leaf = edges[input].leaf.lock();
        if (!leaf || !leaf->requires_grad || !leaf->hooks.empty() || find_hooked(leaf.get()))
            return false;
        std::lock_guard<std::mutex> lock(leaf_lock(leaf.get()));
        Tensor& grad = leaf->grad;
        if (!grad.defined()) {
            Tensor fresh = tapegrad::detail::make_tensor(leaf->sizes, leaf->dtype);
            writer(f, fresh, false);
            grad = std::move(fresh);
            return true;
        }
        if (grad.requires_grad() || !exclusive(grad) || !grad.is_contiguous() ||
            grad.dtype() != leaf->dtype || grad.sizes() != leaf->sizes)
            return false;
        tapegrad::detail::begin_inplace("backward (a gradient added into .grad)", grad);
        writer(f, grad, true);
        return true;
    }

    bool keep_graph_, create_graph_;
    bool capturing_ = false;
    bool offers_sink_ = false;
    const Node* sink_node_ = nullptr;  // the node being applied
    tensor_list targets_, captured_;
    std::vector<Tensor> buffers_;  // the summed gradient of each output of each planned node
    tensor_list grad_outs_;        // the gradients handed to the running node
    std::vector<HookedLeaf> hooked_;
};

// The seed gradient of each output: the given one, checked, or ones for a scalar.
tensor_list seed_grads(const char* api, const tensor_list& outputs, const tensor_list& given) {
    if (!given.empty() && given.size() != outputs.size()) {
        throw std::invalid_argument(std::string(api) + ": got " + std::to_string(given.size()) +
                                    " gradients for " + std::to_string(outputs.size()) +
                                    " outputs");
    }
    tensor_list seeds;
    for (size_t i = 0; i < outputs.size(); ++i) {
        const Tensor& out = outputs[i];
        tapegrad::detail::check_defined(api, out, "output");
        if (!out.requires_grad()) {
            throw std::logic_error(std::string(api) +
                                   ": the output does not require grad and has no grad_fn (did "
                                   "any input call requires_grad_(), or did this run under "
                                   "NoGradGuard?)");
        }
        const Tensor g = given.empty() ? Tensor() : given[i];
        if (!g.defined()) {
            if (out.numel() != 1) {
                throw std::logic_error(std::string(api) + ": output has shape " +
                                       shape_str(out.sizes()) +
                                       "; pass a gradient or call it on a scalar");
            }
            seeds.push_back(ones_like(out));
        } else {
            if (g.sizes() != out.sizes()) {
                throw std::invalid_argument(std::string(api) + ": gradient has shape " +
                                            shape_str(g.sizes()) + ", the output has shape " +
                                            shape_str(out.sizes()));
            }
            seeds.push_back(g.dtype() == out.dtype() ? g : g.to(out.dtype()));
        }
    }
    return seeds;
}

}  // namespace

void backward(const tensor_list& outputs, const tensor_list& grad_outputs,
              std::optional<bool> retain_graph, bool create_graph, const tensor_list& inputs) {
    const tensor_list seeds = seed_grads("backward", outputs, grad_outputs);
    GraphTask task(retain_graph.value_or(create_graph), create_graph);
    if (inputs.empty()) return task.execute(outputs, seeds);
    // with `inputs`, only they receive gradients: collect them, then accumulate as leaves do
    for (size_t i = 0; i < inputs.size(); ++i) {
        tapegrad::detail::check_defined("backward", inputs[i], "input");
        if (!inputs[i].requires_grad()) {
            throw std::invalid_argument("backward: input " + std::to_string(i) + " of shape " +
                                        shape_str(inputs[i].sizes()) + " does not require grad");
        }
    }
    task.capture(inputs);
    task.execute(outputs, seeds);
    tensor_list grads = task.take_captured();
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (grads[i].defined())
            accumulate_grad(tapegrad::detail::impl(inputs[i]), grads[i], create_graph);
    }
}

tensor_list grad(const tensor_list& outputs, const tensor_list& inputs,
                 const tensor_list& grad_outputs, std::optional<bool> retain_graph,
                 bool create_graph, bool allow_unused) {
    for (size_t i = 0; i < inputs.size(); ++i) {
        tapegrad::detail::check_defined("grad", inputs[i], "input");
        if (!inputs[i].requires_grad()) {
            throw std::invalid_argument("grad: input " + std::to_string(i) +
                                        " does not require grad");
        }
    }
    const tensor_list seeds = seed_grads("grad", outputs, grad_outputs);
    GraphTask task(retain_graph.value_or(create_graph), create_graph);
    task.capture(inputs);
    task.execute(outputs, seeds);
    tensor_list result = task.take_captured();
    for (size_t i = 0; i < result.size(); ++i) {
        if (!result[i].defined() && !allow_unused) {
            throw std::invalid_argument(
                "grad: input " + std::to_string(i) + " of shape " + shape_str(inputs[i].sizes()) +
                " was not used to compute the outputs; pass allow_unused=true to get an "
                "undefined tensor for it");
        }
    }
    return result;
}

}  // namespace autograd
}  // namespace tapegrad
