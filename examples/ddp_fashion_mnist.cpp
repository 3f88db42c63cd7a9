// Data-parallel training of an MLP (784-128-10) on Fashion-MNIST over MPI processes, with
// DistributedDataParallel: each process trains on its own shard of every epoch
// (DistributedRandomSampler), gradients are averaged over the processes during backward, and
// every process ends with the same model. Reaches a test accuracy of about 0.85 in 2 epochs.
//   mpirun -np 2 ddp_fashion_mnist [--epochs N] [--limit N] [--min-accuracy X]
#include <cstdio>
#include <filesystem>
#include <tapegrad.hpp>

#include "args.hpp"
#include "distributed/distributed.hpp"
namespace tg = tapegrad;

int main(int argc, char** argv) {
    Args args(argc, argv, "[--epochs N] [--limit N] [--min-accuracy X]");
    const int64_t epochs = args.integer("--epochs", 2);
    const int64_t limit = args.integer("--limit", 0, 0);
    const double min_accuracy = args.real("--min-accuracy", 0.83);
    args.done();
    auto pg = tg::c10d::ProcessGroupMPI::createProcessGroupMPI();
    const int rank = pg->getRank(), world = pg->getSize();
    if (!std::filesystem::exists(tg::data::kFashionMNISTDir)) {
        if (rank == 0) std::fprintf(stderr, "no Fashion-MNIST (dataset-fashion-mnist): skipped\n");
        return 77;
    }
    auto fmnist = tg::data::load_fashion_mnist();
    tg::Tensor x = fmnist.train.data().reshape({-1, 784}), y = fmnist.train.targets();
    if (limit > 0) {
        x = x.slice(0, 0, limit);
        y = y.slice(0, 0, limit);
    }

    tg::manual_seed(1);  // the constructor copies rank 0's weights to every rank anyway
    tg::nn::Sequential model(tg::nn::Linear(784, 128), tg::nn::ReLU(), tg::nn::Linear(128, 10));
    tg::nn::parallel::DistributedDataParallel ddp(model, pg);
    tg::optim::Adam optimizer(ddp.parameters(), tg::optim::AdamOptions(1e-3));
    // this rank's shard: disjoint from the others', reshuffled each epoch alike on every rank
    tg::data::samplers::DistributedRandomSampler sampler(x.size(0), world, rank);
    const size_t batch = 64 / world;  // a global batch of 64
    for (int64_t epoch = 0; epoch < epochs; ++epoch) {
        sampler.set_epoch(epoch);
        sampler.reset();
        double loss_sum = 0;
        int64_t steps = 0;
        while (auto indices = sampler.next(batch)) {
            std::vector<int64_t> idx(indices->begin(), indices->end());
            auto rows = tg::from_blob(idx.data(), {(int64_t)idx.size()}, tg::kInt64).clone();
            optimizer.zero_grad();
            auto loss = tg::nn::functional::cross_entropy(ddp(x.index_select(0, rows)),
                                                          y.index_select(0, rows));
            loss.backward();  // returns with the gradients averaged over the ranks
            optimizer.step();
            loss_sum += loss.item<double>();
            ++steps;
        }
        // the mean training loss over all ranks
        auto mean = tg::full({1}, loss_sum / steps, tg::TensorOptions(tg::kFloat64));
        pg->allreduce({mean}, {tg::c10d::ReduceOp::AVG})->wait();
        if (rank == 0)
            std::printf("epoch %lld   train loss %.4f\n", (long long)epoch + 1,
                        mean.item<double>());
    }
    tg::NoGradGuard no_grad;
    auto logits = model->forward(fmnist.test.data().reshape({-1, 784}));
    const double accuracy =
        logits.argmax(1).eq(fmnist.test.targets()).to(tg::kFloat64).mean().item<double>();
    std::printf("rank %d: test accuracy %.4f (expected at least %.2f)\n", rank, accuracy,
                min_accuracy);
    return accuracy >= min_accuracy ? 0 : 1;
}
