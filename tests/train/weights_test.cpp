#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace train = tapegrad::train;

namespace {

// Four samples whose logits are their inputs (identity weights, zero bias), worked by hand:
// cross entropy of logits [a, b] and class t is log(e^a + e^b) - (t ? b : a).
tg::Tensor four_x() {
    return tg::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {2.0f, 0.0f}, {0.0f, 0.0f}});
}
tg::Tensor four_y() {
    return tg::tensor({0, 1, 1, 0});
}
std::vector<double> four_losses() {
    const double l0 = std::log(std::exp(1.0) + 1.0) - 1.0;
    const double l2 = std::log(std::exp(2.0) + 1.0);
    return {l0, l0, l2, std::log(2.0)};
}

tg::nn::Linear identity_model() {
    tg::nn::Linear model(2, 2);
    tg::NoGradGuard no_grad;
    model->weight.copy_(tg::eye(2));
    model->bias.zero_();
    return model;
}

// Records the first input feature of every sample the model sees, in training and in eval.
struct RecorderImpl : tg::nn::Module {
    tg::nn::Linear fc{nullptr};
    std::vector<float> trained_on, evaluated_on;
    RecorderImpl() { fc = register_module("fc", tg::nn::Linear(1, 2)); }
    tg::Tensor forward(const tg::Tensor& x) {
        for (float v : x.select(1, 0).contiguous().to_vector<float>()) {
            (is_training() ? trained_on : evaluated_on).push_back(v);
        }
        return fc(x);
    }
};
TAPEGRAD_MODULE(Recorder);

// Samples whose feature is their index: x[i] = i, labels i % 2.
tg::data::TensorDataset numbered(int64_t n) {
    auto x = tg::arange(0, n, tg::kFloat32).unsqueeze(1);
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < n; ++i) labels.push_back(i % 2);
    auto y = tg::tensor(labels);
    return tg::data::TensorDataset(x, y);
}

}  // namespace

TEST_SUITE("train/weights") {
    TEST_CASE("fit: class_weight multiplies each sample's loss by its class's weight") {
        const auto l = four_losses();
        for (int64_t batch : {4, 2}) {
            CAPTURE(batch);
            auto model = identity_model();
            tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.0));
            auto h = tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                             tg::FitOptions()
                                 .epochs(1)
                                 .batch_size(batch)
                                 .shuffle(false)
                                 .verbose(false)
                                 .class_weight({{0, 1.0}, {1, 3.0}}));
            // Keras's rule: sum_i w_i loss_i / N; equal batches average to the same
            CHECK(h.loss[0] == doctest::Approx((l[0] + 3 * l[1] + 3 * l[2] + l[3]) / 4));
        }
        auto model = identity_model();
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.0));
        auto plain = tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                             tg::FitOptions().epochs(1).batch_size(4).verbose(false));
        CHECK(plain.loss[0] == doctest::Approx((l[0] + l[1] + l[2] + l[3]) / 4));
    }

    TEST_CASE("fit: the weighted loss is what backward differentiates") {
        // one SGD step with lr 1 from the same weights, by fit and by hand
        auto model = identity_model();
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(1.0));
        tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                tg::FitOptions().epochs(1).batch_size(4).verbose(false).class_weight(
                    {{0, 0.5}, {1, 2.0}}));
        auto by_hand = identity_model();
        auto per_sample = tg::cross_entropy(by_hand(four_x()), four_y(),
                                            tg::nn::CrossEntropyLossOptions(tg::kNone));
        auto loss = (per_sample * tg::tensor({0.5f, 2.0f, 2.0f, 0.5f})).mean();
        loss.backward();
        CHECK(model->weight.allclose(by_hand->weight.detach() - by_hand->weight.grad()));
        CHECK(model->bias.allclose(by_hand->bias.detach() - by_hand->bias.grad()));
    }

    TEST_CASE("fit: sample_weight follows each sample through the shuffled batches") {
        const auto l = four_losses();
        auto model = identity_model();
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.0));
        auto h = tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                         tg::FitOptions().epochs(3).batch_size(2).verbose(false).sample_weight(
                             tg::tensor({0.5, 1.0, 2.0, 0.0})));
        const double expected = (0.5 * l[0] + l[1] + 2 * l[2]) / 4;
        for (double v : h.loss) CHECK(v == doctest::Approx(expected));
        // with class weights too, the two multiply
        auto g = tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                         tg::FitOptions()
                             .epochs(1)
                             .batch_size(4)
                             .verbose(false)
                             .sample_weight(tg::tensor({0.5, 1.0, 2.0, 0.0}))
                             .class_weight({{0, 2.0}, {1, 1.0}}));
        CHECK(g.loss[0] == doctest::Approx((2 * 0.5 * l[0] + l[1] + 2 * l[2]) / 4));
    }

    TEST_CASE("fit: weights work with loss modules and per_sample_loss, not a plain lambda") {
        const auto l = four_losses();
        const double expected = (l[0] + 3 * l[1] + 3 * l[2] + l[3]) / 4;
        const auto options = tg::FitOptions().epochs(1).batch_size(4).verbose(false).class_weight(
            {{0, 1.0}, {1, 3.0}});
        auto model = identity_model();
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.0));
        tg::nn::CrossEntropyLoss module_loss;
        CHECK(tg::fit(model, module_loss, opt, four_x(), four_y(), options).loss[0] ==
              doctest::Approx(expected));
        auto each = train::per_sample_loss([](const tg::Tensor& out, const tg::Tensor& target) {
            return tg::cross_entropy(out, target, tg::nn::CrossEntropyLossOptions(tg::kNone));
        });
        CHECK(tg::fit(model, each, opt, four_x(), four_y(), options).loss[0] ==
              doctest::Approx(expected));
        CHECK(each(model(four_x()), four_y()).template item<double>() ==
              doctest::Approx((l[0] + l[1] + l[2] + l[3]) / 4));
        auto lambda = [](const tg::Tensor& out, const tg::Tensor& target) {
            return tg::cross_entropy(out, target);
        };
        CHECK_THROWS_WITH_AS(tg::fit(model, lambda, opt, four_x(), four_y(), options),
                             doctest::Contains("wrap the lambda in train::per_sample_loss"),
                             std::logic_error);
    }

    TEST_CASE("fit: refuses class weights that miss a class, and bad sample weights") {
        auto model = identity_model();
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        const auto base = tg::FitOptions().epochs(1).batch_size(4).verbose(false);
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                                     tg::FitOptions(base).class_weight({{0, 1.0}})),
                             "fit: class_weight has no weight for class 1; it gives classes 0",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                                     tg::FitOptions(base).class_weight({{0, 1.0}, {1, -2.0}})),
                             "fit: class weights must be finite and >= 0, got -2",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, four_x(), four_y(),
                                     tg::FitOptions(base).sample_weight(tg::ones({3}))),
                             "fit: sample_weight must be [4], one weight per sample of the "
                             "dataset; got [3]",
                             std::invalid_argument);
    }

    TEST_CASE("fit: validation_split holds out the last samples, before shuffling") {
        tg::manual_seed(1);
        Recorder model;
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.01));
        auto h =
            tg::fit(model, tg::cross_entropy, opt, numbered(10),
                    tg::FitOptions().epochs(2).batch_size(3).validation_split(0.3).verbose(false));
        // as Keras: int(10 * 0.7) = 7 train, samples 7, 8, 9 validate
        std::vector<float> trained = model->trained_on;
        std::sort(trained.begin(), trained.end());
        CHECK(trained == std::vector<float>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6});
        CHECK(model->evaluated_on == std::vector<float>{7, 8, 9, 7, 8, 9});
        REQUIRE(h.has_validation());
        auto last3 = numbered(10);
        auto tail =
            tg::data::TensorDataset(last3.data().slice(0, 7, 10), last3.targets().slice(0, 7, 10));
        CHECK(h.val_loss.back() ==
              doctest::Approx(tg::evaluate(model, tail, tg::cross_entropy).loss));
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, numbered(2),
                                     tg::FitOptions().validation_split(0.6).verbose(false)),
                             "fit: validation_split 0.6 of 2 samples leaves no training samples",
                             std::invalid_argument);
        CHECK_THROWS_AS(tg::fit(model, tg::cross_entropy, opt, numbered(10),
                                tg::FitOptions().validation_split(1.0)),
                        std::invalid_argument);
    }

    TEST_CASE("fit: shuffles a dataset by default, each epoch anew, and not when told") {
        Recorder model;
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.01));
        tg::fit(model, tg::cross_entropy, opt, numbered(20),
                tg::FitOptions().epochs(2).batch_size(5).verbose(false));
        const std::vector<float> seen = model->trained_on;
        std::vector<float> in_order(20);
        for (int i = 0; i < 20; ++i) in_order[static_cast<size_t>(i)] = static_cast<float>(i);
        const std::vector<float> epoch1(seen.begin(), seen.begin() + 20);
        const std::vector<float> epoch2(seen.begin() + 20, seen.end());
        CHECK(epoch1 != in_order);
        CHECK(epoch2 != epoch1);
        std::vector<float> sorted = epoch1;
        std::sort(sorted.begin(), sorted.end());
        CHECK(sorted == in_order);  // a permutation: every sample once

        model->trained_on.clear();
        tg::fit(model, tg::cross_entropy, opt, numbered(20),
                tg::FitOptions().epochs(1).batch_size(5).shuffle(false).verbose(false));
        CHECK(model->trained_on == in_order);
    }

    TEST_CASE("fit: options that need a dataset are refused with a loader, naming the fix") {
        tg::nn::Linear model(1, 2);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        tg::data::DataLoader loader(numbered(8), tg::data::DataLoaderOptions(4));
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, loader, tg::FitOptions().validation_split(0.2)),
            doctest::Contains("fit: validation_split needs the training data as a dataset"),
            std::logic_error);
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, loader,
                    tg::FitOptions().sample_weight(tg::ones({8}))),
            doctest::Contains("a DataLoader does not say which samples a batch holds"),
            std::logic_error);
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, loader, tg::FitOptions().batch_size(2)),
            doctest::Contains("this DataLoader makes its own batches of 4"), std::logic_error);
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, loader, tg::FitOptions().shuffle(true)),
            doctest::Contains("set it with DataLoaderOptions::shuffle"), std::logic_error);
        // asking for the loader's own order is fine
        CHECK(tg::fit(model, tg::cross_entropy, opt, loader,
                      tg::FitOptions().epochs(1).shuffle(false).verbose(false))
                  .size() == 1);
    }

    TEST_CASE("fit: a loader with no batches says so, with the dataset and batch sizes") {
        tg::nn::Linear model(1, 2);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        tg::data::TensorDataset empty(tg::zeros({0, 1}), tg::zeros({0}, tg::kInt64));
        tg::data::DataLoader none(empty, tg::data::DataLoaderOptions(4));
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, none),
                             "fit: the training loader has no batches (a dataset of 0 samples in "
                             "batches of 4), so there is nothing to train on",
                             std::invalid_argument);
        tg::data::DataLoader dropped(numbered(3), tg::data::DataLoaderOptions(4).drop_last(true));
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, dropped),
                             "fit: the training loader has no batches (a dataset of 3 samples in "
                             "batches of 4, drop_last dropping the partial one), so there is "
                             "nothing to train on",
                             std::invalid_argument);
        tg::data::DataLoader fine(numbered(4), tg::data::DataLoaderOptions(4));
        CHECK_THROWS_WITH_AS(
            tg::fit(model, tg::cross_entropy, opt, fine, tg::FitOptions().validation(none)),
            "fit: the validation loader has no batches (a dataset of 0 samples "
            "in batches of 4)",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, empty),
                             "fit: the training dataset has 0 samples, so there are no batches "
                             "to train on",
                             std::invalid_argument);
    }
}
