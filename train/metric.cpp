#include "train/metric.hpp"

#include <cmath>
#include <stdexcept>
#include <typeinfo>

#include "autograd/platform.hpp"
#include "train/data_parallel.hpp"

namespace tapegrad {
namespace train {

namespace {

// The values of a precision-like metric: one averaged value, or one per class.
std::vector<MetricValue> averaged(const std::string& base, Average average,
                                  const std::vector<double>& per_class, double value) {
    if (average == Average::none) {
        std::vector<MetricValue> out;
        for (size_t c = 0; c < per_class.size(); ++c) {
            out.push_back({base + "_" + std::to_string(c), per_class[c]});
        }
        return out;
    }
    const std::string name =
        average == Average::binary ? base : base + "_" + std::string(to_string(average));
    return {{name, value}};
}

// Average::binary on a model with more classes fails at the first batch, not after an epoch.
void check_binary(const char* who, Average average, const ConfusionMatrix& cm) {
    if (average == Average::binary && cm.num_classes() > 2) {
        throw std::invalid_argument(std::string(who) +
                                    ": Average::binary (the default) scores class 1 of a binary "
                                    "model, but the outputs have " +
                                    std::to_string(cm.num_classes()) +
                                    " classes; choose Average::macro, micro, weighted or none");
    }
}

}  // namespace

double Metric::value() const {
    const std::vector<MetricValue> values = compute();
    if (values.size() != 1) {
        throw std::logic_error("Metric::value: this metric reports " +
                               std::to_string(values.size()) +
                               " values (one per class); read them with compute()");
    }
    return values[0].value;
}

void Metric::all_reduce(distributed::ProcessGroup&) {
    throw std::logic_error(
        "Metric::all_reduce: " + tapegrad::detail::demangle(typeid(*this).name()) +
        " does not combine its counts over processes; override all_reduce to use it in a "
        "data-parallel fit (FitOptions::process_group)");
}

std::unique_ptr<Metric> AnyMetric::make() const {
    return metric_->clone();
}

void ConfusionMetric::update(const Tensor& output, const Tensor& target, double threshold) {
    cm_.update(output, target, threshold);
    static const char* names[] = {"Precision", "Recall", "F1Score"};
    check_binary(names[static_cast<int>(score_)], average_, cm_);
}

std::vector<MetricValue> ConfusionMetric::compute() const {
    switch (score_) {
        case Score::precision:
            return averaged("precision", average_, cm_.per_class_precision(),
                            average_ == Average::none ? 0.0 : cm_.precision(average_));
        case Score::recall:
            return averaged("recall", average_, cm_.per_class_recall(),
                            average_ == Average::none ? 0.0 : cm_.recall(average_));
        case Score::f1:
            break;
    }
    return averaged("f1", average_, cm_.per_class_f1(),
                    average_ == Average::none ? 0.0 : cm_.f1(average_));
}

TopKAccuracy::TopKAccuracy(int64_t k) : k_(k) {
    if (k < 1) {
        throw std::invalid_argument("TopKAccuracy: k must be >= 1, got " + std::to_string(k));
    }
}
void TopKAccuracy::reset() {
    correct_ = 0;
    seen_ = 0;
}
void TopKAccuracy::update(const Tensor& output, const Tensor& target, double) {
    correct_ += count_top_k(output, target, k_);
    seen_ += output.size(0);
}
std::vector<MetricValue> TopKAccuracy::compute() const {
    return {{"top_" + std::to_string(k_) + "_accuracy",
             seen_ ? static_cast<double>(correct_) / static_cast<double>(seen_) : std::nan("")}};
}
void TopKAccuracy::all_reduce(distributed::ProcessGroup& group) {
    std::vector<int64_t> counts = {correct_, seen_};
    detail::all_reduce(group, counts, distributed::ReduceOp::SUM);
    correct_ = counts[0];
    seen_ = counts[1];
}
void AUC::reset() {
    scores_.clear();
    labels_.clear();
}
void AUC::update(const Tensor& output, const Tensor& target, double) {
    binary_scores(output, target, scores_, labels_);
}
std::vector<MetricValue> AUC::compute() const {
    return {{"auc", roc_auc(scores_, labels_)}};
}
void AUC::all_reduce(distributed::ProcessGroup& group) {
    // the exact AUC ranks every score: gather them all (labels as doubles beside them)
    std::vector<double> mine = scores_;
    mine.insert(mine.end(), labels_.begin(), labels_.end());
    scores_.clear();
    labels_.clear();
    for (const std::vector<double>& theirs : detail::all_gather(group, mine)) {
        const size_t n = theirs.size() / 2;
        scores_.insert(scores_.end(), theirs.begin(),
                       theirs.begin() + static_cast<std::ptrdiff_t>(n));
        for (size_t i = n; i < theirs.size(); ++i)
            labels_.push_back(static_cast<int64_t>(theirs[i]));
    }
}
}  // namespace train
}  // namespace tapegrad
