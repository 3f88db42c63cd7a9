#pragma once
// tapegrad: reverse-mode automatic differentiation with LibTorch's vocabulary.
// The one header a user includes: `#include <tapegrad.hpp>`.

/// Defined by this header: one source can build against tapegrad and LibTorch (`#ifdef TAPEGRAD`).
#define TAPEGRAD 1

#include "autograd/allocator.hpp"
#include "autograd/autocast.hpp"
#include "autograd/engine.hpp"
#include "autograd/function.hpp"
#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/graph.hpp"
#include "autograd/linalg.hpp"
#include "autograd/macros.hpp"
#include "autograd/tape_html.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/ops_conv.hpp"
#include "autograd/parallel.hpp"
#include "autograd/print.hpp"
#include "autograd/serialize.hpp"
#include "autograd/tensor.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
#include "data/data.hpp"
#include "train/train.hpp"

// LibTorch makes at::Reduction visible unqualified (`nll_loss(x, t, {}, Reduction::Sum)` in
// LibTorch programs); so does tapegrad, with its own enum.
using tapegrad::Reduction;
