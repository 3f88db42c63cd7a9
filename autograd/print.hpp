#pragma once
// LibTorch's torch::str: its arguments streamed one after the other into a string, tensors in
// the format of operator<< (autograd/print.cpp).

#include <sstream>
#include <string>

#include "autograd/tensor.hpp"

namespace tapegrad {

/// The arguments as operator<< writes them, concatenated: str("loss: ", t) as LibTorch's.
template <class... Args>
std::string str(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}

}  // namespace tapegrad
