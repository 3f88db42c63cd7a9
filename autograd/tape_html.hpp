#pragma once
// The tape as a web page for learners: one self-contained HTML file (no network, no external
// scripts or fonts) that draws the graph and steps forward through the ops in the order they
// ran, then backward in the engine's order, showing at each step the values, the gradient
// arriving at the node and its backward rule.

#include <cstdint>
#include <string>

#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autograd {

/// What write_html shows besides the structure.
struct TapeHtmlOptions {
    /// Tensors of at most this many elements are shown in full; larger ones as their shape,
    /// min, max, mean, norm and first elements.
    int64_t max_elements = 64;
    /// Intermediate results whose values the page shows. The graph itself keeps only what each
    /// backward needs, so an op's result is shown when it is listed here, is the output, or is
    /// still alive and had retain_grad() called on it.
    tensor_list tensors;
    /// The page's heading.
    std::string title = "tapegrad: the tape of one backward pass";
};

/// Writes the page for the scalar `output` (a loss) to `path`, atomically. To know the
/// gradient at every step it runs one backward pass through autograd::grad with
/// retain_graph=true, with a hook of its own on each node that it removes afterwards: the
/// graph stays usable, and the .grad() of leaves and of retain_grad() tensors are left as they
/// were (the page shows what backward() would add to them). Hooks the user registered run in
/// that pass, as they would in backward(). Throws std::invalid_argument when `output` has no
/// graph or `options.tensors` holds a tensor from another graph, std::logic_error when the
/// output is not a scalar or a backward without retain_graph already freed the graph,
/// std::runtime_error when the file cannot be written.
void write_html(const Tensor& output, const std::string& path, const TapeHtmlOptions& options = {});

/// The page write_html writes, as a string.
std::string tape_html(const Tensor& output, const TapeHtmlOptions& options = {});

}  // namespace autograd
}  // namespace tapegrad
