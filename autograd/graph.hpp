#pragma once
// Looking at the tape: the recorded graph as Graphviz DOT (to_dot, render) and as the list
// of steps backward will take (print_tape, backward_order). These walk the graph with
// explicit stacks, so a graph of a million nodes is exported without deep recursion.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace autograd {

/// What to_dot and render draw besides the structure.
struct DotOptions {
    /// Values (and gradients, where known) of leaves, outputs and retain_grad() tensors that
    /// have at most max_elements elements.
    bool show_values = false;
    int64_t max_elements = 8;
    /// The backward rule of each op under its name (it is always in the SVG tooltip).
    bool show_rules = false;
};

/// The graph that produced `outputs` in Graphviz DOT, data flowing top to bottom: one box per
/// node (op, output shape, dtype; dashed once backward freed it), one ellipse per leaf that
/// requires grad (its name, e.g. "fc1.weight", shape, dtype), one double octagon per output.
/// Node ids are n<k> with k the node's rank in creation order, leaves l<k>, outputs out<k>.
std::string to_dot(const tensor_list& outputs, const DotOptions& options = {});
std::string to_dot(const Tensor& output, const DotOptions& options = {});

/// True when Graphviz's `dot` program is on the PATH.
bool graphviz_available();

/// Writes the picture of `output`'s graph to `path`; the format follows the extension: .svg,
/// .png or .pdf run Graphviz's `dot` (std::runtime_error saying how to install it when it is
/// missing), .dot or .gv write the DOT text itself.
void render(const Tensor& output, const std::string& path, const DotOptions& options = {});
void render(const tensor_list& outputs, const std::string& path, const DotOptions& options = {});

/// The nodes in the order backward runs them from `outputs` (the engine's order exactly:
/// a node runs once every gradient for it has arrived).
std::vector<std::shared_ptr<Node>> backward_order(const tensor_list& outputs);
std::vector<std::shared_ptr<Node>> backward_order(const Tensor& output);

/// Prints one line per step of backward from `output`: the node (op#k, k as in to_dot), its
/// output shape and dtype, where its input gradients go, and its backward rule; then the
/// leaves the gradients end in.
void print_tape(const Tensor& output, std::ostream& os);
void print_tape(const Tensor& output);
/// print_tape's text as a string.
std::string tape_str(const Tensor& output);

}  // namespace autograd
}  // namespace tapegrad
