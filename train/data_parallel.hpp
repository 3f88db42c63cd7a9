#pragma once
// fit()'s side of data-parallel training (FitOptions::process_group), not public API. It speaks
// only the abstract c10d::ProcessGroup (distributed/process_group.hpp, no MPI), so the core
// library stays free of MPI: the MPI group lives in tapegrad::distributed, which programs link
// when they train over MPI. Without a group every call is a no-op on a world of one.

#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/tensor.hpp"
#include "distributed/process_group.hpp"
#include "nn/module.hpp"

namespace tapegrad {
namespace train {
namespace detail {

/// Reduces `values` over `group` in place with `op` (every rank passes as many).
void all_reduce(distributed::ProcessGroup& group, std::vector<int64_t>& values,
                distributed::ReduceOp op);
void all_reduce(distributed::ProcessGroup& group, std::vector<double>& values,
                distributed::ReduceOp op);
/// Every rank's `values`, in rank order; the ranks may pass different numbers of them.
std::vector<std::vector<double>> all_gather(distributed::ProcessGroup& group,
                                            const std::vector<double>& values);

class DataParallel {
public:
    explicit DataParallel(std::shared_ptr<distributed::ProcessGroup> group);

    bool active() const { return group_ != nullptr; }
    int rank() const { return rank_; }
    int size() const { return size_; }

    /// Copies rank 0's parameters and buffers to every rank.
    void broadcast_state(nn::Module& module) const;
    /// Averages the parameters' gradients over the ranks: after it every rank holds the
    /// gradient of the mean of the ranks' losses. A gradient undefined on some rank (a parameter
    /// its batch did not reach) counts as zeros there; undefined everywhere, it stays undefined.
    void average_gradients(nn::Module& module) const;
    /// The group (null without one).
    distributed::ProcessGroup* group() const { return group_.get(); }
    /// Sums `values` over the ranks, in place.
    void sum(std::vector<double>& values) const;
    /// True on every rank when `flag` is true on some rank.
    bool any(bool flag) const;
    /// Throws std::invalid_argument (`what` names the value) unless `value` is the same on
    /// every rank: e.g. the batches per epoch, or the ranks would wait on each other forever.
    void check_same(const char* what, int64_t value) const;

private:
    std::shared_ptr<distributed::ProcessGroup> group_;
    int rank_ = 0;
    int size_ = 1;
};

}  // namespace detail
}  // namespace train
}  // namespace tapegrad
