// The fused update loops (one pass per parameter over raw buffers, optim/sgd.cpp, adam.cpp)
// against a reference written with tensor ops, line by line as torch.optim 1.13 states the
// rules, on random float32 parameters of odd sizes (so the vector loops' tails run) over
// several steps with fresh random gradients: weight decay, dampening, nesterov, amsgrad.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "tapegrad.hpp"

namespace tg = tapegrad;
namespace optim = tapegrad::optim;

namespace {
using Reference = std::function<void(std::vector<tg::Tensor>& params,
                                     const std::vector<tg::Tensor>& grads, int64_t step)>;

// Runs `steps` steps of `opt` on `params` and of `reference` on copies of them, with the same
// random gradients, and checks the parameters agree after every step.
void check_against_reference(optim::Optimizer& opt, std::vector<tg::Tensor>& params,
                             const Reference& reference, int steps = 6) {
    std::vector<tg::Tensor> expected;
    for (const auto& p : params) expected.push_back(p.detach().clone());
    for (int64_t step = 1; step <= steps; ++step) {
        std::vector<tg::Tensor> grads;
        for (auto& p : params) {
            grads.push_back(tg::randn(p.sizes().vec()));
            p.mutable_grad() = grads.back().clone();
        }
        opt.step();
        {
            tg::NoGradGuard no_grad;
            reference(expected, grads, step);
        }
        for (size_t i = 0; i < params.size(); ++i) {
            INFO("step " << step << ", parameter " << i);
            CHECK(tg::allclose(params[i].detach(), expected[i], 1e-6, 1e-6));
        }
    }
}

std::vector<tg::Tensor> random_params() {
    return {tg::randn({37}).requires_grad_(), tg::randn({5, 7}).requires_grad_(),
            tg::randn({1}).requires_grad_()};
}

// torch.optim.SGD: d = g + wd p; buf = d, then momentum buf + (1 - dampening) d;
// d = nesterov ? d + momentum buf : buf; p -= lr d
Reference sgd_reference(const optim::SGDOptions& o) {
    auto bufs = std::make_shared<std::vector<tg::Tensor>>();
    return [o, bufs](std::vector<tg::Tensor>& params, const std::vector<tg::Tensor>& grads,
                     int64_t step) {
        bufs->resize(params.size());
        for (size_t i = 0; i < params.size(); ++i) {
            tg::Tensor d = grads[i];
            if (o.weight_decay() != 0) d = d + params[i] * o.weight_decay();
            if (o.momentum() != 0) {
                tg::Tensor& buf = (*bufs)[i];
                buf = step == 1 ? d.clone() : buf * o.momentum() + d * (1 - o.dampening());
                d = o.nesterov() ? d + buf * o.momentum() : buf;
            }
            params[i] = params[i] - d * o.lr();
        }
    };
}

// torch.optim.Adam / AdamW: decay (into g, or p *= 1 - lr wd), the two moments, amsgrad's max,
// then p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
template <bool Decoupled>
Reference adam_reference(const optim::AdamOptionsT<Decoupled>& o) {
    struct Moments {
        std::vector<tg::Tensor> m, v, vmax;
    };
    auto s = std::make_shared<Moments>();
    return [o, s](std::vector<tg::Tensor>& params, const std::vector<tg::Tensor>& grads,
                  int64_t step) {
        const auto [beta1, beta2] = o.betas();
        for (size_t i = 0; i < params.size(); ++i) {
            if (s->m.size() <= i) {
                s->m.push_back(tg::zeros_like(params[i]));
                s->v.push_back(tg::zeros_like(params[i]));
                s->vmax.push_back(tg::zeros_like(params[i]));
            }
            tg::Tensor p = params[i], g = grads[i];
            if (Decoupled)
                p = p * (1 - o.lr() * o.weight_decay());
            else if (o.weight_decay() != 0)
                g = g + p * o.weight_decay();
            s->m[i] = s->m[i] * beta1 + g * (1 - beta1);
            s->v[i] = s->v[i] * beta2 + g * g * (1 - beta2);
            const double bc1 = 1 - std::pow(beta1, double(step));
            const double bc2 = 1 - std::pow(beta2, double(step));
            tg::Tensor second = s->v[i];
            if (o.amsgrad()) second = s->vmax[i] = tg::maximum(s->vmax[i], s->v[i]);
            const tg::Tensor denom = tg::sqrt(second) / std::sqrt(bc2) + o.eps();
            params[i] = p - s->m[i] / denom * (o.lr() / bc1);
        }
    };
}
}  // namespace

TEST_SUITE("optim/fused") {
    TEST_CASE("SGD: the fused loop matches the reference with momentum, dampening and decay") {
        tg::manual_seed(101);
        auto params = random_params();
        const auto o = optim::SGDOptions(0.05).momentum(0.9).dampening(0.25).weight_decay(0.01);
        optim::SGD opt(params, o);
        check_against_reference(opt, params, sgd_reference(o));
    }

    TEST_CASE("SGD: the fused loop matches the reference with nesterov and decay") {
        tg::manual_seed(102);
        auto params = random_params();
        const auto o = optim::SGDOptions(0.03).momentum(0.8).nesterov(true).weight_decay(0.05);
        optim::SGD opt(params, o);
        check_against_reference(opt, params, sgd_reference(o));
    }

    TEST_CASE("SGD: the fused loop matches the reference without momentum") {
        tg::manual_seed(103);
        auto params = random_params();
        const auto o = optim::SGDOptions(0.1).weight_decay(0.02);
        optim::SGD opt(params, o);
        check_against_reference(opt, params, sgd_reference(o));
    }

    TEST_CASE("Adam: the fused loop matches the reference with decay, with and without amsgrad") {
        for (bool amsgrad : {false, true}) {
            INFO("amsgrad " << amsgrad);
            tg::manual_seed(104);
            auto params = random_params();
            const auto o = optim::AdamOptions(0.01).weight_decay(0.1).amsgrad(amsgrad);
            optim::Adam opt(params, o);
            check_against_reference(opt, params, adam_reference(o));
        }
    }

    TEST_CASE("AdamW: the fused loop matches the reference with amsgrad") {
        tg::manual_seed(105);
        auto params = random_params();
        const auto o = optim::AdamWOptions(0.01).betas({0.8, 0.5}).weight_decay(0.05).amsgrad(true);
        optim::AdamW opt(params, o);
        check_against_reference(opt, params, adam_reference(o));
    }

    // Momentum of weights whose gradient stays zero decays by 0.9 a step into the subnormal
    // range (here from step ~700), where each multiply costs a microcode assist. The loops flush
    // such results to zero: the buffer is exactly 0 where IEEE arithmetic keeps a subnormal, the
    // parameters are bit for bit what IEEE arithmetic gives, and the caller's mode is restored.
    TEST_CASE("SGD: the momentum of a zero gradient is flushed to zero, not left subnormal") {
        const std::vector<float> start{1.0f, -0.5f, 0.25f, 3.0f, -2.0f};
        auto p = tg::tensor(start).requires_grad_();
        optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.9));
        std::vector<float> expected = start, buf(start.size());
        for (int step = 1; step <= 800; ++step) {
            const float g = step == 1 ? 1e-3f : 0.0f;
            p.mutable_grad() = tg::full({5}, g);
            opt.step();
            for (size_t i = 0; i < expected.size(); ++i) {  // the same float operations, IEEE
                buf[i] = step == 1 ? g : buf[i] * 0.9f + 1.0f * g;
                expected[i] = expected[i] + -0.1f * buf[i];
            }
        }
        REQUIRE(std::fpclassify(buf[0]) == FP_SUBNORMAL);  // the case is the one meant
        const auto& state =
            static_cast<const optim::SGDParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        for (float b : state.momentum_buffer().to_vector<float>()) CHECK(b == 0.0f);
        CHECK(p.detach().to_vector<float>() == expected);
        volatile float smallest_normal = 1.17549435e-38f;
        CHECK(smallest_normal * 0.5f != 0.0f);  // flush-to-zero is off again
    }

    TEST_CASE("Adam: a first moment decaying into the subnormal range is flushed to zero") {
        auto p = tg::tensor(std::vector<float>{1.0f, -0.5f}).requires_grad_();
        optim::Adam opt({p}, optim::AdamOptions(0.01));
        for (int step = 1; step <= 800; ++step) {
            p.mutable_grad() = tg::full({2}, step == 1 ? 1e-3f : 0.0f);
            opt.step();
        }
        const auto& state =
            static_cast<const optim::AdamParamState&>(*opt.state().at(p.unsafeGetTensorImpl()));
        for (float m : state.exp_avg().to_vector<float>()) CHECK(m == 0.0f);    // 1e-4 0.9^799
        for (float v : state.exp_avg_sq().to_vector<float>()) CHECK(v > 0.0f);  // still normal
    }
}
