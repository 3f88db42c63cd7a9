// DistributedDataParallel on 2 ranks against one process: each rank trains on its half of the
// global batch; averaged gradients must give the parameters one process gets on the whole batch.
#include <doctest/doctest.h>

#include "tests/distributed/world.hpp"

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
using tapegrad_test::world;
using tg::Tensor;

namespace {

nn::Sequential make_mlp(uint64_t seed) {
    tg::manual_seed(seed);
    nn::Sequential mlp(nn::Linear(5, 16), nn::Tanh(), nn::Linear(16, 8), nn::ReLU(),
                       nn::Linear(8, 3));
    mlp->to(tg::kFloat64);
    return mlp;
}

// The global batch of step k: 16 rows, the same on every rank.
std::pair<Tensor, Tensor> batch(int step) {
    tg::manual_seed(1000 + static_cast<uint64_t>(step));
    Tensor x = tg::randn({16, 5}, tg::TensorOptions(tg::kFloat64));
    Tensor y = tg::randn({16, 3}, tg::TensorOptions(tg::kFloat64));
    return {x, y};
}

double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
    return m;
}

// 20 steps of SGD with momentum on the global batch, in one process.
std::vector<Tensor> train_alone() {
    nn::Sequential model = make_mlp(1);
    tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.05).momentum(0.9));
    for (int step = 0; step < 20; ++step) {
        auto [x, y] = batch(step);
        opt.zero_grad();
        tg::mse_loss(model->forward(x), y).backward();
        opt.step();
    }
    return model->parameters();
}

// This rank's rows of the global batch.
Tensor shard(const Tensor& t) {
    const auto& pg = world();
    const int64_t rows = t.size(0) / pg->getSize();
    return t.slice(0, pg->getRank() * rows, (pg->getRank() + 1) * rows);
}

}  // namespace

TEST_SUITE("distributed/ddp") {
    TEST_CASE(
        "DistributedDataParallel: 20 steps on 2 ranks give the parameters of 1 process on the "
        "whole batch") {
        const auto& pg = world();
        // different initial weights per rank: the constructor must copy rank 0's
        nn::parallel::DistributedDataParallel ddp(
            make_mlp(pg->getRank() == 0 ? 1 : 77), pg,
            nn::parallel::DistributedDataParallelOptions().bucket_cap_mb(0.001));
        CHECK(ddp.reducer().bucket_indices().size() > 1);  // several buckets, in reverse order
        CHECK(ddp.reducer().bucket_indices().front().front() == ddp.parameters().size() - 1);
        tg::optim::SGD opt(ddp.parameters(), tg::optim::SGDOptions(0.05).momentum(0.9));
        for (int step = 0; step < 20; ++step) {
            auto [x, y] = batch(step);
            opt.zero_grad();
            tg::mse_loss(ddp(shard(x)), shard(y)).backward();  // mean over this rank's half
            opt.step();
        }
        const double diff = max_abs_diff(ddp.parameters(), train_alone());
        CAPTURE(diff);
        CHECK(diff < 1e-10);
    }

    TEST_CASE("DistributedDataParallel: gradient accumulation under no_sync matches one process") {
        const auto& pg = world();
        nn::parallel::DistributedDataParallel ddp(make_mlp(1), pg);
        tg::optim::SGD opt(ddp.parameters(), tg::optim::SGDOptions(0.05).momentum(0.9));
        for (int step = 0; step < 20; ++step) {
            auto [x, y] = batch(step);
            Tensor xs = shard(x), ys = shard(y);
            const int64_t half = xs.size(0) / 2;
            opt.zero_grad();
            {
                auto no_sync = ddp.no_sync();  // first micro-batch: local accumulation only
                (0.5 * tg::mse_loss(ddp(xs.slice(0, 0, half)), ys.slice(0, 0, half))).backward();
            }
            (0.5 * tg::mse_loss(ddp(xs.slice(0, half)), ys.slice(0, half))).backward();
            opt.step();
        }
        const double diff = max_abs_diff(ddp.parameters(), train_alone());
        CAPTURE(diff);
        CHECK(diff < 1e-10);
    }

    TEST_CASE("DistributedDataParallel: gradients are averaged over ranks when backward returns") {
        const auto& pg = world();
        nn::parallel::DistributedDataParallel ddp(nn::Linear(3, 1), pg);
        Tensor x = tg::full({1, 3}, 1.0 + pg->getRank());
        ddp(x).sum().backward();
        // d(w.x)/dw = x: the average of 1, 2, ..., size
        const double want = (pg->getSize() + 1) / 2.0;
        CHECK(ddp.module()->weight.grad().allclose(tg::full({1, 3}, want), 1e-6, 0));
        CHECK(ddp.module()->bias.grad().allclose(tg::ones({1}), 1e-6, 0));
    }

    TEST_CASE(
        "DistributedDataParallel: a parameter unused on one rank gets the average with zero") {
        const auto& pg = world();
        struct TwoHeadsImpl : nn::Module {
            nn::Linear a{nullptr}, b{nullptr};
            TwoHeadsImpl() {
                a = register_module("a", nn::Linear(2, 1));
                b = register_module("b", nn::Linear(2, 1));
            }
            Tensor forward(const Tensor& x, bool use_b) { return use_b ? a(x) + b(x) : a(x); }
        };
        auto model = std::make_shared<TwoHeadsImpl>();
        nn::parallel::DistributedDataParallel ddp(
            model, pg, nn::parallel::DistributedDataParallelOptions().find_unused_parameters(true));
        Tensor x = tg::ones({1, 2});
        ddp(x, /*use_b=*/pg->getRank() == 0).sum().backward();
        CHECK(model->a->weight.grad().allclose(tg::ones({1, 2}), 1e-6, 0));
        REQUIRE(model->b->weight.grad().defined());
        CHECK(model->b->weight.grad().allclose(tg::full({1, 2}, 1.0 / pg->getSize()), 1e-6, 0));

        // without find_unused_parameters, the next forward names the parameters left unreduced
        auto model2 = std::make_shared<TwoHeadsImpl>();
        nn::parallel::DistributedDataParallel strict(model2, pg);
        strict(x, false).sum().backward();
        CHECK_THROWS_WITH_AS(strict(x, false),
                             doctest::Contains("did not reduce the gradients of b.weight, b.bias"),
                             std::logic_error);
    }
}
