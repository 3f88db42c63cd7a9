#pragma once
// tapegrad::data: datasets, data loaders, file readers, and the training-loop helper.

#include "data/csv.hpp"
#include "data/dataloader.hpp"
#include "data/dataset.hpp"
#include "data/fashion_mnist.hpp"
#include "data/idx.hpp"
#include "data/split.hpp"
#include "data/transforms.hpp"
