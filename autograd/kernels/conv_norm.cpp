#include "autograd/kernels/conv_norm.hpp"

#include <cstddef>
#include <vector>

namespace tapegrad {
namespace kernels {

namespace {

// Sum of p[0..n) in T with eight independent accumulators: a single running sum is one long
// dependency chain (an add's latency per element), which the compiler may not reorder for
// floating point; eight chains vectorise.
template <class T>
T run_sum(const T* p, int64_t n) {
    T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; ++k) acc[k] += p[j + k];
    for (; j < n; ++j) acc[0] += p[j];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// sum (p[j] - m)^2 and sum g[j] * (p[j] - m), likewise in eight chains.
template <class T>
T run_sq_centered(const T* p, T m, int64_t n) {
    T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; ++k) acc[k] += (p[j + k] - m) * (p[j + k] - m);
    for (; j < n; ++j) acc[0] += (p[j] - m) * (p[j] - m);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}
template <class T>
T run_dot_centered(const T* g, const T* p, T m, int64_t n) {
    T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; ++k) acc[k] += g[j + k] * (p[j + k] - m);
    for (; j < n; ++j) acc[0] += g[j] * (p[j] - m);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Runs of s values are summed in T (eight chains), the runs in double.
template <class T>
void channel_stats_impl(int64_t n, int64_t c, int64_t s, const T* x, double* mean, double* var) {
    const double count = static_cast<double>(n * s);
    for (int64_t k = 0; k < c; ++k) {
        double sum = 0;
        for (int64_t i = 0; i < n; ++i) sum += run_sum(x + (i * c + k) * s, s);
        const double m = count > 0 ? sum / count : 0.0;
        double sq = 0;
        for (int64_t i = 0; i < n; ++i)
            sq += run_sq_centered(x + (i * c + k) * s, static_cast<T>(m), s);
        mean[k] = m;
        var[k] = count > 0 ? sq / count : 0.0;
    }
}

template <class T>
void channel_sum_impl(int64_t n, int64_t c, int64_t s, const T* x, T* out) {
    std::vector<double> acc(static_cast<size_t>(c), 0.0);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < c; ++k)  // a run in T, the runs added up in double
            acc[static_cast<size_t>(k)] += run_sum(x + (i * c + k) * s, s);
    }
    for (int64_t k = 0; k < c; ++k) out[k] = static_cast<T>(acc[static_cast<size_t>(k)]);
}

template <class T>
void channel_affine_impl(int64_t n, int64_t c, int64_t s, const T* x, const double* scale,
                         const double* shift, T* y) {
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < c; ++k) {
            const T a = static_cast<T>(scale[k]), b = static_cast<T>(shift[k]);
            const T* p = x + (i * c + k) * s;
            T* q = y + (i * c + k) * s;
            for (int64_t j = 0; j < s; ++j) q[j] = p[j] * a + b;
        }
    }
}

template <class T>
void batch_norm_backward_impl(int64_t n, int64_t c, int64_t s, const T* x, const T* g,
                              const double* mean, const double* invstd, const T* weight, T* grad_x,
                              T* grad_weight, T* grad_bias) {
    const double count = static_cast<double>(n * s);
    for (int64_t k = 0; k < c; ++k) {
        double sum_g = 0, sum_gx = 0;  // sum g and sum g * (x - mean)
        const double m = mean[k];
        for (int64_t i = 0; i < n; ++i) {
            const T* px = x + (i * c + k) * s;
            const T* pg = g + (i * c + k) * s;
            sum_g += run_sum(pg, s);
            sum_gx += run_dot_centered(pg, px, static_cast<T>(m), s);
        }
        const double is = invstd[k];
        const double sum_gxhat = sum_gx * is;
        if (grad_bias) grad_bias[k] = static_cast<T>(sum_g);
        if (grad_weight) grad_weight[k] = static_cast<T>(sum_gxhat);
        if (!grad_x) continue;
        const double w = weight ? static_cast<double>(weight[k]) : 1.0;
        // grad_x = w is (g - sum_g / M - (x - mean) is^2 sum_gx / M) = a g + b x + c0
        const double a = w * is;
        const double b = count > 0 ? -w * is * is * is * sum_gx / count : 0.0;
        const double c0 = count > 0 ? -w * is * sum_g / count - b * m : 0.0;
        const T ta = static_cast<T>(a), tb = static_cast<T>(b), tc = static_cast<T>(c0);
        for (int64_t i = 0; i < n; ++i) {
            const T* px = x + (i * c + k) * s;
            const T* pg = g + (i * c + k) * s;
            T* q = grad_x + (i * c + k) * s;
            for (int64_t j = 0; j < s; ++j) q[j] = ta * pg[j] + tb * px[j] + tc;
        }
    }
}

}  // namespace

void channel_stats(int64_t n, int64_t c, int64_t s, const float* x, double* mean, double* var) {
    channel_stats_impl(n, c, s, x, mean, var);
}
void channel_stats(int64_t n, int64_t c, int64_t s, const double* x, double* mean, double* var) {
    channel_stats_impl(n, c, s, x, mean, var);
}
void channel_sum(int64_t n, int64_t c, int64_t s, const float* x, float* out) {
    channel_sum_impl(n, c, s, x, out);
}
void channel_sum(int64_t n, int64_t c, int64_t s, const double* x, double* out) {
    channel_sum_impl(n, c, s, x, out);
}
void channel_affine(int64_t n, int64_t c, int64_t s, const float* x, const double* scale,
                    const double* shift, float* y) {
    channel_affine_impl(n, c, s, x, scale, shift, y);
}
void channel_affine(int64_t n, int64_t c, int64_t s, const double* x, const double* scale,
                    const double* shift, double* y) {
    channel_affine_impl(n, c, s, x, scale, shift, y);
}
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const float* x, const float* g,
                         const double* mean, const double* invstd, const float* weight,
                         float* grad_x, float* grad_weight, float* grad_bias) {
    batch_norm_backward_impl(n, c, s, x, g, mean, invstd, weight, grad_x, grad_weight, grad_bias);
}
void batch_norm_backward(int64_t n, int64_t c, int64_t s, const double* x, const double* g,
                         const double* mean, const double* invstd, const double* weight,
                         double* grad_x, double* grad_weight, double* grad_bias) {
    batch_norm_backward_impl(n, c, s, x, g, mean, invstd, weight, grad_x, grad_weight, grad_bias);
}

}  // namespace kernels
}  // namespace tapegrad
