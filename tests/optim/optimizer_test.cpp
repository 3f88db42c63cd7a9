#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
tg::Tensor param(std::vector<double> values) {
    return tg::tensor(values, tg::kFloat64).requires_grad_();
}
}  // namespace

TEST_SUITE("optim/optimizer") {
    TEST_CASE("Optimizer: rejects an empty parameter list") {
        CHECK_THROWS_WITH_AS(optim::SGD(std::vector<tg::Tensor>{}, optim::SGDOptions(0.1)),
                             "Optimizer: got an empty parameter list", std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects a parameter that is not a leaf, naming the op that made it") {
        auto a = param({1.0}), b = param({2.0});
        auto c = a * b;
        CHECK_THROWS_WITH_AS(optim::SGD({a, b, c}, optim::SGDOptions(0.1)),
                             "Optimizer: parameter 2 is not a leaf tensor (made by mul); optimize "
                             "leaves such as model parameters",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects an int64 parameter") {
        auto a = param({1.0});
        auto n = tg::tensor({1, 2, 3});
        CHECK_THROWS_WITH_AS(optim::Adam({a, n}),
                             "Optimizer: parameter 1 has dtype int64; only float32 and float64 "
                             "tensors can be optimized",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects an undefined parameter") {
        CHECK_THROWS_WITH_AS(optim::Adam({param({1.0}), tg::Tensor()}),
                             "Optimizer: parameter 1 is an undefined tensor",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: rejects a tensor given twice, also across groups") {
        auto a = param({1.0}), b = param({2.0});
        CHECK_THROWS_WITH_AS(
            optim::SGD({a, b, a}, optim::SGDOptions(0.1)),
            "Optimizer: parameter 2 is the same tensor as parameter 0; a tensor can "
            "be optimized only once",
            std::invalid_argument);
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(
            opt.add_param_group(optim::OptimizerParamGroup({b, a})),
            "Optimizer: parameter 1 of group 1 is the same tensor as parameter 0; a "
            "tensor can be optimized only once",
            std::invalid_argument);
        CHECK(opt.param_groups().size() == 1);
    }

    TEST_CASE("Optimizer: rejects a group whose options belong to another optimizer") {
        auto a = param({1.0}), b = param({2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(opt.add_param_group(optim::OptimizerParamGroup(
                                 {b}, std::make_unique<optim::AdamOptions>())),
                             "Optimizer: parameter group 1 has options made for another optimizer",
                             std::invalid_argument);
    }

    TEST_CASE("Optimizer: checks the options of an added group") {
        auto a = param({1.0}), b = param({2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(opt.add_param_group(optim::OptimizerParamGroup(
                                 {b}, std::make_unique<optim::SGDOptions>(-2.0))),
                             "SGD: learning rate must be >= 0, got -2", std::invalid_argument);
    }

    TEST_CASE("Optimizer: step rejects a gradient whose shape differs from its parameter's") {
        auto a = param({1.0, 2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        a.mutable_grad() = tg::zeros({2}, tg::kFloat32);  // set_grad itself refuses this
        CHECK_THROWS_WITH_AS(opt.step(),
                             "SGD: parameter 0 is float64 [2] but its gradient is float32 [2]",
                             std::logic_error);
    }

    TEST_CASE("OptimizerParamGroup: options() of a group without options is misuse") {
        optim::OptimizerParamGroup group({param({1.0})});
        CHECK_FALSE(group.has_options());
        CHECK_THROWS_WITH_AS(group.options(), "OptimizerParamGroup: this group has no options yet",
                             std::logic_error);
    }

    TEST_CASE(
        "Optimizer: groups keep their own options, and groups without options take the defaults") {
        auto a = param({1.0}), b = param({1.0}), c = param({1.0});
        std::vector<optim::OptimizerParamGroup> groups;
        groups.emplace_back(std::vector<tg::Tensor>{a});
        groups.emplace_back(std::vector<tg::Tensor>{b}, std::make_unique<optim::SGDOptions>(0.5));
        optim::SGD opt(groups, optim::SGDOptions(0.1));
        opt.add_param_group(
            optim::OptimizerParamGroup({c}, std::make_unique<optim::SGDOptions>(0.25)));
        REQUIRE(opt.param_groups().size() == 3);
        CHECK(opt.size() == 3);
        CHECK(opt.param_groups()[0].options().get_lr() == 0.1);
        CHECK(opt.param_groups()[1].options().get_lr() == 0.5);
        CHECK(opt.param_groups()[2].options().get_lr() == 0.25);
        // d/dp of 2p is 2, so each parameter moves by 2 * its group's lr
        (2.0 * (a + b + c)).sum().backward();
        opt.step();
        CHECK(a.item<double>() == doctest::Approx(1.0 - 0.2));
        CHECK(b.item<double>() == doctest::Approx(1.0 - 1.0));
        CHECK(c.item<double>() == doctest::Approx(1.0 - 0.5));
    }

    TEST_CASE(
        "Optimizer: zero_grad zeroes gradients in place by default (LibTorch 1.13), or releases "
        "them with set_to_none") {
        auto a = param({1.0, 2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        (a * a).sum().backward();
        const tg::Tensor grad = a.grad();
        CHECK(grad.to_vector<double>() == std::vector<double>{2.0, 4.0});
        opt.zero_grad();
        REQUIRE(a.grad().defined());
        CHECK(a.grad().is_same(grad));
        CHECK(a.grad().to_vector<double>() == std::vector<double>{0.0, 0.0});
        opt.zero_grad(/*set_to_none=*/false);
        CHECK(a.grad().is_same(grad));
        opt.zero_grad(/*set_to_none=*/true);
        CHECK_FALSE(a.grad().defined());
    }

    TEST_CASE("Optimizer: zero_grad cuts a gradient made with create_graph from its graph") {
        auto a = param({3.0});
        optim::SGD opt({a}, optim::SGDOptions(0.1));
        (a * a * a).sum().backward(tg::Tensor(), /*retain_graph=*/true, /*create_graph=*/true);
        REQUIRE_FALSE(a.grad().is_leaf());
        opt.zero_grad(/*set_to_none=*/false);
        CHECK(a.grad().is_leaf());
        CHECK(a.grad().item<double>() == 0.0);
    }

    TEST_CASE("Optimizer: step skips parameters without a gradient and makes no state for them") {
        auto a = param({1.0}), b = param({1.0});
        optim::Adam opt({a, b}, optim::AdamOptions(0.1));
        (a * 3.0).sum().backward();
        opt.step();
        CHECK(b.item<double>() == 1.0);
        CHECK(a.item<double>() < 1.0);
        CHECK(opt.state().count(a.unsafeGetTensorImpl()) == 1);
        CHECK(opt.state().count(b.unsafeGetTensorImpl()) == 0);
    }

    TEST_CASE("Optimizer: step updates in place without recording on the tape") {
        auto a = param({1.0, -1.0});
        const auto storage_before = a.raw_data();
        optim::SGD opt({a}, optim::SGDOptions(0.5).momentum(0.9));
        (a * a).sum().backward();
        opt.step();
        CHECK(a.is_leaf());
        CHECK(a.requires_grad());
        CHECK(a.raw_data() == storage_before);
        CHECK(a.to_vector<double>() == std::vector<double>{0.0, 0.0});
        const auto& state =
            static_cast<const optim::SGDParamState&>(*opt.state().at(a.unsafeGetTensorImpl()));
        CHECK_FALSE(state.momentum_buffer().requires_grad());
    }

    TEST_CASE(
        "Optimizer: step(closure) evaluates the closure with grad mode on and returns its loss") {
        auto a = param({2.0});
        optim::SGD opt({a}, optim::SGDOptions(0.25));
        int calls = 0;
        auto closure = [&] {
            ++calls;
            opt.zero_grad();
            auto loss = (a * a).sum();
            loss.backward();
            return loss;
        };
        tg::NoGradGuard no_grad;  // the closure must still record its forward
        auto loss = opt.step(closure);
        CHECK(calls == 1);
        CHECK(loss.item<double>() == 4.0);
        CHECK(a.item<double>() == 2.0 - 0.25 * 4.0);
        CHECK_FALSE(opt.step().defined());
    }

    TEST_CASE("Optimizer: state() holds LibTorch's per-parameter state objects, worked by hand") {
        // one Adam step on loss = sum(p^2) from p = [1, -2]: g = [2, -4]
        auto p = param({1.0, -2.0});
        optim::Adam opt({p}, optim::AdamOptions(0.1).betas({0.8, 0.9}));
        (p * p).sum().backward();
        opt.step();
        auto& state = static_cast<optim::AdamParamState&>(*opt.state()[p.unsafeGetTensorImpl()]);
        CHECK(state.step() == 1);
        CHECK(state.exp_avg().to_vector<double>() ==
              std::vector<double>{(1 - 0.8) * 2, (1 - 0.8) * -4});
        CHECK(state.exp_avg_sq().to_vector<double>()[1] ==
              doctest::Approx(0.1 * 16).epsilon(1e-15));
        CHECK_FALSE(state.max_exp_avg_sq().defined());
        CHECK(opt.defaults().get_lr() == 0.1);
        CHECK(std::get<0>(static_cast<const optim::AdamOptions&>(opt.defaults()).betas()) == 0.8);
    }

    TEST_CASE("OptimizerParamState: clone() copies the tensors, not the handles") {
        auto p = param({1.0, -2.0});
        optim::RMSprop opt({p}, optim::RMSpropOptions(0.1).momentum(0.5));
        (p * p).sum().backward();
        opt.step();
        const auto& state =
            static_cast<const optim::RMSpropParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        auto copy = state.clone();
        const auto& c = static_cast<const optim::RMSpropParamState&>(*copy);
        CHECK(c.step() == 1);
        CHECK_FALSE(c.square_avg().is_same(state.square_avg()));
        CHECK(c.square_avg().equal(state.square_avg()));
        CHECK_FALSE(c.momentum_buffer().is_same(state.momentum_buffer()));
        CHECK(c.momentum_buffer().equal(state.momentum_buffer()));
        CHECK_FALSE(c.grad_avg().defined());
    }

    namespace {
    // An optimizer written as a user would on top of the skeleton: sign SGD with a step counter.
    struct SignSGDOptions : optim::OptimizerOptionsBase<SignSGDOptions> {
        SignSGDOptions(double lr) : lr_(lr) {}  // NOLINT
        TAPEGRAD_ARG(double, lr);

    public:
        static constexpr const char* optimizer_name = "SignSGD";
        void visit(optim::FieldVisitor& visitor) override {
            visitor.number("lr", lr_, optim::Range::non_negative);
        }
    };
    struct SignSGDState : optim::OptimizerCloneableParamState<SignSGDState> {
        TAPEGRAD_ARG(int64_t, step) = 0;

    public:
        void visit(optim::FieldVisitor& visitor) override { visitor.count("step", step_); }
    };
    class SignSGD : public optim::TypedOptimizer<SignSGDOptions, SignSGDState> {
    public:
        using TypedOptimizer::TypedOptimizer;

    protected:
        void update(const tg::Tensor& p, const tg::Tensor& grad, const SignSGDOptions& options,
                    SignSGDState* state) override {
            state->step(state->step() + 1);
            p.sub_(grad / grad.abs() * options.lr());  // no zero gradients in this test
        }
    };
    }  // namespace

    TEST_CASE(
        "TypedOptimizer: an optimizer that writes only its update rule gets groups, checks and "
        "state") {
        auto a = param({1.0, -2.0}), b = param({3.0});
        SignSGD opt({a, b}, SignSGDOptions(0.5));
        CHECK(std::string(opt.name()) == "SignSGD");
        (a * a).sum().backward();  // b has no gradient: skipped, no state
        opt.step();
        CHECK(a.to_vector<double>() == std::vector<double>{0.5, -1.5});
        CHECK(b.item<double>() == 3.0);
        CHECK(opt.state().size() == 1);
        CHECK_THROWS_WITH_AS(SignSGD({a}, SignSGDOptions(-1)),
                             "SignSGD: learning rate must be >= 0, got -1", std::invalid_argument);
    }

    namespace {
    // An optimizer written as for LibTorch: only step(), on the public members.
    class HalfStep : public optim::Optimizer {
    public:
        HalfStep(std::vector<tg::Tensor> params)
            : Optimizer(std::move(params), std::make_unique<optim::SGDOptions>(0.5)) {}
        tg::Tensor step(LossClosure closure = nullptr) override {
            tg::NoGradGuard no_grad;
            for (auto& group : param_groups())
                for (auto& p : group.params())
                    if (p.grad().defined()) p.sub_(p.grad() * group.options().get_lr());
            return closure ? closure() : tg::Tensor();
        }
    };
    }  // namespace

    TEST_CASE("Optimizer: a subclass written as for LibTorch, with its own step(), works") {
        auto a = param({1.0});
        HalfStep opt({a});
        CHECK(std::string(opt.name()) == "Optimizer");
        (a * 4.0).sum().backward();
        opt.step();
        CHECK(a.item<double>() == -1.0);
    }

    TEST_CASE(
        "Optimizer: a non-contiguous parameter (a transposed view) steps as a contiguous one") {
        auto base = tg::tensor({{1.0, 2.0, 3.0}, {4.0, -5.0, 6.0}}, tg::kFloat64);
        auto p = base.t().requires_grad_();  // [3, 2], a view of base's storage
        REQUIRE_FALSE(p.is_contiguous());
        auto q = p.detach().clone().requires_grad_();
        REQUIRE(q.is_contiguous());
        const auto w = tg::tensor({{0.5, -1.0}, {2.0, 0.25}, {-0.75, 1.5}}, tg::kFloat64);
        optim::Adam opt_p({p}, optim::AdamOptions(0.1).amsgrad(true));
        optim::Adam opt_q({q}, optim::AdamOptions(0.1).amsgrad(true));
        for (int i = 0; i < 3; ++i) {
            for (auto* t : {&p, &q}) ((*t) * w).square().sum().backward();
            opt_p.step();
            opt_q.step();
            opt_p.zero_grad();
            opt_q.zero_grad();
        }
        CHECK(p.equal(q));
        CHECK(base.t().equal(q));  // the update went into the viewed storage
    }
}
