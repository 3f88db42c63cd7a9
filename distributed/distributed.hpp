#pragma once
// tapegrad::distributed (alias tapegrad::c10d): process groups over MPI and
// nn::parallel::DistributedDataParallel. Built when CMake finds MPI (option TAPEGRAD_MPI); link
// the target tapegrad::distributed.

#include "distributed/process_group.hpp"
#include "distributed/process_group_mpi.hpp"
#include "distributed/reducer.hpp"
#include "nn/parallel/distributed.hpp"
