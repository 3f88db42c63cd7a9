#include "nn/utils.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/detail.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace nn {
namespace utils {

namespace {
// A NaN bound would turn every gradient into NaN, a negative one would flip their signs:
// LibTorch accepts both silently.
void check_bound(const char* op, const char* what, double value) {
    if (std::isnan(value) || value < 0) {
        std::ostringstream msg;
        msg << op << ": " << what << " must be a non-negative number, got " << value;
        throw std::invalid_argument(msg.str());
    }
}
}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
    check_bound("clip_grad_norm_", "max_norm", max_norm);
    check_bound("clip_grad_norm_", "norm_type", norm_type);
    const bool inf_norm = std::isinf(norm_type);
    double acc = 0;  // sum of |g|^p, or max |g| for the infinity norm
    for (const Tensor& p : parameters) {
        if (!p.grad().defined()) continue;
        const Tensor g = p.grad().contiguous();
        tapegrad::detail::dispatch_floating(g.dtype(), [&](auto zero) {
            using T = decltype(zero);
            const T* d = g.data_ptr<T>();
            for (int64_t i = 0; i < g.numel(); ++i) {
                const double a = std::abs(static_cast<double>(d[i]));
                if (inf_norm)
                    acc = std::isnan(a) || a > acc ? a : acc;
                else if (norm_type == 2.0)
                    acc += a * a;
                else
                    acc += std::pow(a, norm_type);
            }
        });
    }
    const double total = inf_norm           ? acc
                         : norm_type == 2.0 ? std::sqrt(acc)
                                            : std::pow(acc, 1.0 / norm_type);
    if (error_if_nonfinite && !std::isfinite(total)) {
        std::ostringstream msg;
        msg << "clip_grad_norm_: the total norm of order " << norm_type
            << " of the gradients is non-finite (" << total
            << "), so it cannot be clipped; pass error_if_nonfinite=false to scale anyway";
        throw std::invalid_argument(msg.str());
    }
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1.0) {
        NoGradGuard no_grad;
        for (const Tensor& p : parameters) {
            Tensor g = p.grad();
            if (g.defined()) g.mul_(coef);
        }
    }
    return total;
}

double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
    return clip_grad_norm_(std::vector<Tensor>(parameters), max_norm, norm_type,
                           error_if_nonfinite);
}

double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
    return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
    check_bound("clip_grad_value_", "clip_value", clip_value);
    NoGradGuard no_grad;
    for (const Tensor& p : parameters) {
        Tensor g = p.grad();
        if (g.defined()) g.clamp_(-clip_value, clip_value);
    }
}

void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value) {
    clip_grad_value_(std::vector<Tensor>(parameters), clip_value);
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
    clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

Tensor parameters_to_vector(const std::vector<Tensor>& parameters) {
    if (parameters.empty()) {
        throw std::invalid_argument("parameters_to_vector: the parameter list is empty");
    }
    std::vector<Tensor> flat;
    flat.reserve(parameters.size());
    for (const Tensor& p : parameters) flat.push_back(p.reshape({-1}));
    return cat(flat, 0);
}

void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters) {
    int64_t needed = 0;
    for (const Tensor& p : parameters) needed += p.numel();
    if (vec.dim() != 1 || vec.numel() != needed) {
        throw std::invalid_argument("vector_to_parameters: expected a 1-D vector of " +
                                    std::to_string(needed) + " elements, got shape " +
                                    shape_str(vec.sizes()));
    }
    NoGradGuard no_grad;
    int64_t offset = 0;
    for (const Tensor& p : parameters) {
        Tensor target = p;
        target.copy_(vec.narrow(0, offset, p.numel()).reshape(p.sizes()).to(p.dtype()));
        offset += p.numel();
    }
}

namespace {
// sum over the parameters of term(p), differentiably; a zero scalar for an empty list.
template <class Term>
Tensor sum_of(const std::vector<Tensor>& parameters, Term term) {
    Tensor total;
    for (const Tensor& p : parameters) total = total.defined() ? total + term(p) : term(p);
    return total.defined() ? total : zeros({});
}
}  // namespace

Tensor l1_penalty(const std::vector<Tensor>& parameters) {
    return sum_of(parameters, [](const Tensor& p) { return p.abs().sum(); });
}

Tensor l2_penalty(const std::vector<Tensor>& parameters) {
    return sum_of(parameters, [](const Tensor& p) { return p.square().sum(); });
}

}  // namespace utils
}  // namespace nn
}  // namespace tapegrad
