#pragma once
// Convolutional networks: convolution, pooling, 2-d normalisation and image layers, with their
// functional forms (F::conv2d, F::max_pool2d, F::batch_norm, F::interpolate, ...).

#include "nn/conv.hpp"
#include "nn/image.hpp"
#include "nn/normalization2d.hpp"
#include "nn/pooling.hpp"
