#pragma once
// Reducer: averages the gradients of a set of parameters over a process group during backward,
// as c10d's Reducer does for DistributedDataParallel (nn/parallel/distributed.hpp).
//
// The parameters are laid out, in reverse registration order (the order backward usually
// produces their gradients), in flat buckets of at most bucket_bytes_cap bytes and one dtype. A
// hook on each parameter copies its gradient (plus what .grad already holds, from accumulation
// under no_sync) into its bucket's slot; a bucket whose slots are all filled starts its
// non-blocking all-reduce (MPI_Iallreduce, averaging) while backward goes on. Buckets start
// strictly in order, so every rank calls the same collectives in the same order. The hook of
// the last expected parameter waits for every bucket and writes the averages into .grad, so
// that when backward() returns the gradients are synchronised and the optimizer may step.

#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "distributed/process_group.hpp"

namespace tapegrad {
namespace distributed {

class Reducer {
public:
    /// `params` (leaves that require grad, the same shapes on every rank) with their names for
    /// messages. With find_unused_parameters, prepare_for_backward() walks the graph to find
    /// the parameters a backward will not reach, and counts them as ready with a zero gradient.
    Reducer(std::vector<Tensor> params, std::vector<std::string> names,
            std::shared_ptr<ProcessGroup> process_group, int64_t bucket_bytes_cap,
            bool find_unused_parameters);
    ~Reducer();
    Reducer(const Reducer&) = delete;
    Reducer& operator=(const Reducer&) = delete;

    /// Starts an iteration whose backward starts from `outputs`. Throws std::logic_error when
    /// the previous iteration did not reduce every parameter's gradient (naming those
    /// parameters): backward did not reach them and find_unused_parameters is off.
    void prepare_for_backward(const std::vector<Tensor>& outputs);
    /// Whether backward reduces gradients (false inside no_sync(): they accumulate locally).
    void set_require_sync(bool require_sync);
    bool require_sync() const;
    /// Finishes the iteration now: the parameters backward has not reached count as unused.
    /// Backward calls it by itself; calling it when nothing is pending does nothing.
    void finalize_backward();
    /// The parameters (indices into `params`) of each bucket, in the order the buckets start.
    std::vector<std::vector<size_t>> bucket_indices() const;
    /// Seconds spent so far waiting for all-reduces to finish (after backward's last gradient).
    double communication_wait_seconds() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace distributed
}  // namespace tapegrad
