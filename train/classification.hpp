#pragma once
// Classification metrics over whole prediction sets, as scikit-learn computes them: a confusion
// matrix (printed, or drawn as an SVG heat map) and precision, recall and F1 per class or
// averaged. Top-k accuracy and ROC AUC are in train/ranking.hpp.
//
//   auto output = tapegrad::train::predict(model, test.data());
//   tapegrad::train::ConfusionMatrix cm(output, test.targets());
//   std::cout << cm << "macro F1 " << cm.f1(tapegrad::train::Average::macro) << "\n";
//   cm.write_svg("confusion_matrix.svg");
//
// What an output predicts, here and in the metric objects of train/metric.hpp:
//   [N, C] (C > 1)   the argmax class; targets are int64 classes [N] or one-hot rows [N, C]
//   [N] or [N, 1]    class 1 when output > threshold (0.5 for a sigmoid, 0 for a logit);
//                    targets are 0/1 values (any value in [0, 1]: class 1 above 0.5)
//   int64 [N]        class indices already (e.g. an argmax); targets are int64 classes [N]

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"
#include "distributed/process_group.hpp"

namespace tapegrad {
namespace train {

/// How per-class precision, recall and F1 combine into one number (scikit-learn's `average`).
enum class Average {
    binary,    ///< the positive class (1) alone: for binary models; refused for more classes
    micro,     ///< from the counts summed over classes (equal to accuracy for one label each)
    macro,     ///< the unweighted mean over the classes that occur (in targets or predictions)
    weighted,  ///< the mean weighted by each class's number of true samples
    none,      ///< no average: one value per class (metric names end in _0, _1, ...)
};

/// "binary", "micro", "macro", "weighted" or "none".
const char* to_string(Average average);

/// Counts of (true class, predicted class) pairs; rows are true classes, columns predicted
/// classes, as scikit-learn's confusion_matrix. Accumulates batch by batch with update().
class ConfusionMatrix {
public:
    /// An empty matrix; `num_classes` 0 takes the number from the first update (outputs [N, C]
    /// give C, binary outputs 2, class indices grow it to the largest class seen plus one).
    explicit ConfusionMatrix(int64_t num_classes = 0);
    /// The matrix of one prediction set (see update).
    ConfusionMatrix(const Tensor& output, const Tensor& target, double threshold = 0.5,
                    int64_t num_classes = 0);

    /// Adds the samples of one batch: `output` as the header above says, `target` [N] or
    /// [N, C]. Throws std::invalid_argument naming both shapes when they do not fit, and naming
    /// the value when a target is not a class in [0, C).
    void update(const Tensor& output, const Tensor& target, double threshold = 0.5);
    /// Forgets every count; the number of classes stays.
    void reset();
    /// Sums the counts over the ranks of `group` (every rank calls it); the matrix takes the
    /// largest number of classes any rank has seen.
    void all_reduce(distributed::ProcessGroup& group);

    int64_t num_classes() const { return num_classes_; }
    /// Samples with true class `truth` predicted as `predicted`.
    int64_t count(int64_t truth, int64_t predicted) const;
    /// Every sample counted.
    int64_t total() const;
    /// The counts as int64 [C, C], rows true classes.
    Tensor to_tensor() const;

    /// Fraction of samples on the diagonal (NaN with no samples).
    double accuracy() const;
    /// Per class: true positives / predicted positives (0 when a class is never predicted).
    std::vector<double> per_class_precision() const;
    /// Per class: true positives / true samples of the class (0 when the class never occurs).
    std::vector<double> per_class_recall() const;
    /// Per class: the harmonic mean of precision and recall (0 when both are 0).
    std::vector<double> per_class_f1() const;
    /// Per class: the number of samples whose true class it is.
    std::vector<int64_t> support() const;
    /// Precision, recall or F1 averaged as `average` says; Average::none is refused (use the
    /// per_class_ forms), Average::binary needs two classes.
    double precision(Average average) const;
    double recall(Average average) const;
    double f1(Average average) const;

    /// The matrix as a text table with row and column totals; `class_names` label the rows
    /// and columns (default: the class indices).
    std::string to_string(const std::vector<std::string>& class_names = {}) const;
    /// Draws the matrix as an SVG heat map into `path` (written atomically): each cell shows
    /// its count and is shaded by its share of the row (the recall of the true class).
    /// Throws std::invalid_argument unless the name ends in .svg, std::runtime_error naming
    /// the path when it cannot be written.
    void write_svg(const std::string& path, const std::vector<std::string>& class_names = {},
                   const std::string& title = "confusion matrix") const;

private:
    void grow(int64_t num_classes);
    double average(const std::vector<double>& per_class, Average average, const char* who) const;

    int64_t num_classes_ = 0;
    bool fixed_ = false;  // true once the number of classes came from the caller or an output
    std::vector<int64_t> counts_;
};

/// Prints cm.to_string().
std::ostream& operator<<(std::ostream& stream, const ConfusionMatrix& cm);

/// Precision, recall and F1 of one prediction set (see the header for the shapes).
double precision(const Tensor& output, const Tensor& target, Average average = Average::binary,
                 double threshold = 0.5);
double recall(const Tensor& output, const Tensor& target, Average average = Average::binary,
              double threshold = 0.5);
double f1_score(const Tensor& output, const Tensor& target, Average average = Average::binary,
                double threshold = 0.5);

}  // namespace train
}  // namespace tapegrad
