#include "autograd/kernels/broadcast.hpp"

#include <cstddef>

namespace tapegrad {
namespace kernels {

namespace {
// Strides of an operand of shape `in`, right-aligned against `out`; 0 where it broadcasts.
std::vector<int64_t> aligned_strides(const std::vector<int64_t>& out,
                                     const std::vector<int64_t>& in) {
    const size_t nd = out.size(), lead = nd - in.size();
    std::vector<int64_t> strides(nd, 0);
    int64_t s = 1;
    for (size_t d = nd; d-- > lead;) {
        const int64_t size = in[d - lead];
        strides[d] = size == 1 ? 0 : s;
        s *= size;
    }
    return strides;
}
}  // namespace

BroadcastPlan plan_broadcast(const std::vector<int64_t>& out, const std::vector<int64_t>& a,
                             const std::vector<int64_t>& b) {
    const std::vector<int64_t> sa = aligned_strides(out, a), sb = aligned_strides(out, b);
    BroadcastPlan plan;
    for (size_t d = 0; d < out.size(); ++d) {
        if (out[d] == 1) continue;  // size-1 dims add nothing to the iteration
        if (!plan.sizes.empty()) {
            // merge with the previous dim when both operands stay contiguous across it
            const int64_t prev = static_cast<int64_t>(plan.sizes.size()) - 1;
            if (plan.stride_a[prev] == sa[d] * out[d] && plan.stride_b[prev] == sb[d] * out[d]) {
                plan.sizes[prev] *= out[d];
                plan.stride_a[prev] = sa[d];
                plan.stride_b[prev] = sb[d];
                continue;
            }
        }
        plan.sizes.push_back(out[d]);
        plan.stride_a.push_back(sa[d]);
        plan.stride_b.push_back(sb[d]);
    }
    return plan;
}

}  // namespace kernels
}  // namespace tapegrad
