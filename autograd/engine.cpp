// The backward pass: order the graph, sweep it in reverse, accumulate, free.
//
// 1. Walk the graph from the outputs with an explicit stack (never recursion), counting for
//    every node how many edges point at it: the gradients it must wait for.
// 2. Start from the outputs. A node runs once all its gradients have arrived and been summed;
//    its backward turns the output gradient into one gradient per input, which is added to
//    the input's node (or, for a leaf, to its .grad()).
// 3. Unless retain_graph, each node frees what it saved as soon as it has run.

#include "autograd/engine.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"

namespace tapegrad {
namespace autograd {

namespace {

// True when nobody else can see `t`'s buffer, so adding into it in place is safe.
bool exclusive(const Tensor& t) {
    return t.impl_ptr().use_count() == 1 && t.impl().storage.use_count() == 1;
}

// slot += g, recorded when create_graph (grad mode is then on), in place when it is safe.
void accumulate(Tensor& slot, Tensor g, bool create_graph) {
    if (!slot.defined()) {
        slot = (create_graph || exclusive(g)) ? std::move(g) : g.detach().clone();
    } else if (create_graph || !exclusive(slot)) {
        slot = slot + g;
    } else {
        slot.add_(g);
    }
}

void check_shape(const Node& node, size_t input, const Tensor& g,
                 const std::vector<int64_t>& expected, ScalarType dtype) {
    if (g.sizes() != expected) {
        throw std::logic_error("backward of " + node.name() + ": gradient for input " +
                               std::to_string(input) + " has shape " + shape_str(g.sizes()) +
                               ", expected " + shape_str(expected));
    }
    if (g.dtype() != dtype) {
        throw std::logic_error("backward of " + node.name() + ": gradient for input " +
                               std::to_string(input) + " has dtype " + to_string(g.dtype()) +
                               ", expected " + to_string(dtype));
    }
}

Tensor run_hooks(const std::vector<GradHook>& hooks, Tensor g, const char* where) {
    for (const GradHook& hook : hooks) {
        if (!hook) continue;  // removed
        Tensor r = hook(g);
        if (!r.defined()) continue;
        if (r.sizes() != g.sizes()) {
            throw std::logic_error(std::string("hook on ") + where + ": returned a gradient of "
                                   "shape " + shape_str(r.sizes()) + ", expected " +
                                   shape_str(g.sizes()));
        }
        g = std::move(r);
    }
    return g;
}

// One backward pass. In capture mode (autograd::grad) gradients for the requested inputs are
// collected instead of being accumulated into .grad().
class GraphTask {
public:
    GraphTask(bool keep_graph, bool create_graph)
        : keep_graph_(keep_graph), create_graph_(create_graph) {}

    ~GraphTask() {
        // reset the scratch state, also when a backward threw halfway
        for (Node* n : visited_) {
            n->visited_ = false;
            n->dependencies_ = 0;
            n->pending_grad_ = Tensor();
        }
    }

    void capture(const tensor_list& inputs) {
        capturing_ = true;
        captured_.assign(inputs.size(), Tensor());
        targets_ = inputs;
    }
    tensor_list take_captured() { return std::move(captured_); }

    void execute(const tensor_list& roots, const tensor_list& root_grads) {
        AutoGradMode mode(create_graph_);
        std::vector<std::shared_ptr<Node>> stack;
        for (const Tensor& r : roots)
            if (r.grad_fn()) discover(r.grad_fn());
        for (size_t i = 0; i < roots.size(); ++i) {
            if (roots[i].grad_fn()) {
                accumulate(roots[i].grad_fn()->pending_grad_, root_grads[i], create_graph_);
            } else {
                deliver_to_leaf(roots[i].impl_ptr(), root_grads[i]);
            }
        }
        for (const Tensor& r : roots) {
            const std::shared_ptr<Node>& n = r.grad_fn();
            bool queued = false;
            for (const auto& s : stack) queued = queued || s == n;
            if (n && n->dependencies_ == 0 && !queued) stack.push_back(n);
        }
        while (!stack.empty()) {
            std::shared_ptr<Node> node = std::move(stack.back());
            stack.pop_back();
            run_node(*node, stack);
        }
        flush_hooked_leaves();
    }

private:
    void discover(const std::shared_ptr<Node>& root) {
        if (root->visited_) return;
        std::vector<Node*> todo{root.get()};
        root->visited_ = true;
        visited_.push_back(root.get());
        while (!todo.empty()) {
            Node* n = todo.back();
            todo.pop_back();
            for (const Edge& e : n->next_edges()) {
                if (!e.fn) continue;
                e.fn->dependencies_++;
                if (!e.fn->visited_) {
                    e.fn->visited_ = true;
                    visited_.push_back(e.fn.get());
                    todo.push_back(e.fn.get());
                }
            }
        }
    }

    void run_node(Node& node, std::vector<std::shared_ptr<Node>>& stack) {
        Tensor grad_out = std::move(node.pending_grad_);
        node.pending_grad_ = Tensor();
        Grads grads;
        if (grad_out.defined()) {
            grad_out = run_hooks(node.pre_hooks, std::move(grad_out), node.op());
            if (auto kept = node.retained.lock()) {
                Tensor g = create_graph_ ? grad_out : grad_out.detach();
                accumulate(kept->grad, g, create_graph_);
            }
            capture_node(node, grad_out);
            check_versions(node);
            grads = node.apply(grad_out);
            if (grads.size() != node.next_edges().size()) {
                throw std::logic_error("backward of " + node.name() + ": returned " +
                                       std::to_string(grads.size()) + " gradients for " +
                                       std::to_string(node.next_edges().size()) + " inputs");
            }
        }
        if (!keep_graph_) node.release();
        const std::vector<Edge>& edges = node.next_edges();
        for (size_t i = 0; i < edges.size(); ++i) {
            const Edge& e = edges[i];
            Tensor g = grads.empty() ? Tensor() : std::move(grads[i]);
            if (e.fn) {
                if (g.defined()) {
                    check_shape(node, i, g, e.fn->output_sizes(), e.fn->output_dtype());
                    accumulate(e.fn->pending_grad_, std::move(g), create_graph_);
                }
                if (--e.fn->dependencies_ == 0) stack.push_back(e.fn);
            } else if (g.defined()) {
                if (auto leaf = e.leaf.lock()) {
                    check_shape(node, i, g, leaf->sizes, leaf->dtype);
                    deliver_to_leaf(leaf, std::move(g));
                }
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

    void capture_node(const Node& node, const Tensor& g) {
        if (!capturing_) return;
        for (size_t i = 0; i < targets_.size(); ++i)
            if (targets_[i].grad_fn().get() == &node) captured_[i] = g;
    }

    // A leaf with hooks gets its contributions summed first, so that its hooks see the whole
    // gradient of this pass once (as LibTorch's AccumulateGrad); other leaves add directly.
    void deliver_to_leaf(const std::shared_ptr<TensorImpl>& leaf, Tensor g) {
        if (leaf->hooks.empty()) return accumulate_leaf(*leaf, std::move(g));
        for (auto& [held, sum] : hooked_) {
            if (held == leaf) return accumulate(sum, std::move(g), create_graph_);
        }
        hooked_.emplace_back(leaf, Tensor());
        accumulate(hooked_.back().second, std::move(g), create_graph_);
    }

    void flush_hooked_leaves() {
        for (auto& [leaf, sum] : hooked_)
            accumulate_leaf(*leaf, run_hooks(leaf->hooks, std::move(sum), "a leaf"));
        hooked_.clear();
    }

    void accumulate_leaf(TensorImpl& leaf, Tensor g) {
        if (capturing_) {
            for (size_t i = 0; i < targets_.size(); ++i)
                if (targets_[i].is_leaf() && &targets_[i].impl() == &leaf)
                    accumulate(captured_[i], g, create_graph_);
            return;
        }
        if (!leaf.requires_grad) return;
        // g = g.detach() drops the old handle, so a gradient nobody else holds stays exclusive
        // and becomes .grad without a copy (a detached view beside it would force a clone)
        if (!create_graph_) g = g.detach();
        accumulate(leaf.grad, std::move(g), create_graph_);
    }

    bool keep_graph_, create_graph_;
    bool capturing_ = false;
    tensor_list targets_, captured_;
    std::vector<Node*> visited_;
    std::vector<std::pair<std::shared_ptr<TensorImpl>, Tensor>> hooked_;
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
              std::optional<bool> retain_graph, bool create_graph) {
    const tensor_list seeds = seed_grads("backward", outputs, grad_outputs);
    GraphTask task(retain_graph.value_or(create_graph), create_graph);
    task.execute(outputs, seeds);
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
