#pragma once
// tapegrad::optim: optimizers and learning-rate schedulers.
