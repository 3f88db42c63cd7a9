// Option values are checked at every entry point: constructors, groups, set_lr, the chained
// setters (checked at the next step), schedulers, and loading. Each of these once let an
// infinite, NaN or negative value through (issue 15).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

tg::Tensor param() {
    return tg::tensor({1.0, -2.0}, tg::kFloat64).requires_grad_();
}

// A file in the temp directory, removed when the test ends.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name)
        : path((std::filesystem::temp_directory_path() / ("tapegrad_checks_" + name)).string()) {}
    ~TempFile() { std::remove(path.c_str()); }
};

// Saves an Adam optimizer that has taken one step, then rewrites one entry of the file.
void save_adam_with(const std::string& path, const std::string& entry, const tg::Tensor& value) {
    auto p = param();
    optim::Adam opt({p}, optim::AdamOptions(0.1));
    (p * p).sum().backward();
    opt.step();
    optim::save(opt, path);
    auto entries = tg::read_archive(path);
    bool found = false;
    for (auto& [name, t] : entries)
        if (name == entry) {
            t = value;
            found = true;
        }
    REQUIRE(found);
    tg::write_archive(path, entries);
}

std::string load_error(optim::Optimizer& opt, const std::string& path) {
    try {
        optim::load(opt, path);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(loaded)";
}
}  // namespace

TEST_SUITE("optim/checks") {
    TEST_CASE("optimizers: refuse an infinite or NaN learning rate, and other non-finite options") {
        CHECK_THROWS_WITH_AS(optim::SGD({param()}, optim::SGDOptions(kInf)),
                             "SGD: learning rate must be finite, got inf", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::Adam({param()}, optim::AdamOptions(kNaN)),
                             "Adam: learning rate must be finite, got nan", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::Adam({param()}, optim::AdamOptions().betas({kNaN, 0.9})),
                             "Adam: beta1 must be finite, got nan", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::AdamW({param()}, optim::AdamWOptions().eps(kInf)),
                             "AdamW: eps must be finite, got inf", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::RMSprop({param()}, optim::RMSpropOptions().alpha(-kInf)),
                             "RMSprop: alpha must be finite, got -inf", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::Adagrad({param()}, optim::AdagradOptions().lr_decay(kNaN)),
                             "Adagrad: lr_decay must be finite, got nan", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::SGD({param()}, optim::SGDOptions(0.1).dampening(kInf)),
                             "SGD: dampening must be finite, got inf", std::invalid_argument);
    }

    TEST_CASE(
        "set_lr: refuses NaN, infinite and negative learning rates, leaving the lr as it was") {
        optim::SGD opt({param()}, optim::SGDOptions(0.1));
        auto& options = opt.param_groups()[0].options();
        CHECK_THROWS_WITH_AS(options.set_lr(kNaN), "set_lr: learning rate must be finite, got nan",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(options.set_lr(kInf), "set_lr: learning rate must be finite, got inf",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(options.set_lr(-1), "set_lr: learning rate must be >= 0, got -1",
                             std::invalid_argument);
        CHECK(options.get_lr() == 0.1);
        options.set_lr(0.05);
        CHECK(options.get_lr() == 0.05);
    }

    TEST_CASE(
        "Optimizer: step refuses options made invalid through their setters after construction") {
        auto p = param();
        optim::SGD opt({p}, optim::SGDOptions(0.1));
        static_cast<optim::SGDOptions&>(opt.param_groups()[0].options()).lr(kNaN);
        (p * p).sum().backward();
        CHECK_THROWS_WITH_AS(opt.step(), "SGD: learning rate must be finite, got nan",
                             std::invalid_argument);
        CHECK(p.to_vector<double>() == std::vector<double>{1.0, -2.0});
    }

    TEST_CASE("Optimizer: a step count at INT64_MAX raises instead of overflowing") {
        auto p = param();
        optim::Adam opt({p}, optim::AdamOptions(0.1));
        (p * p).sum().backward();
        opt.step();
        auto& state = static_cast<optim::AdamParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        state.step(std::numeric_limits<int64_t>::max());
        CHECK_THROWS_WITH_AS(
            opt.step(),
            "Adam: step = 9223372036854775807 cannot grow by 1 without overflowing "
            "int64",
            std::logic_error);
    }

    TEST_CASE("schedulers: refuse a gamma that is negative, infinite or NaN") {
        optim::SGD opt({param()}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::StepLR(opt, 2, -0.5), "StepLR: gamma must be >= 0, got -0.5",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::ExponentialLR(opt, kNaN),
                             "ExponentialLR: gamma must be finite, got nan", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::MultiStepLR(opt, {2}, kInf),
                             "MultiStepLR: gamma must be finite, got inf", std::invalid_argument);
        CHECK_THROWS_WITH_AS(optim::CosineAnnealingLR(opt, 5, kNaN),
                             "CosineAnnealingLR: eta_min must be finite, got nan",
                             std::invalid_argument);
        CHECK(opt.param_groups()[0].options().get_lr() == 1.0);
    }

    TEST_CASE("MultiStepLR: refuses a milestone below 0, which would decay before training") {
        optim::SGD opt({param()}, optim::SGDOptions(1.0));
        CHECK_THROWS_WITH_AS(optim::MultiStepLR(opt, {3, -1}, 0.5),
                             "MultiStepLR: milestones must be >= 0, got -1", std::invalid_argument);
        CHECK(opt.param_groups()[0].options().get_lr() == 1.0);
    }

    TEST_CASE("ReduceLROnPlateau: refuses a NaN factor, threshold or min_lr") {
        optim::SGD opt({param()}, optim::SGDOptions(1.0));
        using R = optim::ReduceLROnPlateau;
        CHECK_THROWS_WITH_AS(R(opt, R::min, kNaN),
                             "ReduceLROnPlateau: factor must be in [0, 1), got nan",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(R(opt, R::min, 0.1, 10, kNaN),
                             "ReduceLROnPlateau: threshold must be finite, got nan",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(R(opt, R::min, 0.1, 10, 1e-4, R::rel, 0, {-0.1}),
                             "ReduceLROnPlateau: min_lr must be >= 0, got -0.1",
                             std::invalid_argument);
    }

    TEST_CASE("schedulers: a factor function that makes the lr negative or NaN is refused") {
        optim::SGD opt({param()}, optim::SGDOptions(1.0));
        optim::LambdaLR scheduler(opt, [](int64_t e) { return e < 2 ? 1.0 : -0.5; });
        scheduler.step();
        CHECK_THROWS_WITH_AS(
            scheduler.step(),
            "LambdaLR: the learning rate of group 0 at epoch 2 must be >= 0, got -0.5",
            std::invalid_argument);
        CHECK(opt.param_groups()[0].options().get_lr() == 1.0);
        optim::MultiplicativeLR nan_factor(opt, [](int64_t) { return kNaN; });
        CHECK_THROWS_WITH_AS(
            nan_factor.step(),
            "MultiplicativeLR: the learning rate of group 0 at epoch 1 must be finite, "
            "got nan",
            std::invalid_argument);
    }

    TEST_CASE("optim::load: refuses an Adam file in AdamW and an AdamW file in Adam, naming both") {
        TempFile adam_file("adam.bin"), adamw_file("adamw.bin");
        auto p = param(), q = param();
        optim::Adam adam({p}, optim::AdamOptions(0.1));
        optim::AdamW adamw({q}, optim::AdamWOptions(0.1));
        optim::save(adam, adam_file.path);
        optim::save(adamw, adamw_file.path);
        CHECK(load_error(adamw, adam_file.path) ==
              "optim::load: '" + adam_file.path +
                  "' holds the state of Adam, which cannot be loaded into AdamW");
        CHECK(load_error(adam, adamw_file.path) ==
              "optim::load: '" + adamw_file.path +
                  "' holds the state of AdamW, which cannot be loaded into Adam");
        CHECK(load_error(adam, adam_file.path) == "(loaded)");
    }

    TEST_CASE("optim::load: refuses a file without a type or of another format version") {
        TempFile file("version.bin");
        save_adam_with(file.path, "version", tg::full({}, 2, tg::kInt64));
        auto p = param();
        optim::Adam opt({p});
        CHECK(load_error(opt, file.path) ==
              "optim::load: '" + file.path +
                  "' has optimizer format version 2; this build reads version 1");
        auto entries = tg::read_archive(file.path);
        tg::NamedTensors without_type;
        for (auto& e : entries)
            if (e.first != "optimizer" && e.first != "version") without_type.push_back(e);
        tg::write_archive(file.path, without_type);
        CHECK(load_error(opt, file.path) ==
              "optim::load: '" + file.path +
                  "' has no optimizer format version; it was not written by this version of "
                  "optim::save");
    }

    TEST_CASE("optim::load: refuses a step count near INT64_MAX, which would overflow") {
        TempFile file("step.bin");
        save_adam_with(file.path, "group0.param0.step",
                       tg::full({}, std::numeric_limits<int64_t>::max(), tg::kInt64));
        auto p = param();
        optim::Adam opt({p});
        CHECK(
            load_error(opt, file.path) ==
            "optim::load: '" + file.path +
                "' holds group0.param0.step = 9223372036854775807; a count must be at most 2^53 = "
                "9007199254740992");
        CHECK(opt.state().empty());
    }

    TEST_CASE("optim::load: refuses an infinite learning rate in the file") {
        TempFile file("lr.bin");
        save_adam_with(file.path, "group0.lr", tg::full({}, kInf, tg::kFloat64));
        auto p = param();
        optim::Adam opt({p});
        CHECK(
            load_error(opt, file.path) ==
            "optim::load: '" + file.path +
                "' holds options for group 0 that are refused: Adam: learning rate must be finite, "
                "got inf");
        CHECK(opt.param_groups()[0].options().get_lr() == 1e-3);
    }

    TEST_CASE("optim::load: refuses a file that holds an entry twice, as model loading does") {
        TempFile file("twice.bin");
        save_adam_with(file.path, "group0.lr", tg::full({}, 0.1, tg::kFloat64));
        auto entries = tg::read_archive(file.path);
        entries.emplace_back("group0.lr", tg::full({}, 0.5, tg::kFloat64));
        tg::write_archive(file.path, entries);
        auto p = param();
        optim::Adam opt({p});
        CHECK(load_error(opt, file.path) ==
              "optim::load: '" + file.path + "' holds group0.lr twice");
        CHECK(opt.param_groups()[0].options().get_lr() == 1e-3);
    }
}
