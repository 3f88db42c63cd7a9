// Multi-class classification as the classic material writes it: 100 inputs, a 64-64-10
// network with ReLU and a softmax output, sparse categorical cross-entropy, fit with a
// validation split, then evaluate on held-out data.   multiclass [--epochs N]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tapegrad.hpp>

#include "args.hpp"
namespace tg = tapegrad;

int main(int argc, char** argv) {
    Args args(argc, argv, "[--epochs N]");
    const int64_t epochs = args.integer("--epochs", 10);
    args.done();
    tg::manual_seed(0);

    // synthetic, separable data: 10 random class centres in 100-D, samples scattered around them
    const int64_t n = 3000;
    auto centres = tg::randn({10, 100});
    auto labels = tg::randint(0, 10, {n});                                 // int64 [n]
    auto x = centres.index_select(0, labels) + 2.0 * tg::randn({n, 100});  // [n, 100]
    auto parts = tg::data::random_split(tg::data::TensorDataset(x, labels), {0.7, 0.15, 0.15});
    auto& train = parts[0];
    auto& val = parts[1];
    auto& test = parts[2];

    // Dense(64, relu), Dense(64, relu), Dense(10, softmax)
    tg::nn::Sequential model(tg::nn::Linear(100, 64), tg::nn::ReLU(),  //
                             tg::nn::Linear(64, 64), tg::nn::ReLU(),   //
                             tg::nn::Linear(64, 10), tg::nn::Softmax(1));
    // sparse_categorical_crossentropy on probabilities: -log p[label]. On logits (without the
    // Softmax layer) tapegrad::cross_entropy computes the same thing in one stable step.
    auto sparse_categorical_crossentropy = [](const tg::Tensor& probs, const tg::Tensor& target) {
        return tg::nll_loss(tg::log(probs.clamp_min(1e-7)), target);
    };
    tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(1e-3));
    tg::data::DataLoader loader(train, tg::data::DataLoaderOptions().batch_size(32).shuffle(true));

    std::printf("train %lld, validation %lld, test %lld samples of 100 features, 10 classes\n",
                (long long)*train.size(), (long long)*val.size(), (long long)*test.size());
    auto history = tg::fit(model, sparse_categorical_crossentropy, optimizer, loader,
                           tg::FitOptions().epochs(epochs).validation(val));

    auto result = tg::evaluate(model, test, sparse_categorical_crossentropy);
    std::printf("test loss %.4f, test accuracy %.4f (expected above 0.95)\n", result.loss,
                result.accuracy);
    return result.accuracy > 0.95 ? 0 : 1;
}
