#pragma once
// tapegrad::nn: modules, layers, losses, initialisation, save and load.

#include "nn/activation.hpp"
#include "nn/cnn.hpp"
#include "nn/dropout.hpp"
#include "nn/embedding.hpp"
#include "nn/functional.hpp"
#include "nn/functional/loss.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/loss.hpp"
#include "nn/module.hpp"
#include "nn/normalization.hpp"
#include "nn/rnn.hpp"
#include "nn/ordered_dict.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"
#include "nn/utils.hpp"
