// Every optimizer configuration in golden/optim_trajectories.txt, replayed and compared to
// PyTorch's trajectory step by step. The configs are parsed generically, so a config added to
// the file is tested too; an option this parser does not know fails the test.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {

struct Trajectory {
    std::string config;                        // the whole 'config ...' line
    std::map<int, double> losses;              // loss before step N
    std::map<int, std::vector<double>> steps;  // p after step N
    std::vector<double> c, p0;
    double k = 0;
};

std::vector<double> numbers(std::istringstream& in) {
    std::vector<double> v;
    double x;
    while (in >> x) v.push_back(x);
    return v;
}

std::vector<Trajectory> read_golden(const std::string& path) {
    std::ifstream file(path);
    REQUIRE_MESSAGE(file.good(), "cannot open " << path);
    std::vector<Trajectory> runs;
    std::vector<double> c, p0;
    double k = 0;
    Trajectory* run = nullptr;
    std::string line;
    while (std::getline(file, line)) {
        std::istringstream in(line);
        std::string key;
        if (!(in >> key) || key[0] == '#') continue;
        if (key == "c")
            c = numbers(in);
        else if (key == "k")
            in >> k;
        else if (key == "p0")
            p0 = numbers(in);
        else if (key == "config") {
            runs.push_back(Trajectory{line, {}, {}, c, p0, k});
            run = &runs.back();
        } else if (key == "end") {
            run = nullptr;
        } else if (key == "loss" || key == "step") {
            REQUIRE_MESSAGE(run != nullptr, "'" << line << "' outside a config");
            int n = 0;
            in >> n;
            auto values = numbers(in);
            if (key == "loss")
                run->losses[n] = values.at(0);
            else
                run->steps[n] = values;
        } else {
            FAIL("unknown line in the golden file: " << line);
        }
    }
    return runs;
}

// The options of one config line: "adam lr=0.1 betas=0.8,0.95 amsgrad=true".
class ConfigOptions {
public:
    explicit ConfigOptions(const std::string& line) {
        std::istringstream in(line);
        std::string word;
        in >> word >> name_;
        while (in >> word) {
            auto eq = word.find('=');
            REQUIRE_MESSAGE(eq != std::string::npos, "bad option '" << word << "'");
            values_[word.substr(0, eq)] = word.substr(eq + 1);
        }
    }
    const std::string& name() const { return name_; }
    double number(const std::string& key, double fallback) {
        auto it = values_.find(key);
        if (it == values_.end()) return fallback;
        double v = std::stod(it->second);
        values_.erase(it);
        return v;
    }
    bool flag(const std::string& key, bool fallback) {
        auto it = values_.find(key);
        if (it == values_.end()) return fallback;
        REQUIRE((it->second == "true" || it->second == "false"));
        bool v = it->second == "true";
        values_.erase(it);
        return v;
    }
    std::tuple<double, double> pair(const std::string& key, std::tuple<double, double> fallback) {
        auto it = values_.find(key);
        if (it == values_.end()) return fallback;
        auto comma = it->second.find(',');
        REQUIRE(comma != std::string::npos);
        auto v = std::make_tuple(std::stod(it->second.substr(0, comma)),
                                 std::stod(it->second.substr(comma + 1)));
        values_.erase(it);
        return v;
    }
    // Every option must have been used: an unknown one would silently change nothing.
    void check_all_used() const {
        for (const auto& [key, value] : values_) FAIL("option " << key << " is not understood");
    }

private:
    std::string name_;
    std::map<std::string, std::string> values_;
};

std::unique_ptr<optim::Optimizer> make_optimizer(ConfigOptions o, std::vector<tg::Tensor> params) {
    std::unique_ptr<optim::Optimizer> opt;
    if (o.name() == "sgd") {
        auto options = optim::SGDOptions(o.number("lr", -1))
                           .momentum(o.number("momentum", 0))
                           .dampening(o.number("dampening", 0))
                           .weight_decay(o.number("weight_decay", 0))
                           .nesterov(o.flag("nesterov", false));
        opt = std::make_unique<optim::SGD>(params, options);
    } else if (o.name() == "adagrad") {
        auto options = optim::AdagradOptions(o.number("lr", 1e-2))
                           .lr_decay(o.number("lr_decay", 0))
                           .weight_decay(o.number("weight_decay", 0))
                           .initial_accumulator_value(o.number("initial_accumulator_value", 0))
                           .eps(o.number("eps", 1e-10));
        opt = std::make_unique<optim::Adagrad>(params, options);
    } else if (o.name() == "rmsprop") {
        auto options = optim::RMSpropOptions(o.number("lr", 1e-2))
                           .alpha(o.number("alpha", 0.99))
                           .eps(o.number("eps", 1e-8))
                           .weight_decay(o.number("weight_decay", 0))
                           .momentum(o.number("momentum", 0))
                           .centered(o.flag("centered", false));
        opt = std::make_unique<optim::RMSprop>(params, options);
    } else if (o.name() == "adam") {
        auto options = optim::AdamOptions(o.number("lr", 1e-3))
                           .betas(o.pair("betas", {0.9, 0.999}))
                           .eps(o.number("eps", 1e-8))
                           .weight_decay(o.number("weight_decay", 0))
                           .amsgrad(o.flag("amsgrad", false));
        opt = std::make_unique<optim::Adam>(params, options);
    } else if (o.name() == "adamw") {
        auto options = optim::AdamWOptions(o.number("lr", 1e-3))
                           .betas(o.pair("betas", {0.9, 0.999}))
                           .eps(o.number("eps", 1e-8))
                           .weight_decay(o.number("weight_decay", 1e-2))
                           .amsgrad(o.flag("amsgrad", false));
        opt = std::make_unique<optim::AdamW>(params, options);
    } else {
        FAIL("unknown optimizer " << o.name());
    }
    o.check_all_used();
    return opt;
}

bool close(double got, double expected) {
    return std::abs(got - expected) <= 1e-10 * std::max(1.0, std::abs(expected));
}

}  // namespace

TEST_SUITE("optim/trajectories") {
    TEST_CASE("optimizers: every golden trajectory from PyTorch is matched to 1e-10 in float64") {
        const auto runs = read_golden(std::string(TAPEGRAD_GOLDEN_DIR) + "/optim_trajectories.txt");
        REQUIRE(runs.size() >= 11);
        for (const auto& run : runs) {
            INFO(run.config);
            REQUIRE(!run.steps.empty());
            REQUIRE(run.c.size() == run.p0.size());
            auto c = tg::tensor(run.c, tg::kFloat64);
            auto p = tg::tensor(run.p0, tg::kFloat64).requires_grad_();
            auto opt = make_optimizer(ConfigOptions(run.config), {p});
            const int last = run.steps.rbegin()->first;
            for (int n = 1; n <= last; ++n) {
                INFO("step " << n);
                opt->zero_grad();
                auto loss = (c * p.square() + (p * run.k).sin()).sum();
                loss.backward();
                if (run.losses.count(n)) CHECK(close(loss.item<double>(), run.losses.at(n)));
                opt->step();
                if (!run.steps.count(n)) continue;
                const auto got = p.to_vector<double>();
                const auto& expected = run.steps.at(n);
                REQUIRE(got.size() == expected.size());
                for (size_t i = 0; i < got.size(); ++i) {
                    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
                    CHECK(close(got[i], expected[i]));
                }
            }
        }
    }
}
