#pragma once
// The process group every distributed test shares (the tests run under mpirun -np 2).
#include <tapegrad.hpp>

#include "distributed/distributed.hpp"

namespace tapegrad_test {
inline const std::shared_ptr<tapegrad::c10d::ProcessGroupMPI>& world() {
    static const auto pg = tapegrad::c10d::ProcessGroupMPI::createProcessGroupMPI();
    return pg;
}
}  // namespace tapegrad_test
