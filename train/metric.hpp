#pragma once
// Metric objects for fit() and evaluate(): each accumulates batch by batch (update), reports
// over everything seen (compute) and starts again (reset), as torchmetrics' metrics do.
//
//   auto history = tapegrad::fit(model, tapegrad::cross_entropy, optimizer, loader,
//       tapegrad::FitOptions().validation(val).metrics(
//           {train::F1Score(train::Average::macro), train::TopKAccuracy(3)}));
//   history["val_f1_macro"].back();   // also "f1_macro", "top_3_accuracy", ...
//
// Outputs and targets are read as train/classification.hpp says; per-batch counts are summed
// before dividing, so an epoch's value is that of the whole epoch, not a mean of batches.

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/tensor.hpp"
#include "train/classification.hpp"
#include "train/ranking.hpp"

namespace tapegrad {
namespace train {

/// One reported value: its column name in History and EvalResult, and the value.
struct MetricValue {
    std::string name;
    double value;
};

/// The base of the metrics fit() and evaluate() accept. A subclass accumulates what it needs
/// in update() and computes its values from that alone.
class Metric {
public:
    virtual ~Metric() = default;
    /// Forgets everything seen; fit() calls it before every epoch and validation pass.
    virtual void reset() = 0;
    /// Adds a batch: the model's `output` [N, ...] and `target` [N, ...] (no graph is recorded).
    /// `threshold` splits the single output of a binary model (FitOptions::binary_threshold).
    virtual void update(const Tensor& output, const Tensor& target, double threshold) = 0;
    /// The values over everything seen since reset(): one, or one per class.
    virtual std::vector<MetricValue> compute() const = 0;
    /// In a data-parallel fit (FitOptions::process_group) every rank calls it after an epoch:
    /// it combines what the ranks have seen, so that compute() reports over all their samples.
    /// The default throws std::logic_error: a metric of your own overrides it to be used so.
    virtual void all_reduce(distributed::ProcessGroup& group);
    /// A copy with the same settings and nothing seen (fit keeps one for training and one for
    /// validation).
    virtual std::unique_ptr<Metric> clone() const = 0;

    /// The only value of compute(); throws std::logic_error for a metric with several values.
    double value() const;
};

namespace detail {
/// Writes clone() once for the metrics here: a copy of Derived with nothing seen (reset).
/// `Base` is Metric or a subclass of it, whose constructors it takes.
template <class Derived, class Base = Metric>
class CloneableMetric : public Base {
public:
    using Base::Base;
    std::unique_ptr<Metric> clone() const override {
        auto copy = std::make_unique<Derived>(static_cast<const Derived&>(*this));
        copy->reset();
        return copy;
    }
};
}  // namespace detail

/// A metric passed by value, copied by clone(): what FitOptions::metrics and evaluate() take,
/// so that `{train::Precision(), train::TopKAccuracy(5)}` is a list of them.
class AnyMetric {
public:
    template <class M, class = std::enable_if_t<std::is_base_of_v<Metric, std::decay_t<M>>>>
    AnyMetric(const M& metric)  // NOLINT: implicit, so that a braced list of metrics works
        : metric_(metric.clone()) {}
    /// A fresh copy of the metric, nothing seen.
    std::unique_ptr<Metric> make() const;

private:
    std::shared_ptr<const Metric> metric_;
};

/// The base of Precision, Recall and F1Score: a confusion matrix summed over the batches, and
/// the score computed from it.
class ConfusionMetric : public Metric {
public:
    void reset() override { cm_.reset(); }
    void update(const Tensor& output, const Tensor& target, double threshold) override;
    std::vector<MetricValue> compute() const override;
    void all_reduce(distributed::ProcessGroup& group) override { cm_.all_reduce(group); }

protected:
    enum class Score { precision, recall, f1 };
    ConfusionMetric(Score score, Average average) : score_(score), average_(average) {}

private:
    Score score_;
    Average average_;
    ConfusionMatrix cm_;
};

/// Precision (true positives / predicted positives), averaged as `average` says. Names:
/// "precision" for Average::binary, "precision_macro" (micro, weighted), or one value per class
/// "precision_0", "precision_1", ... for Average::none.
class Precision : public detail::CloneableMetric<Precision, ConfusionMetric> {
public:
    explicit Precision(Average average = Average::binary)
        : CloneableMetric(Score::precision, average) {}
};

/// Recall (true positives / true samples of the class): names as Precision's, "recall...".
class Recall : public detail::CloneableMetric<Recall, ConfusionMetric> {
public:
    explicit Recall(Average average = Average::binary) : CloneableMetric(Score::recall, average) {}
};

/// F1 (the harmonic mean of precision and recall): names as Precision's, "f1...".
class F1Score : public detail::CloneableMetric<F1Score, ConfusionMetric> {
public:
    explicit F1Score(Average average = Average::binary) : CloneableMetric(Score::f1, average) {}
};

/// The fraction of samples whose true class is among the k highest scores, "top_<k>_accuracy"
/// (Keras's TopKCategoricalAccuracy); outputs [N, C], ties as count_top_k.
class TopKAccuracy : public detail::CloneableMetric<TopKAccuracy> {
public:
    explicit TopKAccuracy(int64_t k = 5);
    void reset() override;
    void update(const Tensor& output, const Tensor& target, double threshold) override;
    std::vector<MetricValue> compute() const override;
    void all_reduce(distributed::ProcessGroup& group) override;

private:
    int64_t k_;
    int64_t correct_ = 0;
    int64_t seen_ = 0;
};

/// The area under the ROC curve of a binary model, "auc" (outputs as binary_scores). Keeps
/// every score of the epoch and ranks them exactly (no thresholds); NaN while one class is
/// missing.
class AUC : public detail::CloneableMetric<AUC> {
public:
    AUC() = default;
    void reset() override;
    void update(const Tensor& output, const Tensor& target, double threshold) override;
    std::vector<MetricValue> compute() const override;
    void all_reduce(distributed::ProcessGroup& group) override;

private:
    std::vector<double> scores_;
    std::vector<int64_t> labels_;
};

}  // namespace train
}  // namespace tapegrad
