#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/train/model_test_util.hpp"
#include "tests/train/svg_check.hpp"
#include "tests/train/train_test_util.hpp"

namespace tg = tapegrad;
using tapegrad_test::read_text;
using tapegrad_test::TempDir;
using tg::train::Average;
using tg::train::ConfusionMatrix;

using tapegrad_test::six_outputs;
using tapegrad_test::six_targets;

TEST_SUITE("train/classification") {
    TEST_CASE("ConfusionMatrix: counts (true, predicted) pairs of a small fixed prediction set") {
        ConfusionMatrix cm(six_outputs(), six_targets());
        CHECK(cm.num_classes() == 3);
        CHECK(cm.total() == 6);
        CHECK(cm.to_tensor().equal(tg::tensor({{2, 1, 0}, {0, 1, 1}, {0, 0, 1}})));
        CHECK(cm.count(0, 1) == 1);
        CHECK(cm.accuracy() == doctest::Approx(4.0 / 6));
        CHECK(cm.support() == std::vector<int64_t>{3, 2, 1});
    }

    TEST_CASE("ConfusionMatrix: per-class precision, recall and F1 and their averages") {
        ConfusionMatrix cm(six_outputs(), six_targets());
        // predicted columns hold 2, 2, 2 samples with 2, 1, 1 right; the rows 3, 2, 1
        const std::vector<double> p = {1.0, 0.5, 0.5};
        const std::vector<double> r = {2.0 / 3, 0.5, 1.0};
        std::vector<double> f;
        for (size_t c = 0; c < 3; ++c) f.push_back(2 * p[c] * r[c] / (p[c] + r[c]));
        for (size_t c = 0; c < 3; ++c) {
            CHECK(cm.per_class_precision()[c] == doctest::Approx(p[c]));
            CHECK(cm.per_class_recall()[c] == doctest::Approx(r[c]));
            CHECK(cm.per_class_f1()[c] == doctest::Approx(f[c]));
        }
        CHECK(f[0] == doctest::Approx(0.8));
        CHECK(cm.precision(Average::macro) == doctest::Approx(2.0 / 3));
        CHECK(cm.recall(Average::macro) == doctest::Approx(13.0 / 18));
        CHECK(cm.f1(Average::macro) == doctest::Approx((f[0] + f[1] + f[2]) / 3));
        CHECK(cm.precision(Average::weighted) == doctest::Approx((3 * 1.0 + 2 * 0.5 + 0.5) / 6));
        CHECK(cm.recall(Average::weighted) == doctest::Approx(4.0 / 6));
        CHECK(cm.f1(Average::weighted) == doctest::Approx((3 * f[0] + 2 * f[1] + f[2]) / 6));
        for (Average a : {Average::micro}) {
            CHECK(cm.precision(a) == doctest::Approx(4.0 / 6));
            CHECK(cm.recall(a) == doctest::Approx(4.0 / 6));
            CHECK(cm.f1(a) == doctest::Approx(4.0 / 6));
        }
        CHECK(tg::train::precision(six_outputs(), six_targets(), Average::macro) ==
              doctest::Approx(2.0 / 3));
        CHECK(tg::train::f1_score(six_outputs(), six_targets(), Average::weighted) ==
              doctest::Approx(cm.f1(Average::weighted)));
    }

    TEST_CASE("ConfusionMatrix: macro averages skip classes that never occur") {
        // 4 classes by the output's width, but class 3 is neither a target nor predicted
        auto out = tg::tensor(
            {{1.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f, 0.0f}});
        ConfusionMatrix cm(out, tg::tensor({0, 1, 2}));
        CHECK(cm.num_classes() == 4);
        // precision 1, 0.5, 0 over classes 0..2 (class 2 never predicted)
        CHECK(cm.precision(Average::macro) == doctest::Approx(0.5));
    }

    TEST_CASE("ConfusionMatrix: batch by batch gives the matrix of the whole set") {
        ConfusionMatrix whole(six_outputs(), six_targets());
        ConfusionMatrix batched;
        batched.update(six_outputs().slice(0, 0, 4), six_targets().slice(0, 0, 4));
        batched.update(six_outputs().slice(0, 4, 6), six_targets().slice(0, 4, 6));
        CHECK(batched.to_tensor().equal(whole.to_tensor()));
        batched.reset();
        CHECK(batched.total() == 0);
        CHECK(batched.num_classes() == 3);
    }

    TEST_CASE("ConfusionMatrix: one-hot targets and class-index outputs read as classes") {
        auto one_hot = tg::tensor({{1.0f, 0.0f, 0.0f},
                                   {0.0f, 1.0f, 0.0f},
                                   {0.0f, 1.0f, 0.0f},
                                   {0.0f, 0.0f, 1.0f},
                                   {1.0f, 0.0f, 0.0f},
                                   {1.0f, 0.0f, 0.0f}});
        CHECK(ConfusionMatrix(six_outputs(), one_hot)
                  .to_tensor()
                  .equal(ConfusionMatrix(six_outputs(), six_targets()).to_tensor()));
        // predicted classes given directly (an argmax); the size grows to the largest class
        ConfusionMatrix labels(tg::tensor({0, 1, 2, 2, 1, 0}), six_targets());
        CHECK(labels.to_tensor().equal(tg::tensor({{2, 1, 0}, {0, 1, 1}, {0, 0, 1}})));
    }

    TEST_CASE("ConfusionMatrix: a binary model's output is thresholded") {
        auto out = tg::tensor({{0.9f}, {0.2f}, {0.6f}, {0.4f}, {0.7f}});
        auto target = tg::tensor({{1.0f}, {0.0f}, {0.0f}, {1.0f}, {0.0f}});
        // at 0.5 the predictions are 1 0 1 0 1: TP 1, FP 2, FN 1, TN 1
        ConfusionMatrix cm(out, target);
        CHECK(cm.to_tensor().equal(tg::tensor({{1, 2}, {1, 1}})));
        CHECK(cm.precision(Average::binary) == doctest::Approx(1.0 / 3));
        CHECK(cm.recall(Average::binary) == doctest::Approx(0.5));
        CHECK(cm.f1(Average::binary) == doctest::Approx(0.4));
        // at 0.65 they are 1 0 0 0 1: TP 1, FP 1, FN 1
        CHECK(tg::train::precision(out, target, Average::binary, 0.65) == doctest::Approx(0.5));
        CHECK(tg::train::recall(out.reshape({5}), target.reshape({5}), Average::binary, 0.65) ==
              doctest::Approx(0.5));
    }

    TEST_CASE("ConfusionMatrix: refuses targets outside the classes and shapes that do not fit") {
        CHECK_THROWS_WITH_AS(ConfusionMatrix(six_outputs(), tg::tensor({0, 1, 1, 3, 0, 0})),
                             "ConfusionMatrix: target 3 (sample 3) is not a class in [0, 3)",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(ConfusionMatrix(six_outputs(), tg::tensor({0, 1, 1})),
                             doctest::Contains("output [6, 3] does not fit target [3]"),
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(ConfusionMatrix(tg::tensor({0.2f, 0.7f}), tg::tensor({0.0f, 2.0f})),
                             doctest::Contains("a binary target is 2"), std::invalid_argument);
        ConfusionMatrix cm(six_outputs(), six_targets());
        CHECK_THROWS_WITH_AS(cm.update(tg::zeros({2, 4}), tg::tensor({0, 1})),
                             doctest::Contains("has 4 classes, but the matrix has 3"),
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(cm.precision(Average::binary),
                             doctest::Contains("Average::binary scores class 1 of a binary model, "
                                               "but there are 3 classes"),
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(cm.recall(Average::none), doctest::Contains("per_class_recall()"),
                             std::invalid_argument);
    }

    TEST_CASE("ConfusionMatrix: prints a table with the class names and totals") {
        ConfusionMatrix cm(six_outputs(), six_targets());
        CHECK(cm.to_string({"cat", "dog", "bird"}) ==
              "confusion matrix, rows true classes, columns predicted (6 samples, accuracy "
              "0.6667)\n"
              "true \\ predicted    cat    dog   bird  total\n"
              "cat                   2      1      0      3\n"
              "dog                   0      1      1      2\n"
              "bird                  0      0      1      1\n"
              "total                 2      2      2      6\n");
    }

    TEST_CASE("ConfusionMatrix::write_svg: a well-formed heat map, one cell per pair, atomically") {
        TempDir dir;
        ConfusionMatrix cm(six_outputs(), six_targets());
        cm.write_svg(dir.file("cm.svg"), {"cat", "dog & co", "bird"});
        const std::string svg = read_text(dir.file("cm.svg"));
        const auto check = tapegrad_test::check_svg(svg);
        REQUIRE_MESSAGE(check.ok, check.error);
        CHECK(check.count("rect") == 1 + 9);  // the background and the cells
        CHECK(svg.find("dog &amp; co") != std::string::npos);
        CHECK(svg.find(">2</text>") != std::string::npos);
        CHECK(dir.entries() == std::vector<std::string>{"cm.svg"});
        CHECK_THROWS_WITH_AS(cm.write_svg(dir.file("cm.png")),
                             doctest::Contains("the name must end in .svg"), std::invalid_argument);
        CHECK_THROWS_AS(cm.write_svg(dir.file("missing/cm.svg")), std::runtime_error);
    }

    TEST_CASE("top_k_accuracy: counts the true class among the k best, ties included") {
        auto out = tg::tensor({{0.1f, 0.5f, 0.3f, 0.1f},       // true 2: one higher
                               {0.4f, 0.4f, 0.1f, 0.1f},       // true 1: tied first
                               {0.1f, 0.2f, 0.3f, 0.4f},       // true 0: three higher
                               {0.9f, 0.05f, 0.03f, 0.02f}});  // true 0: first
        auto target = tg::tensor({2, 1, 0, 0});
        CHECK(tg::train::top_k_accuracy(out, target, 1) == doctest::Approx(0.5));
        CHECK(tg::train::top_k_accuracy(out, target, 2) == doctest::Approx(0.75));
        CHECK(tg::train::top_k_accuracy(out, target, 3) == doctest::Approx(0.75));
        CHECK(tg::train::top_k_accuracy(out, target, 4) == doctest::Approx(1.0));
        CHECK_THROWS_WITH_AS(tg::train::top_k_accuracy(out, target, 5),
                             "top_k_accuracy: k must be in [1, 4] for an output [4, 4], got 5",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(tg::train::count_top_k(out, tg::tensor({2, 1, 0, 4}), 1),
                             doctest::Contains("target 4 (sample 3) is not a class in [0, 4)"),
                             std::invalid_argument);
    }

    TEST_CASE("roc_auc: the share of positive-negative pairs ranked right, ties a half") {
        // scikit-learn's example: 3 of the 4 pairs are ordered right
        CHECK(tg::train::roc_auc(tg::tensor({0.1f, 0.4f, 0.35f, 0.8f}), tg::tensor({0, 0, 1, 1})) ==
              doctest::Approx(0.75));
        // positives 0.5 and 0.9 against negatives 0.5 and 0.2: 0.5 + 1 + 1 + 1 of 4 pairs
        CHECK(tg::train::roc_auc(std::vector<double>{0.5, 0.5, 0.2, 0.9},
                                 std::vector<int64_t>{1, 0, 0, 1}) == doctest::Approx(0.875));
        // two logits per sample score as their difference, as the softmax probability orders them
        auto logits = tg::tensor({{0.0f, 0.1f}, {0.0f, 0.4f}, {0.0f, 0.35f}, {0.0f, 0.8f}});
        CHECK(tg::train::roc_auc(logits, tg::tensor({0, 0, 1, 1})) == doctest::Approx(0.75));
        CHECK(std::isnan(tg::train::roc_auc(tg::tensor({0.2f, 0.3f}), tg::tensor({1, 1}))));
        CHECK_THROWS_WITH_AS(tg::train::roc_auc(tg::zeros({3, 4}), tg::tensor({0, 1, 2})),
                             doctest::Contains("needs a binary model's output"),
                             std::invalid_argument);
    }
}
