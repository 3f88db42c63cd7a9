#pragma once
// Standardisation: shift and scale features to mean 0 and standard deviation 1, with the
// statistics taken from the training data only. (Pixel scaling to [0, 1] is done by
// read_idx_images.)

#include "autograd/tensor.hpp"
#include "data/dataset.hpp"

namespace tapegrad {
namespace data {

/// Learns a mean and a standard deviation from data [n, ...] and applies (x - mean) / std.
/// The standard deviation is the population one (divides by n); a feature that is constant
/// gets std 1, so it maps to 0 instead of dividing by zero.
class Standardizer {
public:
    /// With `per_feature`, one mean and std per feature (each position after the sample
    /// dimension); otherwise one mean and std over all values.
    explicit Standardizer(bool per_feature = true) : per_feature_(per_feature) {}

    /// Computes the statistics of x [n, ...] (float32 or float64, n >= 1); returns *this.
    Standardizer& fit(const Tensor& x);
    /// (x - mean) / std for x [m, ...] with the feature shape seen by fit(), in x's dtype.
    Tensor transform(const Tensor& x) const;
    /// fit(x), then transform(x).
    Tensor fit_transform(const Tensor& x) { return fit(x).transform(x); }

    bool fitted() const { return mean_.defined(); }
    bool per_feature() const { return per_feature_; }
    /// The means: the feature shape when per_feature, else 0-d.
    const Tensor& mean() const { return mean_; }
    /// The standard deviations, shaped like mean().
    const Tensor& std() const { return std_; }

private:
    bool per_feature_;
    Tensor mean_;
    Tensor std_;
};

/// Fits a Standardizer on train's data, replaces the data of both train and test with its
/// transform (targets unchanged), and returns it for use on further data.
Standardizer standardize(TensorDataset& train, TensorDataset& test, bool per_feature = true);

}  // namespace data
}  // namespace tapegrad
