#include "train/history.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "train/detail.hpp"

namespace tapegrad {
namespace train {

namespace {

double at(const std::vector<double>& column, size_t i) {
    return i < column.size() ? column[i] : std::nan("");
}

// 'text' for gnuplot: single quotes inside are doubled.
std::string gp_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
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
    detail::write_file_atomically("History::write_csv", path, to_csv());
}

std::string find_gnuplot(const PlotOptions& options) {
    const std::string& wanted = options.gnuplot();
    if (!wanted.empty()) return tapegrad::detail::find_program(wanted);
    for (const char* name : {"gnuplot", "gnuplot-nox", "gnuplot-qt", "gnuplot-x11"}) {
        const std::string found = tapegrad::detail::find_program(name);
        if (!found.empty()) return found;
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

// Runs gnuplot on a script that holds the runs as a datablock, reads the picture from its
// standard output and writes it to `path` atomically.
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
                 << detail::format_number(h.loss[i]) << ' '
                 << detail::format_number(at(h.accuracy, i)) << ' '
                 << detail::format_number(at(h.val_loss, i)) << ' '
                 << detail::format_number(at(h.val_accuracy, i)) << ' '
                 << detail::format_number(at(h.lr, i)) << ' '
                 << detail::format_number(at(h.seconds, i)) << '\n';
        }
        data << "\n\n";
    }
    int64_t max_epoch = 1;
    for (const NamedHistory& run : runs) {
        max_epoch = std::max<int64_t>(max_epoch, static_cast<int64_t>(run.history.size()));
        if (!run.history.epoch.empty()) max_epoch = std::max(max_epoch, run.history.epoch.back());
    }

    std::ostringstream gp;
    gp << "$runs << EOD\n" << data.str() << "EOD\n";
    const std::string size =
        std::to_string(options.width()) + "," + std::to_string(options.height());
    if (svg) {
        gp << "set terminal svg size " << size << " dynamic background rgb 'white'\n";
    } else {
        gp << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size " << size
           << " } else { set terminal png size " << size << " }\n";
    }
    gp << "set output\n"  // standard output
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
            gp << (i ? ", " : "") << "$runs index " << s.run << " using 1:" << s.column
               << " with linespoints title " << gp_quote(s.title);
        }
        gp << "\n";
    }
    gp << "unset multiplot\nset output\n";

    try {
        const std::string picture = tapegrad::detail::run_program("plot", {gnuplot}, gp.str());
        if (picture.empty()) {
            std::cerr << "plot: " << gnuplot << " ran but drew nothing for '" << path << "'\n";
            return false;
        }
        detail::write_file_atomically("plot", path, picture);
    } catch (const std::runtime_error& e) {
        std::cerr << e.what() << "\n";
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
