#pragma once
// tapegrad::optim: optimizers and learning-rate schedulers.

#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/adamw.hpp"
#include "optim/lbfgs.hpp"
#include "optim/optimizer.hpp"
#include "optim/rmsprop.hpp"
#include "optim/scheduler.hpp"
#include "optim/serialize.hpp"
#include "optim/sgd.hpp"
