// The classic first example: 1000 samples of 8 random features, a 10-10-1 network with ReLU
// and a sigmoid output, binary cross-entropy (Keras's binary_crossentropy), Adam, 10 epochs
// of batch 32, and the accuracy on held-out data.   binary_classifier [--epochs N]
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

    // the label is which side of a random hyperplane the features fall on, with 5% flipped
    auto x = tg::randn({1000, 8});
    auto w = tg::randn({8, 1});
    auto flip = tg::bernoulli({1000, 1}, 0.05);
    auto y = tg::abs((tg::matmul(x, w) > 0.0).to(tg::kFloat32) - flip);  // [1000, 1] of 0 and 1
    auto [train, test] = tg::data::train_val_split(tg::data::TensorDataset(x, y), 0.2, /*seed=*/0);

    tg::nn::Sequential model(tg::nn::Linear(8, 10), tg::nn::ReLU(),   //
                             tg::nn::Linear(10, 10), tg::nn::ReLU(),  //
                             tg::nn::Linear(10, 1), tg::nn::Sigmoid());
    // Keras's Adam starts at 1e-3; 1e-2 suits the mere 250 steps of 10 epochs better
    tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(1e-2));
    tg::data::DataLoader loader(train, tg::data::DataLoaderOptions().batch_size(32).shuffle(true));

    // model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    // model.fit(x_train, y_train, epochs=10, batch_size=32)
    std::printf("%lld training and %lld test samples\n", (long long)*train.size(),
                (long long)*test.size());
    tg::fit(model, tg::binary_cross_entropy, optimizer, loader, tg::FitOptions().epochs(epochs));

    // model.evaluate(x_test, y_test): single sigmoid output, so class 1 means output > 0.5
    auto result = tg::evaluate(model, test, tg::binary_cross_entropy);
    std::printf(
        "test loss %.4f, test accuracy %.4f (expected above 0.85; 5%% of labels are noise)\n",
        result.loss, result.accuracy);
    return result.accuracy > 0.85 ? 0 : 1;
}
