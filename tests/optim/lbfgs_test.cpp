// LBFGS against LibTorch's trajectories on a 4-D Rosenbrock function (golden/lbfgs_rosenbrock.txt,
// made by golden/gen_optim/gen_lbfgs.cpp), plus its options, errors and state.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {

struct Run {
    std::map<std::string, std::string> options;  // from the config line
    std::map<int, double> losses;
    std::map<int, std::vector<double>> steps;
    std::map<int, std::vector<int64_t>> evals;  // closure calls, func_evals, n_iter
};

std::vector<Run> read_golden() {
    const std::string path = std::string(TAPEGRAD_GOLDEN_DIR) + "/lbfgs_rosenbrock.txt";
    std::ifstream file(path);
    REQUIRE_MESSAGE(file.good(), "cannot open " << path);
    std::vector<Run> runs;
    std::string line;
    while (std::getline(file, line)) {
        std::istringstream in(line);
        std::string key;
        if (!(in >> key) || key[0] == '#' || key == "end") continue;
        if (key == "config") {
            runs.emplace_back();
            std::string word;
            in >> word;  // the config's name
            runs.back().options["name"] = word;
            while (in >> word) {
                const auto eq = word.find('=');
                REQUIRE(eq != std::string::npos);
                runs.back().options[word.substr(0, eq)] = word.substr(eq + 1);
            }
            continue;
        }
        REQUIRE_MESSAGE(!runs.empty(), "'" << line << "' before any config");
        int n = 0;
        in >> n;
        if (key == "loss") {
            in >> runs.back().losses[n];
        } else if (key == "step") {
            double v;
            while (in >> v) runs.back().steps[n].push_back(v);
        } else {
            REQUIRE_MESSAGE(key == "evals", "unknown line: " << line);
            int64_t v;
            while (in >> v) runs.back().evals[n].push_back(v);
        }
    }
    return runs;
}

optim::LBFGSOptions options_of(const std::map<std::string, std::string>& o) {
    auto options = optim::LBFGSOptions(std::stod(o.at("lr")))
                       .max_iter(std::stoll(o.at("max_iter")))
                       .max_eval(std::stoll(o.at("max_eval")))
                       .tolerance_grad(std::stod(o.at("tolerance_grad")))
                       .tolerance_change(std::stod(o.at("tolerance_change")))
                       .history_size(std::stoll(o.at("history_size")));
    if (o.at("line_search_fn") != "none") options.line_search_fn(o.at("line_search_fn"));
    return options;
}

// f(x) = sum_{i=0..2} 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2 with x = cat(a, b).
tg::Tensor rosenbrock(const tg::Tensor& a, const tg::Tensor& b) {
    auto x = tg::cat({a, b});
    auto head = x.slice(0, 0, 3), tail = x.slice(0, 1, 4);
    return (100.0 * (tail - head * head).square() + (1.0 - head).square()).sum();
}

// The two parameters of the golden runs and a closure over them.
struct Problem {
    tg::Tensor a = tg::tensor({-1.5, 2.0}, tg::kFloat64).requires_grad_();
    tg::Tensor b = tg::tensor({-1.2, 1.0}, tg::kFloat64).requires_grad_();
    int evaluations = 0;
    optim::Optimizer::LossClosure closure(optim::Optimizer& opt) {
        return [this, &opt] {
            ++evaluations;
            opt.zero_grad();
            auto loss = rosenbrock(a, b);
            loss.backward();
            return loss;
        };
    }
    std::vector<double> x() const {
        auto v = a.to_vector<double>();
        for (double e : b.to_vector<double>()) v.push_back(e);
        return v;
    }
};

bool close(double got, double expected) {
    return std::abs(got - expected) <= 1e-6 * std::max(1.0, std::abs(expected));
}

}  // namespace

TEST_SUITE("optim/lbfgs") {
    TEST_CASE(
        "LBFGS: matches LibTorch's trajectories on Rosenbrock to 1e-6, with and without "
        "strong_wolfe") {
        const auto runs = read_golden();
        REQUIRE(runs.size() >= 5);
        int with_line_search = 0;
        for (const Run& run : runs) {
            INFO("config " << run.options.at("name"));
            with_line_search += run.options.at("line_search_fn") == "strong_wolfe";
            Problem problem;
            optim::LBFGS opt({problem.a, problem.b}, options_of(run.options));
            const auto closure = problem.closure(opt);
            for (const auto& [n, expected] : run.steps) {
                INFO("step " << n);
                const double loss = opt.step(closure).item<double>();
                CHECK(close(loss, run.losses.at(n)));
                const auto x = problem.x();
                REQUIRE(x.size() == expected.size());
                for (size_t i = 0; i < x.size(); ++i) {
                    INFO("x[" << i << "]: got " << x[i] << ", expected " << expected[i]);
                    CHECK(close(x[i], expected[i]));
                }
                const auto& state = static_cast<const optim::LBFGSParamState&>(
                    *opt.state().at(problem.a.unsafeGetTensorImpl()));
                CHECK(std::vector<int64_t>{problem.evaluations, state.func_evals(),
                                           state.n_iter()} == run.evals.at(n));
            }
        }
        CHECK(with_line_search >= 2);
    }

    TEST_CASE(
        "LBFGSOptions: the defaults are LibTorch's, and max_eval is filled in as max_iter * 5 / "
        "4") {
        optim::LBFGSOptions o;
        CHECK(o.lr() == 1);
        CHECK(o.max_iter() == 20);
        CHECK_FALSE(o.max_eval().has_value());
        CHECK(o.tolerance_grad() == 1e-7);
        CHECK(o.tolerance_change() == 1e-9);
        CHECK(o.history_size() == 100);
        CHECK_FALSE(o.line_search_fn().has_value());
        auto p = tg::zeros({2}, tg::kFloat64).requires_grad_();
        optim::LBFGS opt({p}, optim::LBFGSOptions().max_iter(10));
        CHECK(static_cast<const optim::LBFGSOptions&>(opt.defaults()).max_eval() == 12);
        CHECK(static_cast<const optim::LBFGSOptions&>(opt.param_groups()[0].options()).max_eval() ==
              12);
    }

    TEST_CASE("LBFGS: step without a closure is misuse") {
        auto p = tg::zeros({2}, tg::kFloat64).requires_grad_();
        optim::LBFGS opt({p});
        optim::Optimizer& base = opt;
        CHECK_THROWS_WITH_AS(
            base.step(),
            "LBFGS: step needs a closure that zeroes the gradients, computes the loss, "
            "calls backward and returns the loss",
            std::logic_error);
    }

    TEST_CASE("LBFGS: a closure that returns no loss is misuse") {
        auto p = tg::zeros({2}, tg::kFloat64).requires_grad_();
        optim::LBFGS opt({p});
        CHECK_THROWS_WITH_AS(opt.step([] { return tg::Tensor(); }),
                             "LBFGS: the closure must return the loss, a one-element tensor",
                             std::logic_error);
    }

    TEST_CASE("LBFGS: rejects several parameter groups, mixed dtypes and unknown line searches") {
        auto a = tg::zeros({2}, tg::kFloat64).requires_grad_();
        auto b = tg::zeros({2}, tg::kFloat32).requires_grad_();
        std::vector<optim::OptimizerParamGroup> groups{optim::OptimizerParamGroup({a}),
                                                       optim::OptimizerParamGroup({b})};
        CHECK_THROWS_WITH_AS(
            optim::LBFGS(groups, optim::LBFGSOptions()),
            "LBFGS: takes one parameter group, got 2 (LBFGS has no per-group options)",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::LBFGS({a, b}),
                             "LBFGS: parameter 1 is float32 but parameter 0 is float64; all "
                             "parameters must have one dtype",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(
            optim::LBFGS({a}, optim::LBFGSOptions().line_search_fn("backtracking")),
            "LBFGS: line_search_fn must be \"strong_wolfe\" or unset, got "
            "\"backtracking\"",
            std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::LBFGS({a}, optim::LBFGSOptions().history_size(0)),
                             "LBFGS: history_size must be >= 1, got 0", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::LBFGS({a}, optim::LBFGSOptions().max_iter(0)),
                             "LBFGS: max_iter must be >= 1, got 0", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::LBFGS({a}, optim::LBFGSOptions().tolerance_grad(-1)),
                             "LBFGS: tolerance_grad must be >= 0, got -1", std::invalid_argument);
    }

    TEST_CASE("LBFGS: a parameter group added later is refused at the next step") {
        Problem problem;
        optim::LBFGS opt({problem.a});
        opt.add_param_group(optim::OptimizerParamGroup({problem.b}));
        CHECK_THROWS_WITH_AS(opt.step(problem.closure(opt)),
                             "LBFGS: takes one parameter group, has 2", std::logic_error);
    }

    TEST_CASE("LBFGS: stops at once when the gradient is already below tolerance_grad") {
        auto p = tg::ones({3}, tg::kFloat64).requires_grad_();
        optim::LBFGS opt({p});
        int calls = 0;
        auto loss = opt.step([&] {
            ++calls;
            opt.zero_grad();
            auto l = (p - 1.0).square().sum();
            l.backward();
            return l;
        });
        CHECK(calls == 1);
        CHECK(loss.item<double>() == 0.0);
        CHECK(p.to_vector<double>() == std::vector<double>{1, 1, 1});
        const auto& state =
            static_cast<const optim::LBFGSParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        CHECK(state.func_evals() == 1);
        CHECK(state.n_iter() == 0);
    }

    TEST_CASE("LBFGS: keeps the history in its state, at most history_size pairs") {
        Problem problem;
        optim::LBFGS opt({problem.a, problem.b},
                         optim::LBFGSOptions(1).history_size(3).line_search_fn("strong_wolfe"));
        opt.step(problem.closure(opt));
        REQUIRE(opt.state().size() == 1);  // one state, kept for the first parameter
        const auto& state = static_cast<const optim::LBFGSParamState&>(
            *opt.state().at(problem.a.unsafeGetTensorImpl()));
        CHECK(state.old_dirs().size() == 3);
        CHECK(state.old_stps().size() == 3);
        CHECK(state.ro().size() == 3);
        CHECK(state.d().sizes() == std::vector<int64_t>{4});
        CHECK(state.prev_flat_grad().sizes() == std::vector<int64_t>{4});
        CHECK(state.H_diag().dim() == 0);
        CHECK(state.ro()[0].dim() == 0);
        CHECK(state.n_iter() > 3);
    }
}
