// The main job: an MLP (784-256-128-10, ReLU, dropout 0.2) trained on Fashion-MNIST with Adam,
// a cosine learning-rate schedule and label smoothing. Reaches a test accuracy of at least 0.885
// in 10 epochs (0.890 with the default seed, 0.892 with seed 2). Prints the model's summary and
// the test set's confusion matrix; draws the curves and the matrix as SVG.
//   fashion_mnist [--epochs N] [--batch-size N] [--lr X] [--data DIR] [--seed N] [--out DIR]
//                 [--limit N (use the first N training images)] [--min-accuracy X] [--autocast]
// --autocast trains and evaluates with the matrix products in bfloat16 (tapegrad::autocast).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <tapegrad.hpp>
#include <vector>

#include "args.hpp"
namespace tg = tapegrad;

int main(int argc, char** argv) {
    std::vector<char*> rest(argv, argv + argc);  // --autocast, the one flag without a value
    const auto ac = std::find(rest.begin(), rest.end(), std::string("--autocast"));
    const bool autocast = ac != rest.end();
    if (autocast) rest.erase(ac);
    Args args(static_cast<int>(rest.size()), rest.data(),
              "[--epochs N] [--batch-size N] [--lr X] [--data DIR] [--seed N] [--out DIR] "
              "[--limit N (use the first N training images)] [--min-accuracy X] [--autocast]");
    const int64_t epochs = args.integer("--epochs", 10);
    const int64_t batch_size = args.integer("--batch-size", 64);
    const double lr = args.real("--lr", 1e-3);
    const std::string data_dir = args.text("--data", tg::data::kFashionMNISTDir);
    const uint64_t seed = args.integer("--seed", 1, 0);
    const std::string out_dir = args.text("--out", "fashion_mnist_out");
    const int64_t limit = args.integer("--limit", 0, 0);
    const double min_accuracy = args.real("--min-accuracy", 0.885);
    args.done();
    if (!std::filesystem::exists(data_dir)) {
        std::fprintf(stderr,
                     "no Fashion-MNIST in %s (apt-get install dataset-fashion-mnist, or "
                     "pass --data DIR): skipped\n",
                     data_dir.c_str());
        return 77;  // CTest's SKIP_RETURN_CODE for this example
    }

    tg::manual_seed(seed);
    auto fmnist = tg::data::load_fashion_mnist(data_dir);
    auto train = fmnist.train;
    if (limit > 0 && limit < static_cast<int64_t>(*train.size())) {
        train = tg::data::TensorDataset(train.data().slice(0, 0, limit),
                                        train.targets().slice(0, 0, limit));
    }
    std::printf(
        "Fashion-MNIST: %lld training and %lld test images, %lld epochs, batch %lld, lr %g%s\n",
        (long long)*train.size(), (long long)*fmnist.test.size(), (long long)epochs,
        (long long)batch_size, lr,
        !autocast                      ? ""
        : tg::autocast::is_available() ? ", bfloat16 products (autocast)"
                                       : ", autocast (a no-op on this machine)");
    std::optional<tg::autocast::AutocastGuard> bf16;  // to the end: training and evaluation
    if (autocast) bf16.emplace();

    tg::nn::Sequential model(tg::nn::Linear(784, 256), tg::nn::ReLU(), tg::nn::Dropout(0.2),
                             tg::nn::Linear(256, 128), tg::nn::ReLU(), tg::nn::Dropout(0.2),
                             tg::nn::Linear(128, 10));
    std::cout << tg::train::summary(model, {784});
    tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(lr));
    tg::optim::CosineAnnealingLR schedule(optimizer, /*T_max=*/epochs);
    tg::data::DataLoader loader(
        train, tg::data::DataLoaderOptions().batch_size(batch_size).shuffle(true).seed(seed));

    // Label smoothing (targets 0.91 and 0.01 instead of 1 and 0) keeps the logits from growing
    // without bound on the easy classes: about +0.2 points of test accuracy here, at no cost.
    tg::nn::CrossEntropyLoss loss(tg::nn::CrossEntropyLossOptions().label_smoothing(0.1));
    // the test set only monitors the curves here; nothing is chosen by it
    auto history = tg::fit(model, loss, optimizer, loader,
                           tg::FitOptions()
                               .epochs(epochs)
                               .validation(fmnist.test)
                               .scheduler(schedule)
                               .metrics({tg::train::F1Score(tg::train::Average::macro)}));
    double total_seconds = 0;
    for (double s : history.seconds) total_seconds += s;
    std::printf("time per epoch %.1f s (total %.1f s)\n", total_seconds / history.size(),
                total_seconds);

    std::filesystem::create_directories(out_dir);
    tg::save(model, out_dir + "/fashion_mnist_mlp.tg");
    history.write_csv(out_dir + "/history.csv");
    std::printf("saved the model and history.csv in %s/\n", out_dir.c_str());
    if (history.plot(out_dir + "/curves.svg", tg::train::PlotOptions().title("Fashion-MNIST MLP")))
        std::printf("curves in %s/curves.svg\n", out_dir.c_str());

    const tg::Tensor logits = tg::train::predict(model, fmnist.test.data(), 256);
    const tg::train::ConfusionMatrix cm(logits, fmnist.test.targets());
    const std::vector<std::string> names(tg::data::FashionMNIST::class_names.begin(),
                                         tg::data::FashionMNIST::class_names.end());
    std::cout << cm.to_string(names);
    cm.write_svg(out_dir + "/confusion_matrix.svg", names, "Fashion-MNIST test set");
    std::printf("confusion matrix in %s/confusion_matrix.svg; macro F1 %.4f\n", out_dir.c_str(),
                cm.f1(tg::train::Average::macro));

    const auto test = tg::evaluate(model, fmnist.test, tg::cross_entropy);
    std::printf("test accuracy %.4f (expected at least %.3f)\n", test.accuracy, min_accuracy);
    return test.accuracy >= min_accuracy ? 0 : 1;
}
