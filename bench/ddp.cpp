// W1 (fashion-mlp, WORKLOADS.md) and W6 (fashion-cnn, conv_common.hpp) with
// DistributedDataParallel: each of the N processes takes its 1/N of every global batch of 64
// (same init, same batch order as the single-process workload), so the parameters follow it.
// Compare
//   OPENBLAS_NUM_THREADS=1 mpirun -np 1 build-bench/bench/bench_ddp W1
//   OPENBLAS_NUM_THREADS=1 mpirun -np 2 build-bench/bench/bench_ddp W1      (and W6)
// Prints the gradient buckets, then per epoch the seconds (rank 0's wall time of the epoch loop),
// the share of it spent in backward (all-reduce waits included) and waiting for gradient
// all-reduces, and the test accuracy.   [--epochs E] [--steps S (per epoch)]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <tapegrad.hpp>

#include "bench/common.hpp"
#include "bench/w6_net.hpp"
#include "distributed/distributed.hpp"

namespace tg = tapegrad;

namespace {

// What differs between the workloads: the model, its loss, its optimizer and its input shape.
std::shared_ptr<tg::nn::SequentialImpl> w1_model() {
    tg::nn::Linear fc1(784, 128), fc2(128, 10);
    tg::nn::Sequential model(fc1, tg::nn::ReLU(), fc2);
    const auto init = bench::init_mlp({784, 128, 10}, 1);
    tg::NoGradGuard no_grad;
    tg::nn::Linear layers[] = {fc1, fc2};
    for (size_t l = 0; l < 2; ++l) {
        layers[l]->weight.copy_(tg::from_blob(init[l].weight.data(), {init[l].out, init[l].in}));
        layers[l]->bias.copy_(tg::from_blob(init[l].bias.data(), {init[l].out}));
    }
    return model.ptr();
}

template <class Model, class Loss>
int run(const std::string& name, std::shared_ptr<Model> model, Loss loss_of,
        std::unique_ptr<tg::optim::Optimizer> (*make_optimizer)(std::vector<tg::Tensor>),
        std::vector<int64_t> batch_shape, int epochs, int64_t max_steps) {
    auto pg = tg::c10d::ProcessGroupMPI::createProcessGroupMPI();
    const int rank = pg->getRank(), size = pg->getSize();
    auto fmnist = tg::data::load_fashion_mnist();
    const tg::Tensor x_train = fmnist.train.data().reshape(batch_shape).to(tg::kFloat32);
    const tg::Tensor y_train = fmnist.train.targets();
    const tg::Tensor x_test = fmnist.test.data().reshape(batch_shape).to(tg::kFloat32);

    tg::nn::parallel::DistributedDataParallel<std::shared_ptr<Model>> ddp(model, pg);
    const auto opt = make_optimizer(ddp.parameters());
    if (rank == 0) {
        const auto params = ddp.parameters();
        const auto buckets = ddp.reducer().bucket_indices();
        std::printf("%s: %zu bucket(s) of gradients:", name.c_str(), buckets.size());
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
        model->train();
        const auto start = std::chrono::steady_clock::now();
        double backward_seconds = 0;
        bench::shuffle(perm, rng);
        const tg::Tensor order = tg::from_blob(perm.data(), {n}, tg::kInt64);
        for (int64_t k = 0; k * 64 < n && k < max_steps; ++k) {
            const int64_t len = std::min<int64_t>(64, n - k * 64), part = len / size;
            const tg::Tensor rows =
                order.slice(0, k * 64 + rank * part, k * 64 + (rank + 1) * part);
            opt->zero_grad();
            auto loss = loss_of(ddp(x_train.index_select(0, rows)), y_train.index_select(0, rows));
            const auto backward_start = std::chrono::steady_clock::now();
            loss.backward();
            backward_seconds +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - backward_start)
                    .count();
            opt->step();
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        total += seconds;
        const double waited = ddp.reducer().communication_wait_seconds() - waited_before;
        waited_before += waited;
        total_waited += waited;
        total_backward += backward_seconds;
        tg::NoGradGuard no_grad;
        model->eval();
        int64_t correct = 0;
        for (int64_t s = 0; s < x_test.size(0); s += 1000) {
            const int64_t len = std::min<int64_t>(1000, x_test.size(0) - s);
            const auto pred = model->forward(x_test.narrow(0, s, len)).argmax(1);
            correct +=
                pred.eq(fmnist.test.targets().narrow(0, s, len)).sum().template item<int64_t>();
        }
        const double acc = static_cast<double>(correct) / static_cast<double>(x_test.size(0));
        if (rank == 0)
            std::printf(
                "np %d epoch %d: %.3f s, backward %.1f%%, waiting for all-reduce %.1f%%, test "
                "accuracy %.4f\n",
                size, epoch, seconds, 100 * backward_seconds / seconds, 100 * waited / seconds,
                acc);
    }
    if (rank == 0) {
        std::printf("fig ddp_%s_np%d s/epoch %.4f samples/s %.0f backward %.1f%% wait %.1f%%\n",
                    name.c_str(), size, total / epochs,
                    static_cast<double>(std::min<int64_t>(n, max_steps * 64)) * epochs / total,
                    100 * total_backward / total, 100 * total_waited / total);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string name = argc > 1 ? argv[1] : "";
    if (name != "W1" && name != "W6") {
        std::fprintf(stderr, "usage: bench_ddp <W1|W6> [--epochs E] [--steps S]\n");
        return 2;
    }
    int epochs = 3;
    int64_t max_steps = 1 << 30;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--epochs")) epochs = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--steps")) max_steps = std::atoll(argv[i + 1]);
    }
    if (name == "W1") {
        return run(
            name, w1_model(),
            [](const tg::Tensor& out, const tg::Tensor& y) {
                return tg::nn::functional::cross_entropy(out, y);
            },
            [](std::vector<tg::Tensor> p) -> std::unique_ptr<tg::optim::Optimizer> {
                return std::make_unique<tg::optim::Adam>(std::move(p),
                                                         tg::optim::AdamOptions(1e-3));
            },
            {-1, 784}, epochs, max_steps);
    }
    return run(
        name, std::make_shared<bench::NetImpl>(),
        [](const tg::Tensor& out, const tg::Tensor& y) { return tg::nll_loss(out, y); },
        [](std::vector<tg::Tensor> p) -> std::unique_ptr<tg::optim::Optimizer> {
            return std::make_unique<tg::optim::SGD>(std::move(p),
                                                    tg::optim::SGDOptions(0.01).momentum(0.5));
        },
        {-1, 1, 28, 28}, epochs, max_steps);
}
