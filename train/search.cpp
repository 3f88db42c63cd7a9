#include "train/search.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "train/detail.hpp"
#include "train/svg.hpp"

namespace tapegrad {
namespace train {

namespace {

constexpr int64_t kMaxGrid = 1000000;

void check_bounds(const char* who, double lo, double hi) {
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo <= hi)) {
        throw std::invalid_argument(std::string(who) + ": needs finite lo <= hi, got [" +
                                    detail::format_number(lo) + ", " + detail::format_number(hi) +
                                    "]");
    }
}

void check_points(const char* who, int64_t points) {
    if (points < 1) {
        throw std::invalid_argument(std::string(who) + ": grid_points must be >= 1, got " +
                                    std::to_string(points));
    }
}

void check_space(const std::vector<NamedRange>& space) {
    if (space.empty()) throw std::invalid_argument("search: no hyperparameters to search over");
    std::set<std::string> names;
    for (const NamedRange& r : space) {
        if (r.name.empty()) throw std::invalid_argument("search: a hyperparameter has no name");
        if (!names.insert(r.name).second) {
            throw std::invalid_argument("search: the hyperparameter '" + r.name +
                                        "' is given twice");
        }
    }
}

bool better(Mode mode, double a, double b) {
    if (std::isnan(b)) return !std::isnan(a);
    if (std::isnan(a)) return false;
    return mode == Mode::max ? a > b : a < b;
}

using Scorer = std::function<double(const Params&)>;

SearchResult run_trials(const std::vector<NamedRange>& space, const std::vector<Params>& trials,
                        const Scorer& score, const SearchOptions& options, const char* kind) {
    SearchResult result;
    result.monitor = options.monitor();
    result.mode = resolve_mode(options.mode(), options.monitor());
    for (const NamedRange& r : space) {
        result.names.push_back(r.name);
        result.log_scale.push_back(r.range.log_scale());
    }
    for (size_t i = 0; i < trials.size(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        Trial t;
        t.index = static_cast<int64_t>(i) + 1;
        t.params = trials[i];
        t.score = score(t.params);
        t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (options.verbose()) {
            std::printf("%s trial %lld/%zu  %s  %s %.4f  (%.1fs)\n", kind,
                        static_cast<long long>(t.index), trials.size(),
                        t.params.to_string().c_str(), result.monitor.c_str(), t.score, t.seconds);
            std::fflush(stdout);
        }
        result.trials.push_back(std::move(t));
    }
    std::stable_sort(
        result.trials.begin(), result.trials.end(),
        [&](const Trial& a, const Trial& b) { return better(result.mode, a.score, b.score); });
    return result;
}

Scorer scorer(const HistoryObjective& objective, const SearchOptions& options) {
    if (!objective) throw std::invalid_argument("search: the objective is empty");
    return [objective, options](const Params& p) {
        return best_score(objective(p), options.monitor(), options.mode());
    };
}

Scorer scorer(const ScoreObjective& objective) {
    if (!objective) throw std::invalid_argument("search: the objective is empty");
    return objective;
}

std::vector<Params> grid_of(const std::vector<NamedRange>& space) {
    check_space(space);
    std::vector<std::vector<double>> grids;
    int64_t total = 1;
    for (const NamedRange& r : space) {
        grids.push_back(r.range.grid());
        total *= static_cast<int64_t>(grids.back().size());
        if (total > kMaxGrid) {
            throw std::invalid_argument("grid_search: the grid has more than " +
                                        std::to_string(kMaxGrid) +
                                        " combinations; use random_search or fewer points");
        }
    }
    std::vector<Params> out;
    std::vector<size_t> at(space.size(), 0);  // an odometer over the grids, last one fastest
    for (int64_t k = 0; k < total; ++k) {
        std::vector<std::pair<std::string, double>> items;
        for (size_t i = 0; i < space.size(); ++i)
            items.emplace_back(space[i].name, grids[i][at[i]]);
        out.emplace_back(std::move(items));
        for (size_t i = space.size(); i-- > 0;) {
            if (++at[i] < grids[i].size()) break;
            at[i] = 0;
        }
    }
    return out;
}

std::vector<Params> samples_of(const std::vector<NamedRange>& space, const SearchOptions& options) {
    check_space(space);
    if (options.trials() < 1) {
        throw std::invalid_argument("random_search: trials must be >= 1, got " +
                                    std::to_string(options.trials()));
    }
    std::mt19937_64 rng(options.seed());
    std::vector<Params> out;
    for (int64_t k = 0; k < options.trials(); ++k) {
        std::vector<std::pair<std::string, double>> items;
        for (const NamedRange& r : space) items.emplace_back(r.name, r.range.sample(rng));
        out.emplace_back(std::move(items));
    }
    return out;
}

// A parameter value as the table shows it.
std::string param_text(double v) {
    return detail::format_number(v, "%.6g");
}

}  // namespace

Range values(std::vector<double> values) {
    if (values.empty()) throw std::invalid_argument("values: the list is empty");
    for (double v : values) {
        if (!std::isfinite(v)) {
            throw std::invalid_argument("values: " + detail::format_number(v) + " is not finite");
        }
    }
    return Range(Range::Kind::values, 0, 0, 0, std::move(values));
}

Range uniform(double lo, double hi, int64_t grid_points) {
    check_bounds("uniform", lo, hi);
    check_points("uniform", grid_points);
    return Range(Range::Kind::uniform, lo, hi, grid_points);
}

Range log_uniform(double lo, double hi, int64_t grid_points) {
    check_bounds("log_uniform", lo, hi);
    check_points("log_uniform", grid_points);
    if (!(lo > 0)) {
        throw std::invalid_argument("log_uniform: lo must be > 0, got " +
                                    detail::format_number(lo));
    }
    return Range(Range::Kind::log_uniform, lo, hi, grid_points);
}

Range integers(int64_t lo, int64_t hi, int64_t step) {
    if (lo > hi || step < 1) {
        throw std::invalid_argument("integers: needs lo <= hi and step >= 1, got lo " +
                                    std::to_string(lo) + ", hi " + std::to_string(hi) + ", step " +
                                    std::to_string(step));
    }
    if ((hi - lo) / step + 1 > kMaxGrid) {
        throw std::invalid_argument("integers: more than " + std::to_string(kMaxGrid) + " values");
    }
    return Range(Range::Kind::integers, static_cast<double>(lo), static_cast<double>(hi), step);
}

std::vector<double> Range::grid() const {
    std::vector<double> g;
    switch (kind_) {
        case Kind::values:
            return values_;
        case Kind::integers:
            for (double v = lo_; v <= hi_; v += static_cast<double>(points_)) g.push_back(v);
            return g;
        case Kind::uniform:
        case Kind::log_uniform: {
            const bool log = kind_ == Kind::log_uniform;
            const double a = log ? std::log(lo_) : lo_;
            const double b = log ? std::log(hi_) : hi_;
            for (int64_t i = 0; i < points_; ++i) {
                const double t =
                    points_ == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(points_ - 1);
                double v = a + (b - a) * t;
                if (log) v = std::exp(v);
                g.push_back(i == 0 ? lo_ : i == points_ - 1 ? hi_ : v);  // exact ends
            }
            return g;
        }
    }
    return g;
}

double Range::sample(std::mt19937_64& rng) const {
    switch (kind_) {
        case Kind::values: {
            std::uniform_int_distribution<size_t> pick(0, values_.size() - 1);
            return values_[pick(rng)];
        }
        case Kind::integers: {
            const int64_t steps = static_cast<int64_t>((hi_ - lo_) / static_cast<double>(points_));
            std::uniform_int_distribution<int64_t> pick(0, steps);
            return lo_ + static_cast<double>(pick(rng) * points_);
        }
        case Kind::uniform:
            return std::uniform_real_distribution<double>(lo_, hi_)(rng);
        case Kind::log_uniform:
            return std::exp(
                std::uniform_real_distribution<double>(std::log(lo_), std::log(hi_))(rng));
    }
    return lo_;
}

double Params::operator[](const std::string& name) const {
    std::vector<std::string> names;
    for (const auto& [key, value] : items_) {
        if (key == name) return value;
        names.push_back(key);
    }
    throw std::invalid_argument("Params: no hyperparameter '" + name + "'; there are " +
                                detail::join_names(names));
}

int64_t Params::integer(const std::string& name) const {
    const double v = (*this)[name];
    if (v != std::round(v) || std::abs(v) > 9.0e15) {
        throw std::invalid_argument("Params::integer: '" + name + "' is " +
                                    detail::format_number(v) + ", not a whole number");
    }
    return static_cast<int64_t>(v);
}

std::string Params::to_string() const {
    std::string out;
    for (const auto& [key, value] : items_) {
        out += (out.empty() ? "" : ", ") + key + "=" + param_text(value);
    }
    return out;
}

double best_score(const History& history, const std::string& monitor, Mode mode) {
    const Mode resolved = resolve_mode(mode, monitor);
    double best = std::nan("");
    for (double v : history[monitor]) {
        if (better(resolved, v, best)) best = v;
    }
    return best;
}

const Trial& SearchResult::best() const {
    if (trials.empty()) throw std::logic_error("SearchResult::best: there are no trials");
    return trials.front();
}

std::string SearchResult::to_string() const {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header = {"rank", "trial"};
    header.insert(header.end(), names.begin(), names.end());
    header.push_back(monitor);
    header.push_back("seconds");
    rows.push_back(header);
    for (size_t r = 0; r < trials.size(); ++r) {
        const Trial& t = trials[r];
        std::vector<std::string> row = {std::to_string(r + 1), std::to_string(t.index)};
        for (const auto& [key, value] : t.params.items()) row.push_back(param_text(value));
        row.push_back(detail::format_number(t.score, "%.4f"));
        row.push_back(detail::format_number(t.seconds, "%.2f"));
        rows.push_back(row);
    }
    std::vector<size_t> width(header.size(), 0);
    for (const auto& row : rows) {
        for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    std::ostringstream out;
    for (const auto& row : rows) {
        for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
            out << (c ? "  " : "") << std::string(width[c] - row[c].size(), ' ') << row[c];
        }
        out << '\n';
    }
    return out.str();
}

std::ostream& operator<<(std::ostream& stream, const SearchResult& result) {
    return stream << result.to_string();
}

void SearchResult::write_csv(const std::string& path) const {
    std::ostringstream out;
    out << "rank,trial";
    for (const std::string& n : names) out << ',' << n;
    out << ',' << monitor << ",seconds\n";
    for (size_t r = 0; r < trials.size(); ++r) {
        const Trial& t = trials[r];
        out << r + 1 << ',' << t.index;
        for (const auto& [key, value] : t.params.items())
            out << ',' << detail::format_number(value, "%.10g");
        out << ',' << detail::format_number(t.score, "%.6g") << ','
            << detail::format_number(t.seconds, "%.3f") << '\n';
    }
    detail::write_file_atomically("SearchResult::write_csv", path, out.str());
}

void SearchResult::plot(const std::string& path, const std::string& title) const {
    if (!detail::ends_with(path, ".svg")) {
        throw std::invalid_argument("SearchResult::plot: cannot draw '" + path +
                                    "': the name must end in .svg");
    }
    const double panel_w = 420;
    const double panel_h = 320;
    const double top = title.empty() ? 0 : 30;
    const double width = panel_w * static_cast<double>(std::max<size_t>(names.size(), 1));
    detail::Svg svg(width, panel_h + top);
    if (!title.empty()) svg.text(width / 2, 20, title, {15, "middle", "#222222", 0, true});
    for (size_t p = 0; p < names.size(); ++p) {
        detail::ScatterPanel panel;
        panel.title = monitor + " by " + names[p];
        panel.xlabel = names[p];
        panel.ylabel = monitor;
        panel.log_x = log_scale[p];
        for (const Trial& t : trials) {
            panel.x.push_back(t.params[names[p]]);
            panel.y.push_back(t.score);
        }
        panel.highlight = trials.empty() || std::isnan(trials.front().score) ? -1 : 0;
        detail::draw_scatter(svg, panel, panel_w * static_cast<double>(p), top, panel_w, panel_h);
    }
    detail::write_file_atomically("SearchResult::plot", path, svg.str());
}

SearchResult grid_search(const std::vector<NamedRange>& space, const ScoreObjective& objective,
                         const SearchOptions& options) {
    return run_trials(space, grid_of(space), scorer(objective), options, "grid");
}

SearchResult grid_search(const std::vector<NamedRange>& space, const HistoryObjective& objective,
                         const SearchOptions& options) {
    return run_trials(space, grid_of(space), scorer(objective, options), options, "grid");
}

SearchResult random_search(const std::vector<NamedRange>& space, const ScoreObjective& objective,
                           const SearchOptions& options) {
    return run_trials(space, samples_of(space, options), scorer(objective), options, "random");
}

SearchResult random_search(const std::vector<NamedRange>& space, const HistoryObjective& objective,
                           const SearchOptions& options) {
    return run_trials(space, samples_of(space, options), scorer(objective, options), options,
                      "random");
}

}  // namespace train
}  // namespace tapegrad
