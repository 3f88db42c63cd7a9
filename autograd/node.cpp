#include "autograd/node.hpp"

#include <cmath>
#include <stdexcept>

#include "autograd/detail.hpp"

namespace tapegrad {
namespace autograd {

namespace {
thread_local uint64_t next_sequence_nr = 0;

// True when a floating tensor holds a NaN or an infinity.
bool has_non_finite(const Tensor& t) {
    if (!t.defined() || !t.is_floating_point()) return false;
    const Tensor d = tapegrad::detail::dense(t);
    return tapegrad::detail::dispatch_floating(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* p = d.data_ptr<T>();
        for (int64_t i = 0; i < d.numel(); ++i)
            if (!std::isfinite(p[i])) return true;
        return false;
    });
}

// "mul <- add <- linear <- (leaf)": the ops that led to a node along its first inputs.
std::string describe_path(const char* op, const std::vector<Edge>& next) {
    std::string s = op;
    const Edge* e = next.empty() ? nullptr : &next[0];
    for (int depth = 0; e && depth < 12; ++depth) {
        if (e->fn) {
            s += " <- ";
            s += e->fn->op();
            e = e->fn->next_edges().empty() ? nullptr : &e->fn->next_edges()[0];
        } else {
            s += e->is_valid() ? " <- (leaf)" : " <- (input without grad)";
            e = nullptr;
        }
    }
    return s;
}
}  // namespace

GradSink& GradSink::none() {
    struct Refuses final : GradSink {
        bool write_into(size_t, Writer, const void*) override { return false; }
    };
    static Refuses sink;
    return sink;
}

Node::Node(const char* op, std::vector<Edge> next, uint32_t traits)
    : op_(op), traits_(traits), next_(std::move(next)), seq_(next_sequence_nr++) {}

Node::~Node() {
    for (Edge& e : next_)
        if (e.fn) detail::release_node(std::move(e.fn));
}

Grads Node::apply(const tensor_list& grad_outputs, GradSink* sink) {
    if (state_.fetch_add(kApplying, std::memory_order_acquire) & (kReleased | kReleasePending)) {
        end_apply();
        throw std::logic_error(
            std::string("backward: the graph through '") + op_ +
            "' was already freed by an earlier backward(); pass retain_graph=true to the first "
            "backward() to run backward through it again");
    }
    Grads grads;
    try {
        grads = sink && more_.empty() ? run_into(grad_outputs[0], *sink) : run_all(grad_outputs);
    } catch (...) {
        end_apply();
        throw;
    }
    end_apply();
    if (AnomalyMode::is_enabled() && AnomalyMode::should_check_nan()) {
        for (size_t i = 0; i < grads.size(); ++i) {
            if (has_non_finite(grads[i])) {
                throw std::runtime_error(std::string("anomaly: the backward of '") + op_ +
                                         "' produced NaN or Inf in "
                                         "the gradient for input " +
                                         std::to_string(i) + " (shape " +
                                         shape_str(grads[i].sizes()) +
                                         "); the node was created by " +
                                         (context_.empty() ? std::string(op_) : context_));
            }
        }
    }
    return grads;
}

// The last apply to finish performs a release that was asked for while it ran.
void Node::end_apply() {
    const uint32_t before = state_.fetch_sub(kApplying, std::memory_order_acq_rel);
    if (before == (kApplying | kReleasePending)) {
        uint32_t expected = kReleasePending;
        if (state_.compare_exchange_strong(expected, kReleased)) release_now();
    }
}

void Node::release() {
    uint32_t s = state_.load(std::memory_order_acquire);
    while (!(s & (kReleased | kReleasePending))) {
        const uint32_t next = s < kApplying ? kReleased : (s | kReleasePending);
        if (state_.compare_exchange_weak(s, next, std::memory_order_acq_rel)) {
            if (next == kReleased) release_now();
            return;
        }
    }
}

void Node::release_now() {
    release_saved();
    out_storage_.reset();
    // A hook may hold a tensor that owns this node (h.register_hook([h] ...)): a cycle. A
    // freed node never runs its hooks again, so each becomes an empty one: what it captured
    // goes, and its handle stays valid for remove_hook.
    first_.hooks.disarm();
    for (Output& o : more_) o.hooks.disarm();
}

Tensor Node::saved_output() {
    if (out_storage_->version != out_version_) {
        throw std::logic_error(
            std::string("backward: a tensor needed for the gradient of '") + op_ +
            "' (its output) was modified in place by " +
            (out_storage_->last_inplace ? out_storage_->last_inplace : "an in-place op") +
            " after it was computed");
    }
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = out_storage_;
    impl->offset = out_offset_;
    impl->set_geometry(first_.sizes.vec(), out_strides_.data());
    impl->dtype = first_.dtype;
    impl->requires_grad = true;
    impl->grad_fn = shared_from_this();
    return tapegrad::detail::wrap(std::move(impl));
}

void attach(Tensor& out, const std::shared_ptr<Node>& node, bool save_output, const char* rule) {
    TensorImpl& o = tapegrad::detail::impl(out);
    node->first_.sizes.assign(o.sizes);
    node->first_.dtype = o.dtype;
    node->rule_ = rule;
    if (save_output) {
        node->out_storage_ = o.storage;
        node->out_offset_ = o.offset;
        node->out_strides_ = o.strides;
        node->out_version_ = o.storage->version;
    }
    if (AnomalyMode::is_enabled()) {
        node->context_ = describe_path(node->op_, node->next_);
        if (AnomalyMode::should_check_nan() && has_non_finite(out)) {
            throw std::runtime_error(std::string("anomaly: the forward of '") + node->op_ +
                                     "' produced NaN or Inf in its output of shape " +
                                     shape_str(o.sizes) + "; the op was reached by " +
                                     node->context_);
        }
    }
    if (o.grad_fn) detail::release_node(std::move(o.grad_fn));  // a view's old history
    o.grad_fn = node;
    o.output_nr = 0;
    o.requires_grad = true;
}

void attach_output(Tensor& out, const std::shared_ptr<Node>& node, size_t k) {
    TensorImpl& o = tapegrad::detail::impl(out);
    Node::Output& slot = node->output(k);
    slot.sizes.assign(o.sizes);
    slot.dtype = o.dtype;
    if (AnomalyMode::is_enabled()) node->context_ = describe_path(node->op_, node->next_);
    if (o.grad_fn) detail::release_node(std::move(o.grad_fn));
    o.grad_fn = node;
    o.output_nr = static_cast<uint32_t>(k);
    o.requires_grad = true;
}

namespace detail {

bool needs_graph(std::initializer_list<InputRef> inputs) {
    if (!GradMode::is_enabled()) return false;
    for (const Tensor& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

bool needs_graph(const std::vector<Tensor>& inputs) {
    if (!GradMode::is_enabled()) return false;
    for (const Tensor& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

namespace {
Edge edge_to(const Tensor& t, bool saved) {
    if (!t.defined()) return Edge{};
    Edge e;
    if (saved) {
        e.storage = tapegrad::detail::impl(t).storage;
        e.version = tapegrad::detail::impl(t).storage->version;
    }
    if (!t.requires_grad()) return e;
    if (t.grad_fn()) {
        e.fn = t.grad_fn();
        e.output_nr = tapegrad::detail::impl(t).output_nr;
    } else {
        e.leaf = tapegrad::detail::impl_ptr(t);
    }
    return e;
}

template <class List>
std::vector<Edge> edges_of(const List& inputs, uint32_t saved) {
    std::vector<Edge> edges;
    edges.reserve(inputs.size());
    uint32_t bit = 1;
    for (const Tensor& t : inputs) {
        edges.push_back(edge_to(t, (saved & bit) != 0));
        bit = bit << 1 ? bit << 1 : 0x80000000u;  // inputs past 31 share the last bit
    }
    return edges;
}
}  // namespace

std::vector<Edge> make_edges(std::initializer_list<InputRef> inputs, uint32_t saved) {
    return edges_of(inputs, saved);
}

std::vector<Edge> make_edges(const std::vector<Tensor>& inputs, uint32_t saved) {
    return edges_of(inputs, saved);
}

void release_node(std::shared_ptr<Node>&& node) {
    // Nodes whose last owner goes away while we drain are queued here instead of being
    // destroyed inside their parent's destructor: the stack depth stays constant.
    thread_local std::vector<std::shared_ptr<Node>> queue;
    thread_local bool draining = false;
    if (!node) return;
    if (node.use_count() > 1) {  // someone else still owns it: just drop our reference
        node.reset();
        return;
    }
    queue.push_back(std::move(node));
    if (draining) return;
    draining = true;
    while (!queue.empty()) {
        std::shared_ptr<Node> last = std::move(queue.back());
        queue.pop_back();
        last.reset();  // its destructor may queue more nodes
    }
    draining = false;
}

}  // namespace detail
}  // namespace autograd
}  // namespace tapegrad
