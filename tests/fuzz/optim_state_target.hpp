#pragma once
// The optimizer-state reader's fuzz target, shared by the libFuzzer program
// (fuzz_optim_state.cpp) and the replay of its seeds in the regular suite
// (tests/optim/fuzz_seeds_test.cpp): optim::load into three fixed optimizers (Adam with two
// groups and amsgrad, SGD with momentum, LBFGS with a history). Every input must load or raise
// std::invalid_argument or std::runtime_error; a failed load must leave the optimizer as it
// was; a loaded optimizer must take a step.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tapegrad_fuzz {

using namespace tapegrad;

/// A promise of the reader was broken (not one of the errors it may raise).
struct InvariantBroken : std::logic_error {
    using std::logic_error::logic_error;
};

// The optimizers the seeds are written for, each made afresh for every input.
struct Targets {
    Tensor w = zeros({2, 3}).requires_grad_(), b = zeros({3}, kFloat64).requires_grad_();
    Tensor w2 = zeros({2, 3}).requires_grad_(), b2 = zeros({3}).requires_grad_();
    Tensor u = zeros({3}, kFloat64).requires_grad_(), v = zeros({2}, kFloat64).requires_grad_();
    std::unique_ptr<optim::Adam> adam;
    std::unique_ptr<optim::SGD> sgd;
    std::unique_ptr<optim::LBFGS> lbfgs;
    Targets() {
        std::vector<optim::OptimizerParamGroup> groups;
        groups.emplace_back(std::vector<Tensor>{w});
        groups.emplace_back(std::vector<Tensor>{b}, std::make_unique<optim::AdamOptions>(
                                                        optim::AdamOptions(0.01).amsgrad(true)));
        adam = std::make_unique<optim::Adam>(groups, optim::AdamOptions(0.1));
        sgd = std::make_unique<optim::SGD>(std::vector<Tensor>{w2, b2},
                                           optim::SGDOptions(0.1).momentum(0.9));
        lbfgs = std::make_unique<optim::LBFGS>(std::vector<Tensor>{u, v},
                                               optim::LBFGSOptions(1).history_size(3));
    }
};

// Every option and state value of an optimizer, as bytes: what a failed load must not change.
struct Fingerprint final : optim::FieldVisitor {
    std::vector<uint8_t> bytes;
    void add(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + n);
    }
    void number(const char*, double& value, optim::Range) override { add(&value, sizeof value); }
    void flag(const char*, bool& value) override { add(&value, sizeof value); }
    void count(const char*, int64_t& value) override { add(&value, sizeof value); }
    void text(const char*, std::optional<std::string>& value) override {
        if (value) add(value->data(), value->size());
    }
    void tensor(const char*, Tensor& value, bool, optim::StateShape) override {
        if (value.defined()) add(value.raw_data(), value.numel() * element_size(value.dtype()));
    }
    void tensors(const char* name, std::deque<Tensor>& values, optim::StateShape shape) override {
        for (Tensor& t : values) tensor(name, t, true, shape);
    }
};

inline std::vector<uint8_t> fingerprint(optim::Optimizer& opt) {
    Fingerprint f;
    for (auto& group : opt.param_groups()) group.options().visit(f);
    for (auto& group : opt.param_groups())
        for (const Tensor& p : group.params()) {
            auto it = opt.state().find(p.unsafeGetTensorImpl());
            if (it != opt.state().end()) it->second->visit(f);
        }
    return f.bytes;
}

// A step after a successful load, with gradients (or a closure) of its own.
inline void take_step(optim::Optimizer& opt) {
    if (auto* lbfgs = dynamic_cast<optim::LBFGS*>(&opt)) {
        const auto& o = static_cast<const optim::LBFGSOptions&>(lbfgs->param_groups()[0].options());
        if (o.max_iter() > 50 || o.max_eval().value_or(0) > 60) return;  // legal, but slow
        const auto& params = lbfgs->param_groups()[0].params();
        try {
            lbfgs->step([&] {
                lbfgs->zero_grad();
                auto loss = (params[0] - 1.0).square().sum() + (params[1] + 2.0).square().sum();
                loss.backward();
                return loss;
            });
        } catch (const std::logic_error& e) {
            // a history whose lists disagree in length loads (each list is fine) and is
            // refused here, by name
            if (std::string(e.what()).find("LBFGS: the state") != 0) throw;
        }
        return;
    }
    for (auto& group : opt.param_groups())
        for (Tensor& p : group.params()) p.set_grad(ones_like(p));
    opt.step();
}

/// Loads the file at `path` into each target and checks the promises; returns the names of the
/// optimizers that loaded it. A broken promise throws InvariantBroken.
inline std::vector<std::string> try_load_optim_state(const std::string& path) {
    std::vector<std::string> loaded_into;
    Targets targets;
    for (optim::Optimizer* opt : {static_cast<optim::Optimizer*>(targets.adam.get()),
                                  static_cast<optim::Optimizer*>(targets.sgd.get()),
                                  static_cast<optim::Optimizer*>(targets.lbfgs.get())}) {
        const std::vector<uint8_t> before = fingerprint(*opt);
        bool loaded = false;
        try {
            optim::load(*opt, path);
            loaded = true;
        } catch (const std::invalid_argument&) {
        } catch (const std::runtime_error&) {
        }
        if (!loaded) {
            if (fingerprint(*opt) != before)
                throw InvariantBroken(std::string("a failed load changed the state of ") +
                                      opt->name());
            continue;
        }
        loaded_into.push_back(opt->name());
        take_step(*opt);
    }
    return loaded_into;
}

}  // namespace tapegrad_fuzz
