#pragma once
// nn::parallel::DistributedDataParallel: data-parallel training over a process group, as
// PyTorch's torch.nn.parallel.DistributedDataParallel (LibTorch's C++ API has none: its users
// all-reduce gradients by hand, as in dist-mnist). Every process runs the same program on its
// own shard of each batch; the wrapper keeps their models identical:
//   - at construction it copies rank 0's parameters and buffers to every rank;
//   - each forward() (in training mode, with broadcast_buffers) copies rank 0's buffers again,
//     so BatchNorm's running statistics are rank 0's everywhere (as PyTorch's default);
//   - during backward it averages the gradients over the ranks in buckets (distributed/reducer),
//     so that when backward() returns every rank holds the same gradients and steps alike.
//
//   auto pg = c10d::ProcessGroupMPI::createProcessGroupMPI();
//   nn::parallel::DistributedDataParallel ddp(model, pg);
//   auto loss = nn::functional::cross_entropy(ddp(x), y);  // this rank's part of the batch
//   loss.backward();                                       // gradients averaged over ranks
//   optimizer.step();
//   { auto guard = ddp.no_sync(); ... backward ... }       // accumulate without communicating

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "distributed/process_group.hpp"
#include "distributed/reducer.hpp"
#include "nn/arg.hpp"

namespace tapegrad {
namespace nn {
namespace parallel {

struct DistributedDataParallelOptions {
    /// Largest bucket of gradients sent in one all-reduce, in MiB (PyTorch's default 25).
    TAPEGRAD_ARG(double, bucket_cap_mb) = 25.0;
    /// Walk the graph after each forward to find the parameters the loss does not use; without
    /// it, an iteration in which some parameter gets no gradient raises at the next forward.
    TAPEGRAD_ARG(bool, find_unused_parameters) = false;
    /// Copy rank 0's buffers to every rank at each forward in training mode.
    TAPEGRAD_ARG(bool, broadcast_buffers) = true;
};

/// Wraps a module (a ModuleHolder such as nn::Sequential or a TORCH_MODULE, or a
/// std::shared_ptr to a Module) so that its gradients are averaged over `process_group`.
template <class ModuleType>
class DistributedDataParallel {
public:
    DistributedDataParallel(ModuleType module,
                            std::shared_ptr<distributed::ProcessGroup> process_group,
                            DistributedDataParallelOptions options = {})
        : module_(std::move(module)), pg_(std::move(process_group)), options_(options) {
        if (!pg_) throw std::invalid_argument("DistributedDataParallel: the process group is null");
        std::vector<Tensor> params;
        std::vector<std::string> names;
        for (const auto& item : module_->named_parameters()) {
            broadcast_from_rank0(item.value());
            if (!item.value().requires_grad()) continue;
            params.push_back(item.value());
            names.push_back(item.key());
        }
        sync_buffers();
        reducer_ = std::make_unique<distributed::Reducer>(
            std::move(params), std::move(names), pg_,
            static_cast<int64_t>(options_.bucket_cap_mb() * 1024 * 1024),
            options_.find_unused_parameters());
    }

    /// Runs the module's forward and prepares the gradient reduction of the coming backward.
    template <class... Args>
    auto forward(Args&&... args) {
        if (options_.broadcast_buffers() && module_->is_training()) sync_buffers();
        auto out = module_->forward(std::forward<Args>(args)...);
        if constexpr (std::is_same_v<std::decay_t<decltype(out)>, Tensor>)
            reducer_->prepare_for_backward({out});
        else if constexpr (std::is_same_v<std::decay_t<decltype(out)>, std::vector<Tensor>>)
            reducer_->prepare_for_backward(out);
        else
            reducer_->prepare_for_backward({});
        return out;
    }
    template <class... Args>
    auto operator()(Args&&... args) {
        return forward(std::forward<Args>(args)...);
    }

    /// The wrapped module (what to save: every rank holds the same parameters).
    ModuleType& module() { return module_; }
    std::vector<Tensor> parameters() const { return module_->parameters(); }
    const std::shared_ptr<distributed::ProcessGroup>& process_group() const { return pg_; }
    distributed::Reducer& reducer() { return *reducer_; }

    /// While alive, backward accumulates gradients locally without communicating; the first
    /// backward after it averages the accumulated gradients (PyTorch's ddp.no_sync()).
    class NoSyncGuard {
    public:
        explicit NoSyncGuard(distributed::Reducer& r) : reducer_(&r), prev_(r.require_sync()) {
            r.set_require_sync(false);
        }
        ~NoSyncGuard() {
            if (reducer_) reducer_->set_require_sync(prev_);
        }
        NoSyncGuard(NoSyncGuard&& other) noexcept
            : reducer_(std::exchange(other.reducer_, nullptr)), prev_(other.prev_) {}
        NoSyncGuard(const NoSyncGuard&) = delete;
        NoSyncGuard& operator=(const NoSyncGuard&) = delete;
        NoSyncGuard& operator=(NoSyncGuard&&) = delete;

    private:
        distributed::Reducer* reducer_;
        bool prev_;
    };
    [[nodiscard]] NoSyncGuard no_sync() { return NoSyncGuard(*reducer_); }

private:
    void broadcast_from_rank0(const Tensor& t) {
        distributed::BroadcastOptions opts;
        opts.rootRank = 0;
        pg_->broadcast({t}, opts)->wait();
    }
    void sync_buffers() {
        if (pg_->getSize() == 1) return;
        for (const auto& item : module_->named_buffers()) broadcast_from_rank0(item.value());
    }

    ModuleType module_;
    std::shared_ptr<distributed::ProcessGroup> pg_;
    DistributedDataParallelOptions options_;
    std::unique_ptr<distributed::Reducer> reducer_;
};

}  // namespace parallel
}  // namespace nn
}  // namespace tapegrad
