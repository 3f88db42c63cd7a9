#include "train/classification.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <numeric>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "autograd/format.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "train/data_parallel.hpp"
#include "train/detail.hpp"
#include "train/svg.hpp"

namespace tapegrad {
namespace train {

namespace {

struct Classified {
    std::vector<int64_t> predicted;
    std::vector<int64_t> truth;
    int64_t classes = 0;  // the output's number of classes, 0 for class indices
};

// The predicted and true class of every sample (the rules in the header).
Classified classify(const char* who, const Tensor& output, const Tensor& target, double threshold) {
    NoGradGuard no_grad;
    if (!output.defined() || !target.defined() || output.dim() == 0 || target.dim() == 0 ||
        output.size(0) != target.size(0)) {
        detail::throw_shapes(who, output, target);
    }
    const int64_t n = output.size(0);
    Classified c;
    if (output.dtype() == kInt64 && output.dim() == 1) {
        if (!(target.dtype() == kInt64 && target.dim() == 1))
            detail::throw_shapes(who, output, target);
        c.predicted = output.contiguous().to_vector<int64_t>();
        c.truth = target.contiguous().to_vector<int64_t>();
    } else if (output.dim() == 2 && output.size(1) > 1) {
        c.classes = output.size(1);
        c.predicted = output.argmax(1).contiguous().to_vector<int64_t>();
        c.truth = detail::classes_of_target(who, output, target);
    } else if (output.numel() == n && target.numel() == n) {
        c.classes = 2;
        for (double v : detail::values_of(output)) c.predicted.push_back(v > threshold ? 1 : 0);
        c.truth = detail::binary_labels(who, target);
    } else {
        detail::throw_shapes(who, output, target);
    }
    return c;
}

std::string class_label(const std::vector<std::string>& names, int64_t c) {
    return c < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(c)]
                                                  : std::to_string(c);
}

}  // namespace

const char* to_string(Average average) {
    return tapegrad::detail::enum_name(average, {"binary", "micro", "macro", "weighted", "none"});
}

ConfusionMatrix::ConfusionMatrix(int64_t num_classes) {
    if (num_classes < 0) {
        throw std::invalid_argument("ConfusionMatrix: num_classes must be >= 0, got " +
                                    std::to_string(num_classes));
    }
    fixed_ = num_classes > 0;
    grow(num_classes);
}

ConfusionMatrix::ConfusionMatrix(const Tensor& output, const Tensor& target, double threshold,
                                 int64_t num_classes)
    : ConfusionMatrix(num_classes) {
    update(output, target, threshold);
}

void ConfusionMatrix::grow(int64_t num_classes) {
    if (num_classes <= num_classes_) return;
    std::vector<int64_t> counts(static_cast<size_t>(num_classes * num_classes), 0);
    for (int64_t i = 0; i < num_classes_; ++i) {
        for (int64_t j = 0; j < num_classes_; ++j) {
            counts[static_cast<size_t>(i * num_classes + j)] =
                counts_[static_cast<size_t>(i * num_classes_ + j)];
        }
    }
    counts_ = std::move(counts);
    num_classes_ = num_classes;
}

void ConfusionMatrix::update(const Tensor& output, const Tensor& target, double threshold) {
    Classified c = classify("ConfusionMatrix", output, target, threshold);
    if (c.classes > 0) {
        if (fixed_ && c.classes != num_classes_) {
            throw std::invalid_argument("ConfusionMatrix: the output " + shape_str(output.sizes()) +
                                        " has " + std::to_string(c.classes) +
                                        " classes, but the matrix has " +
                                        std::to_string(num_classes_));
        }
        if (!fixed_ && c.classes < num_classes_) {
            throw std::invalid_argument("ConfusionMatrix: the output " + shape_str(output.sizes()) +
                                        " has " + std::to_string(c.classes) +
                                        " classes, but earlier batches had classes up to " +
                                        std::to_string(num_classes_ - 1));
        }
        grow(c.classes);
        fixed_ = true;
    }
    int64_t largest = -1;
    const auto check = [&](const char* what, int64_t v, size_t i) {
        if (v < 0 || (fixed_ && v >= num_classes_)) {
            throw std::invalid_argument(
                std::string("ConfusionMatrix: ") + what + " " + std::to_string(v) + " (sample " +
                std::to_string(i) + ") is not a class in [0, " +
                (fixed_ ? std::to_string(num_classes_) : std::string("C")) + ")");
        }
        largest = std::max(largest, v);
    };
    for (size_t i = 0; i < c.truth.size(); ++i) {
        check("target", c.truth[i], i);
        check("predicted class", c.predicted[i], i);
    }
    grow(largest + 1);
    for (size_t i = 0; i < c.truth.size(); ++i) {
        ++counts_[static_cast<size_t>(c.truth[i] * num_classes_ + c.predicted[i])];
    }
}

void ConfusionMatrix::reset() {
    std::fill(counts_.begin(), counts_.end(), 0);
}

void ConfusionMatrix::all_reduce(distributed::ProcessGroup& group) {
    std::vector<int64_t> classes = {num_classes_, fixed_ ? 1 : 0};
    detail::all_reduce(group, classes, distributed::ReduceOp::MAX);
    grow(classes[0]);
    fixed_ = classes[1] != 0;
    detail::all_reduce(group, counts_, distributed::ReduceOp::SUM);
}

int64_t ConfusionMatrix::count(int64_t truth, int64_t predicted) const {
    if (truth < 0 || truth >= num_classes_ || predicted < 0 || predicted >= num_classes_) {
        throw std::invalid_argument("ConfusionMatrix::count: (" + std::to_string(truth) + ", " +
                                    std::to_string(predicted) + ") is outside a matrix of " +
                                    std::to_string(num_classes_) + " classes");
    }
    return counts_[static_cast<size_t>(truth * num_classes_ + predicted)];
}

int64_t ConfusionMatrix::total() const {
    return std::accumulate(counts_.begin(), counts_.end(), int64_t{0});
}

Tensor ConfusionMatrix::to_tensor() const {
    if (num_classes_ == 0) return zeros({0, 0}, kInt64);
    return from_blob(counts_.data(), {num_classes_, num_classes_}, kInt64).clone();
}

double ConfusionMatrix::accuracy() const {
    const int64_t n = total();
    if (n == 0) return std::nan("");
    int64_t diagonal = 0;
    for (int64_t c = 0; c < num_classes_; ++c) diagonal += count(c, c);
    return static_cast<double>(diagonal) / static_cast<double>(n);
}

std::vector<int64_t> ConfusionMatrix::support() const {
    std::vector<int64_t> s(static_cast<size_t>(num_classes_), 0);
    for (int64_t i = 0; i < num_classes_; ++i) {
        for (int64_t j = 0; j < num_classes_; ++j) s[static_cast<size_t>(i)] += count(i, j);
    }
    return s;
}

std::vector<double> ConfusionMatrix::per_class_precision() const {
    std::vector<double> p(static_cast<size_t>(num_classes_), 0.0);
    for (int64_t j = 0; j < num_classes_; ++j) {
        int64_t predicted = 0;
        for (int64_t i = 0; i < num_classes_; ++i) predicted += count(i, j);
        if (predicted > 0) {
            p[static_cast<size_t>(j)] =
                static_cast<double>(count(j, j)) / static_cast<double>(predicted);
        }
    }
    return p;
}

std::vector<double> ConfusionMatrix::per_class_recall() const {
    const std::vector<int64_t> s = support();
    std::vector<double> r(static_cast<size_t>(num_classes_), 0.0);
    for (int64_t c = 0; c < num_classes_; ++c) {
        if (s[static_cast<size_t>(c)] > 0) {
            r[static_cast<size_t>(c)] =
                static_cast<double>(count(c, c)) / static_cast<double>(s[static_cast<size_t>(c)]);
        }
    }
    return r;
}

std::vector<double> ConfusionMatrix::per_class_f1() const {
    const std::vector<double> p = per_class_precision();
    const std::vector<double> r = per_class_recall();
    std::vector<double> f(p.size(), 0.0);
    for (size_t c = 0; c < p.size(); ++c) {
        if (p[c] + r[c] > 0) f[c] = 2 * p[c] * r[c] / (p[c] + r[c]);
    }
    return f;
}

double ConfusionMatrix::average(const std::vector<double>& per_class, Average average,
                                const char* who) const {
    switch (average) {
        case Average::binary:
            if (num_classes_ > 2) {
                throw std::invalid_argument(
                    std::string(who) +
                    ": Average::binary scores class 1 of a binary model, but "
                    "there are " +
                    std::to_string(num_classes_) +
                    " classes; choose Average::macro, micro, weighted or none");
            }
            return num_classes_ == 2 ? per_class[1] : 0.0;
        case Average::micro:
            // each sample has one true and one predicted class: the summed false positives
            // equal the summed false negatives, so micro precision = recall = F1 = accuracy
            return accuracy();
        case Average::macro: {
            const std::vector<int64_t> s = support();
            double sum = 0;
            int64_t classes = 0;
            for (int64_t c = 0; c < num_classes_; ++c) {
                int64_t predicted = 0;
                for (int64_t i = 0; i < num_classes_; ++i) predicted += count(i, c);
                if (s[static_cast<size_t>(c)] + predicted == 0) continue;  // class never seen
                sum += per_class[static_cast<size_t>(c)];
                ++classes;
            }
            return classes ? sum / static_cast<double>(classes) : std::nan("");
        }
        case Average::weighted: {
            const std::vector<int64_t> s = support();
            double sum = 0;
            int64_t n = 0;
            for (size_t c = 0; c < s.size(); ++c) {
                sum += per_class[c] * static_cast<double>(s[c]);
                n += s[c];
            }
            return n ? sum / static_cast<double>(n) : std::nan("");
        }
        case Average::none:
            break;
    }
    throw std::invalid_argument(std::string(who) +
                                ": Average::none gives one value per class; call "
                                "per_class_precision(), per_class_recall() or per_class_f1()");
}

double ConfusionMatrix::precision(Average avg) const {
    return average(per_class_precision(), avg, "precision");
}
double ConfusionMatrix::recall(Average avg) const {
    return average(per_class_recall(), avg, "recall");
}
double ConfusionMatrix::f1(Average avg) const {
    return average(per_class_f1(), avg, "f1_score");
}

std::string ConfusionMatrix::to_string(const std::vector<std::string>& class_names) const {
    const int64_t n = num_classes_;
    std::vector<std::string> labels;
    for (int64_t c = 0; c < n; ++c) labels.push_back(class_label(class_names, c));
    size_t first = std::string("true \\ predicted").size();
    size_t width = std::to_string(total()).size() + 1;
    for (const std::string& l : labels) {
        first = std::max(first, l.size());
        width = std::max(width, l.size());
    }
    width = std::max<size_t>(width, 6) + 1;
    std::ostringstream out;
    out << "confusion matrix, rows true classes, columns predicted (" << total() << " samples, "
        << "accuracy " << detail::format_number(accuracy(), "%.4f") << ")\n";
    const auto cell = [&](const std::string& s) {
        out << std::string(width > s.size() ? width - s.size() : 1, ' ') << s;
    };
    out << "true \\ predicted" << std::string(first - 16, ' ');
    for (const std::string& l : labels) cell(l);
    cell("total");
    out << '\n';
    std::vector<int64_t> column_totals(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) {
        const std::string& l = labels[static_cast<size_t>(i)];
        out << l << std::string(first - l.size(), ' ');
        int64_t row = 0;
        for (int64_t j = 0; j < n; ++j) {
            cell(std::to_string(count(i, j)));
            row += count(i, j);
            column_totals[static_cast<size_t>(j)] += count(i, j);
        }
        cell(std::to_string(row));
        out << '\n';
    }
    out << "total" << std::string(first - 5, ' ');
    for (int64_t t : column_totals) cell(std::to_string(t));
    cell(std::to_string(total()));
    out << '\n';
    return out.str();
}

std::ostream& operator<<(std::ostream& stream, const ConfusionMatrix& cm) {
    return stream << cm.to_string();
}

void ConfusionMatrix::write_svg(const std::string& path,
                                const std::vector<std::string>& class_names,
                                const std::string& title) const {
    if (!detail::ends_with(path, ".svg")) {
        throw std::invalid_argument("ConfusionMatrix::write_svg: cannot draw '" + path +
                                    "': the name must end in .svg");
    }
    const int64_t n = num_classes_;
    size_t longest = 4;
    for (int64_t c = 0; c < n; ++c) longest = std::max(longest, class_label(class_names, c).size());
    const double cell = n > 20 ? 28 : 52;
    const double label_w = 7.0 * static_cast<double>(longest) + 12;  // ~7 px a character
    const double left = 34 + label_w;
    const double top = 52 + label_w * 0.75;  // column labels slanted at -45 degrees
    const double width = left + static_cast<double>(n) * cell + 24 + label_w * 0.5;
    const double height = top + static_cast<double>(n) * cell + 30;
    detail::Svg svg(width, height);
    svg.text(width / 2, 20, title, {15, "middle", "#222222", 0, true});
    svg.text(width / 2, 38,
             std::to_string(total()) + " samples, accuracy " +
                 detail::format_number(accuracy(), "%.4f") +
                 "; shade: share of the true class's row",
             {11, "middle", "#555555"});
    svg.text(left + static_cast<double>(n) * cell / 2, height - 8, "predicted class",
             {12, "middle"});
    svg.text(14, top + static_cast<double>(n) * cell / 2, "true class",
             {12, "middle", "#222222", -90});
    const std::vector<int64_t> rows = support();
    const int64_t largest = total() > 0 ? *std::max_element(counts_.begin(), counts_.end()) : 0;
    for (int64_t i = 0; i < n; ++i) {
        const double y = top + static_cast<double>(i) * cell;
        svg.text(left - 8, y + cell / 2 + 4, class_label(class_names, i), {12, "end"});
        for (int64_t j = 0; j < n; ++j) {
            const double x = left + static_cast<double>(j) * cell;
            const int64_t v = count(i, j);
            const double share =
                rows[static_cast<size_t>(i)] > 0
                    ? static_cast<double>(v) / static_cast<double>(rows[static_cast<size_t>(i)])
                    : 0.0;
            svg.rect(x, y, cell, cell, detail::blues(share), "#ffffff");
            const double font = std::to_string(largest).size() > 4 || n > 20 ? 9 : 12;
            svg.text(x + cell / 2, y + cell / 2 + font / 3, std::to_string(v),
                     {font, "middle", share > 0.5 ? "#ffffff" : "#222222"});
        }
    }
    for (int64_t j = 0; j < n; ++j) {
        const double x = left + (static_cast<double>(j) + 0.5) * cell;
        svg.text(x, top - 8, class_label(class_names, j), {12, "start", "#222222", -45});
    }
    detail::write_file_atomically("ConfusionMatrix::write_svg", path, svg.str());
}

double precision(const Tensor& output, const Tensor& target, Average average, double threshold) {
    return ConfusionMatrix(output, target, threshold).precision(average);
}
double recall(const Tensor& output, const Tensor& target, Average average, double threshold) {
    return ConfusionMatrix(output, target, threshold).recall(average);
}
double f1_score(const Tensor& output, const Tensor& target, Average average, double threshold) {
    return ConfusionMatrix(output, target, threshold).f1(average);
}

}  // namespace train
}  // namespace tapegrad
