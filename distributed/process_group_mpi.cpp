#include "distributed/process_group_mpi.hpp"

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace distributed {

const char* to_string(ReduceOp op) {
    static const char* const names[] = {"SUM", "AVG", "PRODUCT", "MIN", "MAX"};  // enum order
    const auto i = static_cast<size_t>(op);
    return i < std::size(names) ? names[i] : "?";
}

struct ProcessGroupMPI::State {
    MPI_Comm comm = MPI_COMM_NULL;
    int rank = 0;
    int size = 1;
    std::chrono::milliseconds timeout{30 * 60 * 1000};
    bool shape_checks = true;

    ~State() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized && comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
    }
    // "allreduce on rank 1 of 2"
    std::string where(const std::string& op) const {
        return op + " on rank " + std::to_string(rank) + " of " + std::to_string(size);
    }
};

namespace {

using State = ProcessGroupMPI::State;
using Clock = std::chrono::steady_clock;

void finalize_at_exit() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
}

void init_mpi_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (initialized) return;
        int provided = 0;
        if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
            throw std::runtime_error("createProcessGroupMPI: MPI_Init_thread failed");
        if (provided < MPI_THREAD_SERIALIZED)
            throw std::runtime_error(
                "createProcessGroupMPI: the MPI library does not provide MPI_THREAD_SERIALIZED");
        std::atexit(finalize_at_exit);
        // errors come back as codes (turned into exceptions) instead of ending the job at once
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    });
}

[[noreturn]] void throw_mpi(const State& st, const std::string& op, const char* call, int code) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, text, &len);
    throw std::runtime_error(st.where(op) + ": " + call + " failed: " + std::string(text, len));
}

void check_mpi(const State& st, const std::string& op, const char* call, int code) {
    if (code != MPI_SUCCESS) throw_mpi(st, op, call, code);
}

MPI_Datatype mpi_type(ScalarType t) {
    switch (t) {
        case kFloat32:
            return MPI_FLOAT;
        case kFloat64:
            return MPI_DOUBLE;
        case kInt64:
            return MPI_INT64_T;
        case kInt32:
            return MPI_INT32_T;
        case kInt16:
            return MPI_INT16_T;
        case kInt8:
            return MPI_INT8_T;
        case kUInt8:
            return MPI_UINT8_T;
        case kBool:
            return MPI_C_BOOL;
        case kBFloat16:  // MPI has no bfloat16 type
            break;
    }
    throw std::invalid_argument("ProcessGroupMPI: unsupported dtype");
}

MPI_Op mpi_op(ReduceOp op, ScalarType t) {
    if (t == kBool) {
        // bools: MPI defines only the logical ops on MPI_C_BOOL
        return op == ReduceOp::SUM || op == ReduceOp::MAX ? MPI_LOR : MPI_LAND;
    }
    switch (op) {
        case ReduceOp::SUM:
        case ReduceOp::AVG:
            return MPI_SUM;  // AVG divides after the sum
        case ReduceOp::PRODUCT:
            return MPI_PROD;
        case ReduceOp::MIN:
            return MPI_MIN;
        case ReduceOp::MAX:
            return MPI_MAX;
    }
    return MPI_SUM;
}

// Blocks until `request` completes or `timeout` passes; MPI_Test drives MPI's progress.
void wait_request(const State& st, const std::string& op, MPI_Request& request, MPI_Status& status,
                  std::chrono::milliseconds timeout) {
    const auto start = Clock::now();
    for (;;) {
        int done = 0;
        check_mpi(st, op, "MPI_Test", MPI_Test(&request, &done, &status));
        if (done) return;
        const auto waited = Clock::now() - start;
        if (waited > timeout) {
            throw std::runtime_error(
                st.where(op) + ": not finished after " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(waited).count()) +
                " s (the timeout): another rank has probably failed or called a different "
                "operation");
        }
        // Spin for 2 ms, yielding the core between polls (a gradient all-reduce ends within
        // a step, and a 50 us sleep here costs up to ~100 us of latency per bucket), then sleep
        // between polls so that a long wait leaves the core to others.
        if (waited < std::chrono::milliseconds(2))
            std::this_thread::yield();
        else
            std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

std::string dtype_shape(const Tensor& t) {
    return std::string(tapegrad::to_string(t.dtype())) + " " + shape_str(t.sizes());
}

Tensor single(const State& st, const std::string& op, const std::vector<Tensor>& tensors) {
    if (tensors.size() != 1)
        throw std::invalid_argument(st.where(op) +
                                    ": ProcessGroupMPI takes exactly one tensor per call (as "
                                    "LibTorch's), got " +
                                    std::to_string(tensors.size()));
    if (!tensors[0].defined())
        throw std::invalid_argument(st.where(op) + ": the tensor is undefined");
    return tensors[0];
}

// A contiguous tensor holding t's values that MPI may read and write: t itself when it is
// contiguous (MPI then works in place), else a copy written back by finish().
Tensor staging_for(const Tensor& t) {
    if (t.is_contiguous()) return t;
    NoGradGuard no_grad;
    return t.detach().contiguous();
}

void write_back(const Tensor& target, const Tensor& staging) {
    if (target.is_same(staging)) return;
    NoGradGuard no_grad;  // the target may be a leaf that requires grad
    target.copy_(staging.view(target.sizes()));
}

void* raw(const Tensor& t) {
    return t.data_ptr();
}

int count_of(const State& st, const std::string& op, const Tensor& t) {
    if (t.numel() > INT32_MAX)
        throw std::invalid_argument(st.where(op) + ": " + dtype_shape(t) +
                                    " has more elements than one MPI call can carry (2^31 - 1)");
    return static_cast<int>(t.numel());
}

class MPIWork final : public Work {
public:
    MPIWork(std::shared_ptr<State> st, std::string op, std::chrono::milliseconds timeout)
        : st_(std::move(st)), op_(std::move(op)), timeout_(timeout) {}

    ~MPIWork() override {
        // MPI may still be writing into buffers this handle keeps alive: finish first
        if (!completed_) {
            try {
                wait(kNoTimeout);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "tapegrad: %s (in a Work destroyed without wait())\n",
                             e.what());
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
        }
    }

    bool isCompleted() override {
        if (completed_) return true;
        int done = 0;
        check_mpi(*st_, op_, "MPI_Test", MPI_Test(&request_, &done, &status_));
        if (done) complete();
        return completed_;
    }
    bool isSuccess() const override { return completed_ && !error_; }
    bool wait(std::chrono::milliseconds timeout) override {
        if (!completed_) {
            const auto limit = timeout.count() > 0    ? timeout
                               : timeout_.count() > 0 ? timeout_
                                                      : st_->timeout;
            try {
                wait_request(*st_, op_, request_, status_, limit);
            } catch (...) {
                error_ = std::current_exception();
                completed_ = true;
                abandon();
                throw;
            }
            complete();
        }
        if (error_) std::rethrow_exception(error_);
        return true;
    }
    std::exception_ptr exception() const override { return error_; }
    std::vector<Tensor> result() override { return outputs_; }

    MPI_Request request_ = MPI_REQUEST_NULL;
    MPI_Status status_{};
    std::vector<Tensor> keep_;     // buffers MPI reads or writes until completion
    std::vector<Tensor> outputs_;  // the caller's tensors
    std::function<void(const MPI_Status&)> on_complete_;

    bool point_to_point_ = false;  // a receive, which MPI_Cancel can withdraw

private:
    // After a timeout: a receive is cancelled; a send or collective cannot be (MPI forbids it for
    // collectives), so their buffers are kept for the life of the process: MPI may still use them.
    void abandon() {
        if (request_ == MPI_REQUEST_NULL) return;
        if (point_to_point_ && MPI_Cancel(&request_) == MPI_SUCCESS) {
            MPI_Wait(&request_, MPI_STATUS_IGNORE);  // an unmatched cancel completes at once
            keep_.clear();
            return;
        }
        static std::mutex lock;
        static std::vector<Tensor>* abandoned = new std::vector<Tensor>();  // never freed
        std::lock_guard<std::mutex> guard(lock);
        abandoned->insert(abandoned->end(), keep_.begin(), keep_.end());
        keep_.clear();
        MPI_Request_free(&request_);
    }

    void complete() {
        completed_ = true;
        try {
            if (on_complete_) on_complete_(status_);
        } catch (...) {
            error_ = std::current_exception();
        }
        keep_.clear();
    }

    std::shared_ptr<State> st_;
    std::string op_;
    std::chrono::milliseconds timeout_;
    bool completed_ = false;
    std::exception_ptr error_;
};

// Before a collective, every rank describes its tensor and operation; the descriptions are
// gathered (one small MPI_Iallgather) and compared, so that ranks passing different shapes or
// dtypes get an error naming each rank's shape instead of a corrupted buffer or a hang.
constexpr int kDescLen = 14;
constexpr int kMaxDims = kDescLen - 6;

void check_same_everywhere(const State& st, const std::string& op, int kind, const Tensor& t,
                           int64_t reduce_op, int64_t root, std::chrono::milliseconds timeout) {
    if (!st.shape_checks || st.size == 1) return;
    std::vector<int64_t> mine(kDescLen, -1);
    mine[0] = kind;
    mine[1] = t.defined() ? static_cast<int64_t>(t.dtype()) : -1;
    mine[2] = reduce_op;
    mine[3] = root;
    mine[4] = t.defined() ? t.numel() : -1;
    mine[5] = t.defined() ? t.dim() : -1;
    for (int64_t d = 0; t.defined() && d < t.dim() && d < kMaxDims; ++d)
        mine[static_cast<size_t>(6 + d)] = t.size(d);
    std::vector<int64_t> all(static_cast<size_t>(kDescLen * st.size));
    MPI_Request request;
    MPI_Status status;
    check_mpi(st, op, "MPI_Iallgather",
              MPI_Iallgather(mine.data(), kDescLen, MPI_INT64_T, all.data(), kDescLen, MPI_INT64_T,
                             st.comm, &request));
    wait_request(st, op + " (checking that the ranks agree)", request, status,
                 timeout.count() > 0 ? timeout : st.timeout);
    bool same = true;
    for (int r = 0; r < st.size; ++r)
        for (int k = 0; k < kDescLen; ++k)
            same =
                same && all[static_cast<size_t>(r * kDescLen + k)] == mine[static_cast<size_t>(k)];
    if (same) return;
    static const char* kinds[] = {"allreduce", "broadcast", "allgather", "reduce_scatter",
                                  "barrier"};
    std::string msg = st.where(op) + ": the ranks disagree:";
    for (int r = 0; r < st.size; ++r) {
        const int64_t* d = &all[static_cast<size_t>(r * kDescLen)];
        msg += std::string(r ? "," : "") + " rank " + std::to_string(r) + " called ";
        msg += d[0] >= 0 && d[0] < 5 ? kinds[d[0]] : "?";
        if (d[1] >= 0) {
            std::vector<int64_t> shape(d + 6, d + 6 + std::min<int64_t>(d[5], kMaxDims));
            msg += std::string(" with ") + tapegrad::to_string(static_cast<ScalarType>(d[1])) +
                   " " + (d[5] <= kMaxDims ? shape_str(shape) : std::to_string(d[4]) + " elements");
        }
        if (kind == 0 || kind == 3)
            msg += std::string(" ") + to_string(static_cast<ReduceOp>(d[2]));
        if (kind == 1) msg += " root " + std::to_string(d[3]);
    }
    throw std::invalid_argument(msg);
}

void check_reduce_op(const State& st, const std::string& op, ReduceOp r, const Tensor& t) {
    if (r == ReduceOp::AVG && !t.is_floating_point())
        throw std::invalid_argument(st.where(op) + ": ReduceOp::AVG needs a floating dtype, got " +
                                    dtype_shape(t));
}

void check_rank(const State& st, const std::string& op, const char* what, int64_t r) {
    if (r < 0 || r >= st.size)
        throw std::invalid_argument(st.where(op) + ": " + what + " " + std::to_string(r) +
                                    " is not a rank of this group (0.." +
                                    std::to_string(st.size - 1) + ")");
}

}  // namespace

std::shared_ptr<ProcessGroupMPI> ProcessGroupMPI::createProcessGroupMPI(std::vector<int> ranks) {
    init_mpi_once();
    auto st = std::make_shared<State>();
    int world_size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    if (ranks.empty()) {
        check_mpi(*st, "createProcessGroupMPI", "MPI_Comm_dup",
                  MPI_Comm_dup(MPI_COMM_WORLD, &st->comm));
    } else {
        std::vector<bool> seen(static_cast<size_t>(world_size), false);
        for (int r : ranks) {
            if (r < 0 || r >= world_size || seen[static_cast<size_t>(r)])
                throw std::invalid_argument("createProcessGroupMPI: rank " + std::to_string(r) +
                                            " is out of range (0.." +
                                            std::to_string(world_size - 1) + ") or repeated");
            seen[static_cast<size_t>(r)] = true;
        }
        MPI_Group world_group, group;
        MPI_Comm_group(MPI_COMM_WORLD, &world_group);
        MPI_Group_incl(world_group, static_cast<int>(ranks.size()), ranks.data(), &group);
        const int rc = MPI_Comm_create(MPI_COMM_WORLD, group, &st->comm);
        MPI_Group_free(&group);
        MPI_Group_free(&world_group);
        check_mpi(*st, "createProcessGroupMPI", "MPI_Comm_create", rc);
        if (st->comm == MPI_COMM_NULL) return nullptr;
    }
    MPI_Comm_set_errhandler(st->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(st->comm, &st->rank);
    MPI_Comm_size(st->comm, &st->size);
    if (const char* env = std::getenv("TAPEGRAD_DISTRIBUTED_TIMEOUT")) {
        const double seconds = std::atof(env);
        if (seconds > 0)
            st->timeout = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    }
    return std::shared_ptr<ProcessGroupMPI>(new ProcessGroupMPI(std::move(st)));
}

ProcessGroupMPI::ProcessGroupMPI(std::shared_ptr<State> state) : state_(std::move(state)) {}
ProcessGroupMPI::~ProcessGroupMPI() = default;

int ProcessGroupMPI::getRank() const {
    return state_->rank;
}
int ProcessGroupMPI::getSize() const {
    return state_->size;
}
void ProcessGroupMPI::setTimeout(std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0)
        throw std::invalid_argument("ProcessGroupMPI::setTimeout: the timeout must be positive");
    state_->timeout = timeout;
}
std::chrono::milliseconds ProcessGroupMPI::getTimeout() const {
    return state_->timeout;
}
void ProcessGroupMPI::setShapeChecks(bool enabled) {
    state_->shape_checks = enabled;
}

void ProcessGroupMPI::abort() {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(state_->comm, 1);
    std::abort();  // MPI_Abort does not return; in case it does
}

namespace {

// The completion of a reduction into `out` received in `buf`: MPI has no average, so AVG
// divides the sum by the group's size before buf is written back.
std::function<void(const MPI_Status&)> reduced_into(const Tensor& out, const Tensor& buf,
                                                    ReduceOp op, int size) {
    const bool average = op == ReduceOp::AVG;
    return [out, buf, average, size](const MPI_Status&) {
        if (average) {
            NoGradGuard no_grad;
            buf.div_(size);
        }
        write_back(out, buf);
    };
}

// The one list of a tensor per rank that allgather writes (outputs = true) or reduce_scatter
// reads, each checked to have the dtype and shape of `single`, the op's tensor on the other side.
const std::vector<Tensor>& per_rank_list(const State& st, const char* op, bool outputs,
                                         const std::vector<std::vector<Tensor>>& lists,
                                         const Tensor& single) {
    const std::string each = outputs ? "output" : "input", other = outputs ? "input" : "output";
    if (lists.size() != 1 || lists[0].size() != static_cast<size_t>(st.size))
        throw std::invalid_argument(
            st.where(op) + ": " + each + "Tensors must hold one list of " +
            std::to_string(st.size) + " tensors (one per rank), got " +
            std::to_string(lists.size()) + " lists" +
            (lists.empty() ? "" : " of " + std::to_string(lists[0].size())));
    const std::vector<Tensor>& list = lists[0];
    for (size_t r = 0; r < list.size(); ++r)
        if (!list[r].defined() || list[r].dtype() != single.dtype() ||
            list[r].sizes() != single.sizes())
            throw std::invalid_argument(
                st.where(op) + ": " + each + " " + std::to_string(r) + " is " +
                (list[r].defined() ? dtype_shape(list[r]) : std::string("undefined")) + ", the " +
                other + " is " + dtype_shape(single) + "; they must match");
    return list;
}

}  // namespace

// every rank: t = op(t of rank 0, t of rank 1, ...)
std::shared_ptr<Work> ProcessGroupMPI::allreduce(const std::vector<Tensor>& tensors,
                                                 const AllreduceOptions& opts) {
    const State& st = *state_;
    const Tensor t = single(st, "allreduce", tensors);
    check_reduce_op(st, "allreduce", opts.reduceOp, t);
    const int n = count_of(st, "allreduce", t);
    if (opts.check_agreement)
        check_same_everywhere(st, "allreduce", 0, t, static_cast<int64_t>(opts.reduceOp), 0,
                              opts.timeout);
    auto work = std::make_shared<MPIWork>(state_, "allreduce of " + dtype_shape(t), opts.timeout);
    Tensor buf = staging_for(t);
    check_mpi(st, "allreduce", "MPI_Iallreduce",
              MPI_Iallreduce(MPI_IN_PLACE, raw(buf), n, mpi_type(t.dtype()),
                             mpi_op(opts.reduceOp, t.dtype()), st.comm, &work->request_));
    work->keep_ = {buf};
    work->outputs_ = {t};
    work->on_complete_ = reduced_into(t, buf, opts.reduceOp, st.size);
    return work;
}

// every rank: t = t of rank root
std::shared_ptr<Work> ProcessGroupMPI::broadcast(const std::vector<Tensor>& tensors,
                                                 const BroadcastOptions& opts) {
    const State& st = *state_;
    const Tensor t = single(st, "broadcast", tensors);
    check_rank(st, "broadcast", "rootRank", opts.rootRank);
    if (opts.rootTensor != 0)
        throw std::invalid_argument(st.where("broadcast") +
                                    ": rootTensor must be 0 (one tensor per call)");
    const int n = count_of(st, "broadcast", t);
    check_same_everywhere(st, "broadcast", 1, t, 0, opts.rootRank, opts.timeout);
    auto work = std::make_shared<MPIWork>(state_, "broadcast of " + dtype_shape(t), opts.timeout);
    Tensor buf = staging_for(t);
    check_mpi(st, "broadcast", "MPI_Ibcast",
              MPI_Ibcast(raw(buf), n, mpi_type(t.dtype()), static_cast<int>(opts.rootRank), st.comm,
                         &work->request_));
    work->keep_ = {buf};
    work->outputs_ = {t};
    work->on_complete_ = [t, buf](const MPI_Status&) { write_back(t, buf); };
    return work;
}

// every rank: out[r] = in of rank r
std::shared_ptr<Work> ProcessGroupMPI::allgather(
    const std::vector<std::vector<Tensor>>& outputTensors, const std::vector<Tensor>& inputTensors,
    const AllgatherOptions& opts) {
    const State& st = *state_;
    const Tensor in = single(st, "allgather", inputTensors);
    const std::vector<Tensor>& outs = per_rank_list(st, "allgather", true, outputTensors, in);
    const int n = count_of(st, "allgather", in);
    check_same_everywhere(st, "allgather", 2, in, 0, 0, opts.timeout);
    auto work = std::make_shared<MPIWork>(state_, "allgather of " + dtype_shape(in), opts.timeout);
    Tensor send = staging_for(in);
    Tensor recv = detail::make_tensor({st.size * in.numel()}, in.dtype());
    check_mpi(st, "allgather", "MPI_Iallgather",
              MPI_Iallgather(raw(send), n, mpi_type(in.dtype()), raw(recv), n, mpi_type(in.dtype()),
                             st.comm, &work->request_));
    work->keep_ = {send, recv};
    work->outputs_ = outs;
    const int64_t numel = in.numel();
    work->on_complete_ = [outs, recv, numel](const MPI_Status&) {
        for (size_t r = 0; r < outs.size(); ++r) {
            const int64_t begin = static_cast<int64_t>(r) * numel;
            write_back(outs[r], recv.slice(0, begin, begin + numel));
        }
    };
    return work;
}

// rank r: out = op over ranks of in[r]
std::shared_ptr<Work> ProcessGroupMPI::reduce_scatter(
    const std::vector<Tensor>& outputTensors, const std::vector<std::vector<Tensor>>& inputTensors,
    const ReduceScatterOptions& opts) {
    const State& st = *state_;
    const Tensor out = single(st, "reduce_scatter", outputTensors);
    check_reduce_op(st, "reduce_scatter", opts.reduceOp, out);
    const std::vector<Tensor>& ins = per_rank_list(st, "reduce_scatter", false, inputTensors, out);
    const int n = count_of(st, "reduce_scatter", out);
    check_same_everywhere(st, "reduce_scatter", 3, out, static_cast<int64_t>(opts.reduceOp), 0,
                          opts.timeout);
    auto work =
        std::make_shared<MPIWork>(state_, "reduce_scatter of " + dtype_shape(out), opts.timeout);
    Tensor send;
    {
        NoGradGuard no_grad;
        std::vector<Tensor> flat;
        for (const Tensor& t : ins) flat.push_back(t.detach().reshape({-1}));
        send = cat(flat).contiguous();
    }
    Tensor recv = staging_for(out);
    check_mpi(
        st, "reduce_scatter", "MPI_Ireduce_scatter_block",
        MPI_Ireduce_scatter_block(raw(send), raw(recv), n, mpi_type(out.dtype()),
                                  mpi_op(opts.reduceOp, out.dtype()), st.comm, &work->request_));
    work->keep_ = {send, recv};
    work->outputs_ = {out};
    work->on_complete_ = reduced_into(out, recv, opts.reduceOp, st.size);
    return work;
}

std::shared_ptr<Work> ProcessGroupMPI::barrier(const BarrierOptions& opts) {
    const State& st = *state_;
    check_same_everywhere(st, "barrier", 4, Tensor(), 0, 0, opts.timeout);
    auto work = std::make_shared<MPIWork>(state_, "barrier", opts.timeout);
    check_mpi(st, "barrier", "MPI_Ibarrier", MPI_Ibarrier(st.comm, &work->request_));
    return work;
}

namespace {

// What send and recv start alike: the one tensor, the peer checked, a staging buffer MPI reads
// or writes, and the Work (named "<op> of <tensor> <to/from> rank <peer>") that keeps both.
struct PointToPoint {
    Tensor t;
    Tensor buf;
    int n;
    std::string what;
    std::shared_ptr<MPIWork> work;
};

PointToPoint point_to_point(const std::shared_ptr<State>& state, const char* op,
                            const std::vector<Tensor>& tensors, const char* peer_name, int peer,
                            const char* direction) {
    const State& st = *state;
    PointToPoint p;
    p.t = single(st, op, tensors);
    check_rank(st, op, peer_name, peer);
    p.n = count_of(st, op, p.t);
    p.what = std::string(op) + " of " + dtype_shape(p.t) + " " + direction + " rank " +
             std::to_string(peer);
    p.work = std::make_shared<MPIWork>(state, p.what, kUnsetTimeout);
    p.buf = staging_for(p.t);
    p.work->keep_ = {p.buf};
    p.work->outputs_ = {p.t};
    return p;
}

}  // namespace

std::shared_ptr<Work> ProcessGroupMPI::send(const std::vector<Tensor>& tensors, int dstRank,
                                            int tag) {
    const PointToPoint p = point_to_point(state_, "send", tensors, "dstRank", dstRank, "to");
    check_mpi(*state_, "send", "MPI_Isend",
              MPI_Isend(raw(p.buf), p.n, mpi_type(p.t.dtype()), dstRank, tag, state_->comm,
                        &p.work->request_));
    return p.work;
}

std::shared_ptr<Work> ProcessGroupMPI::recv(const std::vector<Tensor>& tensors, int srcRank,
                                            int tag) {
    const PointToPoint p = point_to_point(state_, "recv", tensors, "srcRank", srcRank, "from");
    p.work->point_to_point_ = true;
    check_mpi(*state_, "recv", "MPI_Irecv",
              MPI_Irecv(raw(p.buf), p.n, mpi_type(p.t.dtype()), srcRank, tag, state_->comm,
                        &p.work->request_));
    const std::string where = state_->where(p.what);
    p.work->on_complete_ = [t = p.t, buf = p.buf, n = p.n, where,
                            dtype = p.t.dtype()](const MPI_Status& status) {
        // MPI fails a message longer than the buffer (MPI_ERR_TRUNCATE); a shorter one is
        // accepted silently, so it is checked here
        int got = 0;
        MPI_Get_count(&status, mpi_type(dtype), &got);
        if (got != n)
            throw std::invalid_argument(where + ": received " + std::to_string(got) +
                                        " elements, expected " + std::to_string(n) +
                                        " (the sender's tensor has a different size)");
        write_back(t, buf);
    };
    return p.work;
}

}  // namespace distributed
}  // namespace tapegrad
