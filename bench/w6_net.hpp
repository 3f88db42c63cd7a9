#pragma once
// W6's network on tapegrad (conv_common.hpp defines W6), shared by bench_conv_tapegrad and
// bench_ddp: the pytorch/examples MNIST network with conv_common.hpp's initial weights.
#include <algorithm>
#include <tapegrad.hpp>

#include "bench/conv_common.hpp"

namespace bench {

inline void set_params(tapegrad::Tensor& weight, tapegrad::Tensor& bias, const ParamInit& p) {
    tapegrad::NoGradGuard no_grad;
    std::copy(p.weight.begin(), p.weight.end(), weight.data_ptr<float>());
    std::copy(p.bias.begin(), p.bias.end(), bias.data_ptr<float>());
}

struct NetImpl : tapegrad::nn::Module {
    NetImpl()
        : conv1(register_module("conv1", tapegrad::nn::Conv2d(1, 10, 5))),
          conv2(register_module("conv2", tapegrad::nn::Conv2d(10, 20, 5))),
          conv2_drop(register_module("conv2_drop", tapegrad::nn::Dropout2d(0.5))),
          fc1(register_module("fc1", tapegrad::nn::Linear(320, 50))),
          fc2(register_module("fc2", tapegrad::nn::Linear(50, 10))) {
        const auto init = w6_init();
        set_params(conv1->weight, conv1->bias, init[0]);
        set_params(conv2->weight, conv2->bias, init[1]);
        set_params(fc1->weight, fc1->bias, init[2]);
        set_params(fc2->weight, fc2->bias, init[3]);
    }
    tapegrad::Tensor forward(tapegrad::Tensor x) {
        x = tapegrad::relu(tapegrad::max_pool2d(conv1(x), 2));
        x = tapegrad::relu(tapegrad::max_pool2d(conv2_drop(conv2(x)), 2));
        x = x.view({-1, 320});
        x = tapegrad::relu(fc1(x));
        x = tapegrad::dropout(x, 0.5, is_training());
        return tapegrad::log_softmax(fc2(x), 1);
    }
    tapegrad::nn::Conv2d conv1, conv2;
    tapegrad::nn::Dropout2d conv2_drop;
    tapegrad::nn::Linear fc1, fc2;
};

}  // namespace bench
