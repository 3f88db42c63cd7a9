#include <doctest/doctest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/train/train_test_util.hpp"

using tapegrad::train::History;
using tapegrad::train::PlotOptions;
using tapegrad_test::CaptureCerr;
using tapegrad_test::read_text;
using tapegrad_test::TempDir;

namespace {
History two_epochs(bool validation) {
    History h;
    h.epoch = {1, 2};
    h.loss = {0.5, 0.25};
    h.accuracy = {0.75, 0.875};
    if (validation) {
        h.val_loss = {0.625, 0.375};
        h.val_accuracy = {0.7, 0.8};
    }
    h.lr = {0.001, 0.0005};
    h.seconds = {1.25, 2.5};
    h.best_epoch = 2;
    h.stop_reason = "epochs";
    return h;
}

// Sets PATH for its lifetime.
class ScopedPath {
public:
    explicit ScopedPath(const std::string& value) {
        const char* old = std::getenv("PATH");
        had_ = old != nullptr;
        if (had_) old_ = old;
        ::setenv("PATH", value.c_str(), 1);
    }
    ~ScopedPath() {
        if (had_)
            ::setenv("PATH", old_.c_str(), 1);
        else
            ::unsetenv("PATH");
    }

private:
    bool had_ = false;
    std::string old_;
};
}  // namespace

TEST_SUITE("train/history") {
    TEST_CASE("write_csv: writes a header and one line per epoch, validation columns included") {
        TempDir dir;
        two_epochs(true).write_csv(dir.file("h.csv"));
        CHECK(read_text(dir.file("h.csv")) ==
              "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n"
              "1,0.5,0.75,0.625,0.7,0.001,1.250\n"
              "2,0.25,0.875,0.375,0.8,0.0005,2.500\n");
    }

    TEST_CASE("write_csv: leaves out the validation columns when fit had no validation data") {
        TempDir dir;
        two_epochs(false).write_csv(dir.file("h.csv"));
        CHECK(read_text(dir.file("h.csv")) ==
              "epoch,loss,accuracy,lr,seconds\n"
              "1,0.5,0.75,0.001,1.250\n"
              "2,0.25,0.875,0.0005,2.500\n");
    }

    TEST_CASE("write_csv: replaces an existing file whole and leaves no temporary file behind") {
        TempDir dir;
        {
            std::ofstream old(dir.file("h.csv"));
            old << "an old file that is longer than the new one, so a partial overwrite would "
                   "show\n"
                   "line two\nline three\nline four\nline five\nline six\n";
        }
        two_epochs(false).write_csv(dir.file("h.csv"));
        CHECK(read_text(dir.file("h.csv")).rfind("epoch,loss,accuracy,lr,seconds\n", 0) == 0);
        CHECK(read_text(dir.file("h.csv")).find("line") == std::string::npos);
        CHECK(dir.entries() == std::vector<std::string>{"h.csv"});
    }

    TEST_CASE("write_csv: throws naming the path when it cannot write, and cleans up") {
        TempDir dir;
        CHECK_THROWS_WITH_AS(two_epochs(false).write_csv(dir.file("missing/h.csv")),
                             doctest::Contains("missing/h.csv"), std::runtime_error);
        // a directory in the way: the temporary file is written, the rename fails
        std::filesystem::create_directories(dir.file("taken/inside"));
        CHECK_THROWS_WITH_AS(two_epochs(false).write_csv(dir.file("taken")),
                             doctest::Contains("rename"), std::runtime_error);
        CHECK(dir.entries() == std::vector<std::string>{"taken"});
    }

    TEST_CASE("plot: returns false and says why when the gnuplot program does not exist") {
        TempDir dir;
        CaptureCerr cerr;
        CHECK_FALSE(two_epochs(true).plot(dir.file("h.svg"),
                                          PlotOptions().gnuplot("/nonexistent/gnuplot")));
        CHECK(cerr.text().find("gnuplot not found") != std::string::npos);
        CHECK(cerr.text().find("/nonexistent/gnuplot") != std::string::npos);
        CHECK(cerr.text().find("write_csv") != std::string::npos);
        CHECK(dir.entries().empty());
    }

    TEST_CASE("plot: returns false when no gnuplot is on PATH") {
        TempDir dir;
        ScopedPath path(dir.path());
        CHECK(tapegrad::train::find_gnuplot().empty());
        CaptureCerr cerr;
        CHECK_FALSE(two_epochs(true).plot(dir.file("h.png")));
        CHECK(cerr.text().find("looked for gnuplot, gnuplot-nox") != std::string::npos);
        CHECK(cerr.text().find("apt-get install gnuplot-nox") != std::string::npos);
    }

    TEST_CASE("plot: rejects a file name that is neither .svg nor .png") {
        CHECK_THROWS_WITH_AS(two_epochs(true).plot("curves.jpg"),
                             "plot: cannot draw 'curves.jpg': the name must end in .svg or .png",
                             std::invalid_argument);
    }

    TEST_CASE("plot_histories: rejects an unknown metric") {
        CHECK_THROWS_WITH_AS(
            tapegrad::train::plot_histories("c.svg", {{"a", two_epochs(false)}}, {"los"}),
            doctest::Contains("unknown metric 'los'"), std::invalid_argument);
    }

    TEST_CASE("plot: draws an SVG with gnuplot when it is installed") {
        if (tapegrad::train::find_gnuplot().empty()) {
            MESSAGE("gnuplot is not installed: only the missing-gnuplot path is tested");
            return;
        }
        TempDir dir;
        REQUIRE(two_epochs(true).plot(dir.file("h.svg"), PlotOptions().title("two epochs")));
        const std::string svg = read_text(dir.file("h.svg"));
        CHECK(svg.find("<svg") != std::string::npos);
        CHECK(svg.find("validation") != std::string::npos);
        CHECK(dir.entries() == std::vector<std::string>{"h.svg"});  // temporary files removed
        REQUIRE(tapegrad::train::plot_histories(dir.file("runs.png"),
                                                {{"a", two_epochs(false)}, {"b", two_epochs(true)}},
                                                {"loss", "lr"}));
        CHECK(read_text(dir.file("runs.png")).substr(1, 3) == "PNG");
    }
}

TEST_SUITE("train/history") {
    TEST_CASE("History: reads any column by name, metric columns included, in CSV order") {
        History h = two_epochs(true);
        h.metrics["f1_macro"] = {0.5, 0.625};
        h.metrics["val_f1_macro"] = {0.25, 0.375};
        CHECK(h.keys() == std::vector<std::string>{"loss", "accuracy", "f1_macro", "val_loss",
                                                   "val_accuracy", "val_f1_macro", "lr",
                                                   "seconds"});
        CHECK(h["val_f1_macro"] == std::vector<double>{0.25, 0.375});
        CHECK(h["lr"] == h.lr);
        CHECK(h.contains("f1_macro"));
        CHECK_FALSE(h.contains("f1"));
        CHECK(h.to_csv() ==
              "epoch,loss,accuracy,f1_macro,val_loss,val_accuracy,val_f1_macro,lr,seconds\n"
              "1,0.5,0.75,0.5,0.625,0.7,0.25,0.001,1.250\n"
              "2,0.25,0.875,0.625,0.375,0.8,0.375,0.0005,2.500\n");
        CHECK(h.to_csv(';').rfind("epoch;loss;accuracy;f1_macro;", 0) == 0);
    }

    TEST_CASE("History: an unknown column is refused, naming the columns there are") {
        CHECK_THROWS_WITH_AS(two_epochs(false)["val_loss"],
                             "History: no column 'val_loss' (fit ran without validation data); "
                             "the columns are loss, accuracy, lr and seconds",
                             std::invalid_argument);
    }
}
