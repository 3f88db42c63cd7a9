// Choosing the learning rate: a grid search over powers of ten (and their thirds), then a
// random search that samples the rate log-uniformly in [1e-4, 1e-1], each trial training the
// same 2-64-64-3 MLP with Adam on spirals and scoring it by validation accuracy.
//   lr_search [--epochs N]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <tapegrad.hpp>

#include "args.hpp"
#include <vector>
namespace tg = tapegrad;

// Three spiral arms of `per_class` points each in 2-D, labels 0, 1, 2.
tg::data::TensorDataset spirals(int64_t per_class) {
    std::vector<tg::Tensor> xs, ys;
    for (int64_t k = 0; k < 3; ++k) {
        auto r = tg::linspace(0.05, 1.0, per_class);
        auto theta = 5.0 * r + 2.1 * static_cast<double>(k) + 0.4 * tg::randn({per_class});
        xs.push_back(tg::stack({r * tg::sin(theta), r * tg::cos(theta)}, 1));
        ys.push_back(tg::full({per_class}, k, tg::kInt64));
    }
    return tg::data::TensorDataset(tg::cat(xs), tg::cat(ys));
}

struct Trial {
    double lr;
    double val_accuracy;
};

int main(int argc, char** argv) {
    Args args(argc, argv, "[--epochs N]");
    const int64_t epochs = args.integer("--epochs", 15);
    args.done();
    tg::manual_seed(0);
    auto [train, val] = tg::data::train_val_split(spirals(300), 0.25, /*seed=*/0);

    auto run_trial = [&](double lr) {
        tg::manual_seed(1);  // the same initial weights in every trial: only the rate differs
        tg::nn::Sequential model(tg::nn::Linear(2, 64), tg::nn::ReLU(), tg::nn::Linear(64, 64),
                                 tg::nn::ReLU(), tg::nn::Linear(64, 3));
        tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(lr));
        tg::data::DataLoader loader(train,
                                    tg::data::DataLoaderOptions().batch_size(32).shuffle(true));
        auto h = tg::fit(model, tg::cross_entropy, optimizer, loader,
                         tg::FitOptions().epochs(epochs).validation(val).verbose(false));
        std::printf("  lr %.2e   val_acc %.4f   val_loss %.4f\n", lr, h.val_accuracy.back(),
                    h.val_loss.back());
        return Trial{lr, h.val_accuracy.back()};
    };
    auto best_of = [](const std::vector<Trial>& trials) {
        Trial best = trials.front();
        for (const Trial& t : trials)
            if (t.val_accuracy > best.val_accuracy) best = t;
        return best;
    };

    std::printf("grid search (%lld epochs per trial):\n", (long long)epochs);
    std::vector<Trial> grid;
    for (double lr : {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1}) grid.push_back(run_trial(lr));

    std::printf("random search, lr = 10^u with u uniform in [-4, -1]:\n");
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> exponent(-4.0, -1.0);
    std::vector<Trial> random;
    for (int i = 0; i < 7; ++i) random.push_back(run_trial(std::pow(10.0, exponent(rng))));

    const Trial g = best_of(grid), r = best_of(random);
    const Trial best = r.val_accuracy > g.val_accuracy ? r : g;
    std::printf("best of grid: lr %.2e (%.4f); best of random: lr %.2e (%.4f)\n", g.lr,
                g.val_accuracy, r.lr, r.val_accuracy);
    const double worst_grid = [&] {
        double w = 1;
        for (auto& t : grid) w = std::min(w, t.val_accuracy);
        return w;
    }();
    std::printf(
        "chosen learning rate %.2e with validation accuracy %.4f (expected above 0.9, "
        "while the worst grid rate gets %.4f)\n",
        best.lr, best.val_accuracy, worst_grid);
    return best.val_accuracy > 0.9 && worst_grid < best.val_accuracy ? 0 : 1;
}
