#include "distributed/reducer.hpp"

#include <chrono>
#include <stdexcept>
#include <unordered_set>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace distributed {

struct Reducer::Impl {
    struct Bucket {
        ScalarType dtype;
        Tensor flat;                 // [total numel], the slots of its parameters end to end
        std::vector<size_t> vars;    // parameter indices
        size_t pending = 0;          // slots not filled yet in this iteration
        std::shared_ptr<Work> work;  // the running all-reduce
    };

    std::vector<Tensor> params;
    std::vector<std::string> names;
    std::shared_ptr<ProcessGroup> pg;
    bool find_unused = false;
    bool require_sync = true;

    std::vector<Bucket> buckets;
    std::vector<size_t> bucket_of;   // parameter -> bucket
    std::vector<int64_t> offset_of;  // parameter -> first element of its slot
    std::vector<unsigned> hook_handles;

    // the iteration in progress
    std::vector<bool> ready;
    size_t num_ready = 0;
    size_t next_bucket = 0;
    bool prepared = false;
    double wait_seconds = 0;  // total time spent waiting for buckets, for benchmarks
    bool checked = false;     // an iteration's all-reduces were checked to agree across ranks

    Tensor slot(size_t i) const {
        const Bucket& b = buckets[bucket_of[i]];
        return b.flat.slice(0, offset_of[i], offset_of[i] + params[i].numel());
    }

    void reset_iteration() {
        ready.assign(params.size(), false);
        num_ready = 0;
        next_bucket = 0;
        prepared = false;
        for (Bucket& b : buckets) {
            b.pending = b.vars.size();
            b.work.reset();
        }
    }

    bool in_progress() const { return num_ready > 0 || prepared; }

    std::string unready_names() const {
        std::string s;
        for (size_t i = 0; i < params.size(); ++i)
            if (!ready[i]) s += (s.empty() ? "" : ", ") + names[i];
        return s;
    }

    // The slot of parameter i gets `grad` plus `also` (either may be undefined: zeros), written
    // in place (no temporary sum), and its bucket starts once all its slots are filled.
    void mark_ready(size_t i, const Tensor& grad, const Tensor& also = Tensor()) {
        Tensor s = slot(i);
        {
            NoGradGuard no_grad;
            if (grad.defined())
                s.copy_(grad.reshape({-1}));
            else
                s.zero_();
            if (also.defined()) s.add_(also.reshape({-1}));
        }
        ready[i] = true;
        ++num_ready;
        Bucket& b = buckets[bucket_of[i]];
        --b.pending;
        // buckets start in order only, so that every rank issues the same sequence; that
        // sequence is checked across ranks in the first iteration only (the check is a
        // collective of its own that makes the ranks wait for each other at every bucket)
        while (next_bucket < buckets.size() && buckets[next_bucket].pending == 0) {
            Bucket& nb = buckets[next_bucket++];
            AllreduceOptions opts;
            opts.reduceOp = ReduceOp::AVG;
            opts.check_agreement = !checked;
            nb.work = pg->allreduce({nb.flat}, opts);
        }
    }

    // Waits for every bucket and writes the averages into .grad, except for parameter `current`
    // (whose hook is running: the engine writes its .grad after the hook), whose average is
    // returned.
    Tensor finish(size_t current) {
        for (size_t i = 0; i < params.size(); ++i)
            if (!ready[i]) mark_ready(i, params[i].grad());  // unused in this backward
        const auto start = std::chrono::steady_clock::now();
        for (Bucket& b : buckets) b.work->wait();
        wait_seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        Tensor result;
        NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i) {
            Tensor avg = slot(i).view(params[i].sizes());
            if (i == current) {
                result = avg.clone();
                params[i].mutable_grad() = Tensor();  // the engine sets .grad = result
            } else if (params[i].grad().defined()) {
                params[i].grad().copy_(avg);
            } else {
                params[i].mutable_grad() = avg.clone();
            }
        }
        checked = true;
        reset_iteration();
        return result;
    }

    // The hook of parameter i, with the gradient of this backward pass.
    Tensor on_gradient(size_t i, const Tensor& g) {
        if (!require_sync) return Tensor();  // no_sync: accumulate locally
        if (g.requires_grad())
            throw std::logic_error(
                "DistributedDataParallel: backward with create_graph=true is "
                "not supported (parameter " +
                names[i] + ")");
        if (ready[i])
            throw std::logic_error(
                "DistributedDataParallel: parameter " + names[i] +
                " received a gradient twice in one iteration; gradients of parameters not yet "
                "reached are still pending: " +
                unready_names() +
                ". Accumulate with no_sync(), or pass find_unused_parameters(true) when some "
                "parameters get no gradient");
        mark_ready(i, g, params[i].grad());  // what .grad holds plus this pass's gradient
        // unused parameters were marked ready by prepare_for_backward
        return num_ready == params.size() ? finish(i) : Tensor();
    }
};

Reducer::Reducer(std::vector<Tensor> params, std::vector<std::string> names,
                 std::shared_ptr<ProcessGroup> process_group, int64_t bucket_bytes_cap,
                 bool find_unused_parameters)
    : impl_(std::make_shared<Impl>()) {
    if (!process_group) throw std::invalid_argument("Reducer: the process group is null");
    if (params.size() != names.size())
        throw std::invalid_argument("Reducer: " + std::to_string(params.size()) +
                                    " parameters but " + std::to_string(names.size()) + " names");
    if (bucket_bytes_cap <= 0)
        throw std::invalid_argument("Reducer: bucket_bytes_cap must be positive, got " +
                                    std::to_string(bucket_bytes_cap));
    Impl& m = *impl_;
    m.params = std::move(params);
    m.names = std::move(names);
    m.pg = std::move(process_group);
    m.find_unused = find_unused_parameters;
    for (size_t i = 0; i < m.params.size(); ++i) {
        const Tensor& p = m.params[i];
        if (!p.defined() || !p.requires_grad() || !p.is_leaf())
            throw std::invalid_argument("Reducer: parameter " + m.names[i] +
                                        " is not a leaf that requires grad");
    }
    // reverse registration order: backward reaches the last layers first
    m.bucket_of.assign(m.params.size(), 0);
    m.offset_of.assign(m.params.size(), 0);
    std::vector<std::vector<size_t>> groups;
    std::vector<int64_t> group_bytes;
    for (size_t k = m.params.size(); k-- > 0;) {
        const Tensor& p = m.params[k];
        const int64_t bytes = p.numel() * p.element_size();
        const bool fits = !groups.empty() && m.params[groups.back().front()].dtype() == p.dtype() &&
                          group_bytes.back() + bytes <= bucket_bytes_cap;
        if (!fits) {
            groups.emplace_back();
            group_bytes.push_back(0);
        }
        groups.back().push_back(k);
        group_bytes.back() += bytes;
    }
    for (const std::vector<size_t>& vars : groups) {
        Impl::Bucket b;
        b.dtype = m.params[vars.front()].dtype();
        int64_t n = 0;
        for (size_t v : vars) {
            m.bucket_of[v] = m.buckets.size();
            m.offset_of[v] = n;
            n += m.params[v].numel();
        }
        b.flat = zeros({n}, TensorOptions(b.dtype));
        b.vars = vars;
        m.buckets.push_back(std::move(b));
    }
    m.reset_iteration();
    std::weak_ptr<Impl> weak = impl_;
    for (size_t i = 0; i < m.params.size(); ++i) {
        m.hook_handles.push_back(m.params[i].register_hook(GradHook([weak, i](const Tensor& g) {
            const std::shared_ptr<Impl> self = weak.lock();
            return self ? self->on_gradient(i, g) : Tensor();
        })));
    }
}

Reducer::~Reducer() {
    for (size_t i = 0; i < impl_->params.size(); ++i)
        impl_->params[i].remove_hook(impl_->hook_handles[i]);
}

void Reducer::prepare_for_backward(const std::vector<Tensor>& outputs) {
    Impl& m = *impl_;
    if (!m.require_sync) return;
    if (m.in_progress()) {
        const std::string missing = m.unready_names();
        m.reset_iteration();
        throw std::logic_error(
            "DistributedDataParallel: the previous iteration did not reduce the gradients of " +
            missing +
            " (its backward did not reach them): construct with find_unused_parameters(true) "
            "when some parameters are not used, and make sure every output takes part in the "
            "loss");
    }
    m.prepared = true;
    if (!m.find_unused) return;
    // the leaves a backward from `outputs` reaches (iterative walk: no recursion on depth)
    std::unordered_set<const void*> reached;
    std::unordered_set<const autograd::Node*> seen;
    std::vector<const autograd::Node*> stack;
    for (const Tensor& out : outputs) {
        if (!out.defined()) continue;
        if (out.grad_fn()) {
            if (seen.insert(out.grad_fn().get()).second) stack.push_back(out.grad_fn().get());
        } else {
            reached.insert(out.unsafeGetTensorImpl());
        }
    }
    while (!stack.empty()) {
        const autograd::Node* node = stack.back();
        stack.pop_back();
        for (const autograd::Edge& e : node->next_edges()) {
            if (e.fn) {
                if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
            } else if (auto leaf = e.leaf.lock()) {
                reached.insert(leaf.get());
            }
        }
    }
    for (size_t i = 0; i < m.params.size(); ++i)
        if (!reached.count(m.params[i].unsafeGetTensorImpl())) m.mark_ready(i, m.params[i].grad());
    if (m.num_ready == m.params.size()) m.finish(m.params.size());
}

void Reducer::set_require_sync(bool require_sync) {
    impl_->require_sync = require_sync;
}
bool Reducer::require_sync() const {
    return impl_->require_sync;
}

void Reducer::finalize_backward() {
    if (impl_->in_progress()) impl_->finish(impl_->params.size());
}

double Reducer::communication_wait_seconds() const {
    return impl_->wait_seconds;
}

std::vector<std::vector<size_t>> Reducer::bucket_indices() const {
    std::vector<std::vector<size_t>> out;
    for (const Impl::Bucket& b : impl_->buckets) out.push_back(b.vars);
    return out;
}

}  // namespace distributed
}  // namespace tapegrad
