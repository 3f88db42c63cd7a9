// Choosing the learning rate with the library's search helpers: train::grid_search over seven
// rates evenly spaced in log from 1e-4 to 1e-1, then train::random_search drawing seven rates
// log-uniformly from the same range. Each trial trains the same 2-64-64-3 MLP with Adam on
// spirals and is scored by its best epoch's validation accuracy; the tables are written as CSV
// and plotted (lr_search_grid.svg, lr_search_random.svg).
//   lr_search [--epochs N]
#include <cstdio>
#include <iostream>
#include <tapegrad.hpp>
#include <vector>

#include "args.hpp"
namespace tg = tapegrad;
namespace train = tapegrad::train;

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

int main(int argc, char** argv) {
    Args args(argc, argv, "[--epochs N]");
    const int64_t epochs = args.integer("--epochs", 15);
    args.done();
    tg::manual_seed(0);
    auto [train_data, val_data] = tg::data::train_val_split(spirals(300), 0.25, /*seed=*/0);

    // one trial: the same initial weights every time (only the rate differs), fit's History
    auto trial = [&](const train::Params& p) {
        tg::manual_seed(1);
        tg::nn::Sequential model(tg::nn::Linear(2, 64), tg::nn::ReLU(), tg::nn::Linear(64, 64),
                                 tg::nn::ReLU(), tg::nn::Linear(64, 3));
        tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(p["lr"]));
        return tg::fit(
            model, tg::cross_entropy, optimizer, train_data,
            tg::FitOptions().epochs(epochs).batch_size(32).validation(val_data).verbose(false));
    };
    const auto options = train::SearchOptions().monitor("val_accuracy");

    std::printf("grid search (%lld epochs per trial):\n", (long long)epochs);
    auto grid = train::grid_search({{"lr", train::log_uniform(1e-4, 1e-1, 7)}}, trial, options);
    std::printf("random search, lr log-uniform in [1e-4, 1e-1]:\n");
    auto random = train::random_search({{"lr", train::log_uniform(1e-4, 1e-1)}}, trial,
                                       train::SearchOptions(options).trials(7).seed(7));
    std::cout << "grid search, best first:\n" << grid;
    grid.write_csv("lr_search_grid.csv");
    grid.plot("lr_search_grid.svg", "grid search: Adam on spirals");
    random.write_csv("lr_search_random.csv");
    random.plot("lr_search_random.svg", "random search: Adam on spirals");
    std::printf(
        "tables in lr_search_grid.csv and lr_search_random.csv, plots in "
        "lr_search_grid.svg and lr_search_random.svg\n");

    const train::Trial& g = grid.best();
    const train::Trial& r = random.best();
    const train::Trial& best = r.score > g.score ? r : g;
    const double worst_grid = grid.trials.back().score;
    std::printf("best of grid: lr %.2e (%.4f); best of random: lr %.2e (%.4f)\n", g.params["lr"],
                g.score, r.params["lr"], r.score);
    std::printf(
        "chosen learning rate %.2e with validation accuracy %.4f (expected above 0.9, "
        "while the worst grid rate gets %.4f)\n",
        best.params["lr"], best.score, worst_grid);
    return best.score > 0.9 && worst_grid < best.score ? 0 : 1;
}
