#pragma once
// tapegrad::data: datasets, samplers, transforms and loaders (LibTorch's vocabulary), file
// readers, splits and standardisation.

#include "data/archive.hpp"
#include "data/csv.hpp"
#include "data/dataloader.hpp"
#include "data/dataset.hpp"
#include "data/datasets.hpp"
#include "data/example.hpp"
#include "data/fashion_mnist.hpp"
#include "data/idx.hpp"
#include "data/mnist.hpp"
#include "data/samplers.hpp"
#include "data/split.hpp"
#include "data/standardizer.hpp"
#include "data/transforms.hpp"
