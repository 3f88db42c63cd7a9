// Six optimizers on the same task and the same initial weights: full-batch gradient descent,
// mini-batch SGD, SGD with momentum, AdaGrad, RMSprop and Adam, training a 2-64-64-3 MLP on
// three interleaved spirals. Prints a table of final losses and plots the loss curves.
//   optimizers [--epochs N]
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
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

int main(int argc, char** argv) {
    Args args(argc, argv, "[--epochs N]");
    const int64_t epochs = args.integer("--epochs", 30);
    args.done();
    tg::manual_seed(0);
    auto data = spirals(300);
    namespace O = tg::optim;
    using Make = std::function<std::unique_ptr<O::Optimizer>(std::vector<tg::Tensor>)>;
    struct Choice {
        std::string name;
        int64_t batch_size;
        Make make;
    };
    const std::vector<Choice> choices = {
        {"GD (full batch)", static_cast<int64_t>(*data.size()),
         [](auto p) { return std::make_unique<O::SGD>(p, O::SGDOptions(0.5)); }},
        {"SGD", 32, [](auto p) { return std::make_unique<O::SGD>(p, O::SGDOptions(0.05)); }},
        {"momentum", 32,
         [](auto p) { return std::make_unique<O::SGD>(p, O::SGDOptions(0.05).momentum(0.9)); }},
        {"AdaGrad", 32,
         [](auto p) { return std::make_unique<O::Adagrad>(p, O::AdagradOptions(0.05)); }},
        {"RMSprop", 32,
         [](auto p) { return std::make_unique<O::RMSprop>(p, O::RMSpropOptions(3e-3)); }},
        {"Adam", 32, [](auto p) { return std::make_unique<O::Adam>(p, O::AdamOptions(3e-3)); }},
    };

    std::vector<tg::train::NamedHistory> runs;
    std::printf("%-16s %8s %10s %10s %9s\n", "optimizer", "batch", "first loss", "final loss",
                "accuracy");
    for (const Choice& c : choices) {
        tg::manual_seed(1);  // the same initial weights for every optimizer
        tg::nn::Sequential model(tg::nn::Linear(2, 64), tg::nn::ReLU(), tg::nn::Linear(64, 64),
                                 tg::nn::ReLU(), tg::nn::Linear(64, 3));
        auto optimizer = c.make(model->parameters());
        tg::data::DataLoader loader(
            data, tg::data::DataLoaderOptions().batch_size(c.batch_size).shuffle(true));
        auto h = tg::fit(model, tg::cross_entropy, *optimizer, loader,
                         tg::FitOptions().epochs(epochs).verbose(false));
        std::printf("%-16s %8lld %10.4f %10.4f %9.4f\n", c.name.c_str(), (long long)c.batch_size,
                    h.loss.front(), h.loss.back(), h.accuracy.back());
        runs.push_back({c.name, h});
    }
    if (tg::train::plot_histories("optimizers.svg", runs, {"loss", "accuracy"},
                                  tg::train::PlotOptions().title("Optimizers on three spirals")))
        std::printf("loss curves in optimizers.svg\n");

    // every optimizer must learn; the adaptive and momentum methods must beat one step per epoch
    bool ok = true;
    size_t best = 1;
    for (size_t i = 0; i < runs.size(); ++i) {
        ok = ok && runs[i].history.loss.back() < runs[i].history.loss.front();
        if (i > 0 && runs[i].history.loss.back() < runs[best].history.loss.back()) best = i;
    }
    const double gd = runs[0].history.loss.back();
    for (size_t i = 2; i < runs.size(); ++i) ok = ok && runs[i].history.loss.back() < gd;
    std::printf("lowest final loss: %s (%.4f), against %.4f for full-batch GD%s\n",
                runs[best].name.c_str(), runs[best].history.loss.back(), gd,
                ok ? "" : "  -- UNEXPECTED: see the table");
    return ok ? 0 : 1;
}
