#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/train/svg_check.hpp"
#include "tests/train/train_test_util.hpp"

namespace tg = tapegrad;
namespace train = tapegrad::train;
using tapegrad_test::read_text;
using tapegrad_test::TempDir;

namespace {
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}
// A made-up validation accuracy, best at lr = 1e-2 and 64 units.
double bowl(const train::Params& p) {
    return 1.0 - std::pow(std::log10(p["lr"]) + 2, 2) - std::pow((p["units"] - 64) / 64, 2);
}
}  // namespace

TEST_SUITE("train/search") {
    TEST_CASE("Range: grids of values, uniform, log-uniform and integer ranges") {
        CHECK(train::values({3, 1, 2}).grid() == std::vector<double>{3, 1, 2});
        CHECK(train::uniform(0, 1, 5).grid() == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
        const auto g = train::log_uniform(1e-4, 1e-1, 4).grid();
        REQUIRE(g.size() == 4);
        CHECK(g[0] == 1e-4);
        CHECK(g[1] == doctest::Approx(1e-3));
        CHECK(g[2] == doctest::Approx(1e-2));
        CHECK(g[3] == 1e-1);
        CHECK(train::integers(2, 10, 4).grid() == std::vector<double>{2, 6, 10});
        CHECK(train::log_uniform(1e-3, 1e-3, 1).grid() == std::vector<double>{1e-3});
    }

    TEST_CASE("Range: log_uniform samples the exponent uniformly, inside the bounds") {
        std::mt19937_64 rng(3);
        const auto r = train::log_uniform(1e-4, 1e-1);
        int below = 0;
        for (int i = 0; i < 3000; ++i) {
            const double v = r.sample(rng);
            REQUIRE(v >= 1e-4);
            REQUIRE(v <= 1e-1);
            below += v < 1e-3 ? 1 : 0;  // the first of three decades
        }
        CHECK(below / 3000.0 == doctest::Approx(1.0 / 3).epsilon(0.1));
        const auto ints = train::integers(1, 3);
        std::vector<int> seen(4, 0);
        for (int i = 0; i < 300; ++i) ++seen[static_cast<size_t>(ints.sample(rng))];
        CHECK(seen[0] == 0);
        CHECK((seen[1] > 0 && seen[2] > 0 && seen[3] > 0));
    }

    TEST_CASE("Range: refuses empty, reversed, non-positive-log and non-finite ranges") {
        CHECK_THROWS_WITH_AS(train::log_uniform(0, 1), "log_uniform: lo must be > 0, got 0",
                             std::invalid_argument);
        CHECK_THROWS_AS(train::uniform(1, 0), std::invalid_argument);
        CHECK_THROWS_AS(train::uniform(0, INFINITY), std::invalid_argument);
        CHECK_THROWS_AS(train::values({}), std::invalid_argument);
        CHECK_THROWS_AS(train::integers(0, 5, 0), std::invalid_argument);
        CHECK_THROWS_AS(train::uniform(0, 1, 0), std::invalid_argument);
    }

    TEST_CASE("grid_search: runs every combination, first range slowest, sorted best first") {
        std::vector<std::string> order;
        auto result = train::grid_search(
            {{"lr", train::log_uniform(1e-4, 1, 5)}, {"units", train::values({32, 64, 128})}},
            [&](const train::Params& p) {
                order.push_back(p.to_string());
                return bowl(p);
            },
            train::SearchOptions().verbose(false));
        REQUIRE(result.trials.size() == 15);
        CHECK(order[0] == "lr=0.0001, units=32");
        CHECK(order[1] == "lr=0.0001, units=64");
        CHECK(order[3] == "lr=0.001, units=32");
        CHECK(result.mode == train::Mode::max);  // "val_accuracy" improves upwards
        CHECK(result.best().params["lr"] == doctest::Approx(1e-2));
        CHECK(result.best().params.integer("units") == 64);
        CHECK(result.best().score == doctest::Approx(1.0));
        CHECK(result.best().index == 8);  // lr 1e-2 is the third lr, units 64 the second
        for (size_t i = 1; i < result.trials.size(); ++i) {
            CHECK(result.trials[i - 1].score >= result.trials[i].score);
        }
    }

    TEST_CASE("grid_search: a loss is minimised, and NaN scores go last") {
        auto result = train::grid_search(
            {{"x", train::values({-2, -1, 0, 1, 3})}},
            [](const train::Params& p) { return p["x"] == 3 ? std::nan("") : p["x"] * p["x"]; },
            train::SearchOptions().monitor("val_loss").verbose(false));
        CHECK(result.mode == train::Mode::min);
        std::vector<double> xs;
        for (const auto& t : result.trials) xs.push_back(t.params["x"]);
        CHECK(xs == std::vector<double>{0, -1, 1, -2, 3});
        CHECK(std::isnan(result.trials.back().score));
    }

    TEST_CASE("random_search: draws each trial from the ranges, repeatably under a seed") {
        const std::vector<train::NamedRange> space = {{"lr", train::log_uniform(1e-4, 1e-1)},
                                                      {"units", train::integers(16, 128, 16)}};
        const auto options = train::SearchOptions().trials(12).seed(5).verbose(false);
        auto a = train::random_search(space, bowl, options);
        auto b = train::random_search(space, bowl, options);
        auto c = train::random_search(space, bowl, train::SearchOptions(options).seed(6));
        REQUIRE(a.trials.size() == 12);
        bool same = true, differ = false;
        for (size_t i = 0; i < 12; ++i) {
            same = same && a.trials[i].params.items() == b.trials[i].params.items();
            differ = differ || a.trials[i].params.items() != c.trials[i].params.items();
            const double units = a.trials[i].params["units"];
            CHECK(std::fmod(units, 16.0) == 0);
            CHECK(units >= 16);
            CHECK(units <= 128);
        }
        CHECK(same);
        CHECK(differ);
    }

    TEST_CASE("search: an objective returning a History is scored by its best epoch") {
        auto result = train::grid_search(
            {{"a", train::values({1, 2})}},
            [](const train::Params& p) {
                tg::History h;
                h.loss = {1, 1, 1};
                h.val_loss = {0.9, 0.5 / p["a"], 0.7};
                h.val_accuracy = {0.5, 0.6 + 0.1 * p["a"], 0.7};
                return h;
            },
            train::SearchOptions().monitor("val_loss").verbose(false));
        CHECK(result.best().params["a"] == 2);
        CHECK(result.best().score == doctest::Approx(0.25));
        tg::History h;
        h.loss = {1, 1, 1};
        h.val_loss = {0.9, 0.4, 0.7};
        h.val_accuracy = {0.5, std::nan(""), 0.7};
        CHECK(train::best_score(h, "val_accuracy") == doctest::Approx(0.7));
        CHECK(train::best_score(h, "val_loss") == doctest::Approx(0.4));
    }

    TEST_CASE("SearchResult: written as CSV best first and plotted as a valid SVG") {
        TempDir dir;
        auto result = train::grid_search(
            {{"lr", train::values({1e-3, 1e-2, 1e-1})}, {"units", train::values({32, 64})}}, bowl,
            train::SearchOptions().verbose(false));
        result.write_csv(dir.file("search.csv"));
        const auto lines = lines_of(read_text(dir.file("search.csv")));
        REQUIRE(lines.size() == 7);
        CHECK(lines[0] == "rank,trial,lr,units,val_accuracy,seconds");
        CHECK(lines[1].rfind("1,4,0.01,64,1,", 0) == 0);
        CHECK(lines[2].rfind("2,3,0.01,32,0.75,", 0) == 0);
        result.plot(dir.file("search.svg"), "a bowl");
        const auto check = tapegrad_test::check_svg(read_text(dir.file("search.svg")));
        REQUIRE_MESSAGE(check.ok, check.error);
        CHECK(check.count("circle") == 2 * 6);  // one point per trial in each of two panels
        CHECK(read_text(dir.file("search.svg")).find("(log scale)") == std::string::npos);
        CHECK_THROWS_AS(result.plot(dir.file("search.png")), std::invalid_argument);

        auto logs = train::grid_search(
            {{"lr", train::log_uniform(1e-4, 1e-1, 4)}},
            [](const train::Params& p) { return -p["lr"]; }, train::SearchOptions().verbose(false));
        logs.plot(dir.file("log.svg"));
        const std::string log_svg = read_text(dir.file("log.svg"));
        CHECK(tapegrad_test::check_svg(log_svg).ok);
        CHECK(log_svg.find("lr (log scale)") != std::string::npos);
        CHECK(dir.entries() == std::vector<std::string>{"log.svg", "search.csv", "search.svg"});
    }

    TEST_CASE("search: refuses bad spaces and unknown parameter names") {
        auto unused = [](const train::Params&) { return 0.0; };
        CHECK_THROWS_WITH_AS(train::grid_search({}, unused),
                             "search: no hyperparameters to search over", std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            train::grid_search({{"lr", train::values({1})}, {"lr", train::values({2})}}, unused),
            "search: the hyperparameter 'lr' is given twice", std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            train::grid_search(
                {{"lr", train::values({1})}}, [](const train::Params& p) { return p["units"]; },
                train::SearchOptions().verbose(false)),
            "Params: no hyperparameter 'units'; there are lr", std::invalid_argument);
        CHECK_THROWS_WITH_AS(train::Params({{"units", 2.5}}).integer("units"),
                             "Params::integer: 'units' is 2.5, not a whole number",
                             std::invalid_argument);
        CHECK_THROWS_AS(train::random_search({{"lr", train::values({1})}}, unused,
                                             train::SearchOptions().trials(0)),
                        std::invalid_argument);
    }
}
