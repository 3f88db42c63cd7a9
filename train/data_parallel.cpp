#include "train/data_parallel.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace train {
namespace detail {

namespace {

void allreduce(distributed::ProcessGroup& group, const Tensor& t, distributed::ReduceOp op) {
    distributed::AllreduceOptions opts;
    opts.reduceOp = op;
    group.allreduce({t}, opts)->wait();
}

template <class T>
void reduce_values(distributed::ProcessGroup& group, std::vector<T>& values,
                   distributed::ReduceOp op) {
    if (values.empty()) return;
    const ScalarType dtype = std::is_same_v<T, double> ? kFloat64 : kInt64;
    const Tensor t = from_blob(values.data(), {static_cast<int64_t>(values.size())}, dtype).clone();
    allreduce(group, t, op);
    values = t.to_vector<T>();
}

}  // namespace

void all_reduce(distributed::ProcessGroup& group, std::vector<int64_t>& values,
                distributed::ReduceOp op) {
    reduce_values(group, values, op);
}

void all_reduce(distributed::ProcessGroup& group, std::vector<double>& values,
                distributed::ReduceOp op) {
    reduce_values(group, values, op);
}

std::vector<std::vector<double>> all_gather(distributed::ProcessGroup& group,
                                            const std::vector<double>& values) {
    // the collective needs equal lengths: send the longest length, each its count first
    std::vector<int64_t> longest = {static_cast<int64_t>(values.size())};
    all_reduce(group, longest, distributed::ReduceOp::MAX);
    std::vector<double> padded(static_cast<size_t>(longest[0]) + 1, 0.0);
    padded[0] = static_cast<double>(values.size());
    std::copy(values.begin(), values.end(), padded.begin() + 1);
    const Tensor mine =
        from_blob(padded.data(), {static_cast<int64_t>(padded.size())}, kFloat64).clone();
    std::vector<Tensor> outputs;
    for (int r = 0; r < group.getSize(); ++r) outputs.push_back(empty_like(mine));
    group.allgather({outputs}, {mine})->wait();
    std::vector<std::vector<double>> all;
    for (const Tensor& t : outputs) {
        const std::vector<double> v = t.to_vector<double>();
        all.emplace_back(v.begin() + 1, v.begin() + 1 + static_cast<std::ptrdiff_t>(v[0]));
    }
    return all;
}

DataParallel::DataParallel(std::shared_ptr<distributed::ProcessGroup> group)
    : group_(std::move(group)) {
    if (!group_) return;
    rank_ = group_->getRank();
    size_ = group_->getSize();
}

void DataParallel::broadcast_state(nn::Module& module) const {
    if (!group_) return;
    NoGradGuard no_grad;
    distributed::BroadcastOptions opts;
    opts.rootRank = 0;
    for (const Tensor& t : module.parameters()) group_->broadcast({t}, opts)->wait();
    for (const Tensor& t : module.buffers()) group_->broadcast({t}, opts)->wait();
}

void DataParallel::average_gradients(nn::Module& module) const {
    if (!group_) return;
    std::vector<Tensor> params;
    for (const Tensor& p : module.parameters()) {
        if (p.requires_grad()) params.push_back(p);
    }
    // which gradients exist somewhere: every rank must send the same buckets
    std::vector<double> defined(params.size());
    for (size_t i = 0; i < params.size(); ++i) defined[i] = params[i].grad().defined() ? 1.0 : 0.0;
    sum(defined);

    NoGradGuard no_grad;
    // one all-reduce per dtype of the flattened gradients (most models: one)
    std::map<ScalarType, std::vector<size_t>> by_dtype;
    for (size_t i = 0; i < params.size(); ++i) {
        if (defined[i] > 0.0) by_dtype[params[i].scalar_type()].push_back(i);
    }
    for (const auto& [dtype, members] : by_dtype) {
        std::vector<Tensor> flat;
        for (size_t i : members) {
            if (!params[i].grad().defined()) params[i].set_grad(zeros_like(params[i]));
            flat.push_back(params[i].grad().reshape({-1}));
        }
        const Tensor bucket = cat(flat);
        allreduce(*group_, bucket, distributed::ReduceOp::SUM);
        bucket.div_(static_cast<double>(size_));
        int64_t offset = 0;
        for (size_t i : members) {
            const Tensor& g = params[i].grad();
            g.copy_(bucket.slice(0, offset, offset + g.numel()).view(g.sizes()));
            offset += g.numel();
        }
    }
}

void DataParallel::sum(std::vector<double>& values) const {
    if (group_) all_reduce(*group_, values, distributed::ReduceOp::SUM);
}

bool DataParallel::any(bool flag) const {
    if (!group_) return flag;
    std::vector<double> v = {flag ? 1.0 : 0.0};
    sum(v);
    return v[0] > 0.0;
}

void DataParallel::check_same(const char* what, int64_t value) const {
    if (!group_) return;
    std::vector<int64_t> low = {value}, high = {value};
    all_reduce(*group_, low, distributed::ReduceOp::MIN);
    all_reduce(*group_, high, distributed::ReduceOp::MAX);
    const int64_t lo = low[0], hi = high[0];
    if (lo != hi) {
        throw std::invalid_argument(
            std::string("fit: ") + what + " differ between the ranks (rank " +
            std::to_string(rank_) + " has " + std::to_string(value) + ", others from " +
            std::to_string(lo) + " to " + std::to_string(hi) +
            "); every rank must run the same number of steps: shard the data with "
            "data::samplers::DistributedRandomSampler, which pads the shards to equal length");
    }
}

}  // namespace detail
}  // namespace train
}  // namespace tapegrad
