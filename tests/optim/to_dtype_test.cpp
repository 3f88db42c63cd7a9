// Optimizer state survives model->to(kFloat64): every optimizer that keeps state trains a few
// steps in float32, the module is converted, and training goes on. The run must continue
// exactly as a float64 run started from the converted parameters and the converted state.
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {

using MakeOptimizer =
    std::function<std::unique_ptr<optim::Optimizer>(const std::vector<tg::Tensor>&)>;

// Converts every tensor of a (cloned) state, as the optimizer must do by itself.
struct ToFloat64 final : optim::FieldVisitor {
    void tensor(const char*, tg::Tensor& t, bool, optim::StateShape) override {
        if (t.defined()) t = t.to(tg::kFloat64);
    }
    void tensors(const char*, std::deque<tg::Tensor>& list, optim::StateShape) override {
        for (auto& t : list) t = t.to(tg::kFloat64);
    }
};

struct Data {
    tg::Tensor x, y;
};

Data data(tg::ScalarType dtype) {
    auto x =
        tg::tensor({{0.5, -1.0, 2.0}, {1.5, 0.3, -0.7}, {-0.2, 0.9, 0.4}, {1.1, -1.3, 0.8}}, dtype);
    auto y = tg::tensor({{1.0, -0.5}, {0.2, 0.7}, {-1.0, 0.3}, {0.6, 0.1}}, dtype);
    return {x, y};
}

// One optimizer step on mse(model(x), y); LBFGS gets its closure, the others run it first.
void train_step(optim::Optimizer& opt, tg::nn::Linear& model, const Data& d) {
    auto closure = [&] {
        opt.zero_grad();
        auto loss = tg::nn::functional::mse_loss(model(d.x), d.y);
        loss.backward();
        return loss;
    };
    opt.step(closure);
}

void check_continues_as_float64(const std::string& name, const MakeOptimizer& make) {
    INFO(name);
    tg::manual_seed(3);
    tg::nn::Linear model(3, 2);
    const auto params = model->parameters();
    auto opt = make(params);
    for (int i = 0; i < 3; ++i) train_step(*opt, model, data(tg::kFloat32));

    // the reference: a float64 model and optimizer made from the converted values and state
    tg::nn::Linear reference(3, 2);
    reference->to(tg::kFloat64);
    const auto ref_params = reference->parameters();
    {
        tg::NoGradGuard no_grad;
        for (size_t i = 0; i < params.size(); ++i) ref_params[i].copy_(params[i].to(tg::kFloat64));
    }
    auto ref_opt = make(ref_params);
    for (size_t i = 0; i < params.size(); ++i) {
        auto it = opt->state().find(params[i].unsafeGetTensorImpl());
        if (it == opt->state().end()) continue;
        auto state = it->second->clone();
        ToFloat64 convert;
        state->visit(convert);
        ref_opt->state()[ref_params[i].unsafeGetTensorImpl()] = std::move(state);
    }
    REQUIRE(opt->state().size() > 0);

    model->to(tg::kFloat64);
    // the module's parameters kept their identity, so the optimizer still holds them
    for (size_t i = 0; i < params.size(); ++i) {
        CHECK(model->parameters()[i].is_same(params[i]));
        CHECK(params[i].dtype() == tg::kFloat64);
    }
    for (int i = 0; i < 3; ++i) {
        train_step(*opt, model, data(tg::kFloat64));
        train_step(*ref_opt, reference, data(tg::kFloat64));
    }
    for (size_t i = 0; i < params.size(); ++i) {
        INFO("parameter " << i);
        CHECK(params[i].equal(ref_params[i]));
    }
    // and the state is float64 now
    struct DtypeCheck final : optim::FieldVisitor {
        void tensor(const char* field, tg::Tensor& t, bool, optim::StateShape) override {
            INFO(field);
            if (t.defined()) CHECK(t.dtype() == tg::kFloat64);
        }
    } dtype_check;
    for (auto& entry : opt->state()) entry.second->visit(dtype_check);

    // and back to float32: the next step converts the state again
    model->to(tg::kFloat32);
    train_step(*opt, model, data(tg::kFloat32));
    CHECK(params[0].dtype() == tg::kFloat32);
}

}  // namespace

TEST_SUITE("optim/to_dtype") {
    TEST_CASE(
        "Module::to(kFloat64) between steps: every optimizer with state continues the float64 "
        "run") {
        check_continues_as_float64("SGD", [](const std::vector<tg::Tensor>& p) {
            return std::make_unique<optim::SGD>(
                p, optim::SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01));
        });
        check_continues_as_float64("Adagrad", [](const std::vector<tg::Tensor>& p) {
            return std::make_unique<optim::Adagrad>(
                p, optim::AdagradOptions(0.1).lr_decay(0.01).initial_accumulator_value(0.1));
        });
        check_continues_as_float64("RMSprop", [](const std::vector<tg::Tensor>& p) {
            return std::make_unique<optim::RMSprop>(
                p, optim::RMSpropOptions(0.01).momentum(0.5).centered(true));
        });
        check_continues_as_float64("Adam", [](const std::vector<tg::Tensor>& p) {
            return std::make_unique<optim::Adam>(
                p, optim::AdamOptions(0.05).amsgrad(true).weight_decay(0.1));
        });
        check_continues_as_float64("AdamW", [](const std::vector<tg::Tensor>& p) {
            return std::make_unique<optim::AdamW>(p, optim::AdamWOptions(0.05));
        });
        check_continues_as_float64("LBFGS", [](const std::vector<tg::Tensor>& p) {
            return std::make_unique<optim::LBFGS>(
                p, optim::LBFGSOptions(0.5).max_iter(4).history_size(3).line_search_fn(
                       "strong_wolfe"));
        });
    }

    TEST_CASE("Optimizer: a parameter whose shape changed since the last step is refused") {
        auto p = tg::zeros({2}, tg::kFloat64).requires_grad_();
        optim::Adam opt({p}, optim::AdamOptions(0.1));
        (p * 2.0).sum().backward();
        opt.step();
        {
            tg::NoGradGuard no_grad;
            p.set_data(tg::zeros({3}, tg::kFloat64));
        }
        opt.zero_grad(/*set_to_none=*/true);
        (p * 2.0).sum().backward();
        CHECK_THROWS_WITH_AS(
            opt.step(),
            "Adam: parameter 0 has shape [3] but its state exp_avg has shape [2]; a "
            "parameter cannot change shape between steps",
            std::logic_error);
    }
}
