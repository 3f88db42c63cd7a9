#include "autograd/kernels/strided.hpp"

namespace tapegrad {
namespace kernels {

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes) {
    std::vector<int64_t> strides(sizes.size());
    int64_t step = 1;
    for (size_t d = sizes.size(); d-- > 0;) {
        strides[d] = step;
        step *= sizes[d] > 0 ? sizes[d] : 1;
    }
    return strides;
}

}  // namespace kernels
}  // namespace tapegrad
