// Every case of golden/scheduler_lrs.txt (made by PyTorch, see gen_schedulers.py), replayed:
// each group's lr (and momentum or beta1 where it cycles) after construction and after every
// step must match PyTorch's to 1e-12. A case in the file without a builder here fails.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {

struct Golden {
    std::map<int, std::vector<double>> lrs, momenta;
};

std::map<std::string, Golden> read_golden() {
    const std::string path = std::string(TAPEGRAD_GOLDEN_DIR) + "/scheduler_lrs.txt";
    std::ifstream file(path);
    REQUIRE_MESSAGE(file.good(), "cannot open " << path);
    std::map<std::string, Golden> cases;
    Golden* current = nullptr;
    std::string line;
    while (std::getline(file, line)) {
        std::istringstream in(line);
        std::string key;
        if (!(in >> key) || key[0] == '#') continue;
        if (key == "case") {
            std::string name;
            in >> name;
            current = &cases[name];
        } else if (key == "end") {
            current = nullptr;
        } else {
            REQUIRE_MESSAGE(current != nullptr, "'" << line << "' outside a case");
            int epoch = 0;
            in >> epoch;
            std::vector<double> values;
            double v;
            while (in >> v) values.push_back(v);
            REQUIRE_MESSAGE((key == "lr" || key == "momentum"), "unknown line: " << line);
            (key == "lr" ? current->lrs : current->momenta)[epoch] = values;
        }
    }
    return cases;
}

// An optimizer and its schedulers; the last scheduler is the one stepped.
struct Run {
    std::unique_ptr<optim::Optimizer> opt;
    std::vector<std::unique_ptr<optim::LRScheduler>> schedulers;
    template <class S, class... Args>
    S& add(Args&&... args) {
        auto s = std::make_unique<S>(*opt, std::forward<Args>(args)...);
        S& ref = *s;
        schedulers.push_back(std::move(s));
        return ref;
    }
};

// One parameter group per lr, each with these options (lr set per group).
template <class Options>
std::vector<optim::OptimizerParamGroup> groups(std::vector<double> lrs, Options options) {
    std::vector<optim::OptimizerParamGroup> out;
    for (double lr : lrs)
        out.emplace_back(std::vector<tg::Tensor>{tg::zeros({1}).requires_grad_()},
                         std::make_unique<Options>(Options(options).lr(lr)));
    return out;
}

Run sgd(std::vector<double> lrs, double momentum = 0) {
    Run run;
    auto options = optim::SGDOptions(lrs[0]).momentum(momentum);
    run.opt = std::make_unique<optim::SGD>(groups(lrs, options), options);
    return run;
}

double momentum_of(const optim::OptimizerOptions& o) {
    if (auto* sgd = dynamic_cast<const optim::SGDOptions*>(&o)) return sgd->momentum();
    return std::get<0>(dynamic_cast<const optim::AdamOptions&>(o).betas());
}

using optim::CyclicLR;
using optim::CyclicLROptions;
using optim::OneCycleLR;
using optim::OneCycleLROptions;
using Builder = std::function<Run()>;

// Each case as gen_schedulers.py builds it.
const std::map<std::string, Builder>& builders() {
    static const std::map<std::string, Builder> all{
        {"step_lr",
         [] {
             Run r = sgd({1.0, 0.4});
             r.add<optim::StepLR>(3, 0.5);
             return r;
         }},
        {"multi_step_lr",
         [] {
             Run r = sgd({0.8});
             r.add<optim::MultiStepLR>(std::vector<int64_t>{5, 2, 2}, 0.5);
             return r;
         }},
        {"exponential_lr",
         [] {
             Run r = sgd({0.3});
             r.add<optim::ExponentialLR>(0.7);
             return r;
         }},
        {"cosine_annealing_lr",
         [] {
             Run r = sgd({1.1, 0.5});
             r.add<optim::CosineAnnealingLR>(5, 0.1);
             return r;
         }},
        {"linear_lr",
         [] {
             Run r = sgd({0.1});
             r.add<optim::LinearLR>(0.25, 0.75, 4);
             return r;
         }},
        {"linear_lr_down",
         [] {
             Run r = sgd({0.1});
             r.add<optim::LinearLR>(1.0, 0.2, 5);
             return r;
         }},
        {"lambda_lr",
         [] {
             Run r = sgd({0.5, 0.2});
             r.add<optim::LambdaLR>(std::vector<optim::LRLambda>{
                 [](int64_t e) { return std::pow(0.9, static_cast<double>(e)); },
                 [](int64_t e) { return 1.0 / static_cast<double>(e + 1); }});
             return r;
         }},
        {"multiplicative_lr",
         [] {
             Run r = sgd({1.0});
             r.add<optim::MultiplicativeLR>([](int64_t e) { return e % 2 ? 0.95 : 0.8; });
             return r;
         }},
        {"one_cycle_cos",
         [] {
             Run r = sgd({0.01}, 0.9);
             r.add<OneCycleLR>(OneCycleLROptions(0.1).total_steps(20));
             return r;
         }},
        {"one_cycle_linear_three_phase",
         [] {
             Run r;
             optim::AdamOptions options(0.01);
             r.opt = std::make_unique<optim::Adam>(groups({0.01, 0.01}, options), options);
             r.add<OneCycleLR>(OneCycleLROptions({0.1, 0.05})
                                   .total_steps(16)
                                   .pct_start(0.25)
                                   .anneal_strategy(optim::AnnealStrategy::linear)
                                   .div_factor(10)
                                   .final_div_factor(100)
                                   .three_phase(true)
                                   .base_momentum({0.8})
                                   .max_momentum({0.9}));
             return r;
         }},
        {"one_cycle_epochs_no_momentum",
         [] {
             Run r = sgd({0.01});
             r.add<OneCycleLR>(
                 OneCycleLROptions(0.2).epochs(3).steps_per_epoch(4).pct_start(0.5).cycle_momentum(
                     false));
             return r;
         }},
        {"cyclic_triangular",
         [] {
             Run r = sgd({0.5}, 0.9);
             r.add<CyclicLR>(CyclicLROptions(0.001, 0.01).step_size_up(3).step_size_down(2));
             return r;
         }},
        {"cyclic_triangular2",
         [] {
             Run r = sgd({0.5, 0.5});
             r.add<CyclicLR>(CyclicLROptions({0.01, 0.02}, {0.1, 0.04})
                                 .step_size_up(2)
                                 .mode(optim::CyclicMode::triangular2)
                                 .cycle_momentum(false));
             return r;
         }},
        {"cyclic_exp_range",
         [] {
             Run r = sgd({0.5}, 0.5);
             r.add<CyclicLR>(CyclicLROptions(0.01, 0.1)
                                 .step_size_up(3)
                                 .mode(optim::CyclicMode::exp_range)
                                 .gamma(0.9)
                                 .base_momentum({0.7})
                                 .max_momentum({0.95}));
             return r;
         }},
        {"cyclic_scale_fn",
         [] {
             Run r = sgd({0.5});
             r.add<CyclicLR>(CyclicLROptions(0.01, 0.1)
                                 .step_size_up(2)
                                 .step_size_down(4)
                                 .scale_fn([](double x) { return 1.0 / (1.0 + 0.1 * x); })
                                 .scale_mode(optim::ScaleMode::iterations)
                                 .cycle_momentum(false));
             return r;
         }},
        {"sequential_two",
         [] {
             Run r = sgd({1.0});
             auto& warmup = r.add<optim::LinearLR>(0.2, 1.0, 3);
             auto& decay = r.add<optim::ExponentialLR>(0.9);
             r.add<optim::SequentialLR>(optim::SchedulerList{warmup, decay},
                                        std::vector<int64_t>{3});
             return r;
         }},
        {"sequential_three",
         [] {
             Run r = sgd({1.0, 0.5});
             auto& a = r.add<optim::LinearLR>(0.5, 1.0, 2);
             auto& b = r.add<optim::StepLR>(2, 0.5);
             auto& c = r.add<optim::CosineAnnealingLR>(4, 0.01);
             r.add<optim::SequentialLR>(optim::SchedulerList{a, b, c}, std::vector<int64_t>{2, 6});
             return r;
         }},
        {"chained",
         [] {
             Run r = sgd({1.0});
             auto& a = r.add<optim::LinearLR>(0.5, 1.0, 4);
             auto& b = r.add<optim::ExponentialLR>(0.9);
             r.schedulers.push_back(
                 std::make_unique<optim::ChainedScheduler>(optim::SchedulerList{a, b}));
             return r;
         }},
        {"chained_step_multistep",
         [] {
             Run r = sgd({2.0, 1.0});
             auto& a = r.add<optim::StepLR>(3, 0.5);
             auto& b = r.add<optim::MultiStepLR>(std::vector<int64_t>{2, 5}, 0.1);
             auto& c = r.add<optim::MultiplicativeLR>([](int64_t) { return 0.99; });
             r.schedulers.push_back(
                 std::make_unique<optim::ChainedScheduler>(optim::SchedulerList{a, b, c}));
             return r;
         }},
    };
    return all;
}

void check_values(const char* what, int epoch, const std::vector<double>& got,
                  const std::vector<double>& expected) {
    REQUIRE(got.size() == expected.size());
    for (size_t g = 0; g < got.size(); ++g) {
        INFO(what << " of group " << g << " at epoch " << epoch << ": got " << got[g]
                  << ", expected " << expected[g]);
        CHECK(std::abs(got[g] - expected[g]) <= 1e-12 * std::max(1.0, std::abs(expected[g])));
    }
}

}  // namespace

TEST_SUITE("optim/scheduler_golden") {
    TEST_CASE("schedulers: every sequence from PyTorch is matched, momentum included") {
        const auto cases = read_golden();
        REQUIRE(cases.size() >= 19);
        for (const auto& [name, golden] : cases) {
            INFO("case " << name);
            auto it = builders().find(name);
            REQUIRE_MESSAGE(it != builders().end(), "no builder for case " << name);
            Run run = it->second();
            const int last = golden.lrs.rbegin()->first;
            for (int epoch = 0; epoch <= last; ++epoch) {
                if (epoch > 0) run.schedulers.back()->step();
                std::vector<double> lrs, momenta;
                for (const auto& group : run.opt->param_groups()) {
                    lrs.push_back(group.options().get_lr());
                    if (!golden.momenta.empty()) momenta.push_back(momentum_of(group.options()));
                }
                check_values("lr", epoch, lrs, golden.lrs.at(epoch));
                check_values("get_last_lr", epoch, run.schedulers.back()->get_last_lr(),
                             golden.lrs.at(epoch));
                if (!golden.momenta.empty())
                    check_values("momentum", epoch, momenta, golden.momenta.at(epoch));
            }
        }
    }
}
