// fit() with FitOptions::process_group on 2 ranks: the gradients are averaged (the parameters
// are those of one process on both ranks' batches), the epoch's numbers are summed over the ranks
// (every rank records the same History, that of all the samples), only rank 0 writes files, and
// a stop asked on one rank stops all. distributed/fit_load then loads, in a single process, the
// checkpoint rank 0 wrote.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>

#include "tests/distributed/world.hpp"

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace train = tapegrad::train;
using tapegrad_test::world;
using tg::Tensor;

namespace {

constexpr int64_t kSamples = 40;
constexpr int64_t kBatch = 5;
constexpr int64_t kEpochs = 3;
constexpr uint64_t kSeed = 11;

nn::Sequential make_mlp(uint64_t seed) {
    tg::manual_seed(seed);
    nn::Sequential mlp(nn::Linear(4, 12), nn::Tanh(), nn::Linear(12, 3));
    mlp->to(tg::kFloat64);
    return mlp;
}

// The same 40 samples of 3 classes on every rank; fit shards them.
tg::data::TensorDataset dataset() {
    tg::manual_seed(5);
    Tensor x = tg::randn({kSamples, 4}, tg::TensorOptions(tg::kFloat64));
    Tensor y = x.slice(1, 0, 3).argmax(1);
    return tg::data::TensorDataset(x, y);
}

// What fit with 2 ranks must compute, in one process: each step's batch is the union of the two
// ranks' batches (rank r takes every second sample of the epoch's order from r on), so averaging
// the two mean losses' gradients is the gradient of the mean over the union.
std::vector<Tensor> train_alone() {
    nn::Sequential model = make_mlp(1);
    tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1).momentum(0.9));
    const tg::data::TensorDataset data = dataset();
    std::mt19937_64 rng(kSeed);
    for (int64_t epoch = 0; epoch < kEpochs; ++epoch) {
        const std::vector<int64_t> order = tg::data::shuffled_indices(kSamples, rng);
        for (int64_t start = 0; start < kSamples / 2; start += kBatch) {
            std::vector<size_t> rows;
            for (int r = 0; r < 2; ++r) {
                for (int64_t i = start; i < start + kBatch; ++i)
                    rows.push_back(static_cast<size_t>(order[static_cast<size_t>(2 * i + r)]));
            }
            const tg::data::Batch b = data.get_batch(rows);
            opt.zero_grad();
            tg::cross_entropy(model->forward(b.data), b.target).backward();
            opt.step();
        }
    }
    return model->parameters();
}

double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    REQUIRE(a.size() == b.size());
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, (a[i] - b[i]).abs().max().item<double>());
    return m;
}

// Every rank's values of `v`, in rank order.
std::vector<std::vector<double>> gathered(const std::vector<double>& v) {
    Tensor mine = tg::from_blob(v.data(), {static_cast<int64_t>(v.size())}, tg::kFloat64).clone();
    std::vector<Tensor> all = {tg::empty_like(mine), tg::empty_like(mine)};
    world()->allgather({all}, {mine})->wait();
    return {all[0].to_vector<double>(), all[1].to_vector<double>()};
}

std::string fit_dir() {
    return TAPEGRAD_FIT_DIR;
}

}  // namespace

TEST_SUITE("distributed/fit") {
    TEST_CASE(
        "fit: with a process group, the parameters are those of one process on both ranks' "
        "batches, and every rank records the epochs over all samples") {
        const int rank = world()->getRank();
        REQUIRE(world()->getSize() == 2);
        if (rank == 0) {
            std::filesystem::remove_all(fit_dir());
            std::filesystem::create_directories(fit_dir());
        }
        world()->barrier()->wait();

        // each rank starts from other weights: fit must copy rank 0's (seed 1) to rank 1
        nn::Sequential model = make_mlp(rank == 0 ? 1 : 99);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1).momentum(0.9));
        // validation data of unequal sizes: rows 0..2 on rank 0, 3..9 on rank 1, so a mean of
        // the ranks' means (or rank 0's alone) differs from the mean over the 10 samples
        tg::manual_seed(6);
        const Tensor vx = tg::randn({10, 4}, tg::TensorOptions(tg::kFloat64));
        const Tensor vy = vx.slice(1, 1, 4).argmax(1);
        const int64_t lo = rank == 0 ? 0 : 3, hi = rank == 0 ? 3 : 10;
        const tg::data::TensorDataset my_val(vx.slice(0, lo, hi), vy.slice(0, lo, hi));
        const std::string tag = "rank" + std::to_string(rank);
        const tg::History h =
            tg::fit(model, tg::cross_entropy, opt, dataset(),
                    tg::FitOptions()
                        .epochs(kEpochs)
                        .batch_size(kBatch)
                        .seed(kSeed)
                        .verbose(false)
                        .validation(my_val, 4)
                        .metrics({train::F1Score(train::Average::macro), train::TopKAccuracy(2),
                                  train::Precision(train::Average::none)})
                        .callback(train::CSVLogger(fit_dir() + "/log_" + tag + ".csv"))
                        .callback(train::ModelCheckpoint(fit_dir() + "/ckpt_" + tag + ".tg"))
                        .process_group(world()));

        CHECK(max_abs_diff(model->parameters(), train_alone()) < 1e-10);

        // the last epoch's validation numbers are those of the final model over all 10 samples
        const tg::EvalResult all =
            tg::evaluate(model, tg::data::TensorDataset(vx, vy), tg::cross_entropy,
                         {train::F1Score(train::Average::macro), train::TopKAccuracy(2),
                          train::Precision(train::Average::none)},
                         4);
        REQUIRE(h.size() == static_cast<size_t>(kEpochs));
        CHECK(h.val_loss.back() == doctest::Approx(all.loss).epsilon(1e-12));
        CHECK(h.val_accuracy.back() == doctest::Approx(all.accuracy).epsilon(1e-12));
        for (const char* name : {"f1_macro", "top_2_accuracy", "precision_0", "precision_2"}) {
            CAPTURE(name);
            CHECK(h["val_" + std::string(name)].back() ==
                  doctest::Approx(all.metric(name)).epsilon(1e-12));
        }

        // every column of the History is the same on both ranks (the shards differ)
        std::vector<double> mine;
        for (const std::string& key : h.keys()) {
            if (key == "seconds") continue;
            for (double v : h[key]) mine.push_back(v);
        }
        const auto both = gathered(mine);
        CHECK(both[0] == both[1]);

        // files: rank 0's only, and its CSV is the History
        world()->barrier()->wait();
        CHECK(std::filesystem::exists(fit_dir() + "/log_rank0.csv"));
        CHECK(std::filesystem::exists(fit_dir() + "/ckpt_rank0.tg"));
        CHECK_FALSE(std::filesystem::exists(fit_dir() + "/log_rank1.csv"));
        CHECK_FALSE(std::filesystem::exists(fit_dir() + "/ckpt_rank1.tg"));
        world()->barrier()->wait();
    }

    TEST_CASE("fit: a stop asked by a callback on one rank stops every rank after that batch") {
        const int rank = world()->getRank();
        nn::Sequential model = make_mlp(1);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        auto stopper = std::make_shared<train::LambdaCallback>();
        int64_t batches_seen = 0;
        stopper->batch_end = [&](train::FitState& s) {
            ++batches_seen;
            if (s.rank == 1 && s.epoch == 2 && s.batch == 2) s.stop("rank 1 asked");
        };
        const tg::History h = tg::fit(model, tg::cross_entropy, opt, dataset(),
                                      tg::FitOptions()
                                          .epochs(5)
                                          .batch_size(kBatch)
                                          .verbose(false)
                                          .callback(stopper)
                                          .process_group(world()));
        CHECK(h.size() == 2);
        CHECK(batches_seen == 4 + 2);  // 20 samples per rank: 4 batches, then 2 in epoch 2
        if (rank == 1) CHECK(h.stop_reason == "rank 1 asked");
    }

    TEST_CASE("fit: loaders giving the ranks different numbers of batches are refused") {
        const int rank = world()->getRank();
        nn::Sequential model = make_mlp(1);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        const tg::data::TensorDataset data = dataset();
        tg::data::DataLoader loader(data,
                                    tg::data::DataLoaderOptions().batch_size(rank == 0 ? 10 : 20));
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, loader,
                    tg::FitOptions().epochs(1).verbose(false).process_group(world())),
            doctest::Contains("fit: the batches per epoch differ between the ranks"),
            std::invalid_argument);
    }

    TEST_CASE("fit: a metric without all_reduce is refused, naming it, on every rank") {
        struct Count : train::Metric {
            int64_t n = 0;
            void reset() override { n = 0; }
            void update(const Tensor& o, const Tensor&, double) override { n += o.size(0); }
            std::vector<train::MetricValue> compute() const override {
                return {{"count", static_cast<double>(n)}};
            }
            std::unique_ptr<train::Metric> clone() const override {
                return std::make_unique<Count>(*this);
            }
        };
        nn::Sequential model = make_mlp(1);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, dataset(),
                    tg::FitOptions().epochs(1).verbose(false).metrics({Count()}).process_group(
                        world())),
            doctest::Contains("does not combine its counts over processes"), std::logic_error);
    }
}

// Run by a single process after distributed/fit: the checkpoint rank 0 saved while 2 ranks
// trained loads into a plain model, and holds the parameters one process computes.
TEST_SUITE("distributed/fit_load") {
    TEST_CASE("fit: a checkpoint saved by rank 0 of 2 loads with 1 process") {
        REQUIRE(world()->getSize() == 1);
        nn::Sequential model = make_mlp(3);
        tg::load(model, fit_dir() + "/ckpt_rank0.tg");
        CHECK(max_abs_diff(model->parameters(), train_alone()) < 1e-10);
        // and training goes on from it with a group of one
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        const tg::History h = tg::fit(
            model, tg::cross_entropy, opt, dataset(),
            tg::FitOptions().epochs(1).batch_size(kBatch).verbose(false).process_group(world()));
        CHECK(h.size() == 1);
        CHECK(std::isfinite(h.loss[0]));
    }
}
