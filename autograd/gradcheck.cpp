#include "autograd/gradcheck.hpp"

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>

#include "autograd/detail.hpp"
#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"

namespace tapegrad {
namespace autograd {

namespace {

// A fixed pseudo-random tensor in [-1, 1) shaped like `like`, independent of manual_seed.
Tensor projection(const Tensor& like, uint64_t seed) {
    std::mt19937_64 rng(seed + 0x9e3779b97f4a7c15ULL);
    std::vector<double> v(static_cast<size_t>(like.numel()));
    for (double& x : v) x = 2.0 * static_cast<double>(rng() >> 11) * 0x1.0p-53 - 1.0;
    if (v.size() == 1) v[0] = 1.0;
    return from_blob(v.data(), like.sizes(), kFloat64);
}

// "[1, 2]": the position of flat element `flat` in a tensor of shape `sizes`.
std::string position(int64_t flat, const std::vector<int64_t>& sizes) {
    std::vector<int64_t> idx(sizes.size());
    for (size_t d = sizes.size(); d-- > 0;) {
        idx[d] = flat % sizes[d];
        flat /= sizes[d];
    }
    return shape_str(idx);
}

// The scalar that gradcheck differentiates: sum(fn(inputs) * r).
Tensor reduced(const GradcheckFn& fn, const std::vector<Tensor>& inputs, uint64_t seed) {
    Tensor y = fn(inputs);
    if (!y.defined() || !y.is_floating_point()) {
        throw std::invalid_argument("gradcheck: the function must return a defined floating tensor");
    }
    if (y.dtype() != kFloat64) {
        throw std::invalid_argument("gradcheck: the function returned " +
                                    std::string(to_string(y.dtype())) +
                                    "; compute in float64 so rounding does not swamp the check");
    }
    return (y * projection(y, seed)).sum();
}

void check_inputs(const char* api, const std::vector<Tensor>& inputs) {
    bool any = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& t = inputs[i];
        if (!t.defined()) {
            throw std::invalid_argument(std::string(api) + ": input " + std::to_string(i) +
                                        " is undefined");
        }
        if (!t.requires_grad()) continue;
        any = true;
        if (t.dtype() != kFloat64) {
            throw std::invalid_argument(
                std::string(api) + ": input " + std::to_string(i) + " is " + to_string(t.dtype()) +
                "; finite differences need float64 (float32 rounding error, about 1e-7 relative, "
                "is larger than the differences being measured): pass inputs made with "
                "dtype(kFloat64)");
        }
    }
    if (!any) throw std::invalid_argument(std::string(api) + ": no input requires grad");
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& opt) {
    check_inputs("gradcheck", inputs);
    std::vector<Tensor> diff;
    std::vector<size_t> diff_index;
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].requires_grad()) {
            diff.push_back(inputs[i]);
            diff_index.push_back(i);
        }
    }
    // analytic gradients through the engine
    Tensor f = reduced(fn, inputs, opt.seed);
    tensor_list analytic = grad({f}, diff, {}, false, false, /*allow_unused=*/true);

    GradcheckResult result;
    int failures = 0;
    for (size_t k = 0; k < diff.size(); ++k) {
        const Tensor& x = diff[k];
        double* base = x.data_ptr<double>();
        // element j of x in memory, through its strides (an input may be a view)
        const std::vector<int64_t> xs = x.sizes(), st = x.strides();
        auto at = [&](int64_t j) -> double& {
            int64_t off = 0;
            for (size_t d = xs.size(); d-- > 0;) {
                off += (j % xs[d]) * st[d];
                j /= xs[d];
            }
            return base[off];
        };
        const std::vector<double> a = analytic[k].defined() ? analytic[k].to_vector<double>()
                                                            : std::vector<double>(x.numel(), 0.0);
        for (int64_t j = 0; j < x.numel(); ++j) {
            // central difference, writing the input's buffer directly (outside the graph)
            double& xj = at(j);
            const double saved = xj;
            double fp, fm;
            {
                NoGradGuard guard;
                xj = saved + opt.eps;
                fp = reduced(fn, inputs, opt.seed).item<double>();
                xj = saved - opt.eps;
                fm = reduced(fn, inputs, opt.seed).item<double>();
                xj = saved;
            }
            const double numeric = (fp - fm) / (2 * opt.eps);
            const double err = std::abs(a[j] - numeric);
            const bool ok = err <= opt.atol + opt.rtol * std::abs(numeric) && !std::isnan(a[j]);
            if (!ok && failures++ == 0) {
                char buf[256];
                std::snprintf(buf, sizeof buf,
                              "analytic %.10g, numeric %.10g, error %.3g (allowed %.3g)", a[j],
                              numeric, err, opt.atol + opt.rtol * std::abs(numeric));
                result.message = "gradcheck: input " + std::to_string(diff_index[k]) + " (shape " +
                                 shape_str(x.sizes()) + "), element " + std::to_string(j) + " " +
                                 position(j, x.sizes()) + ": " + buf;
            }
        }
    }
    if (failures > 0) {
        result.ok = false;
        if (failures > 1) result.message += " (and " + std::to_string(failures - 1) + " more elements)";
    }
    return result;
}

GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& opt) {
    check_inputs("gradgradcheck", inputs);
    // F(inputs) = sum_k <d sum(fn * r) / d input_k, v_k>: its gradient is a Hessian-vector
    // product, so checking F's first derivative checks fn's second derivative.
    std::vector<Tensor> vs;
    for (size_t i = 0; i < inputs.size(); ++i)
        vs.push_back(inputs[i].requires_grad() ? projection(inputs[i], opt.seed + 1 + i) : Tensor());
    auto unrecorded = std::make_shared<bool>(false);
    GradcheckFn first = [&fn, &opt, vs, unrecorded](const std::vector<Tensor>& in) {
        std::vector<Tensor> diff;
        std::vector<Tensor> v;
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i].requires_grad()) {
                diff.push_back(in[i]);
                v.push_back(vs[i]);
            }
        }
        if (!GradMode::is_enabled()) {
            // inside a finite difference: the first derivative still needs a graph
            AutoGradMode on(true);
            Tensor f = reduced(fn, in, opt.seed);
            tensor_list g = grad({f}, diff, {}, false, false, true);
            Tensor s = zeros({}, kFloat64);
            for (size_t k = 0; k < g.size(); ++k)
                if (g[k].defined()) s = s + (g[k] * v[k]).sum();
            return s.detach();
        }
        Tensor f = reduced(fn, in, opt.seed);
        tensor_list g = grad({f}, diff, {}, true, /*create_graph=*/true, true);
        Tensor s = zeros({}, kFloat64);
        for (size_t k = 0; k < g.size(); ++k)
            if (g[k].defined()) s = s + (g[k] * v[k]).sum();
        if (!s.requires_grad()) {
            // a backward that recorded nothing: its derivative is 0, let the check compare that
            *unrecorded = true;
            for (const Tensor& x : diff) s = s + (x * 0.0).sum();
        }
        return s;
    };
    GradcheckResult r = gradcheck(first, inputs, opt);
    if (!r.ok) r.message = "gradgradcheck (second derivative): " + r.message.substr(11);
    if (!r.ok && *unrecorded)
        r.message += "; the backward recorded no graph (did it run under NoGradGuard or detach?)";
    return r;
}

}  // namespace autograd
}  // namespace tapegrad
