#pragma once
// The process group vocabulary of LibTorch's c10d (torch/csrc/distributed/c10d): a group of
// processes that run the same program, each with a rank in 0..size-1, and the collectives they
// call together. Every call returns a Work handle at once; wait() blocks until it is done.
//
//   auto pg = tapegrad::c10d::ProcessGroupMPI::createProcessGroupMPI();
//   std::vector<tapegrad::Tensor> tensors = {grad};
//   pg->allreduce(tensors, {tapegrad::c10d::ReduceOp::AVG})->wait();

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace distributed {

/// How a reduction combines the ranks' values (c10d::ReduceOp). AVG divides the sum by the
/// group size (floating dtypes only). On kBool, SUM and MAX are logical or, PRODUCT and MIN
/// logical and.
enum class ReduceOp : uint8_t { SUM, AVG, PRODUCT, MIN, MAX };

/// "SUM", "AVG", ...
const char* to_string(ReduceOp op);

/// A timeout of 0 means the process group's default (setTimeout, 30 minutes unless set).
constexpr std::chrono::milliseconds kUnsetTimeout{0};
/// wait() without a limit of its own uses the process group's timeout.
constexpr std::chrono::milliseconds kNoTimeout{0};

struct AllreduceOptions {
    ReduceOp reduceOp = ReduceOp::SUM;
    std::chrono::milliseconds timeout = kUnsetTimeout;
    /// tapegrad's: false skips the check that every rank passes the same dtype, shape and
    /// operation (a small collective of its own, which also makes the ranks wait for each
    /// other). For callers that have checked their sequence once, as the DDP reducer does.
    bool check_agreement = true;
};
struct BroadcastOptions {
    int64_t rootRank = 0;
    int64_t rootTensor = 0;
    std::chrono::milliseconds timeout = kUnsetTimeout;
};
struct AllgatherOptions {
    std::chrono::milliseconds timeout = kUnsetTimeout;
};
struct ReduceScatterOptions {
    ReduceOp reduceOp = ReduceOp::SUM;
    std::chrono::milliseconds timeout = kUnsetTimeout;
};
struct BarrierOptions {
    std::vector<int64_t> device_ids;  // unused (CPU only), kept for LibTorch's shape
    std::chrono::milliseconds timeout = kUnsetTimeout;
};

/// One started operation. wait() finishes it (writing results into the caller's tensors, views
/// included) or throws what went wrong, naming the op, the rank and the shapes.
class Work {
public:
    virtual ~Work() = default;
    /// True once the operation has finished (tests for progress without blocking).
    virtual bool isCompleted() = 0;
    /// True when it finished without error.
    virtual bool isSuccess() const = 0;
    /// Blocks until done; throws std::runtime_error after `timeout` (0: the group's timeout)
    /// or when the operation failed. Returns true.
    virtual bool wait(std::chrono::milliseconds timeout = kNoTimeout) = 0;
    /// The error the operation ended with, or null.
    virtual std::exception_ptr exception() const = 0;
    /// The output tensors (the caller's, after wait()).
    virtual std::vector<Tensor> result() = 0;
};

/// The collectives every backend offers (c10d::ProcessGroup). Each call takes exactly one tensor
/// (as c10d's MPI backend) of any dtype, contiguous or a view, and must be made by every rank of
/// the group in the same order with the same shapes and dtype.
class ProcessGroup {
public:
    using Work = distributed::Work;

    virtual ~ProcessGroup() = default;
    /// This process's rank in the group, 0..getSize()-1.
    virtual int getRank() const = 0;
    /// The number of processes in the group.
    virtual int getSize() const = 0;
    /// "mpi".
    virtual const std::string getBackendName() const = 0;

    /// Reduces tensors[0] over the ranks, in place on every rank.
    virtual std::shared_ptr<Work> allreduce(const std::vector<Tensor>& tensors,
                                            const AllreduceOptions& opts = AllreduceOptions()) = 0;
    /// Copies rank opts.rootRank's tensors[0] into every other rank's.
    virtual std::shared_ptr<Work> broadcast(const std::vector<Tensor>& tensors,
                                            const BroadcastOptions& opts = BroadcastOptions()) = 0;
    /// outputTensors[0][r] receives rank r's inputTensors[0] (getSize() tensors, each shaped
    /// like the input).
    virtual std::shared_ptr<Work> allgather(const std::vector<std::vector<Tensor>>& outputTensors,
                                            const std::vector<Tensor>& inputTensors,
                                            const AllgatherOptions& opts = AllgatherOptions()) = 0;
    /// outputTensors[0] on rank r receives the reduction over ranks of inputTensors[0][r].
    virtual std::shared_ptr<Work> reduce_scatter(
        const std::vector<Tensor>& outputTensors,
        const std::vector<std::vector<Tensor>>& inputTensors,
        const ReduceScatterOptions& opts = ReduceScatterOptions()) = 0;
    /// Finishes when every rank has called it.
    virtual std::shared_ptr<Work> barrier(const BarrierOptions& opts = BarrierOptions()) = 0;
    /// Sends tensors[0] to rank dstRank; the matching recv names this rank and `tag`.
    virtual std::shared_ptr<Work> send(const std::vector<Tensor>& tensors, int dstRank,
                                       int tag) = 0;
    /// Receives into tensors[0] (same shape and dtype as sent) from rank srcRank.
    virtual std::shared_ptr<Work> recv(const std::vector<Tensor>& tensors, int srcRank,
                                       int tag) = 0;
};

}  // namespace distributed

/// LibTorch code writes c10d::ProcessGroupMPI; with tapegrad it is tapegrad::c10d::...
namespace c10d = distributed;

}  // namespace tapegrad
