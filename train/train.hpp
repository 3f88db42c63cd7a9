#pragma once
// Keras-style training helpers on top of the PyTorch-style loop: fit, evaluate, history, plots.

#include "train/fit.hpp"
#include "train/history.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"
