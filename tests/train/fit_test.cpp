#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"
#include "tests/train/model_test_util.hpp"

namespace tg = tapegrad;

using tapegrad_test::all_equal;
using tapegrad_test::blobs;
using tapegrad_test::copy_of;

TEST_SUITE("train/fit") {
    TEST_CASE("fit: stops after the first epoch whose training loss is below the threshold") {
        tg::manual_seed(1);
        auto x = tg::linspace(-1.0, 1.0, 64).unsqueeze(1);
        auto y = 2.0 * x + 1.0;
        tg::data::DataLoader loader(tg::data::TensorDataset(x, y),
                                    tg::data::DataLoaderOptions().batch_size(16).shuffle(true));
        tg::nn::Linear model(1, 1);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        auto h = tg::fit(model, tg::mse_loss, opt, loader,
                         tg::FitOptions().epochs(200).loss_threshold(0.01).verbose(false));
        CHECK(h.stop_reason == "loss_threshold");
        REQUIRE(h.size() > 1);
        CHECK(h.size() < 200);
        CHECK(h.loss.back() < 0.01);
        for (size_t i = 0; i + 1 < h.size(); ++i) CHECK(h.loss[i] >= 0.01);
    }

    TEST_CASE("fit: early stopping waits `patience` epochs and restores the best weights") {
        tg::manual_seed(2);
        // validation labels are the training labels flipped: the better the model fits the
        // training data, the worse its validation loss, so epoch 1 stays the best
        auto train = blobs(32);
        auto val = blobs(32, /*flip_labels=*/true);
        for (bool restore : {true, false}) {
            CAPTURE(restore);
            tg::manual_seed(3);
            tg::nn::Linear model(2, 2);
            tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.5));
            tg::data::DataLoader loader(train, tg::data::DataLoaderOptions().batch_size(16));
            std::vector<std::vector<tg::Tensor>> after_epoch;
            auto h = tg::fit(model, tg::cross_entropy, opt, loader,
                             tg::FitOptions()
                                 .epochs(50)
                                 .validation(val)
                                 .early_stopping(/*patience=*/3)
                                 .restore_best(restore)
                                 .verbose(false)
                                 .on_epoch_end([&](const tg::History&) {
                                     after_epoch.push_back(copy_of(model->parameters()));
                                 }));
            CHECK(h.stop_reason == "early_stopping");
            CHECK(h.best_epoch == 1);
            REQUIRE(h.size() == 4);  // the best epoch, then 3 without improvement
            REQUIRE(after_epoch.size() == 4);
            for (size_t i = 1; i < h.size(); ++i) CHECK(h.val_loss[i] >= h.val_loss[0]);
            CHECK_FALSE(all_equal(after_epoch[0], after_epoch[3]));
            const auto& expected = restore ? after_epoch[0] : after_epoch[3];
            CHECK(all_equal(model->parameters(), expected));
            CHECK(model->is_training());
        }
    }

    TEST_CASE("fit: records each epoch's metrics and the learning rate the scheduler set") {
        tg::manual_seed(4);
        auto train = blobs(32);
        tg::nn::Linear model(2, 2);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.2));
        tg::optim::ExponentialLR sched(opt, /*gamma=*/0.5);
        tg::data::DataLoader loader(train,
                                    tg::data::DataLoaderOptions().batch_size(8).shuffle(true));
        auto h = tg::fit(
            model, tg::cross_entropy, opt, loader,
            tg::FitOptions().epochs(3).validation(train, 10).scheduler(sched).verbose(false));
        CHECK(h.stop_reason == "epochs");
        CHECK(h.epoch == std::vector<int64_t>{1, 2, 3});
        REQUIRE(h.lr.size() == 3);
        CHECK(h.lr[0] == doctest::Approx(0.2));
        CHECK(h.lr[1] == doctest::Approx(0.1));
        CHECK(h.lr[2] == doctest::Approx(0.05));
        CHECK(h.seconds.size() == 3);
        REQUIRE(h.val_accuracy.size() == 3);
        // well separated blobs: the model learns them, and validation on the training data agrees
        // with an evaluate() after training
        CHECK(h.val_accuracy.back() > 0.9);
        auto final_eval = tg::evaluate(model, train, tg::cross_entropy, 10);
        CHECK(final_eval.loss == doctest::Approx(h.val_loss.back()));
        CHECK(final_eval.accuracy == doctest::Approx(h.val_accuracy.back()));
        CHECK(final_eval.samples == 64);
    }

    TEST_CASE("fit: rejects an empty model and negative epochs") {
        tg::nn::Linear empty{nullptr};
        tg::nn::Linear model(2, 2);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        tg::data::DataLoader loader(blobs(4), tg::data::DataLoaderOptions().batch_size(4));
        CHECK_THROWS_AS(tg::fit(empty, tg::cross_entropy, opt, loader), std::exception);
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, loader, tg::FitOptions().epochs(-1)),
            "fit: epochs must be >= 0, got -1", std::invalid_argument);
    }

    TEST_CASE("evaluate: returns the sample-weighted mean loss and the argmax accuracy") {
        // identity weights, so the predicted class is the larger input; dropout must be off
        tg::nn::Sequential model(tg::nn::Linear(2, 2), tg::nn::Dropout(0.9));
        auto fc = model->ptr<tg::nn::LinearImpl>(0);
        {
            tg::NoGradGuard no_grad;
            fc->weight.copy_(tg::eye(2));
            fc->bias.zero_();
        }
        auto x = tg::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {2.0f, 1.0f}, {0.0f, 3.0f}, {1.0f, 2.0f}});
        auto y = tg::tensor({0, 1, 1, 1, 0});  // predictions 0 1 0 1 1: three right
        tg::data::DataLoader loader(
            tg::data::TensorDataset(x, y),
            tg::data::DataLoaderOptions().batch_size(2));  // batches 2, 2, 1
        auto r = tg::evaluate(model, loader, tg::cross_entropy);
        CHECK(r.samples == 5);
        CHECK(r.accuracy == doctest::Approx(0.6));
        CHECK(r.loss == doctest::Approx(tg::cross_entropy(x, y).item<double>()));
        CHECK(model->is_training());               // eval() only while evaluating
        CHECK_FALSE(fc->weight.grad().defined());  // no graph was recorded
    }

    TEST_CASE("evaluate: thresholds a single sigmoid output at 0.5, or at the given threshold") {
        tg::nn::Sequential model(tg::nn::Linear(1, 1), tg::nn::Sigmoid());
        auto fc = model->ptr<tg::nn::LinearImpl>(0);
        {
            tg::NoGradGuard no_grad;
            fc->weight.fill_(1.0);
            fc->bias.zero_();
        }
        auto x = tg::tensor({{-2.0f}, {-1.0f}, {1.0f}, {3.0f}});
        auto y = tg::tensor({{0.0f}, {1.0f}, {1.0f}, {1.0f}});
        tg::data::TensorDataset data(x, y);
        auto r = tg::evaluate(model, data, tg::binary_cross_entropy, /*batch_size=*/3);
        CHECK(r.accuracy == doctest::Approx(0.75));
        CHECK(r.loss ==
              doctest::Approx(tg::binary_cross_entropy(tg::sigmoid(x), y).item<double>()));
        // sigmoid(1) = 0.73 and sigmoid(3) = 0.95: above 0.8 only the last is class 1
        CHECK(tg::evaluate(model, data, tg::binary_cross_entropy, 4, 0.8).accuracy ==
              doctest::Approx(0.5));
    }
}

namespace {
// A regression onto [N, 2, 2]: no accuracy applies to such outputs.
struct GridRegressorImpl : tg::nn::Module {
    tg::nn::Linear fc{nullptr};
    GridRegressorImpl() { fc = register_module("fc", tg::nn::Linear(4, 4)); }
    tg::Tensor forward(const tg::Tensor& x) { return fc(x).reshape({-1, 2, 2}); }
};
TAPEGRAD_MODULE(GridRegressor);
}  // namespace

TEST_SUITE("train/fit") {
    TEST_CASE("fit and evaluate: outputs without an accuracy train on the loss alone") {
        tg::manual_seed(3);
        auto x = tg::randn({32, 4});
        auto y = (x * 0.5).reshape({32, 2, 2});
        tg::data::DataLoader loader(tg::data::TensorDataset(x, y),
                                    tg::data::DataLoaderOptions().batch_size(8));
        GridRegressor model;
        tg::optim::Adam opt(model->parameters(), tg::optim::AdamOptions(0.05));
        auto h = tg::fit(model, tg::mse_loss, opt, loader,
                         tg::FitOptions().epochs(30).validation(loader).verbose(false));
        REQUIRE(h.size() == 30);
        CHECK(h.loss.back() < 0.1 * h.loss.front());
        CHECK(std::isnan(h.accuracy.back()));
        CHECK(std::isnan(h.val_accuracy.back()));
        const auto r = tg::evaluate(model, tg::data::TensorDataset(x, y), tg::mse_loss);
        CHECK(r.loss == doctest::Approx(h.val_loss.back()));
        CHECK(std::isnan(r.accuracy));
        CHECK_FALSE(tg::train::has_accuracy(model(x), y));
        CHECK(tg::train::has_accuracy(tg::zeros({3, 5}), tg::zeros({3}, tg::kInt64)));
    }
}
