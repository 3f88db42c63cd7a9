#pragma once
// Hyperparameter search: grid_search tries every combination of named ranges, random_search
// samples them; each trial calls your function, which trains and returns a validation score
// (or a History, scored by its best epoch). The result is a table sorted best first, written
// as CSV and plotted as SVG (score against each parameter).
//
//   auto result = train::random_search(
//       {{"lr", train::log_uniform(1e-4, 1e-1)}, {"hidden", train::values({32, 64, 128})}},
//       [&](const train::Params& p) {
//           ... build a model with p.integer("hidden"), Adam with p["lr"] ...
//           return tapegrad::fit(model, loss, optimizer, train_data,
//                                FitOptions().validation(val).verbose(false));
//       },
//       train::SearchOptions().monitor("val_accuracy").trials(20));
//   result.write_csv("search.csv");
//   result.plot("search.svg");
//   double best_lr = result.best().params["lr"];

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nn/arg.hpp"
#include "train/history.hpp"
#include "train/mode.hpp"

namespace tapegrad {
namespace train {

/// The values one hyperparameter may take: what grid_search enumerates and random_search
/// samples from. Make one with values, uniform, log_uniform or integers.
class Range {
public:
    enum class Kind { values, uniform, log_uniform, integers };
    /// The points grid_search tries, in increasing order for continuous ranges.
    std::vector<double> grid() const;
    /// One random draw (uniform over the values, on [lo, hi], on log [lo, hi], or over the
    /// integers lo..hi).
    double sample(std::mt19937_64& rng) const;
    Kind kind() const { return kind_; }
    /// True for log_uniform, whose plots use a log axis.
    bool log_scale() const { return kind_ == Kind::log_uniform; }

private:
    friend Range values(std::vector<double>);
    friend Range uniform(double, double, int64_t);
    friend Range log_uniform(double, double, int64_t);
    friend Range integers(int64_t, int64_t, int64_t);
    Range(Kind kind, double lo, double hi, int64_t points, std::vector<double> values = {})
        : kind_(kind), values_(std::move(values)), lo_(lo), hi_(hi), points_(points) {}
    Kind kind_ = Kind::values;
    std::vector<double> values_;
    double lo_ = 0;
    double hi_ = 0;
    int64_t points_ = 0;  // grid points of a continuous range; the step of an integer one
};

/// Exactly these values (sklearn's lists): grid_search tries each, random_search picks one.
Range values(std::vector<double> values);
/// Uniform on [lo, hi]; grid_search tries `grid_points` evenly spaced values, ends included.
Range uniform(double lo, double hi, int64_t grid_points = 5);
/// Log-uniform on [lo, hi] (0 < lo): the exponent is uniform, so 1e-4..1e-3 is as likely as
/// 1e-2..1e-1; grid_search tries `grid_points` values evenly spaced in log, ends included.
Range log_uniform(double lo, double hi, int64_t grid_points = 5);
/// The integers lo, lo + step, ..., up to hi.
Range integers(int64_t lo, int64_t hi, int64_t step = 1);

/// One hyperparameter and its range: `{"lr", train::log_uniform(1e-4, 1e-1)}`.
struct NamedRange {
    std::string name;
    Range range;
};

/// The values of one trial, by name, in the order the ranges were given.
class Params {
public:
    Params() = default;
    explicit Params(std::vector<std::pair<std::string, double>> items) : items_(std::move(items)) {}
    /// The value of `name`; throws std::invalid_argument naming the parameters there are.
    double operator[](const std::string& name) const;
    /// The value of `name` as an integer (from integers or whole values); throws
    /// std::invalid_argument when it is not whole.
    int64_t integer(const std::string& name) const;
    const std::vector<std::pair<std::string, double>>& items() const { return items_; }
    /// "lr=0.001, hidden=64".
    std::string to_string() const;

private:
    std::vector<std::pair<std::string, double>> items_;
};

/// How a search runs and scores: `SearchOptions().monitor("val_loss").trials(30)`.
struct SearchOptions {
    /// The name of the score: the History column an objective returning a History is scored
    /// by (its best epoch), and the score column of the table.
    TAPEGRAD_ARG(std::string, monitor) = "val_accuracy";
    /// Whether a higher or lower score is better; automatic decides from the monitor's name
    /// (max for accuracy-like names, min for losses).
    TAPEGRAD_ARG(Mode, mode) = Mode::automatic;
    /// Trials random_search runs.
    TAPEGRAD_ARG(int64_t, trials) = 10;
    /// Seed of random_search's draws.
    TAPEGRAD_ARG(uint64_t, seed) = 0;
    /// One line per trial on stdout.
    TAPEGRAD_ARG(bool, verbose) = true;
};

/// One trial of a search.
struct Trial {
    int64_t index = 0;  ///< the order it ran in, from 1
    Params params;
    double score = 0;    ///< NaN when training diverged
    double seconds = 0;  ///< wall time of the objective
};

/// The trials of a search, best first (NaN scores last).
struct SearchResult {
    std::vector<Trial> trials;
    std::string monitor;
    Mode mode = Mode::max;           ///< resolved: min or max
    std::vector<std::string> names;  ///< the hyperparameters, in the order given
    std::vector<bool> log_scale;     ///< per hyperparameter: plotted on a log axis

    /// The best trial; throws std::logic_error when there are none.
    const Trial& best() const;
    /// The table as text: rank, trial, each parameter, the score, seconds.
    std::string to_string() const;
    /// Writes that table as CSV (`rank,trial,<names>,<monitor>,seconds`), best first, atomically;
    /// throws std::runtime_error naming the path on failure.
    void write_csv(const std::string& path) const;
    /// Draws the score against each hyperparameter (one panel each, the best trial in red)
    /// into an .svg file, atomically; throws std::invalid_argument for another extension.
    void plot(const std::string& path, const std::string& title = "") const;
};

std::ostream& operator<<(std::ostream& stream, const SearchResult& result);

/// What a trial runs: trains with the given parameters and returns a score (a validation
/// accuracy, say), or the History of fit (scored by SearchOptions::monitor's best epoch).
using ScoreObjective = std::function<double(const Params&)>;
using HistoryObjective = std::function<History(const Params&)>;

/// Runs `objective` once for every combination of the ranges' grid points (the first range
/// varies slowest) and returns the trials sorted by score. Throws std::invalid_argument for an
/// empty or repeated name, or a grid of more than 1,000,000 combinations.
SearchResult grid_search(const std::vector<NamedRange>& space, const ScoreObjective& objective,
                         const SearchOptions& options = {});
SearchResult grid_search(const std::vector<NamedRange>& space, const HistoryObjective& objective,
                         const SearchOptions& options = {});
/// Runs `objective` options.trials() times with values drawn independently from each range
/// (seeded by options.seed()) and returns the trials sorted by score.
SearchResult random_search(const std::vector<NamedRange>& space, const ScoreObjective& objective,
                           const SearchOptions& options = {});
SearchResult random_search(const std::vector<NamedRange>& space, const HistoryObjective& objective,
                           const SearchOptions& options = {});

/// The best value of `monitor` over a History's epochs (NaN epochs skipped; NaN if none).
double best_score(const History& history, const std::string& monitor, Mode mode = Mode::automatic);

}  // namespace train
}  // namespace tapegrad
