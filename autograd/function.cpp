#include "autograd/function.hpp"

#include "autograd/detail.hpp"
#include "autograd/ops.hpp"
#include "autograd/platform.hpp"

namespace tapegrad {

const char* IValue::tagKind() const {
    static const char* const kinds[] = {"None",   "Bool",    "Int",   "Double",
                                        "String", "IntList", "Tensor"};
    return kinds[v_.index()];
}

namespace autograd {

void AutogradContext::save_for_backward(tensor_list to_save) {
    saved_ = std::move(to_save);
    versions_.clear();
    output_index_.assign(saved_.size(), -1);
}

void AutogradContext::before_forward(const char* name, std::vector<bool> needs_grad) {
    name_ = name;
    needs_grad_ = std::move(needs_grad);
}

void AutogradContext::after_forward(const tensor_list& raw_outputs) {
    versions_.clear();
    output_index_.assign(saved_.size(), -1);
    for (size_t i = 0; i < saved_.size(); ++i) {
        Tensor& s = saved_[i];
        versions_.push_back(s.defined() ? s._version() : 0);
        for (size_t j = 0; j < raw_outputs.size(); ++j) {
            if (!s.defined() || !s.is_same(raw_outputs[j])) continue;
            output_index_[i] = static_cast<int64_t>(j);
            // keep only the data: the output will own this node, which owns this context
            s = s.detach();
        }
    }
}

tensor_list AutogradContext::get_saved_variables() const {
    tensor_list out = saved_;
    for (size_t i = 0; i < out.size(); ++i) {
        if (!out[i].defined()) continue;
        if (i < versions_.size() && out[i]._version() != versions_[i]) {
            throw std::logic_error(std::string(name_) + ": saved tensor " + std::to_string(i) +
                                   " of shape " + shape_str(out[i].sizes()) +
                                   ", needed for the gradient, was modified in place after "
                                   "forward (version " +
                                   std::to_string(versions_[i]) + " then, " +
                                   std::to_string(out[i]._version()) + " now)");
        }
        // an output of forward comes back as this node's output, so that a backward written
        // in terms of it is differentiable
        if (i < output_index_.size() && output_index_[i] >= 0 && node_)
            out[i] = node_->output_tensor(out[i], static_cast<size_t>(output_index_[i]));
    }
    return out;
}

bool AutogradContext::needs_input_grad(size_t index) const {
    return index < needs_grad_.size() && needs_grad_[index];
}

void AutogradContext::mark_dirty(const tensor_list& inputs) {
    dirty_.insert(dirty_.end(), inputs.begin(), inputs.end());
}

void AutogradContext::mark_non_differentiable(const tensor_list& outputs) {
    non_differentiable_.insert(non_differentiable_.end(), outputs.begin(), outputs.end());
}

bool AutogradContext::is_dirty(const Tensor& t) const {
    for (const Tensor& d : dirty_)
        if (d.defined() && d.is_same(t)) return true;
    return false;
}

bool AutogradContext::is_non_differentiable(const Tensor& t) const {
    for (const Tensor& d : non_differentiable_)
        if (d.defined() && d.is_same(t)) return true;
    return false;
}

namespace detail {

std::string function_name(const char* mangled) {
    std::string name = tapegrad::detail::demangle(mangled);
    // drop the namespaces ("(anonymous namespace)::Cube" -> "Cube"), not template arguments
    const size_t open = name.find('<');
    const size_t colon = name.rfind("::", open);
    if (colon != std::string::npos && (open == std::string::npos || colon < open))
        name = name.substr(colon + 2);
    return name;
}

FunctionNode::FunctionNode(const char* name, std::vector<Edge> next,
                           std::shared_ptr<AutogradContext> ctx, Backward backward,
                           std::vector<bool> is_tensor, const char* rule)
    : Node(name, std::move(next)),
      ctx_(std::move(ctx)),
      backward_(std::move(backward)),
      is_tensor_(std::move(is_tensor)),
      rule_(rule) {}

tensor_list FunctionNode::connect(const tensor_list& /*inputs*/, const tensor_list& raw) {
    set_num_outputs(raw.size());
    auto self = std::static_pointer_cast<FunctionNode>(shared_from_this());
    tensor_list outs;
    for (size_t j = 0; j < raw.size(); ++j) {
        const Tensor& r = raw[j];
        if (!r.defined()) {
            throw std::logic_error(std::string(op()) + ": forward returned an undefined tensor");
        }
        if (ctx_->is_dirty(r)) {
            // an input changed in place: it takes this node's history, as after x.mul_(2)
            Tensor in = r;
            if (in.is_leaf() && in.requires_grad()) {
                throw std::logic_error(std::string(op()) +
                                       ": forward modified a leaf that requires grad in place "
                                       "(marked dirty); clone() it first");
            }
            if (in.is_view()) {
                throw std::logic_error(std::string(op()) +
                                       ": mark_dirty on a view is not supported; clone() the "
                                       "view before the function, or pass its base");
            }
            attach_output(in, self, j);
            outs.push_back(in);
            continue;
        }
        Tensor out = r.detach();  // a handle of its own: r may be an input returned unchanged
        if (ctx_->is_non_differentiable(r) || !out.is_floating_point()) {
            set_output_meta(j, out.sizes(), out.dtype());
        } else {
            attach_output(out, self, j);
        }
        outs.push_back(std::move(out));
    }
    return outs;
}

Tensor FunctionNode::output_tensor(const Tensor& raw, size_t k) const {
    const TensorImpl& r = tapegrad::detail::impl(raw);
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = r.storage;
    impl->offset = r.offset;
    impl->dtype = r.dtype;
    impl->set_geometry(r.sizes, r.strides.data());
    impl->grad_fn = std::const_pointer_cast<Node>(shared_from_this());
    impl->output_nr = static_cast<uint32_t>(k);
    impl->requires_grad = true;
    return tapegrad::detail::wrap(std::move(impl));
}

Grads FunctionNode::run_all(const tensor_list& grad_outputs) {
    tensor_list grads = grad_outputs;
    for (size_t k = 0; k < grads.size(); ++k)
        if (!grads[k].defined() && ctx_->materialize_grads_)
            grads[k] = zeros(output_sizes(k), TensorOptions(output_dtype(k)));
    struct Current {  // the context's outputs connect to this node while backward runs
        AutogradContext* ctx;
        ~Current() { ctx->node_ = nullptr; }
    } current{ctx_.get()};
    ctx_->node_ = this;
    const tensor_list result = backward_(ctx_.get(), std::move(grads));
    size_t n_tensors = 0;
    for (bool t : is_tensor_) n_tensors += t;
    // LibTorch's rule: one gradient per argument of forward (trailing undefined extras are
    // ignored); also accepted: one per tensor argument
    size_t n = result.size();
    while (n > is_tensor_.size() && !result[n - 1].defined()) --n;
    if (n != is_tensor_.size() && n != n_tensors) {
        throw std::logic_error(std::string("backward of ") + op() + ": returned " +
                               std::to_string(result.size()) + " gradients, expected " +
                               std::to_string(is_tensor_.size()) +
                               " (one per argument of forward)");
    }
    if (n == n_tensors && n != is_tensor_.size()) return Grads(result.begin(), result.begin() + n);
    Grads per_tensor;
    for (size_t k = 0; k < is_tensor_.size(); ++k) {
        if (is_tensor_[k])
            per_tensor.push_back(result[k]);
        else if (result[k].defined()) {
            throw std::logic_error(std::string("backward of ") + op() +
                                   ": returned a gradient for argument " + std::to_string(k) +
                                   ", which is not a tensor; return an undefined Tensor()");
        }
    }
    return per_tensor;
}

void FunctionNode::release_saved() {
    ctx_.reset();
}

tensor_list unrecorded_outputs(const AutogradContext&, const tensor_list&, const tensor_list& raw) {
    return raw;  // dirty inputs are returned as themselves already
}

void check_forward_writes(const char* name, const AutogradContext& ctx, const tensor_list& inputs,
                          const std::vector<uint64_t>& before, const tensor_list& raw) {
    for (size_t k = 0; k < inputs.size(); ++k) {
        const Tensor& in = inputs[k];
        if (!in.defined() || in._version() == before[k] || ctx.is_dirty(in)) continue;
        throw std::logic_error(std::string(name) + ": forward modified its tensor argument " +
                               std::to_string(k) + " (shape " + shape_str(in.sizes()) +
                               ") in place; declare it with ctx->mark_dirty({...}) and return it");
    }
    for (const Tensor& d : ctx.dirty_) {
        bool returned = false;
        for (const Tensor& r : raw) returned = returned || (r.defined() && r.is_same(d));
        if (!returned) {
            throw std::logic_error(std::string(name) +
                                   ": a tensor marked dirty must also be returned by forward");
        }
    }
}

}  // namespace detail
}  // namespace autograd
}  // namespace tapegrad
