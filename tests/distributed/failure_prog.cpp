// Trains with DistributedDataParallel; at step 5 rank 1 dies (`kill`: SIGKILL, as a crash or
// the OOM killer) or throws (`throw`: an uncaught exception). The other rank is then waiting in
// an all-reduce: mpirun must end the job with a non-zero status (checked by expect_failure.sh).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <tapegrad.hpp>

#include "distributed/distributed.hpp"

namespace tg = tapegrad;

int main(int argc, char** argv) {
    const bool kill = argc > 1 && std::strcmp(argv[1], "kill") == 0;
    auto pg = tg::c10d::ProcessGroupMPI::createProcessGroupMPI();
    tg::manual_seed(1);
    tg::nn::parallel::DistributedDataParallel ddp(tg::nn::Linear(4, 2), pg);
    tg::optim::SGD opt(ddp.parameters(), tg::optim::SGDOptions(0.1));
    for (int step = 0; step < 1000000; ++step) {
        if (step == 5 && pg->getRank() == 1) {
            std::fprintf(stderr, "rank 1: failing on purpose at step 5 (%s)\n",
                         kill ? "SIGKILL" : "throw");
            if (kill) std::raise(SIGKILL);
            throw std::runtime_error("rank 1: a deliberate failure");
        }
        opt.zero_grad();
        tg::mse_loss(ddp(tg::randn({8, 4})), tg::randn({8, 2})).backward();
        opt.step();
    }
    std::printf("rank %d: should never get here\n", pg->getRank());
    return 0;
}
