#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {

// A file in the temp directory, removed when the test ends.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name)
        : path((std::filesystem::temp_directory_path() / ("tapegrad_optim_" + name)).string()) {}
    ~TempFile() { std::remove(path.c_str()); }
};

// Three parameters in two groups: a float64 matrix and a float32 vector in group 0, and a
// float64 vector in group 1 that receives no gradient until step 3.
struct Model {
    std::vector<tg::Tensor> params;
    explicit Model(const std::vector<tg::Tensor>& values) {
        for (const auto& v : values) params.push_back(v.clone().requires_grad_());
    }
    static std::vector<tg::Tensor> initial() {
        return {tg::tensor({{0.5, -1.5}, {2.0, 0.1}}, tg::kFloat64),
                tg::tensor({0.3, -0.7, 1.1}, tg::kFloat32), tg::tensor({1.0, -1.0}, tg::kFloat64)};
    }
    std::vector<optim::OptimizerParamGroup> groups(std::unique_ptr<optim::OptimizerOptions> g1) {
        std::vector<optim::OptimizerParamGroup> groups;
        groups.emplace_back(std::vector<tg::Tensor>{params[0], params[1]});
        groups.emplace_back(std::vector<tg::Tensor>{params[2]}, std::move(g1));
        return groups;
    }
    std::vector<tg::Tensor> values() const {
        std::vector<tg::Tensor> v;
        for (const auto& p : params) v.push_back(p.detach().clone());
        return v;
    }
};

// loss = sum(p^2 + sin(3p)) over the parameters that take part at this step.
void train(optim::Optimizer& opt, Model& m, int from, int to) {
    for (int step = from; step < to; ++step) {
        opt.zero_grad();
        tg::Tensor loss = (m.params[0].square() + (m.params[0] * 3.0).sin()).sum() +
                          (m.params[1].square() + (m.params[1] * 3.0).sin()).sum().to(tg::kFloat64);
        if (step >= 3) loss = loss + (m.params[2].square() + (m.params[2] * 3.0).sin()).sum();
        loss.backward();
        opt.step();
        if (step == 4) {  // a scheduler's change, which the file must keep
            auto& o = opt.param_groups()[1].options();
            o.set_lr(o.get_lr() / 2);
        }
    }
}

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(Model&)>;

// Trains 10 steps straight, and 6 steps + save + load into a fresh model and optimizer + 4
// steps; the parameters must end bit for bit the same.
void check_resume(const std::string& name, const MakeOptimizer& make) {
    Model straight(Model::initial());
    auto opt_straight = make(straight);
    train(*opt_straight, straight, 0, 10);

    TempFile file(name + "_resume.bin");
    Model first(Model::initial());
    auto opt_first = make(first);
    train(*opt_first, first, 0, 6);
    optim::save(*opt_first, file.path);
    const auto saved_values = first.values();

    Model second(saved_values);
    auto opt_second = make(second);
    optim::load(*opt_second, file.path);
    CHECK(opt_second->state().size() == opt_first->state().size());
    CHECK(opt_second->param_groups()[1].options().get_lr() ==
          opt_first->param_groups()[1].options().get_lr());
    train(*opt_second, second, 6, 10);
    for (size_t i = 0; i < straight.params.size(); ++i) {
        INFO("parameter " << i);
        CHECK(second.params[i].equal(straight.params[i]));
    }
}

std::unique_ptr<optim::Optimizer> make_sgd(Model& m) {
    return std::make_unique<optim::SGD>(
        m.groups(std::make_unique<optim::SGDOptions>(optim::SGDOptions(0.05).momentum(0.5))),
        optim::SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01));
}

}  // namespace

TEST_SUITE("optim/serialize") {
    TEST_CASE("optim::save and load: an SGD run stopped and resumed matches the straight run") {
        check_resume("sgd", make_sgd);
    }

    TEST_CASE("optim::save and load: an Adagrad run stopped and resumed matches the straight run") {
        check_resume("adagrad", [](Model& m) {
            return std::make_unique<optim::Adagrad>(
                m.groups(std::make_unique<optim::AdagradOptions>(0.2)),
                optim::AdagradOptions(0.5).lr_decay(0.01).initial_accumulator_value(0.1));
        });
    }

    TEST_CASE("optim::save and load: an RMSprop run stopped and resumed matches the straight run") {
        check_resume("rmsprop", [](Model& m) {
            return std::make_unique<optim::RMSprop>(
                m.groups(std::make_unique<optim::RMSpropOptions>(0.02)),
                optim::RMSpropOptions(0.01).momentum(0.5).centered(true));
        });
    }

    TEST_CASE("optim::save and load: an Adam run stopped and resumed matches the straight run") {
        check_resume("adam", [](Model& m) {
            return std::make_unique<optim::Adam>(
                m.groups(
                    std::make_unique<optim::AdamOptions>(optim::AdamOptions(0.05).amsgrad(true))),
                optim::AdamOptions(0.1).betas({0.8, 0.95}).weight_decay(0.1));
        });
    }

    TEST_CASE("optim::save and load: an AdamW run stopped and resumed matches the straight run") {
        check_resume("adamw", [](Model& m) {
            return std::make_unique<optim::AdamW>(
                m.groups(std::make_unique<optim::AdamWOptions>(0.05)), optim::AdamWOptions(0.1));
        });
    }

    TEST_CASE("optim::load: rejects a file with another number of parameter groups") {
        TempFile file("groups.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        optim::save(*opt, file.path);
        optim::SGD single({m.params[0]}, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(
            optim::load(single, file.path),
            ("optim::load: '" + file.path + "' holds 2 parameter groups, the optimizer has 1")
                .c_str(),
            std::invalid_argument);
    }

    TEST_CASE("optim::load: rejects a file with another number of parameters in a group") {
        TempFile file("params.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        optim::save(*opt, file.path);
        std::vector<optim::OptimizerParamGroup> groups;
        groups.emplace_back(std::vector<tg::Tensor>{m.params[0]});
        groups.emplace_back(std::vector<tg::Tensor>{m.params[1], m.params[2]});
        optim::SGD other(groups, optim::SGDOptions(0.1));
        CHECK_THROWS_WITH_AS(
            optim::load(other, file.path),
            ("optim::load: '" + file.path + "' holds 2 parameters in group 0, the optimizer has 1")
                .c_str(),
            std::invalid_argument);
    }

    TEST_CASE("optim::load: rejects state whose shape differs from its parameter's") {
        TempFile file("shape.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        train(*opt, m, 0, 1);
        optim::save(*opt, file.path);
        Model other(Model::initial());
        other.params[0] = tg::zeros({4}, tg::kFloat64).requires_grad_();
        auto opt_other = make_sgd(other);
        CHECK_THROWS_WITH_AS(
            optim::load(*opt_other, file.path),
            ("optim::load: '" + file.path +
             "' holds group0.param0.momentum_buffer of shape [2, 2], but parameter 0 "
             "of group 0 has shape [4]")
                .c_str(),
            std::invalid_argument);
    }

    TEST_CASE("optim::load: rejects state whose dtype differs from its parameter's") {
        TempFile file("dtype.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        train(*opt, m, 0, 1);
        optim::save(*opt, file.path);
        Model other(Model::initial());
        other.params[1] = tg::zeros({3}, tg::kFloat64).requires_grad_();
        auto opt_other = make_sgd(other);
        CHECK_THROWS_WITH_AS(
            optim::load(*opt_other, file.path),
            ("optim::load: '" + file.path +
             "' holds group0.param1.momentum_buffer as float32, but parameter 1 of "
             "group 0 is float64")
                .c_str(),
            std::invalid_argument);
    }

    TEST_CASE("optim::load: rejects a file saved from another optimizer, naming both") {
        TempFile file("other.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        optim::save(*opt, file.path);
        Model other(Model::initial());
        optim::Adam adam(other.groups(std::make_unique<optim::AdamOptions>()),
                         optim::AdamOptions());
        CHECK_THROWS_WITH_AS(optim::load(adam, file.path),
                             ("optim::load: '" + file.path +
                              "' holds the state of SGD, which cannot be loaded into Adam")
                                 .c_str(),
                             std::invalid_argument);
    }

    TEST_CASE("optim::load: a file whose type was forged still fails, naming what is missing") {
        TempFile file("forged.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        optim::save(*opt, file.path);
        auto entries = tg::read_archive(file.path);
        for (auto& [name, t] : entries)
            if (name == "optimizer") t = tg::tensor({65, 100, 97, 109});  // "Adam"
        tg::write_archive(file.path, entries);
        Model other(Model::initial());
        optim::Adam adam(other.groups(std::make_unique<optim::AdamOptions>()),
                         optim::AdamOptions());
        CHECK_THROWS_WITH_AS(
            optim::load(adam, file.path),
            ("optim::load: '" + file.path +
             "' has no group0.beta1; was it saved from another optimizer than Adam?")
                .c_str(),
            std::invalid_argument);
    }

    TEST_CASE("optim::load: rejects an entry the optimizer does not have") {
        TempFile file("extra.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        optim::save(*opt, file.path);
        auto entries = tg::read_archive(file.path);
        entries.emplace_back("group0.exp_avg", tg::zeros({2}, tg::kFloat64));
        tg::write_archive(file.path, entries);
        CHECK_THROWS_WITH_AS(optim::load(*opt, file.path),
                             ("optim::load: '" + file.path +
                              "' holds group0.exp_avg, which SGD does not have; was it saved "
                              "from another optimizer?")
                                 .c_str(),
                             std::invalid_argument);
    }

    TEST_CASE("optim::load: rejects an option stored as something else than a float64 scalar") {
        TempFile file("scalar.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        optim::save(*opt, file.path);
        auto entries = tg::read_archive(file.path);
        for (auto& [name, t] : entries)
            if (name == "group0.lr") t = tg::tensor({1, 2});
        tg::write_archive(file.path, entries);
        CHECK_THROWS_WITH_AS(optim::load(*opt, file.path),
                             ("optim::load: '" + file.path +
                              "' holds group0.lr as int64 [2]; expected a float64 scalar")
                                 .c_str(),
                             std::invalid_argument);
    }

    TEST_CASE("optim::load: rejects a negative count") {
        TempFile file("count.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        optim::save(*opt, file.path);
        auto entries = tg::read_archive(file.path);
        for (auto& [name, t] : entries)
            if (name == "groups") t = tg::full({}, -1, tg::kInt64);
        tg::write_archive(file.path, entries);
        CHECK_THROWS_WITH_AS(
            optim::load(*opt, file.path),
            ("optim::load: '" + file.path + "' holds groups = -1; expected a count >= 0").c_str(),
            std::invalid_argument);
    }

    TEST_CASE("optim::load: a failed load leaves the optimizer as it was") {
        TempFile file("atomic.bin");
        Model m(Model::initial());
        auto opt = make_sgd(m);
        train(*opt, m, 0, 4);
        optim::save(*opt, file.path);
        // the target: other state and lr, and a group-1 parameter whose shape does not match, so
        // the load fails only after group 0 was read
        Model other(Model::initial());
        other.params[2] = tg::zeros({5}, tg::kFloat64).requires_grad_();
        auto target = make_sgd(other);
        train(*target, other, 0, 4);
        target->param_groups()[0].options().set_lr(0.7);
        const auto buffer = static_cast<const optim::SGDParamState&>(
                                *target->state().at(other.params[0].unsafeGetTensorImpl()))
                                .momentum_buffer();
        const auto buffer_values = buffer.clone();
        CHECK_THROWS_AS(optim::load(*target, file.path), std::invalid_argument);
        CHECK(target->param_groups()[0].options().get_lr() == 0.7);
        const auto& state = static_cast<const optim::SGDParamState&>(
            *target->state().at(other.params[0].unsafeGetTensorImpl()));
        CHECK(state.momentum_buffer().is_same(buffer));
        CHECK(state.momentum_buffer().equal(buffer_values));
    }
}
