#include "autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>

#include "autograd/engine.hpp"
#include "autograd/format.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace autograd {

namespace {

// n fixed pseudo-random values in [-1, 1), independent of manual_seed (1 for a single element,
// so a scalar output is checked as it is).
std::vector<double> random_values(int64_t n, uint64_t seed) {
    std::mt19937_64 rng(seed + 0x9e3779b97f4a7c15ULL);
    std::vector<double> v(static_cast<size_t>(n));
    for (double& x : v) x = 2.0 * static_cast<double>(rng() >> 11) * 0x1.0p-53 - 1.0;
    if (v.size() == 1) v[0] = 1.0;
    return v;
}

Tensor f64(const std::vector<double>& values, const std::vector<int64_t>& sizes) {
    return from_blob(values.data(), sizes, kFloat64);
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

std::string num(double v) {
    return tapegrad::detail::format_number(v, "%.10g");
}

// The values of a gradient, or zeros for an undefined one (an input the backward did not reach).
std::vector<double> values_or_zeros(const Tensor& g, int64_t numel) {
    return g.defined() ? g.contiguous().to_vector<double>()
                       : std::vector<double>(static_cast<size_t>(numel), 0.0);
}

void check_inputs(const char* api, const std::vector<Tensor>& inputs, const GradcheckOptions& o) {
    if (!(o.eps > 0) || !(o.atol >= 0) || !(o.rtol >= 0) || !(o.nondet_tol >= 0)) {
        throw std::invalid_argument(std::string(api) +
                                    ": eps must be positive and atol, rtol, "
                                    "nondet_tol not negative; got eps " +
                                    num(o.eps) + ", atol " + num(o.atol) + ", rtol " + num(o.rtol) +
                                    ", nondet_tol " + num(o.nondet_tol));
    }
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

// Calls fn and checks what it returns: defined tensors, floating ones in float64.
tensor_list call(const char* api, const GradcheckMultiFn& fn, const std::vector<Tensor>& in) {
    tensor_list ys = fn(in);
    if (ys.empty())
        throw std::invalid_argument(std::string(api) + ": the function returned no tensor");
    for (size_t o = 0; o < ys.size(); ++o) {
        if (!ys[o].defined()) {
            throw std::invalid_argument(std::string(api) + ": output " + std::to_string(o) +
                                        " of the function is undefined");
        }
        if (ys[o].is_floating_point() && ys[o].dtype() != kFloat64) {
            throw std::invalid_argument(
                std::string(api) + ": the function returned " + to_string(ys[o].dtype()) +
                " (output " + std::to_string(o) +
                "); compute in float64 so rounding does not swamp the check");
        }
    }
    return ys;
}

// Names output o in messages: "output 0" for gradcheck, "the gradient of input 1" one order up.
using OutputName = std::function<std::string(size_t)>;

// Puts the values of `values` into the user's tensor `x` through an in-place op (x may be a
// view, or strided), without recording.
void assign(const Tensor& x, const Tensor& values) {
    NoGradGuard guard;
    x.copy_(values);
}

// One run of the checks on one function at one point. Jacobians are stored per (floating
// output f, differentiable input k) as rows = output elements, columns = input elements; in
// fast mode there is one block (f = 0) with one row, the outputs projected on r.
class Checker {
public:
    // `api` starts thrown errors ("gradcheck"), `title` failure messages ("gradgradcheck
    // (second derivative)"); `output_name` names output o ("output 0").
    Checker(const char* api, std::string title, const GradcheckMultiFn& fn,
            const std::vector<Tensor>& inputs, const GradcheckOptions& opt, OutputName output_name)
        : api_(api),
          title_(std::move(title)),
          fn_(fn),
          inputs_(inputs),
          opt_(opt),
          output_name_(std::move(output_name)) {
        for (size_t i = 0; i < inputs.size(); ++i) {
            if (!inputs[i].requires_grad()) continue;
            diff_index_.push_back(i);
            diff_.push_back(inputs[i]);
        }
        outputs_ = call(api_, fn_, inputs_);  // with its graph, for the analytic side
        for (size_t o = 0; o < outputs_.size(); ++o) {
            if (!outputs_[o].is_floating_point()) continue;
            floating_.push_back(o);
            projection_.push_back(random_values(outputs_[o].numel(), opt_.seed + o));
        }
    }

    GradcheckResult run() {
        GradcheckResult jacobian, reentrancy, undefined, batched;
        if (floating_.empty()) return jacobian;  // nothing differentiable to compare
        // every backward first: the finite differences change the inputs in place, after
        // which the recorded graph refuses to run
        analytic_jacobian();
        reentrant(reentrancy);
        if (opt_.check_undefined_grad) zero_in_zero_out(undefined);
        if (opt_.check_batched_grad) linear_in_grad_out(batched);
        outputs_.clear();
        if (!reentrancy.ok) return reentrancy;
        numeric_jacobian();
        compare(jacobian);
        for (GradcheckResult* r : {&jacobian, &undefined, &batched})
            if (!r->ok) return *r;
        return jacobian;
    }

private:
    int64_t rows(size_t f) const {
        if (opt_.fast_mode) return f == 0 ? 1 : 0;
        return output_numel_[f];
    }
    int64_t cols(size_t k) const { return diff_[k].numel(); }
    std::string label(const char* check) const {
        const size_t paren = title_.find(" (");
        if (paren == std::string::npos) return title_ + " (" + check + ")";
        return title_.substr(0, title_.size() - 1) + ", " + check + ")";
    }
    // "input 1 (shape [3, 5]) element 7 [1, 2]"
    std::string input_at(size_t k, int64_t j) const {
        return "input " + std::to_string(diff_index_[k]) + " (shape " +
               shape_str(diff_[k].sizes()) + ") element " + std::to_string(j) + " " +
               position(j, diff_[k].sizes());
    }

    // The gradients of the inputs for output gradients `seeds` (one per floating output; an
    // undefined seed leaves that output out), as flat values per input.
    std::vector<std::vector<double>> backward(const tensor_list& seeds,
                                              std::vector<bool>* reached) {
        tensor_list outs, grads_out;
        for (size_t f = 0; f < floating_.size(); ++f) {
            const Tensor& y = outputs_[floating_[f]];
            if (!seeds[f].defined() || !y.requires_grad()) continue;
            outs.push_back(y);
            grads_out.push_back(seeds[f]);
        }
        tensor_list g;
        if (!outs.empty()) g = grad(outs, diff_, grads_out, /*retain_graph=*/true, false, true);
        std::vector<std::vector<double>> flat(diff_.size());
        for (size_t k = 0; k < diff_.size(); ++k) {
            const Tensor gk = g.empty() ? Tensor() : g[k];
            if (reached && gk.defined()) (*reached)[k] = true;
            flat[k] = values_or_zeros(gk, cols(k));
        }
        return flat;
    }

    tensor_list seeds_of(const std::vector<std::vector<double>>& values) const {
        tensor_list seeds;
        for (size_t f = 0; f < floating_.size(); ++f)
            seeds.push_back(f64(values[f], outputs_[floating_[f]].sizes()));
        return seeds;
    }

    void analytic_jacobian() {
        for (size_t f = 0; f < floating_.size(); ++f) {
            output_numel_.push_back(outputs_[floating_[f]].numel());
            output_sizes_.push_back(outputs_[floating_[f]].sizes());
            output_recorded_.push_back(outputs_[floating_[f]].requires_grad());
        }
        reached_.assign(diff_.size(), false);
        analytic_.assign(floating_.size(), std::vector<std::vector<double>>(diff_.size()));
        for (size_t f = 0; f < floating_.size(); ++f)
            for (size_t k = 0; k < diff_.size(); ++k)
                analytic_[f][k].assign(static_cast<size_t>(rows(f) * cols(k)), 0.0);
        if (opt_.fast_mode) {
            // one backward of sum(y * r) gives the single projected row of every input
            const auto g = backward(seeds_of(projection_), &reached_);
            for (size_t k = 0; k < diff_.size(); ++k) analytic_[0][k] = g[k];
            return;
        }
        // one backward per output element, seeded with that element's unit vector
        for (size_t f = 0; f < floating_.size(); ++f) {
            const Tensor& y = outputs_[floating_[f]];
            for (int64_t i = 0; i < y.numel(); ++i) {
                std::vector<double> unit(static_cast<size_t>(y.numel()), 0.0);
                unit[static_cast<size_t>(i)] = 1.0;
                tensor_list seeds(floating_.size());
                seeds[f] = f64(unit, y.sizes());
                const auto g = backward(seeds, &reached_);
                for (size_t k = 0; k < diff_.size(); ++k)
                    std::copy(g[k].begin(), g[k].end(),
                              analytic_[f][k].begin() + static_cast<std::ptrdiff_t>(i * cols(k)));
            }
        }
    }

    // Central differences: each element of each differentiable input is moved by +-eps in
    // place (through copy_, as PyTorch perturbs in place, so a function that reads a module's
    // parameter directly sees it) and restored exactly afterwards, even when fn throws.
    void numeric_jacobian() {
        numeric_.assign(floating_.size(), std::vector<std::vector<double>>(diff_.size()));
        for (size_t k = 0; k < diff_.size(); ++k) {
            for (size_t f = 0; f < floating_.size(); ++f)
                numeric_[f][k].assign(static_cast<size_t>(rows(f) * cols(k)), 0.0);
            const Tensor& x = diff_[k];
            const Tensor original = x.detach().contiguous().clone();
            const Tensor moved = original.clone();
            double* p = moved.data_ptr<double>();  // a tensor made here: contiguous
            struct Restore {
                const Tensor& x;
                const Tensor& original;
                ~Restore() { assign(x, original); }
            } restore{x, original};
            for (int64_t j = 0; j < cols(k); ++j) {
                const double saved = p[j];
                p[j] = saved + opt_.eps;
                assign(x, moved);
                const std::vector<std::vector<double>> plus = evaluate();
                p[j] = saved - opt_.eps;
                assign(x, moved);
                const std::vector<std::vector<double>> minus = evaluate();
                p[j] = saved;
                for (size_t f = 0; f < floating_.size(); ++f) {
                    if (opt_.fast_mode) {
                        double d = 0;
                        for (size_t i = 0; i < plus[f].size(); ++i)
                            d += (plus[f][i] - minus[f][i]) * projection_[f][i];
                        numeric_[0][k][static_cast<size_t>(j)] += d / (2 * opt_.eps);
                        continue;
                    }
                    for (size_t i = 0; i < plus[f].size(); ++i)
                        numeric_[f][k][i * static_cast<size_t>(cols(k)) + static_cast<size_t>(j)] =
                            (plus[f][i] - minus[f][i]) / (2 * opt_.eps);
                }
            }
        }
    }

    std::vector<std::vector<double>> evaluate() const {
        NoGradGuard guard;
        const tensor_list ys = call(api_, fn_, inputs_);
        std::vector<std::vector<double>> values;
        for (size_t f = 0; f < floating_.size(); ++f) {
            const size_t o = floating_[f];
            if (ys.size() <= o || ys[o].sizes() != output_sizes_[f] || !ys[o].is_floating_point()) {
                throw std::invalid_argument(std::string(api_) +
                                            ": the function's outputs changed between calls "
                                            "(number, shape or dtype)");
            }
            values.push_back(ys[o].contiguous().to_vector<double>());
        }
        return values;
    }

    void fail(GradcheckResult& r, const char* check, size_t k, int64_t j) const {
        r.ok = false;
        r.check = check;
        r.input = static_cast<int64_t>(diff_index_[k]);
        r.input_element = j;
    }

    // The same backward twice must give the same gradients (a backward that changes what it
    // saved, or reads memory it does not own, does not).
    void reentrant(GradcheckResult& r) {
        size_t f = 0;
        while (f < floating_.size() && !outputs_[floating_[f]].requires_grad()) ++f;
        if (f == floating_.size() || outputs_[floating_[f]].numel() == 0) return;
        tensor_list seeds(floating_.size());
        if (opt_.fast_mode) {
            seeds = seeds_of(projection_);
            f = 0;  // the one projected block
        } else {
            std::vector<double> unit(static_cast<size_t>(outputs_[floating_[f]].numel()), 0.0);
            unit[0] = 1.0;
            seeds[f] = f64(unit, outputs_[floating_[f]].sizes());
        }
        const auto again = backward(seeds, nullptr);
        for (size_t k = 0; k < diff_.size(); ++k) {
            for (int64_t j = 0; j < cols(k); ++j) {
                const double first = analytic_[f][k][static_cast<size_t>(j)];
                const double second = again[k][static_cast<size_t>(j)];
                if (std::abs(first - second) <= opt_.nondet_tol) continue;
                fail(r, "reentrant", k, j);
                r.analytic = first;
                r.numeric = second;
                r.message = label("reentrant") + ": the same output gradient gave " +
                            input_at(k, j) + " " + num(first) + ", then " + num(second) +
                            " (nondet_tol " + num(opt_.nondet_tol) +
                            "): does the backward change what it saved?";
                return;
            }
        }
    }

    void compare(GradcheckResult& r) {
        double worst = -1;
        size_t worst_f = 0, worst_k = 0;
        int64_t total = 0;
        for (size_t f = 0; f < floating_.size(); ++f) {
            for (size_t k = 0; k < diff_.size(); ++k) {
                const std::vector<double>& a = analytic_[f][k];
                const std::vector<double>& n = numeric_[f][k];
                total += static_cast<int64_t>(a.size());
                for (size_t e = 0; e < a.size(); ++e) {
                    const double err = std::abs(a[e] - n[e]);
                    const double allowed = opt_.atol + opt_.rtol * std::abs(n[e]);
                    if (err <= allowed) continue;  // false for NaN too
                    ++r.mismatches;
                    const double badness = std::isnan(err) ? INFINITY : err / allowed;
                    if (!(badness > worst)) continue;
                    worst = badness;
                    worst_f = f;
                    worst_k = k;
                    const int64_t c = cols(k);
                    fail(r, "jacobian", k, static_cast<int64_t>(e) % c);
                    r.output = opt_.fast_mode ? -1 : static_cast<int64_t>(floating_[f]);
                    r.output_element = opt_.fast_mode ? -1 : static_cast<int64_t>(e) / c;
                    r.analytic = a[e];
                    r.numeric = n[e];
                    r.error = err;
                    r.allowed = allowed;
                }
            }
        }
        if (r.ok) return;
        const size_t o = floating_[worst_f];
        std::string m = (opt_.fast_mode ? label("fast mode") : title_) + ": " +
                        input_at(worst_k, r.input_element) + ", ";
        if (opt_.fast_mode) {
            m += "the outputs projected on a fixed random r";
        } else {
            m += output_name_(o) + " (shape " + shape_str(output_sizes_[worst_f]) + ") element " +
                 std::to_string(r.output_element) + " " +
                 position(r.output_element, output_sizes_[worst_f]);
        }
        m += ": analytic " + num(r.analytic) + ", numeric " + num(r.numeric) + ", error " +
             num(r.error) + " (allowed " + num(r.allowed) + "); " + std::to_string(r.mismatches) +
             " of " + std::to_string(total) + " Jacobian entries differ";
        if (!reached_[worst_k]) {
            m += "; backward gave no gradient for input " + std::to_string(r.input) +
                 " (an undefined tensor)";
        }
        bool recorded = !opt_.fast_mode && output_recorded_[worst_f];
        for (size_t f = 0; opt_.fast_mode && f < floating_.size(); ++f)
            recorded = recorded || output_recorded_[f];
        if (!recorded) {
            m += "; " + (opt_.fast_mode ? std::string("no output") : output_name_(o)) +
                 " requires grad (computed under NoGradGuard, detached, or by an op that records "
                 "nothing?)";
        }
        bool numeric_zero = true;
        for (const auto& blocks : numeric_)
            for (double v : blocks[worst_k]) numeric_zero = numeric_zero && v == 0.0;
        if (numeric_zero) {
            m += "; the function's value does not change when input " + std::to_string(r.input) +
                 " does (numeric gradient zero everywhere)";
        }
        if (!opt_.fast_mode && analytic_[worst_f][worst_k].size() <= 64) {
            m += "\n  numeric Jacobian d " + output_name_(o) + " / d input " +
                 std::to_string(r.input) + " (a row per output element):\n" +
                 block(numeric_[worst_f][worst_k], cols(worst_k)) + "\n  analytic Jacobian:\n" +
                 block(analytic_[worst_f][worst_k], cols(worst_k));
        }
        r.message = std::move(m);
    }

    // A Jacobian block, one row per output element and one column per input element, the
    // columns aligned:
    //     [[1, 0],
    //      [0, 1]]
    static std::string block(const std::vector<double>& v, int64_t cols) {
        std::vector<std::string> cells;
        size_t width = 1;
        for (double x : v) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.6g", x);
            cells.push_back(buf);
            width = std::max(width, cells.back().size());
        }
        std::string s = "    [";
        for (size_t e = 0; e < cells.size(); ++e) {
            const bool row_start = static_cast<int64_t>(e) % cols == 0;
            s += row_start ? (e ? "],\n     [" : "[") : ", ";
            s += std::string(width - cells[e].size(), ' ') + cells[e];
        }
        return s + (cells.empty() ? "]" : "]]");
    }

    // Zero output gradients, for all outputs at once and for each alone, give zero inputs'
    // gradients: a backward that adds a constant, or mishandles a zero gradient, fails here.
    void zero_in_zero_out(GradcheckResult& r) {
        std::vector<tensor_list> cases(1);
        for (size_t f = 0; f < floating_.size(); ++f)
            cases[0].push_back(zeros_like(outputs_[floating_[f]]));
        for (size_t f = 0; floating_.size() > 1 && f < floating_.size(); ++f) {
            cases.emplace_back(floating_.size());
            cases.back()[f] = cases[0][f];
        }
        for (size_t c = 0; c < cases.size(); ++c) {
            const auto g = backward(cases[c], nullptr);
            for (size_t k = 0; k < diff_.size(); ++k) {
                for (int64_t j = 0; j < cols(k); ++j) {
                    const double v = g[k][static_cast<size_t>(j)];
                    if (v == 0.0) continue;
                    fail(r, "undefined_grad", k, j);
                    if (c > 0) r.output = static_cast<int64_t>(floating_[c - 1]);
                    r.analytic = v;
                    r.message =
                        label("check_undefined_grad") + ": with a zero gradient for " +
                        (c == 0 ? std::string("every output") : output_name_(floating_[c - 1])) +
                        ", backward gave " + input_at(k, j) + " " + num(v) +
                        " instead of 0 (a zero or undefined output gradient must be "
                        "treated as zeros)";
                    return;
                }
            }
        }
    }

    // b(2 v1 - 3 v2) = 2 b(v1) - 3 b(v2) for random v1, v2.
    void linear_in_grad_out(GradcheckResult& r) {
        std::vector<std::vector<double>> v1, v2, mix;
        for (size_t f = 0; f < floating_.size(); ++f) {
            const int64_t n = outputs_[floating_[f]].numel();
            v1.push_back(random_values(n, opt_.seed + 1000 + f));
            v2.push_back(random_values(n, opt_.seed + 2000 + f));
            mix.emplace_back(static_cast<size_t>(n));
            for (size_t i = 0; i < mix[f].size(); ++i) mix[f][i] = 2 * v1[f][i] - 3 * v2[f][i];
        }
        const auto b1 = backward(seeds_of(v1), nullptr);
        const auto b2 = backward(seeds_of(v2), nullptr);
        const auto bm = backward(seeds_of(mix), nullptr);
        for (size_t k = 0; k < diff_.size(); ++k) {
            for (size_t j = 0; j < bm[k].size(); ++j) {
                const double expected = 2 * b1[k][j] - 3 * b2[k][j];
                const double err = std::abs(bm[k][j] - expected);
                // rounding in the combination scales with the terms, not with their difference
                const double allowed =
                    opt_.atol + opt_.rtol * (std::abs(2 * b1[k][j]) + std::abs(3 * b2[k][j]));
                if (err <= allowed) continue;
                fail(r, "batched_grad", k, static_cast<int64_t>(j));
                r.analytic = bm[k][j];
                r.numeric = expected;
                r.error = err;
                r.allowed = allowed;
                r.message = label("check_batched_grad") +
                            ": backward is not linear in the output "
                            "gradient: for " +
                            input_at(k, static_cast<int64_t>(j)) + ", b(2 v1 - 3 v2) is " +
                            num(bm[k][j]) + " but 2 b(v1) - 3 b(v2) is " + num(expected) +
                            " (v1, v2 random output gradients; does the backward "
                            "use |grad_out|, its sign, or a constant?)";
                return;
            }
        }
    }

    const char* api_;
    std::string title_;
    const GradcheckMultiFn& fn_;
    const std::vector<Tensor>& inputs_;
    const GradcheckOptions& opt_;
    OutputName output_name_;
    std::vector<size_t> diff_index_;
    tensor_list diff_;
    tensor_list outputs_;           // the first call's, with its graph; dropped before perturbing
    std::vector<size_t> floating_;  // indices of the floating outputs
    std::vector<int64_t> output_numel_;  // per floating output
    std::vector<std::vector<int64_t>> output_sizes_;
    std::vector<bool> output_recorded_;            // it required grad
    std::vector<std::vector<double>> projection_;  // r per floating output (fast mode)
    std::vector<bool> reached_;                    // inputs some backward gave a gradient
    // [floating output][differentiable input] -> rows x cols, row-major
    std::vector<std::vector<std::vector<double>>> analytic_, numeric_;
};

GradcheckMultiFn as_multi(const GradcheckFn& fn) {
    return [&fn](const std::vector<Tensor>& in) { return tensor_list{fn(in)}; };
}

}  // namespace

GradcheckResult gradcheck(const GradcheckMultiFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
    check_inputs("gradcheck", inputs, options);
    Checker checker("gradcheck", "gradcheck", fn, inputs, options,
                    [](size_t o) { return "output " + std::to_string(o); });
    return checker.run();
}

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
    return gradcheck(as_multi(fn), inputs, options);
}

GradcheckResult gradgradcheck(const GradcheckMultiFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options) {
    check_inputs("gradgradcheck", inputs, options);
    std::vector<size_t> diff_index;
    for (size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].requires_grad()) diff_index.push_back(i);
    auto unrecorded = std::make_shared<bool>(false);
    // The first derivatives g_k = d sum_o <fn_o, r_o> / d input_k, one output per
    // differentiable input: differentiable themselves when recorded (create_graph).
    GradcheckMultiFn first = [&fn, &options, unrecorded](const std::vector<Tensor>& in) {
        const bool recording = GradMode::is_enabled();
        AutoGradMode on(
            true);  // inside a finite difference the first derivative still needs a graph
        const tensor_list ys = call("gradgradcheck", fn, in);
        tensor_list diff, outs, seeds;
        for (const Tensor& t : in)
            if (t.requires_grad()) diff.push_back(t);
        for (size_t o = 0; o < ys.size(); ++o) {
            if (!ys[o].is_floating_point() || !ys[o].requires_grad()) continue;
            outs.push_back(ys[o]);
            seeds.push_back(
                f64(random_values(ys[o].numel(), options.seed + 7919 + o), ys[o].sizes()));
        }
        tensor_list g;
        if (!outs.empty()) g = grad(outs, diff, seeds, recording, /*create_graph=*/recording, true);
        tensor_list result;
        for (size_t k = 0; k < diff.size(); ++k) {
            Tensor gk = g.empty() ? Tensor() : g[k];
            if (!gk.defined()) {
                result.push_back(zeros_like(diff[k]));
                continue;
            }
            if (recording && !gk.requires_grad()) *unrecorded = true;
            result.push_back(recording ? gk : gk.detach());
        }
        return result;
    };
    Checker checker("gradgradcheck", "gradgradcheck (second derivative)", first, inputs, options,
                    [diff_index](size_t o) {
                        return "the gradient of input " + std::to_string(diff_index[o]);
                    });
    GradcheckResult r = checker.run();
    if (!r.ok && *unrecorded)
        r.message += "; the backward recorded no graph (did it run under NoGradGuard or detach?)";
    return r;
}

GradcheckResult gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options) {
    return gradgradcheck(as_multi(fn), inputs, options);
}

}  // namespace autograd
}  // namespace tapegrad
