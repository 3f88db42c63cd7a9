// W1 (fashion-mlp, WORKLOADS.md) with DistributedDataParallel: each of the N processes takes
// its 1/N of every global batch of 64 (same init, same batch order as W1), so the parameters
// follow single-process W1. Compare
//   OPENBLAS_NUM_THREADS=1 mpirun -np 1 build/bench/bench_ddp_w1
//   OPENBLAS_NUM_THREADS=1 mpirun -np 2 build/bench/bench_ddp_w1
// Prints the gradient buckets, then per epoch the seconds (rank 0's wall time of the epoch loop),
// the share of it spent in backward (all-reduce waits included) and waiting for gradient
// all-reduces, and the test accuracy.   [--epochs E] [--steps S (per epoch)]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <tapegrad.hpp>

#include "bench/common.hpp"
#include "distributed/distributed.hpp"

namespace tg = tapegrad;

int main(int argc, char** argv) {
    int epochs = 3;
    int64_t max_steps = 1 << 30;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--epochs")) epochs = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--steps")) max_steps = std::atoll(argv[i + 1]);
    }
    auto pg = tg::c10d::ProcessGroupMPI::createProcessGroupMPI();
    const int rank = pg->getRank(), size = pg->getSize();
    auto fmnist = tg::data::load_fashion_mnist();
    const tg::Tensor x_train = fmnist.train.data().reshape({-1, 784}).to(tg::kFloat32);
    const tg::Tensor y_train = fmnist.train.targets();

    tg::nn::Linear fc1(784, 128), fc2(128, 10);
    tg::nn::Sequential model(fc1, tg::nn::ReLU(), fc2);
    const auto init = bench::init_mlp({784, 128, 10}, 1);
    {
        tg::NoGradGuard no_grad;
        tg::nn::Linear layers[] = {fc1, fc2};
        for (size_t l = 0; l < 2; ++l) {
            layers[l]->weight.copy_(
                tg::from_blob(init[l].weight.data(), {init[l].out, init[l].in}));
            layers[l]->bias.copy_(tg::from_blob(init[l].bias.data(), {init[l].out}));
        }
    }
    tg::nn::parallel::DistributedDataParallel ddp(model, pg);
    tg::optim::Adam opt(ddp.parameters(), tg::optim::AdamOptions(1e-3));
    if (rank == 0) {
        const auto params = ddp.parameters();
        const auto buckets = ddp.reducer().bucket_indices();
        std::printf("%zu bucket(s) of gradients:", buckets.size());
        for (const auto& bucket : buckets) {
            int64_t bytes = 0;
            for (size_t i : bucket) bytes += params[i].numel() * 4;
            std::printf(" %zu tensors %lld bytes;", bucket.size(), static_cast<long long>(bytes));
        }
        std::printf("\n");
    }
    std::mt19937_64 rng(42);
    const int64_t n = x_train.size(0);
    std::vector<int64_t> perm(static_cast<size_t>(n));
    double total = 0, waited_before = 0, total_waited = 0, total_backward = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        pg->barrier()->wait();
        const auto start = std::chrono::steady_clock::now();
        double backward_seconds = 0;
        bench::shuffle(perm, rng);
        const tg::Tensor order = tg::from_blob(perm.data(), {n}, tg::kInt64);
        for (int64_t k = 0; k * 64 < n && k < max_steps; ++k) {
            const int64_t len = std::min<int64_t>(64, n - k * 64), part = len / size;
            const tg::Tensor rows =
                order.slice(0, k * 64 + rank * part, k * 64 + (rank + 1) * part);
            opt.zero_grad();
            auto loss = tg::nn::functional::cross_entropy(ddp(x_train.index_select(0, rows)),
                                                          y_train.index_select(0, rows));
            const auto backward_start = std::chrono::steady_clock::now();
            loss.backward();
            backward_seconds +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - backward_start)
                    .count();
            opt.step();
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        total += seconds;
        const double waited = ddp.reducer().communication_wait_seconds() - waited_before;
        waited_before += waited;
        total_waited += waited;
        total_backward += backward_seconds;
        tg::NoGradGuard no_grad;
        const auto pred =
            model->forward(fmnist.test.data().reshape({-1, 784}).to(tg::kFloat32)).argmax(1);
        const double acc = pred.eq(fmnist.test.targets()).to(tg::kFloat64).mean().item<double>();
        if (rank == 0)
            std::printf(
                "np %d epoch %d: %.3f s, backward %.1f%%, waiting for all-reduce %.1f%%, test "
                "accuracy %.4f\n",
                size, epoch, seconds, 100 * backward_seconds / seconds, 100 * waited / seconds,
                acc);
    }
    if (rank == 0) {
        std::printf("fig ddp_w1_np%d s/epoch %.4f samples/s %.0f backward %.1f%% wait %.1f%%\n",
                    size, total / epochs,
                    static_cast<double>(std::min<int64_t>(n, max_steps * 64)) * epochs / total,
                    100 * total_backward / total, 100 * total_waited / total);
    }
    return 0;
}
