#include "optim/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "optim/detail.hpp"

namespace tapegrad {
namespace optim {

void LBFGSOptions::visit(FieldVisitor& visitor) {
    visitor.number("lr", lr_, Range::non_negative);
    visitor.count("max_iter", max_iter_);
    // unset means max_iter * 5 / 4 (the optimizer fills it in); written back only if changed,
    // so that checking and saving leave the options as they were
    const int64_t fallback = max_iter_ * 5 / 4;
    int64_t max_eval = max_eval_.value_or(fallback);
    visitor.count("max_eval", max_eval);
    if (max_eval != max_eval_.value_or(fallback)) max_eval_ = max_eval;
    visitor.number("tolerance_grad", tolerance_grad_, Range::non_negative);
    visitor.number("tolerance_change", tolerance_change_, Range::non_negative);
    visitor.count("history_size", history_size_);
    visitor.text("line_search_fn", line_search_fn_);
}

void LBFGSOptions::check(const char* optimizer) const {
    OptimizerOptions::check(optimizer);
    const auto fail = [&](const std::string& what) {
        throw std::invalid_argument(std::string(optimizer) + ": " + what);
    };
    if (max_iter() < 1) fail("max_iter must be >= 1, got " + std::to_string(max_iter()));
    if (max_eval() && *max_eval() < 1)
        fail("max_eval must be >= 1, got " + std::to_string(*max_eval()));
    if (history_size() < 1)
        fail("history_size must be >= 1, got " + std::to_string(history_size()));
    if (line_search_fn() && *line_search_fn() != "strong_wolfe")
        fail("line_search_fn must be \"strong_wolfe\" or unset, got \"" + *line_search_fn() + "\"");
}

void LBFGSParamState::visit(FieldVisitor& visitor) {
    visitor.count("func_evals", func_evals_);
    visitor.count("n_iter", n_iter_);
    visitor.number("t", t_);
    visitor.number("prev_loss", prev_loss_);
    visitor.tensor("d", d_, /*required=*/false, StateShape::flat);
    visitor.tensor("H_diag", H_diag_, /*required=*/false, StateShape::scalar);
    visitor.tensor("prev_flat_grad", prev_flat_grad_, /*required=*/false, StateShape::flat);
    visitor.tensors("old_dirs", old_dirs_, StateShape::flat);
    visitor.tensors("old_stps", old_stps_, StateShape::flat);
    visitor.tensors("ro", ro_, StateShape::scalar);
}

LBFGS::LBFGS(std::vector<OptimizerParamGroup> param_groups, LBFGSOptions defaults)
    : TypedOptimizer(std::move(param_groups), std::move(defaults)) {
    if (param_groups_.size() != 1)
        throw std::invalid_argument("LBFGS: takes one parameter group, got " +
                                    std::to_string(param_groups_.size()) +
                                    " (LBFGS has no per-group options)");
    const auto& params = param_groups_[0].params();
    for (size_t i = 1; i < params.size(); ++i)
        if (params[i].dtype() != params[0].dtype())
            throw std::invalid_argument("LBFGS: parameter " + std::to_string(i) + " is " +
                                        to_string(params[i].dtype()) + " but parameter 0 is " +
                                        to_string(params[0].dtype()) +
                                        "; all parameters must have one dtype");
    for (OptimizerOptions* o : {&param_groups_[0].options(), defaults_.get()}) {
        auto& options = static_cast<LBFGSOptions&>(*o);
        if (!options.max_eval()) options.max_eval(options.max_iter() * 5 / 4);
    }
}

LBFGS::LBFGS(std::vector<Tensor> params, LBFGSOptions defaults)
    : LBFGS(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))},
            std::move(defaults)) {}

Tensor LBFGS::gather_flat_grad() const {
    std::vector<Tensor> views;
    for (const Tensor& p : param_groups_[0].params())
        views.push_back(p.grad().defined() ? reshape(p.grad(), {-1})
                                           : zeros({p.numel()}, p.dtype()));
    return cat(views, 0);
}

// x += step_size * update, where update is the flat vector of all the parameters.
void LBFGS::add_grad(double step_size, const Tensor& update) {
    int64_t offset = 0;
    for (const Tensor& p : param_groups_[0].params()) {
        p.add_(reshape(narrow(update, 0, offset, p.numel()), p.sizes()), step_size);
        offset += p.numel();
    }
}

namespace {

// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
// [lo, hi] (the interval between x1 and x2 unless given); the middle of it if the cubic has no
// minimum.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt) {
    const auto [lo, hi] = bounds ? *bounds : std::pair<double, double>(std::minmax(x1, x2));
    const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    const double d2_square = d1 * d1 - g1 * g2;
    if (!(d2_square >= 0)) return (lo + hi) / 2;
    const double d2 = std::sqrt(d2_square);
    const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return std::min(std::max(min_pos, lo), hi);
}

// One trial of the line search: the loss f, gradient g and slope g.d at x + t d.
struct Trial {
    double t, f;
    Tensor g;
    double gtd;
};

struct LineSearchResult {
    double f;
    Tensor g;
    double t;
    int64_t evaluations;
};

// Searches t along d from the point with loss f, gradient g and slope gtd (< 0) until the strong
// Wolfe conditions hold: f(t) <= f + c1 t gtd (enough decrease) and |g(t).d| <= -c2 gtd (flat
// enough). First brackets such a t by growing the step, then shrinks the bracket by cubic
// interpolation ("zoom"), as LibTorch's _strong_wolfe. `evaluate(t)` returns (f, g) at x + t d.
LineSearchResult strong_wolfe(const std::function<std::pair<double, Tensor>(double)>& evaluate,
                              double t, const Tensor& d, double f, const Tensor& g, double gtd) {
    const double c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9;
    const int64_t max_ls = 25;
    const double d_norm = abs(d).max().item<double>();
    const auto trial = [&](double at) {
        auto [f_at, g_at] = evaluate(at);
        return Trial{at, f_at, g_at, dot(g_at, d).item<double>()};
    };
    Trial now = trial(t);
    int64_t evaluations = 1;
    Trial prev{0, f, g.clone(), gtd};
    bool done = false;
    int64_t ls_iter = 0;
    std::vector<Trial> bracket;  // one point when done, else two around the minimum
    while (ls_iter < max_ls) {
        if (now.f > f + c1 * now.t * gtd || (ls_iter > 1 && now.f >= prev.f)) {
            bracket = {prev, now};
            break;
        }
        if (std::abs(now.gtd) <= -c2 * gtd) {
            bracket = {now, now};
            done = true;
            break;
        }
        if (now.gtd >= 0) {
            bracket = {prev, now};
            break;
        }
        // extrapolate to a longer step, at least 1% longer and at most 10 times as long
        const double min_step = now.t + 0.01 * (now.t - prev.t);
        const double max_step = now.t * 10;
        const double next = cubic_interpolate(prev.t, prev.f, prev.gtd, now.t, now.f, now.gtd,
                                              std::make_pair(min_step, max_step));
        prev = now;
        now = trial(next);
        ++evaluations;
        ++ls_iter;
    }
    if (ls_iter == max_ls) bracket = {Trial{0, f, g, gtd}, now};

    // zoom: shrink the bracket until a point satisfies the conditions
    bool insufficient_progress = false;
    size_t low = 0, high = 1;  // the ends with the lower and the higher loss
    const auto order = [&] {
        low = bracket[0].f <= bracket[1].f ? 0 : 1;
        high = 1 - low;
    };
    order();
    while (!done && ls_iter < max_ls) {
        double t_new = cubic_interpolate(bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t,
                                         bracket[1].f, bracket[1].gtd);
        // a point too close to an end makes little progress: move it a tenth of the bracket in
        // when that happened twice in a row or it is at an end
        const double b_max = std::max(bracket[0].t, bracket[1].t);
        const double b_min = std::min(bracket[0].t, bracket[1].t);
        const double eps = 0.1 * (b_max - b_min);
        if (std::min(b_max - t_new, t_new - b_min) < eps) {
            if (insufficient_progress || t_new >= b_max || t_new <= b_min) {
                t_new =
                    std::abs(t_new - b_max) < std::abs(t_new - b_min) ? b_max - eps : b_min + eps;
                insufficient_progress = false;
            } else {
                insufficient_progress = true;
            }
        } else {
            insufficient_progress = false;
        }
        now = trial(t_new);
        ++evaluations;
        ++ls_iter;
        if (now.f > f + c1 * now.t * gtd || now.f >= bracket[low].f) {
            // not enough decrease, or not below the lowest point: the new high end
            bracket[high] = now;
            order();
        } else {
            if (std::abs(now.gtd) <= -c2 * gtd)
                done = true;
            else if (now.gtd * (bracket[high].t - bracket[low].t) >= 0)
                bracket[high] = bracket[low];  // the old low end becomes the high end
            bracket[low] = now;
        }
        if (std::abs(bracket[1].t - bracket[0].t) * d_norm < tolerance_change) break;
    }
    return {bracket[low].f, bracket[low].g, bracket[low].t, evaluations};
}

}  // namespace

Tensor LBFGS::step(LossClosure closure) {
    if (!closure)
        throw std::logic_error(
            "LBFGS: step needs a closure that zeroes the gradients, computes the loss, calls "
            "backward and returns the loss");
    if (param_groups_.size() != 1)
        throw std::logic_error("LBFGS: takes one parameter group, has " +
                               std::to_string(param_groups_.size()));
    NoGradGuard no_grad;
    auto& params = param_groups_[0].params();
    const auto& options = static_cast<const LBFGSOptions&>(param_groups_[0].options());
    options.check(name());
    const double lr = options.lr(), tolerance_grad = options.tolerance_grad(),
                 tolerance_change = options.tolerance_change();
    const int64_t max_iter = options.max_iter(), history_size = options.history_size();
    const int64_t max_eval = options.max_eval().value_or(max_iter * 5 / 4);
    auto& state = static_cast<LBFGSParamState&>(state_of(params[0], 0, 0));

    const auto evaluate = [&] {
        const Tensor loss = run_closure(closure);
        if (!loss.defined() || loss.numel() != 1)
            throw std::logic_error(
                "LBFGS: the closure must return the loss, a one-element "
                "tensor");
        return loss;
    };
    const Tensor orig_loss = evaluate();
    double loss = orig_loss.item<double>();
    int64_t current_evals = 1;
    detail::add_count(name(), "func_evals", state.func_evals());
    Tensor flat_grad = gather_flat_grad();
    bool opt_cond = abs(flat_grad).max().item<double>() <= tolerance_grad;
    if (opt_cond) return orig_loss;

    Tensor& d = state.d();
    double& t = state.t();
    auto& old_dirs = state.old_dirs();
    auto& old_stps = state.old_stps();
    auto& ro = state.ro();
    Tensor& H_diag = state.H_diag();
    Tensor& prev_flat_grad = state.prev_flat_grad();
    if (state.n_iter() > 0) {
        // a state that was loaded or edited: check that it fits before using it
        const bool complete = d.defined() && H_diag.defined() && prev_flat_grad.defined();
        if (!complete || d.numel() != flat_grad.numel() ||
            prev_flat_grad.numel() != flat_grad.numel() || old_stps.size() != old_dirs.size() ||
            ro.size() != old_dirs.size())
            throw std::logic_error("LBFGS: the state (n_iter = " + std::to_string(state.n_iter()) +
                                   ") does not fit the parameters: d, H_diag and prev_flat_grad "
                                   "must be set, d and the history as long as all parameters "
                                   "together, old_dirs, old_stps and ro equally long");
    }
    // a smaller history_size than before drops the oldest pairs
    while (static_cast<int64_t>(old_dirs.size()) > history_size) {
        old_dirs.pop_front();
        old_stps.pop_front();
        ro.pop_front();
    }

    int64_t n_iter = 0;
    while (n_iter < max_iter) {
        ++n_iter;
        detail::add_count(name(), "n_iter", state.n_iter());

        if (state.n_iter() == 1) {
            d = neg(flat_grad);
            H_diag = full({}, 1.0, flat_grad.dtype());
            old_dirs.clear();
            old_stps.clear();
            ro.clear();
        } else {
            // remember the last step s and gradient change y, if they keep H positive definite
            const Tensor y = flat_grad - prev_flat_grad;
            const Tensor s = d * t;
            const Tensor ys = dot(y, s);
            if (ys.item<double>() > 1e-10) {
                if (static_cast<int64_t>(old_dirs.size()) == history_size) {
                    old_dirs.pop_front();
                    old_stps.pop_front();
                    ro.pop_front();
                }
                old_dirs.push_back(y);
                old_stps.push_back(s);
                ro.push_back(1.0 / ys);
                H_diag = ys / dot(y, y);
            }
            // two-loop recursion: d = -H g
            const size_t num_old = old_dirs.size();
            // sized by the pairs held, never by history_size (a loaded file may ask for 2^60)
            if (!state.al()) state.al(std::vector<Tensor>());
            auto& al = *state.al();
            if (al.size() < num_old) al.resize(num_old);
            Tensor q = neg(flat_grad);
            for (size_t i = num_old; i-- > 0;) {
                al[i] = dot(old_stps[i], q) * ro[i];
                q.add_(old_dirs[i], -al[i].item<double>());
            }
            d = q * H_diag;
            for (size_t i = 0; i < num_old; ++i) {
                const Tensor be_i = dot(old_dirs[i], d) * ro[i];
                d.add_(old_stps[i], (al[i] - be_i).item<double>());
            }
        }
        if (!prev_flat_grad.defined())
            prev_flat_grad = flat_grad.clone();
        else
            prev_flat_grad.copy_(flat_grad);
        const double prev_loss = loss;
        state.prev_loss(prev_loss);

        t = state.n_iter() == 1 ? std::min(1.0, 1.0 / abs(flat_grad).sum().item<double>()) * lr
                                : lr;
        const double gtd = dot(flat_grad, d).item<double>();
        if (gtd > -tolerance_change) break;  // not a descent direction any more

        int64_t ls_func_evals = 0;
        if (options.line_search_fn()) {
            std::vector<Tensor> x_init;
            for (const Tensor& p : params) x_init.push_back(p.clone());
            // the loss and gradient at x_init + step * d; the parameters are put back after
            const auto directional_evaluate = [&](double step) {
                add_grad(step, d);
                const double f = evaluate().item<double>();
                Tensor g = gather_flat_grad();
                for (size_t i = 0; i < params.size(); ++i) params[i].copy_(x_init[i]);
                return std::make_pair(f, g);
            };
            LineSearchResult found = strong_wolfe(directional_evaluate, t, d, loss, flat_grad, gtd);
            loss = found.f;
            flat_grad = found.g;
            t = found.t;
            ls_func_evals = found.evaluations;
            add_grad(t, d);
            opt_cond = abs(flat_grad).max().item<double>() <= tolerance_grad;
        } else {
            add_grad(t, d);
            if (n_iter != max_iter) {
                // the last iteration does not re-evaluate: the next step() will
                loss = evaluate().item<double>();
                flat_grad = gather_flat_grad();
                opt_cond = abs(flat_grad).max().item<double>() <= tolerance_grad;
                ls_func_evals = 1;
            }
        }
        current_evals += ls_func_evals;
        detail::add_count(name(), "func_evals", state.func_evals(), ls_func_evals);

        if (n_iter == max_iter || current_evals >= max_eval || opt_cond) break;
        if (abs(d * t).max().item<double>() <= tolerance_change) break;  // tiny step
        if (std::abs(loss - prev_loss) < tolerance_change) break;        // no progress
    }
    return orig_loss;
}

}  // namespace optim
}  // namespace tapegrad
