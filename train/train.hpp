#pragma once
// Keras-style training helpers on top of the PyTorch-style loop: fit, evaluate, history, plots.
