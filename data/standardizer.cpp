#include "data/standardizer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops.hpp"

namespace tapegrad {
namespace data {

namespace {

void check_floating_data(const char* op, const Tensor& x) {
    if (!x.defined()) throw std::invalid_argument(std::string(op) + ": x is undefined");
    if (!x.is_floating_point()) {
        throw std::invalid_argument(std::string(op) + ": expected float32 or float64 data, got " +
                                    to_string(x.dtype()));
    }
    if (x.dim() == 0) {
        throw std::invalid_argument(std::string(op) +
                                    ": expected data [samples, ...], got a 0-d tensor");
    }
}

// Sums in double, in two passes (mean, then squared deviations): a single pass of sum and
// sum of squares loses every digit when the mean is large next to the spread.
template <class T>
void moments(const T* x, int64_t n, int64_t features, bool per_feature, std::vector<double>& mean,
             std::vector<double>& stdev) {
    if (!per_feature) {
        const int64_t total = n * features;
        double sum = 0;
        for (int64_t i = 0; i < total; ++i) sum += x[i];
        const double m = sum / static_cast<double>(total);
        double squares = 0;
        for (int64_t i = 0; i < total; ++i) squares += (x[i] - m) * (x[i] - m);
        mean.assign(1, m);
        stdev.assign(1, std::sqrt(squares / static_cast<double>(total)));
    } else {
        const auto f = static_cast<size_t>(features);
        mean.assign(f, 0.0);
        stdev.assign(f, 0.0);
        for (int64_t r = 0; r < n; ++r) {
            const T* row = x + r * features;
            for (size_t j = 0; j < f; ++j) mean[j] += row[j];
        }
        for (double& m : mean) m /= static_cast<double>(n);
        for (int64_t r = 0; r < n; ++r) {
            const T* row = x + r * features;
            for (size_t j = 0; j < f; ++j) stdev[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        }
        for (double& s : stdev) s = std::sqrt(s / static_cast<double>(n));
    }
    for (double& s : stdev) {
        if (!(s > 1e-12)) s = 1.0;  // constant feature (or NaN): leave it centred, unscaled
    }
}

}  // namespace

Standardizer& Standardizer::fit(const Tensor& x) {
    check_floating_data("Standardizer::fit", x);
    const int64_t n = x.size(0);
    if (n == 0) {
        throw std::invalid_argument("Standardizer::fit: no samples: x is " + shape_str(x.sizes()));
    }
    const int64_t features = x.numel() / n;
    std::vector<double> mean, stdev;
    const Tensor rows = x.contiguous();  // x may be a strided view (a transpose, a slice)
    if (x.dtype() == kFloat64) {
        moments(rows.data_ptr<double>(), n, features, per_feature_, mean, stdev);
    } else {
        moments(rows.data_ptr<float>(), n, features, per_feature_, mean, stdev);
    }
    std::vector<int64_t> shape;
    if (per_feature_) shape.assign(x.sizes().begin() + 1, x.sizes().end());
    mean_ = from_blob(mean.data(), shape, kFloat64).to(x.dtype());
    std_ = from_blob(stdev.data(), shape, kFloat64).to(x.dtype());
    return *this;
}

Tensor Standardizer::transform(const Tensor& x) const {
    if (!fitted()) throw std::logic_error("Standardizer::transform: not fitted; call fit() first");
    check_floating_data("Standardizer::transform", x);
    if (per_feature_) {
        const std::vector<int64_t> features(x.sizes().begin() + 1, x.sizes().end());
        if (features != mean_.sizes()) {
            std::string want = "[n";
            for (int64_t d : mean_.sizes()) want += ", " + std::to_string(d);
            want += "]";
            throw std::invalid_argument("Standardizer::transform: x is " + shape_str(x.sizes()) +
                                        ", expected " + want + " as in fit()");
        }
    }
    return (x - mean_.to(x.dtype())) / std_.to(x.dtype());
}

Standardizer standardize(TensorDataset& train, TensorDataset& test, bool per_feature) {
    Standardizer s(per_feature);
    s.fit(train.data());
    train = TensorDataset(s.transform(train.data()), train.targets());
    if (test.data().defined()) test = TensorDataset(s.transform(test.data()), test.targets());
    return s;
}

}  // namespace data
}  // namespace tapegrad
