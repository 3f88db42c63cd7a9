#pragma once
// ProcessGroupMPI: the process group over Open MPI (or any MPI-3 library), with c10d's names.
// Run the program under mpirun; each process calls createProcessGroupMPI() once.
//
//   mpirun -np 2 ./train
//
// Every operation is a non-blocking MPI call (MPI_Iallreduce, MPI_Ibcast, ...) and Work::wait()
// polls it with a watchdog: after the timeout (30 minutes, setTimeout() or the environment
// variable TAPEGRAD_DISTRIBUTED_TIMEOUT in seconds) it throws, naming the op and the rank. MPI
// errors are returned (MPI_ERRORS_RETURN), not fatal, and become std::runtime_error. Before each
// collective the ranks exchange a small description of their tensor (one MPI_Iallgather of 14
// integers) so that different shapes, dtypes or ops across ranks raise std::invalid_argument
// naming every rank's shape, rather than corrupting memory; setShapeChecks(false) skips it.

#include <chrono>
#include <memory>
#include <vector>

#include "distributed/process_group.hpp"

namespace tapegrad {
namespace distributed {

class ProcessGroupMPI final : public ProcessGroup {
public:
    /// Initialises MPI on first use (MPI_Init_thread, finalised at exit) and returns a group of
    /// `ranks` (all processes when empty). Every process must call it; those outside `ranks`
    /// get null, as c10d's.
    static std::shared_ptr<ProcessGroupMPI> createProcessGroupMPI(std::vector<int> ranks = {});

    ~ProcessGroupMPI() override;
    ProcessGroupMPI(const ProcessGroupMPI&) = delete;
    ProcessGroupMPI& operator=(const ProcessGroupMPI&) = delete;

    int getRank() const override;
    int getSize() const override;
    const std::string getBackendName() const override { return "mpi"; }

    std::shared_ptr<Work> allreduce(const std::vector<Tensor>& tensors,
                                    const AllreduceOptions& opts = AllreduceOptions()) override;
    std::shared_ptr<Work> broadcast(const std::vector<Tensor>& tensors,
                                    const BroadcastOptions& opts = BroadcastOptions()) override;
    std::shared_ptr<Work> allgather(const std::vector<std::vector<Tensor>>& outputTensors,
                                    const std::vector<Tensor>& inputTensors,
                                    const AllgatherOptions& opts = AllgatherOptions()) override;
    std::shared_ptr<Work> reduce_scatter(
        const std::vector<Tensor>& outputTensors,
        const std::vector<std::vector<Tensor>>& inputTensors,
        const ReduceScatterOptions& opts = ReduceScatterOptions()) override;
    std::shared_ptr<Work> barrier(const BarrierOptions& opts = BarrierOptions()) override;
    std::shared_ptr<Work> send(const std::vector<Tensor>& tensors, int dstRank, int tag) override;
    std::shared_ptr<Work> recv(const std::vector<Tensor>& tensors, int srcRank, int tag) override;

    /// Ends every process of the job (MPI_Abort), as c10d's; for a rank that cannot go on.
    [[noreturn]] void abort();
    /// How long wait() blocks before it throws (when neither the op nor wait() says).
    void setTimeout(std::chrono::milliseconds timeout);
    std::chrono::milliseconds getTimeout() const;
    /// Whether collectives first check that every rank passes the same shape, dtype and op.
    void setShapeChecks(bool enabled);

    struct State;

private:
    explicit ProcessGroupMPI(std::shared_ptr<State> state);
    std::shared_ptr<State> state_;
};

}  // namespace distributed
}  // namespace tapegrad
