#pragma once
// Keras-style training helpers on top of the PyTorch-style loop: fit, evaluate, predict,
// summary, metrics, callbacks, history, plots and hyperparameter search.

#include "train/callbacks.hpp"
#include "train/classification.hpp"
#include "train/fit.hpp"
#include "train/history.hpp"
#include "train/metric.hpp"
#include "train/metrics.hpp"
#include "train/mode.hpp"
#include "train/predict.hpp"
#include "train/progress.hpp"
#include "train/ranking.hpp"
#include "train/search.hpp"
#include "train/summary.hpp"
