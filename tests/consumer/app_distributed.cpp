// The smallest user of tapegrad::distributed, run under mpirun: every rank all-reduces its rank
// + 1, then fit trains over the process group. Exits non-zero when a sum or a History is wrong.
#include <tapegrad.hpp>

#include <cstdio>

#include "distributed/distributed.hpp"

namespace tg = tapegrad;

int main() {
    auto pg = tg::c10d::ProcessGroupMPI::createProcessGroupMPI();
    const int rank = pg->getRank(), size = pg->getSize();
    auto t = tg::full({3}, static_cast<double>(rank + 1), tg::kFloat64);
    pg->allreduce({t})->wait();
    const double expected = size * (size + 1) / 2.0;
    bool ok = t.to_vector<double>() == std::vector<double>(3, expected);

    tg::manual_seed(static_cast<uint64_t>(rank));  // fit copies rank 0's weights to the others
    tg::nn::Linear model(2, 1);
    tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
    auto x = tg::randn({16, 2});
    auto history =
        tg::fit(model, tg::mse_loss, opt, x, x.sum(1, true),
                tg::FitOptions().epochs(2).batch_size(4).verbose(false).process_group(pg));
    std::vector<tg::Tensor> mine = {tg::tensor({history.loss.back()}, tg::kFloat64)};
    auto high = mine[0].clone();
    tg::c10d::AllreduceOptions max;
    max.reduceOp = tg::c10d::ReduceOp::MAX;
    pg->allreduce({high}, max)->wait();
    ok = ok && high.item<double>() == mine[0].item<double>();  // the same History everywhere
    std::printf("rank %d of %d: sum %g (expected %g), last loss %g: %s\n", rank, size,
                t[0].item<double>(), expected, history.loss.back(), ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
