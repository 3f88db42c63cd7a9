#pragma once
// Every learning-rate scheduler: the epoch-driven ones (lr_scheduler.hpp), the cyclic ones
// (cyclic_lr.hpp), the ones made of other schedulers (sequential_lr.hpp) and ReduceLROnPlateau.

#include "optim/cyclic_lr.hpp"
#include "optim/lr_scheduler.hpp"
#include "optim/reduce_lr_on_plateau.hpp"
#include "optim/sequential_lr.hpp"
