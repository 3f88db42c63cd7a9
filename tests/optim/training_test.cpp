// The optimizers driving nn modules, as a user's training loop does: each one learns, a
// scheduler steers it, and a model saved with its optimizer resumes to the same numbers.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace nn = tapegrad::nn;
namespace optim = tapegrad::optim;

namespace {

// Three Gaussian blobs around (2, 0), (-1, 1.7) and (-1, -1.7), labelled 0, 1, 2.
void make_blobs(int64_t n, tg::Tensor& x, tg::Tensor& y) {
    y = tg::randint(0, 3, {n});
    const auto labels = y.to_vector<int64_t>();
    std::vector<float> centers(static_cast<size_t>(2 * n));
    const float cx[3] = {2.0f, -1.0f, -1.0f}, cy[3] = {0.0f, 1.7f, -1.7f};
    for (size_t i = 0; i < labels.size(); ++i) {
        centers[2 * i] = cx[labels[i]];
        centers[2 * i + 1] = cy[labels[i]];
    }
    x = tg::from_blob(centers.data(), {n, 2}) + 0.4 * tg::randn({n, 2});
}

nn::Sequential make_model() {
    return nn::Sequential(nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 3));
}

double accuracy(const tg::Tensor& logits, const tg::Tensor& y) {
    const auto predicted = logits.argmax(1).to_vector<int64_t>();
    const auto labels = y.to_vector<int64_t>();
    size_t right = 0;
    for (size_t i = 0; i < labels.size(); ++i) right += predicted[i] == labels[i];
    return static_cast<double>(right) / static_cast<double>(labels.size());
}

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<tg::Tensor>)>;

// Full-batch training for `steps` steps; returns {first loss, last loss, accuracy}.
std::vector<double> train_blobs(const MakeOptimizer& make, int steps) {
    tg::manual_seed(3);
    tg::Tensor x, y;
    make_blobs(300, x, y);
    auto model = make_model();
    auto opt = make(model->parameters());
    double first = 0, last = 0;
    for (int step = 0; step < steps; ++step) {
        opt->zero_grad();
        auto loss = tg::cross_entropy(model(x), y);
        loss.backward();
        opt->step();
        (step == 0 ? first : last) = loss.item<double>();
    }
    tg::NoGradGuard no_grad;
    return {first, last, accuracy(model(x), y)};
}

void check_learns(const MakeOptimizer& make) {
    const auto r = train_blobs(make, 150);
    INFO("first loss " << r[0] << ", last loss " << r[1] << ", accuracy " << r[2]);
    CHECK(r[1] < 0.3 * r[0]);
    CHECK(r[2] > 0.9);
}

struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name)
        : path((std::filesystem::temp_directory_path() / ("tapegrad_optim_" + name)).string()) {}
    ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_SUITE("optim/training") {
    TEST_CASE("SGD: full-batch gradient descent trains an nn::Sequential classifier") {
        check_learns([](std::vector<tg::Tensor> p) {
            return std::make_unique<optim::SGD>(p, optim::SGDOptions(0.5));
        });
    }

    TEST_CASE("SGD: with momentum trains an nn::Sequential classifier") {
        check_learns([](std::vector<tg::Tensor> p) {
            return std::make_unique<optim::SGD>(p, optim::SGDOptions(0.1).momentum(0.9));
        });
    }

    TEST_CASE("Adagrad: trains an nn::Sequential classifier") {
        check_learns([](std::vector<tg::Tensor> p) {
            return std::make_unique<optim::Adagrad>(p, optim::AdagradOptions(0.1));
        });
    }

    TEST_CASE("RMSprop: trains an nn::Sequential classifier") {
        check_learns([](std::vector<tg::Tensor> p) {
            return std::make_unique<optim::RMSprop>(p, optim::RMSpropOptions(0.01));
        });
    }

    TEST_CASE("Adam: trains an nn::Sequential classifier") {
        check_learns([](std::vector<tg::Tensor> p) {
            return std::make_unique<optim::Adam>(p, optim::AdamOptions(0.02));
        });
    }

    TEST_CASE("AdamW: trains an nn::Sequential classifier") {
        check_learns([](std::vector<tg::Tensor> p) {
            return std::make_unique<optim::AdamW>(p, optim::AdamWOptions(0.02));
        });
    }

    TEST_CASE(
        "tapegrad::save: a model and its Adam state saved mid-run resume to the same numbers") {
        tg::manual_seed(5);
        tg::Tensor x, y;
        make_blobs(64, x, y);
        auto run = [&](nn::Sequential& model, optim::Optimizer& opt, optim::StepLR& scheduler,
                       int n) {
            for (int i = 0; i < n; ++i) {
                opt.zero_grad();
                tg::cross_entropy(model(x), y).backward();
                opt.step();
                scheduler.step();
            }
        };
        tg::manual_seed(6);
        auto straight = make_model();
        tg::manual_seed(6);
        auto first = make_model();
        optim::Adam opt_straight(straight->parameters(), optim::AdamOptions(0.05));
        optim::Adam opt_first(first->parameters(), optim::AdamOptions(0.05));
        optim::StepLR sched_straight(opt_straight, 4, 0.5);
        optim::StepLR sched_first(opt_first, 4, 0.5);
        run(straight, opt_straight, sched_straight, 12);
        run(first, opt_first, sched_first, 5);

        TempFile model_file("training_model.bin"), opt_file("training_adam.bin");
        tg::save(first, model_file.path);
        tg::save(opt_first, opt_file.path);

        tg::manual_seed(99);  // other initial weights: everything must come from the files
        auto second = make_model();
        tg::load(second, model_file.path);
        optim::Adam opt_second(second->parameters(), optim::AdamOptions(0.05));
        tg::load(opt_second, opt_file.path);
        // the scheduler is rebuilt from the base lr and brought to the epoch the run stopped at
        opt_second.param_groups()[0].options().set_lr(0.05);
        optim::StepLR sched_second(opt_second, 4, 0.5);
        for (int i = 0; i < 5; ++i) sched_second.step();
        CHECK(opt_second.param_groups()[0].options().get_lr() ==
              opt_first.param_groups()[0].options().get_lr());
        run(second, opt_second, sched_second, 7);

        const auto a = straight->parameters(), b = second->parameters();
        REQUIRE(a.size() == b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            INFO("parameter " << i);
            CHECK(b[i].equal(a[i]));
        }
    }
}
