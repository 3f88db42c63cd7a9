#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/train/model_test_util.hpp"
#include "tests/train/train_test_util.hpp"

namespace tg = tapegrad;
namespace train = tapegrad::train;
using tapegrad_test::all_equal;
using tapegrad_test::blobs;
using tapegrad_test::copy_of;
using tapegrad_test::read_text;
using tapegrad_test::TempDir;

namespace {

// A metric whose value in epoch k is script[k - 1]: it lets a test choose the sequence a
// callback monitors. fit resets the training copy at the start of every epoch.
class Scripted : public train::Metric {
public:
    Scripted(std::string name, std::vector<double> script)
        : name_(std::move(name)), script_(std::move(script)) {}
    void reset() override { ++epoch_; }
    void update(const tg::Tensor&, const tg::Tensor&, double) override {}
    std::vector<train::MetricValue> compute() const override {
        const size_t i = static_cast<size_t>(epoch_ - 1);
        return {{name_, i < script_.size() ? script_[i] : script_.back()}};
    }
    std::unique_ptr<train::Metric> clone() const override {
        auto copy = std::make_unique<Scripted>(*this);
        copy->epoch_ = 0;
        return copy;
    }

private:
    std::string name_;
    std::vector<double> script_;
    int64_t epoch_ = 0;
};

// A small problem to run callbacks on: 2-D blobs, a Linear model, SGD; 4 batches an epoch.
struct Setup {
    tg::data::TensorDataset data = blobs(16);
    tg::nn::Linear model{2, 2};
    tg::optim::SGD optimizer{model->parameters(), tg::optim::SGDOptions(0.1)};
    tg::data::DataLoader loader{data, tg::data::DataLoaderOptions(8)};

    tg::History fit(tg::FitOptions options) {
        return tg::fit(model, tg::cross_entropy, optimizer, loader, options.verbose(false));
    }
};

}  // namespace

TEST_SUITE("train/callbacks") {
    TEST_CASE("Callback: fit calls every hook in order, once per batch and epoch") {
        tg::manual_seed(1);
        Setup s;
        std::vector<std::string> calls;
        auto log = std::make_shared<train::LambdaCallback>();
        log->train_begin = [&](train::FitState& st) {
            calls.push_back("train_begin " + std::to_string(st.epochs));
        };
        log->epoch_begin = [&](train::FitState& st) {
            calls.push_back("epoch_begin " + std::to_string(st.epoch));
        };
        log->batch_end = [&](train::FitState& st) {
            calls.push_back("batch_end " + std::to_string(st.epoch) + "." +
                            std::to_string(st.batch) + " of " + std::to_string(st.batch_size));
        };
        log->epoch_end = [&](train::FitState& st) {
            calls.push_back("epoch_end " + std::to_string(st.epoch) + " rows " +
                            std::to_string(st.history.size()));
        };
        log->train_end = [&](train::FitState&) { calls.push_back("train_end"); };
        s.loader = tg::data::DataLoader(blobs(6), tg::data::DataLoaderOptions(8));  // 8 + 4
        s.fit(tg::FitOptions().epochs(2).callback(log));
        CHECK(calls == std::vector<std::string>{"train_begin 2", "epoch_begin 1",
                                                "batch_end 1.1 of 8", "batch_end 1.2 of 4",
                                                "epoch_end 1 rows 1", "epoch_begin 2",
                                                "batch_end 2.1 of 8", "batch_end 2.2 of 4",
                                                "epoch_end 2 rows 2", "train_end"});
    }

    TEST_CASE("Callback: a stop asked for after a batch ends the epoch there, then fit") {
        tg::manual_seed(2);
        Setup s;
        std::vector<double> losses;
        auto stopper = std::make_shared<train::LambdaCallback>();
        stopper->batch_end = [&](train::FitState& st) {
            if (st.epoch == 2) losses.push_back(st.batch_loss);
            if (st.epoch == 2 && st.batch == 3) st.stop("enough");
        };
        auto h = s.fit(tg::FitOptions().epochs(5).callback(stopper));
        CHECK(h.stop_reason == "enough");
        REQUIRE(h.size() == 2);
        REQUIRE(losses.size() == 3);
        // equal batches of 8: the epoch's loss is the mean of the three batches it ran
        CHECK(h.loss[1] == doctest::Approx((losses[0] + losses[1] + losses[2]) / 3));
    }

    TEST_CASE("EarlyStopping: stops on any metric in max mode after `patience` epochs") {
        tg::manual_seed(3);
        Setup s;
        auto stop = std::make_shared<train::EarlyStopping>(
            train::EarlyStoppingOptions().monitor("score").mode(train::Mode::max).patience(2));
        // best at 1, 2, 4; epochs 5 (equal is no improvement) and 6 wait; stop after 6
        auto h = s.fit(tg::FitOptions().epochs(20).callback(stop).metrics(
            {Scripted("score", {0.1, 0.5, 0.4, 0.6, 0.6, 0.55, 0.3, 0.9})}));
        CHECK(h.stop_reason == "early_stopping");
        CHECK(h.size() == 6);
        CHECK(stop->stopped_epoch() == 6);
        CHECK(stop->best_epoch() == 4);
        CHECK(stop->best() == doctest::Approx(0.6));
    }

    TEST_CASE("EarlyStopping: min_delta, min mode and baseline change when it stops") {
        tg::manual_seed(4);
        {
            Setup s;  // 0.6 does not beat 0.5 by more than 0.15: epochs 3 and 4 wait
            auto h = s.fit(tg::FitOptions()
                               .epochs(20)
                               .metrics({Scripted("score", {0.1, 0.5, 0.4, 0.6, 0.9})})
                               .callback(train::EarlyStopping(train::EarlyStoppingOptions()
                                                                  .monitor("score")
                                                                  .mode(train::Mode::max)
                                                                  .patience(2)
                                                                  .min_delta(0.15))));
            CHECK(h.size() == 4);
        }
        {
            Setup s;  // a "score_loss" falls: min mode
            auto h =
                s.fit(tg::FitOptions()
                          .epochs(20)
                          .metrics({Scripted("score_loss", {3, 2, 2.5, 2.1, 1})})
                          .callback(train::EarlyStopping(
                              train::EarlyStoppingOptions().monitor("score_loss").patience(1))));
            CHECK(h.size() == 3);
        }
        {
            Setup s;  // improving, but never past the baseline 0.7: stops at the first stall
            auto h = s.fit(tg::FitOptions()
                               .epochs(20)
                               .metrics({Scripted("score", {0.1, 0.5, 0.6, 0.65, 0.6, 0.9})})
                               .callback(train::EarlyStopping(train::EarlyStoppingOptions()
                                                                  .monitor("score")
                                                                  .mode(train::Mode::max)
                                                                  .patience(2)
                                                                  .baseline(0.7))));
            CHECK(h.size() == 5);
        }
    }

    TEST_CASE("EarlyStopping: restore_best_weights puts back the best epoch's parameters") {
        tg::manual_seed(5);
        Setup s;
        std::vector<std::vector<tg::Tensor>> after_epoch;
        auto h = s.fit(tg::FitOptions()
                           .epochs(20)
                           .metrics({Scripted("score", {0.1, 0.9, 0.5, 0.4, 0.3})})
                           .callback(train::EarlyStopping(train::EarlyStoppingOptions()
                                                              .monitor("score")
                                                              .mode(train::Mode::max)
                                                              .patience(3)
                                                              .restore_best_weights(true)))
                           .on_epoch_end([&](const tg::History&) {
                               after_epoch.push_back(copy_of(s.model->parameters()));
                           }));
        REQUIRE(h.size() == 5);
        CHECK(all_equal(s.model->parameters(), after_epoch[1]));
        CHECK_FALSE(all_equal(after_epoch[1], after_epoch[4]));
    }

    TEST_CASE("EarlyStopping: a monitor that fit does not record is refused, naming it") {
        Setup s;
        CHECK_THROWS_WITH_AS(s.fit(tg::FitOptions().epochs(2).callback(train::EarlyStopping())),
                             "EarlyStopping: monitors 'val_loss', but fit has no validation data "
                             "(give it FitOptions::validation or validation_split)",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            s.fit(tg::FitOptions().epochs(2).callback(
                train::EarlyStopping(train::EarlyStoppingOptions().monitor("acuracy")))),
            doctest::Contains("History: no column 'acuracy'; the columns are loss, accuracy, lr "
                              "and seconds"),
            std::invalid_argument);
        CHECK_THROWS_AS(train::EarlyStopping(train::EarlyStoppingOptions().patience(-1)),
                        std::invalid_argument);
    }

    TEST_CASE("StopAtTarget: stops after the first epoch that reaches an accuracy goal") {
        tg::manual_seed(6);
        Setup s;
        auto h = s.fit(tg::FitOptions()
                           .epochs(20)
                           .metrics({Scripted("score", {0.2, 0.5, 0.9, 0.95})})
                           .callback(train::StopAtTarget("score", 0.9, train::Mode::max)));
        CHECK(h.stop_reason == "target");
        CHECK(h.size() == 3);

        Setup real;
        auto val = blobs(20);
        auto g = real.fit(tg::FitOptions().epochs(200).validation(val).callback(
            train::StopAtTarget("val_accuracy", 0.9)));
        CHECK(g.stop_reason == "target");
        CHECK(g.val_accuracy.back() >= 0.9);
        for (size_t i = 0; i + 1 < g.size(); ++i) CHECK(g.val_accuracy[i] < 0.9);
    }

    TEST_CASE("ModelCheckpoint: saves the best epochs under formatted names, through save") {
        tg::manual_seed(7);
        TempDir dir;
        Setup s;
        std::vector<std::vector<tg::Tensor>> after_epoch;
        auto best = std::make_shared<train::ModelCheckpoint>(
            dir.file("ckpt_{epoch:02d}_{score:.2f}.tg"), train::ModelCheckpointOptions()
                                                             .monitor("score")
                                                             .mode(train::Mode::max)
                                                             .save_best_only(true));
        s.fit(tg::FitOptions()
                  .epochs(4)
                  .metrics({Scripted("score", {0.3, 0.5, 0.4, 0.6})})
                  .callback(best)
                  .on_epoch_end([&](const tg::History&) {
                      after_epoch.push_back(copy_of(s.model->parameters()));
                  }));
        CHECK(dir.entries() ==
              std::vector<std::string>{"ckpt_01_0.30.tg", "ckpt_02_0.50.tg", "ckpt_04_0.60.tg"});
        CHECK(best->last_saved() == dir.file("ckpt_04_0.60.tg"));
        CHECK(best->last_saved_epoch() == 4);
        tg::nn::Linear restored(2, 2);
        tg::load(restored, dir.file("ckpt_02_0.50.tg"));
        CHECK(all_equal(restored->parameters(), after_epoch[1]));

        Setup t;  // save_best_only off: the last epoch's model, overwriting one file
        auto last = std::make_shared<train::ModelCheckpoint>(dir.file("last.tg"));
        t.fit(tg::FitOptions().epochs(3).callback(last));
        tg::load(restored, dir.file("last.tg"));
        CHECK(all_equal(restored->parameters(), t.model->parameters()));
        CHECK(last->last_saved_epoch() == 3);
    }

    TEST_CASE("ModelCheckpoint: refuses path formats it cannot fill") {
        Setup s;
        for (const char* bad : {"m_{epoch:s}.tg", "m_{epoch.tg", "m_}.tg", "m_{loss:%n}.tg"}) {
            CAPTURE(bad);
            CHECK_THROWS_AS(s.fit(tg::FitOptions().epochs(1).callback(train::ModelCheckpoint(bad))),
                            std::invalid_argument);
        }
        tg::History h;
        h.epoch = {7};
        h.loss = {0.25};
        h.accuracy = {0.5};
        h.lr = {0.1};
        h.seconds = {1};
        train::FitState st(*s.model, s.optimizer, h);
        st.epoch = 7;
        CHECK(train::format_checkpoint_path("{{x}}_{epoch}_{loss:.3f}_{accuracy}", st) ==
              "{x}_7_0.250_0.5");
    }

    TEST_CASE("CSVLogger: rewrites the whole log after every epoch, or appends to one") {
        tg::manual_seed(8);
        TempDir dir;
        Setup s;
        std::vector<size_t> lines_after_epoch;
        auto counter = std::make_shared<train::LambdaCallback>();
        counter->epoch_end = [&](train::FitState&) {
            const std::string text = read_text(dir.file("log.csv"));
            lines_after_epoch.push_back(
                static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
        };
        auto h = s.fit(tg::FitOptions()
                           .epochs(3)
                           .callback(std::make_shared<train::CSVLogger>(dir.file("log.csv")))
                           .callback(counter));
        CHECK(lines_after_epoch == std::vector<size_t>{2, 3, 4});
        CHECK(read_text(dir.file("log.csv")) == h.to_csv());
        CHECK(dir.entries() == std::vector<std::string>{"log.csv"});

        auto g = s.fit(tg::FitOptions().epochs(2).callback(
            std::make_shared<train::CSVLogger>(dir.file("log.csv"), /*append=*/true)));
        const std::string g_csv = g.to_csv();
        CHECK(read_text(dir.file("log.csv")) == h.to_csv() + g_csv.substr(g_csv.find('\n') + 1));
    }

    TEST_CASE("LearningRateScheduler: a function of the epoch sets every group's rate") {
        tg::manual_seed(9);
        Setup s;
        std::vector<int64_t> epochs_seen;
        auto h = s.fit(tg::FitOptions().epochs(3).callback(
            train::LearningRateScheduler([&](int64_t epoch, double lr) {
                epochs_seen.push_back(epoch);
                return epoch == 0 ? 0.2 : lr * 0.5;
            })));
        CHECK(epochs_seen == std::vector<int64_t>{0, 1, 2});
        REQUIRE(h.lr.size() == 3);
        CHECK(h.lr[0] == doctest::Approx(0.2));
        CHECK(h.lr[1] == doctest::Approx(0.1));
        CHECK(h.lr[2] == doctest::Approx(0.05));
        CHECK_THROWS_WITH_AS(
            s.fit(tg::FitOptions().epochs(1).callback(
                train::LearningRateScheduler([](int64_t, double) { return -1.0; }))),
            doctest::Contains("the schedule gave lr -1 for epoch 0"), std::invalid_argument);
    }

    TEST_CASE("LearningRateScheduler: steps ReduceLROnPlateau with the monitored metric") {
        tg::manual_seed(10);
        Setup s;
        tg::optim::ReduceLROnPlateau plateau(s.optimizer, tg::optim::ReduceLROnPlateau::min,
                                             /*factor=*/0.5, /*patience=*/0);
        auto h = s.fit(tg::FitOptions()
                           .epochs(3)
                           .metrics({Scripted("plateau", {1.0, 1.0, 1.0})})
                           .callback(train::LearningRateScheduler(plateau, "plateau")));
        // epoch 1 sets the best; epoch 2 does not beat it, so epoch 3 runs at half the rate
        CHECK(h.lr == std::vector<double>{0.1, 0.1, 0.05});
    }

    TEST_CASE("resolve_mode: accuracy-like names improve upwards, losses downwards") {
        using train::Mode;
        CHECK(train::resolve_mode(Mode::automatic, "val_accuracy") == Mode::max);
        CHECK(train::resolve_mode(Mode::automatic, "top_5_accuracy") == Mode::max);
        CHECK(train::resolve_mode(Mode::automatic, "val_f1_macro") == Mode::max);
        CHECK(train::resolve_mode(Mode::automatic, "auc") == Mode::max);
        CHECK(train::resolve_mode(Mode::automatic, "val_loss") == Mode::min);
        CHECK(train::resolve_mode(Mode::max, "val_loss") == Mode::max);
    }
}
