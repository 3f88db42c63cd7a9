#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/train/model_test_util.hpp"

namespace tg = tapegrad;
namespace train = tapegrad::train;
using train::Average;

namespace {
using tapegrad_test::six_outputs;
using tapegrad_test::six_targets;
std::vector<std::string> names_of(const std::vector<train::MetricValue>& values) {
    std::vector<std::string> names;
    for (const auto& v : values) names.push_back(v.name);
    return names;
}

// Two blobs per class in 2-D, three classes, labels int64.
tg::data::TensorDataset three_blobs(int64_t n) {
    std::vector<tg::Tensor> xs, ys;
    const float centres[3][2] = {{-3, 0}, {3, 0}, {0, 3}};
    for (int64_t c = 0; c < 3; ++c) {
        xs.push_back(tg::randn({n, 2}) + tg::tensor({centres[c][0], centres[c][1]}));
        ys.push_back(tg::full({n}, c, tg::kInt64));
    }
    return tg::data::TensorDataset(tg::cat(xs), tg::cat(ys));
}
}  // namespace

TEST_SUITE("train/metric") {
    TEST_CASE("Precision, Recall, F1Score: accumulate over batches as over the whole set") {
        train::Precision p(Average::macro);
        train::Recall r(Average::weighted);
        train::F1Score f(Average::macro);
        for (train::Metric* m : std::vector<train::Metric*>{&p, &r, &f}) {
            m->update(six_outputs().slice(0, 0, 3), six_targets().slice(0, 0, 3), 0.5);
            m->update(six_outputs().slice(0, 3, 6), six_targets().slice(0, 3, 6), 0.5);
        }
        train::ConfusionMatrix cm(six_outputs(), six_targets());
        CHECK(p.compute()[0].name == "precision_macro");
        CHECK(p.value() == doctest::Approx(2.0 / 3));
        CHECK(r.compute()[0].name == "recall_weighted");
        CHECK(r.value() == doctest::Approx(4.0 / 6));
        CHECK(f.compute()[0].name == "f1_macro");
        CHECK(f.value() == doctest::Approx(cm.f1(Average::macro)));
        p.reset();
        p.update(six_outputs().slice(0, 0, 1), six_targets().slice(0, 0, 1), 0.5);
        CHECK(p.value() == doctest::Approx(1.0));  // only the first sample, right
    }

    TEST_CASE("Precision: Average::none reports one value per class, named by index") {
        train::Precision p(Average::none);
        p.update(six_outputs(), six_targets(), 0.5);
        const auto values = p.compute();
        CHECK(names_of(values) ==
              std::vector<std::string>{"precision_0", "precision_1", "precision_2"});
        CHECK(values[0].value == doctest::Approx(1.0));
        CHECK(values[1].value == doctest::Approx(0.5));
        CHECK_THROWS_WITH_AS(p.value(), doctest::Contains("reports 3 values"), std::logic_error);
    }

    TEST_CASE("F1Score: the binary default refuses a multi-class model at the first batch") {
        train::F1Score f;
        CHECK_THROWS_WITH_AS(f.update(six_outputs(), six_targets(), 0.5),
                             doctest::Contains("F1Score: Average::binary (the default) scores "
                                               "class 1 of a binary model, but the outputs have "
                                               "3 classes"),
                             std::invalid_argument);
        train::F1Score binary;
        binary.update(tg::tensor({0.9f, 0.2f, 0.6f, 0.4f, 0.7f}),
                      tg::tensor({1.0f, 0.0f, 0.0f, 1.0f, 0.0f}), 0.5);
        CHECK(binary.compute()[0].name == "f1");
        CHECK(binary.value() == doctest::Approx(0.4));
    }

    TEST_CASE("TopKAccuracy and AUC: names and values over batches") {
        train::TopKAccuracy top2(2);
        top2.update(six_outputs().slice(0, 0, 2), six_targets().slice(0, 0, 2), 0.5);
        top2.update(six_outputs().slice(0, 2, 6), six_targets().slice(0, 2, 6), 0.5);
        CHECK(top2.compute()[0].name == "top_2_accuracy");
        CHECK(top2.value() ==
              doctest::Approx(tg::train::top_k_accuracy(six_outputs(), six_targets(), 2)));
        CHECK_THROWS_AS(train::TopKAccuracy(0), std::invalid_argument);

        train::AUC auc;
        auc.update(tg::tensor({0.1f, 0.4f}), tg::tensor({0, 0}), 0.5);
        CHECK(std::isnan(auc.value()));  // no positive yet
        auc.update(tg::tensor({0.35f, 0.8f}), tg::tensor({1, 1}), 0.5);
        CHECK(auc.compute()[0].name == "auc");
        CHECK(auc.value() == doctest::Approx(0.75));
    }

    TEST_CASE("AnyMetric: copies the metric's settings, never what it has seen") {
        train::Precision seen(Average::micro);
        seen.update(six_outputs(), six_targets(), 0.5);
        const train::AnyMetric any = seen;
        auto fresh = any.make();
        fresh->update(six_outputs().slice(0, 0, 1), six_targets().slice(0, 0, 1), 0.5);
        CHECK(fresh->compute()[0].name == "precision_micro");
        CHECK(fresh->value() == doctest::Approx(1.0));
    }

    TEST_CASE("fit and evaluate: record metrics per epoch and over the validation data") {
        tg::manual_seed(5);
        auto data = three_blobs(40);
        auto val = three_blobs(20);
        tg::nn::Linear model(2, 3);
        tg::optim::Adam opt(model->parameters(), tg::optim::AdamOptions(0.05));
        tg::data::DataLoader loader(data, tg::data::DataLoaderOptions(16).shuffle(true));
        auto h = tg::fit(model, tg::cross_entropy, opt, loader,
                         tg::FitOptions().epochs(3).validation(val, 7).verbose(false).metrics(
                             {train::F1Score(Average::macro), train::TopKAccuracy(2)}));
        CHECK(h.keys() == std::vector<std::string>{"loss", "accuracy", "f1_macro", "top_2_accuracy",
                                                   "val_loss", "val_accuracy", "val_f1_macro",
                                                   "val_top_2_accuracy", "lr", "seconds"});
        REQUIRE(h["val_f1_macro"].size() == 3);
        REQUIRE(h["f1_macro"].size() == 3);
        // the last epoch's validation values are those of the final model on the validation set
        const auto logits = train::predict(model, val.data());
        CHECK(h["val_f1_macro"].back() ==
              doctest::Approx(train::f1_score(logits, val.targets(), Average::macro)));
        CHECK(h["val_top_2_accuracy"].back() ==
              doctest::Approx(train::top_k_accuracy(logits, val.targets(), 2)));

        const auto r =
            tg::evaluate(model, val, tg::cross_entropy,
                         {train::Recall(Average::macro), train::Precision(Average::none)});
        CHECK(r.samples == 60);
        CHECK(r.metric("recall_macro") ==
              doctest::Approx(train::recall(logits, val.targets(), Average::macro)));
        CHECK(r.metrics.size() == 4);  // recall_macro, precision_0..2
        CHECK(r.metric("precision_2") ==
              doctest::Approx(
                  train::ConfusionMatrix(logits, val.targets()).per_class_precision()[2]));
        CHECK_THROWS_WITH_AS(r.metric("f1"),
                             doctest::Contains("no metric 'f1'; the metrics are "
                                               "recall_macro, precision_0"),
                             std::invalid_argument);
    }

    TEST_CASE("fit: a metric given twice is refused") {
        tg::nn::Linear model(2, 3);
        tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
        tg::data::DataLoader loader(three_blobs(4), tg::data::DataLoaderOptions(6));
        CHECK_THROWS_WITH_AS(tg::fit(model, tg::cross_entropy, opt, loader,
                                     tg::FitOptions().epochs(1).verbose(false).metrics(
                                         {train::TopKAccuracy(2), train::TopKAccuracy(2)})),
                             "fit: two metrics report 'top_2_accuracy'; give each metric once",
                             std::invalid_argument);
    }
}
