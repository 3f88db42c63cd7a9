#include "train/history.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "train/detail.hpp"

namespace tapegrad {
namespace train {

namespace {

// Writes `text` to `path` through `path.tmp.<pid>` and a rename: rename() within one
// directory is atomic, so readers see the old file or the new one, never half of one.
void write_atomically(const char* who, const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw std::runtime_error(std::string(who) + ": cannot open '" + tmp + "' for writing");
        out << text;
        out.flush();
        if (!out) {
            out.close();
            std::remove(tmp.c_str());
            throw std::runtime_error(std::string(who) + ": write to '" + tmp + "' failed");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error(std::string(who) + ": cannot rename '" + tmp + "' to '" + path +
                                 "'");
    }
}

std::string number(double v, const char* format = "%.6g") {
    if (std::isnan(v)) return "nan";
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

double at(const std::vector<double>& column, size_t i) {
    return i < column.size() ? column[i] : std::nan("");
}

// 'text' for gnuplot: single quotes inside are doubled.
std::string gp_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// 'text' for /bin/sh: a single quote becomes '\''.
std::string sh_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool executable(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Column of each metric in the data file written by write_plot_data (1 is the epoch).
int column_of(const std::string& metric) {
    static const char* names[] = {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"};
    for (int i = 0; i < 6; ++i) {
        if (metric == names[i]) return i + 2;
    }
    throw std::invalid_argument(
        "plot_histories: unknown metric '" + metric +
        "'; expected loss, accuracy, val_loss, val_accuracy, lr or seconds");
}

}  // namespace

void History::write_csv(const std::string& path) const {
    write_atomically("History::write_csv", path, to_csv());
}

std::string find_gnuplot(const PlotOptions& options) {
    const std::string& wanted = options.gnuplot();
    if (wanted.find('/') != std::string::npos) return executable(wanted) ? wanted : std::string();
    std::vector<std::string> names;
    if (wanted.empty())
        names = {"gnuplot", "gnuplot-nox", "gnuplot-qt", "gnuplot-x11"};
    else
        names = {wanted};
    const char* path_env = std::getenv("PATH");
    const std::string path_list = path_env ? path_env : "";
    for (const std::string& name : names) {
        std::stringstream dirs(path_list);
        std::string dir;
        while (std::getline(dirs, dir, ':')) {
            if (dir.empty()) continue;
            const std::string candidate = dir + "/" + name;
            if (executable(candidate)) return candidate;
        }
    }
    return std::string();
}

namespace {

struct Series {
    size_t run;
    int column;
    std::string title;
};
struct Panel {
    std::string ylabel;
    std::vector<Series> series;
};

// Writes the runs and a gnuplot script to temporary files beside `path`, runs gnuplot on
// them, and removes them again.
bool draw(const std::string& path, const std::vector<NamedHistory>& runs,
          const std::vector<Panel>& panels, const PlotOptions& options) {
    const bool svg = ends_with(path, ".svg");
    if (!svg && !ends_with(path, ".png")) {
        throw std::invalid_argument("plot: cannot draw '" + path +
                                    "': the name must end in .svg or .png");
    }
    const std::string gnuplot = find_gnuplot(options);
    if (gnuplot.empty()) {
        std::cerr
            << "plot: gnuplot not found ("
            << (options.gnuplot().empty()
                    ? std::string(
                          "looked for gnuplot, gnuplot-nox, gnuplot-qt and gnuplot-x11 on PATH")
                    : "'" + options.gnuplot() + "' is not an executable on PATH")
            << "), so '" << path
            << "' was not drawn. Install it (apt-get install gnuplot-nox) or plot the CSV "
               "written by History::write_csv with any tool.\n";
        return false;
    }

    // one block per run, separated by two blank lines so that gnuplot's `index i` picks it
    std::ostringstream data;
    for (const NamedHistory& run : runs) {
        const History& h = run.history;
        for (size_t i = 0; i < h.size(); ++i) {
            data << (i < h.epoch.size() ? h.epoch[i] : static_cast<int64_t>(i + 1)) << ' '
                 << number(h.loss[i]) << ' ' << number(at(h.accuracy, i)) << ' '
                 << number(at(h.val_loss, i)) << ' ' << number(at(h.val_accuracy, i)) << ' '
                 << number(at(h.lr, i)) << ' ' << number(at(h.seconds, i)) << '\n';
        }
        data << "\n\n";
    }
    int64_t max_epoch = 1;
    for (const NamedHistory& run : runs) {
        max_epoch = std::max<int64_t>(max_epoch, static_cast<int64_t>(run.history.size()));
        if (!run.history.epoch.empty()) max_epoch = std::max(max_epoch, run.history.epoch.back());
    }
    const std::string suffix = ".tmp." + std::to_string(::getpid());
    const std::string data_path = path + ".data" + suffix;
    const std::string script_path = path + ".gp" + suffix;

    std::ostringstream gp;
    const std::string size =
        std::to_string(options.width()) + "," + std::to_string(options.height());
    if (svg) {
        gp << "set terminal svg size " << size << " dynamic background rgb 'white'\n";
    } else {
        gp << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size " << size
           << " } else { set terminal png size " << size << " }\n";
    }
    gp << "set output " << gp_quote(path) << "\n"
       << "set datafile missing 'nan'\n"
       << "set multiplot layout 1," << panels.size() << " title " << gp_quote(options.title())
       << "\n"
       << "set grid\nset xlabel 'epoch'\nset key top right\n"
       << "set xrange [0.5:" << max_epoch << ".5]\n";  // also gives one epoch a non-empty range
    for (const Panel& panel : panels) {
        // accuracy curves rise towards the top right corner: keep the key out of their way
        gp << (panel.ylabel.find("accuracy") != std::string::npos ? "set key bottom right\n"
                                                                  : "set key top right\n");
        gp << "set ylabel " << gp_quote(panel.ylabel) << "\n"
           << (panel.ylabel == "lr" ? "set logscale y\n" : "unset logscale y\n") << "plot ";
        for (size_t i = 0; i < panel.series.size(); ++i) {
            const Series& s = panel.series[i];
            gp << (i ? ", " : "") << gp_quote(data_path) << " index " << s.run
               << " using 1:" << s.column << " with linespoints title " << gp_quote(s.title);
        }
        gp << "\n";
    }
    gp << "unset multiplot\nset output\n";

    try {
        write_atomically("plot", data_path, data.str());
        write_atomically("plot", script_path, gp.str());
    } catch (const std::exception& e) {
        std::remove(data_path.c_str());
        std::cerr << e.what() << "\n";
        return false;
    }
    const int status = std::system((sh_quote(gnuplot) + " " + sh_quote(script_path)).c_str());
    std::remove(data_path.c_str());
    std::remove(script_path.c_str());
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::cerr << "plot: " << gnuplot << " failed drawing '" << path << "'\n";
        return false;
    }
    std::ifstream check(path, std::ios::binary | std::ios::ate);
    if (!check || check.tellg() <= 0) {
        std::cerr << "plot: " << gnuplot << " ran but '" << path << "' is missing or empty\n";
        return false;
    }
    return true;
}

}  // namespace

bool plot_histories(const std::string& path, const std::vector<NamedHistory>& runs,
                    const std::vector<std::string>& metrics, const PlotOptions& options) {
    std::vector<Panel> panels;
    for (const std::string& metric : metrics) {
        Panel panel{metric, {}};
        for (size_t r = 0; r < runs.size(); ++r) {
            panel.series.push_back({r, column_of(metric), runs[r].name});
        }
        panels.push_back(panel);
    }
    return draw(path, runs, panels, options);
}

bool History::plot(const std::string& path, const PlotOptions& options) const {
    Panel loss_panel{"loss", {{0, column_of("loss"), "train"}}};
    Panel accuracy_panel{"accuracy", {{0, column_of("accuracy"), "train"}}};
    if (has_validation()) {
        loss_panel.series.push_back({0, column_of("val_loss"), "validation"});
        accuracy_panel.series.push_back({0, column_of("val_accuracy"), "validation"});
    }
    return draw(path, {{"", *this}}, {loss_panel, accuracy_panel}, options);
}

}  // namespace train
}  // namespace tapegrad

namespace tapegrad {
namespace train {
namespace detail {

void write_file_atomically(const char* who, const std::string& path, const std::string& text) {
    write_atomically(who, path, text);
}

}  // namespace detail
}  // namespace train
}  // namespace tapegrad
