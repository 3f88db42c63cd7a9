#include "autograd/graph.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "autograd/planner.hpp"
#include "autograd/platform.hpp"

namespace tapegrad {
namespace autograd {

namespace {

// Every node reachable from the outputs, numbered by creation order (the forward), and every
// leaf that receives a gradient, numbered by first use in that order. Both walks use explicit
// stacks.
struct GraphIndex {
    std::vector<std::shared_ptr<Node>> nodes;  // sorted by sequence_nr
    std::unordered_map<const Node*, size_t> rank;
    std::vector<std::shared_ptr<TensorImpl>> leaves;
    std::unordered_map<const TensorImpl*, size_t> leaf_rank;

    explicit GraphIndex(const tensor_list& outputs) {
        std::vector<std::shared_ptr<Node>> todo;
        for (const Tensor& out : outputs) {
            if (!out.defined() || !out.grad_fn()) continue;
            if (rank.emplace(out.grad_fn().get(), 0).second) todo.push_back(out.grad_fn());
        }
        while (!todo.empty()) {
            std::shared_ptr<Node> n = std::move(todo.back());
            todo.pop_back();
            for (const Edge& e : n->next_edges())
                if (e.fn && rank.emplace(e.fn.get(), 0).second) todo.push_back(e.fn);
            nodes.push_back(std::move(n));
        }
        std::sort(nodes.begin(), nodes.end(),
                  [](const auto& a, const auto& b) { return a->sequence_nr() < b->sequence_nr(); });
        for (size_t i = 0; i < nodes.size(); ++i) {
            rank[nodes[i].get()] = i;
            for (const Edge& e : nodes[i]->next_edges()) {
                if (e.fn) continue;
                std::shared_ptr<TensorImpl> leaf = e.leaf.lock();
                if (leaf && leaf_rank.emplace(leaf.get(), leaves.size()).second)
                    leaves.push_back(std::move(leaf));
            }
        }
    }

    // "mul#3": how a node is named in the tape and in the picture.
    std::string node_name(const Node& n) const {
        return n.name() + "#" + std::to_string(rank.at(&n));
    }
    // "fc1.weight", or "leaf#2" for a leaf without a name.
    std::string leaf_name(const TensorImpl& leaf) const {
        return leaf.name.empty() ? "leaf#" + std::to_string(leaf_rank.at(&leaf)) : leaf.name;
    }
};

std::string type_str(const std::vector<int64_t>& sizes, ScalarType dtype) {
    return shape_str(sizes) + " " + to_string(dtype);
}

// "[1, -0.5, 2]" for a tensor of at most max_elements elements, "" otherwise.
std::string values_str(const Tensor& t, int64_t max_elements) {
    if (!t.defined() || t.numel() > max_elements) return "";
    const std::vector<double> v = t.to_vector<double>();
    std::string s = t.dim() == 0 ? "" : "[";
    char buf[32];
    for (size_t i = 0; i < v.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%.4g", v[i]);
        s += (i ? ", " : "") + std::string(buf);
    }
    return t.dim() == 0 ? s : s + "]";
}

// Text inside a DOT string: quotes and backslashes escaped, line breaks as \n.
std::string dot_escape(const std::string& s) {
    std::string r;
    r.reserve(s.size());
    for (char c : s) {
        if (c == '"' || c == '\\') r += '\\';
        if (c == '\n') {
            r += "\\n";
            continue;
        }
        r += c;
    }
    return r;
}

// The label lines "value ..." and "grad ..." of a tensor, when it is small enough.
void add_values(std::vector<std::string>& lines, const Tensor& t, const DotOptions& o) {
    if (!o.show_values || !t.defined()) return;
    const std::string v = values_str(t, o.max_elements);
    if (!v.empty()) lines.push_back("value " + v);
    const std::string g = values_str(t.grad(), o.max_elements);
    if (!g.empty()) lines.push_back("grad " + g);
}

std::string label(const std::vector<std::string>& lines) {
    std::string s;
    for (size_t i = 0; i < lines.size(); ++i) s += (i ? "\\n" : "") + dot_escape(lines[i]);
    return s;
}

}  // namespace

std::string to_dot(const tensor_list& outputs, const DotOptions& options) {
    const GraphIndex g(outputs);
    std::ostringstream os;
    os << "digraph tapegrad {\n"
          "  rankdir=TB;\n"
          "  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n"
          "  edge [fontname=\"Helvetica\", fontsize=8];\n";
    for (size_t i = 0; i < g.leaves.size(); ++i) {
        const TensorImpl& leaf = *g.leaves[i];
        std::vector<std::string> lines{g.leaf_name(leaf), type_str(leaf.sizes, leaf.dtype)};
        add_values(lines, tapegrad::detail::wrap(g.leaves[i]), options);
        os << "  l" << i << " [shape=ellipse, fillcolor=lightblue, label=\"" << label(lines)
           << "\"];\n";
    }
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& n = *g.nodes[i];
        std::vector<std::string> lines{g.node_name(n),
                                       type_str(n.output_sizes(), n.output_dtype())};
        if (options.show_rules && !n.rule().empty()) lines.push_back(n.rule());
        if (auto kept = n.retained().lock()) {
            lines.push_back("retain_grad");
            add_values(lines, tapegrad::detail::wrap(kept), options);
        }
        os << "  n" << i << " [shape=box, fillcolor=" << (n.released() ? "white" : "lightgrey")
           << (n.released() ? ", style=\"filled,dashed\"" : "") << ", label=\"" << label(lines)
           << "\"";
        if (!n.rule().empty()) os << ", tooltip=\"" << dot_escape(n.rule()) << "\"";
        os << "];\n";
    }
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const std::vector<Edge>& edges = g.nodes[i]->next_edges();
        for (size_t k = 0; k < edges.size(); ++k) {
            const Edge& e = edges[k];
            std::shared_ptr<TensorImpl> leaf = e.fn ? nullptr : e.leaf.lock();
            if (!e.fn && !leaf) continue;  // an input that needs no gradient
            if (e.fn)
                os << "  n" << g.rank.at(e.fn.get());
            else
                os << "  l" << g.leaf_rank.at(leaf.get());
            os << " -> n" << i;
            if (edges.size() > 1) os << " [label=\"" << k << "\"]";
            os << ";\n";
        }
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
        const Tensor& out = outputs[i];
        if (!out.defined()) continue;
        std::vector<std::string> lines{out.name().empty() ? "output" : out.name(),
                                       type_str(out.sizes(), out.dtype())};
        add_values(lines, out, options);
        os << "  out" << i << " [shape=box, peripheries=2, fillcolor=palegreen, label=\""
           << label(lines) << "\"];\n";
        if (out.grad_fn()) os << "  n" << g.rank.at(out.grad_fn().get()) << " -> out" << i << ";\n";
    }
    os << "}\n";
    return os.str();
}

std::string to_dot(const Tensor& output, const DotOptions& options) {
    return to_dot(tensor_list{output}, options);
}

bool graphviz_available() {
    return !tapegrad::detail::find_program("dot").empty();
}

void render(const tensor_list& outputs, const std::string& path, const DotOptions& options) {
    const size_t dot_pos = path.rfind('.');
    const std::string ext = dot_pos == std::string::npos ? "" : path.substr(dot_pos + 1);
    if (ext != "dot" && ext != "gv" && ext != "svg" && ext != "png" && ext != "pdf") {
        throw std::invalid_argument("render: cannot tell the format of '" + path +
                                    "'; end the file name in .svg, .png, .pdf, .dot or .gv");
    }
    const std::string text = to_dot(outputs, options);
    if (ext == "dot" || ext == "gv")
        return tapegrad::detail::write_file_atomically("render", path, text);
    if (!graphviz_available()) {
        throw std::runtime_error(
            "render: Graphviz's 'dot' program is not installed (not found on the PATH), so '" +
            path +
            "' cannot be drawn; install it (e.g. apt-get install graphviz), or write the "
            "DOT text with render(output, \"graph.dot\") or to_dot(output) and draw it elsewhere");
    }
    // dot reads the text on its standard input and writes the picture to its standard output,
    // which is then written atomically like every other file
    const std::string picture = tapegrad::detail::run_program("render", {"dot", "-T" + ext}, text);
    tapegrad::detail::write_file_atomically("render", path, picture);
}

void render(const Tensor& output, const std::string& path, const DotOptions& options) {
    render(tensor_list{output}, path, options);
}

std::vector<std::shared_ptr<Node>> backward_order(const tensor_list& outputs) {
    // the engine's own plan, run without computing anything
    std::vector<Node*> roots;
    for (const Tensor& out : outputs)
        if (out.defined()) roots.push_back(out.grad_fn().get());
    BackwardPlan plan(roots);
    plan.seed(roots);
    std::vector<std::shared_ptr<Node>> order;
    while (!plan.done()) {
        const int64_t i = plan.pop();
        order.push_back(plan.node(i).shared_from_this());
        plan.finish(i);
    }
    return order;
}

std::vector<std::shared_ptr<Node>> backward_order(const Tensor& output) {
    return backward_order(tensor_list{output});
}

void print_tape(const Tensor& output, std::ostream& os) {
    if (!output.defined()) throw std::invalid_argument("print_tape: the output is undefined");
    if (!output.grad_fn()) {
        os << "tape: the output " << type_str(output.sizes(), output.dtype())
           << (output.requires_grad() ? " is a leaf: backward puts the gradient straight into "
                                        "its .grad()\n"
                                      : " does not require grad: nothing was recorded\n");
        return;
    }
    const GraphIndex g({output});
    const std::vector<std::shared_ptr<Node>> order = backward_order(output);
    os << "tape: backward from " << g.node_name(*output.grad_fn()) << " "
       << type_str(output.sizes(), output.dtype()) << " runs " << order.size()
       << " steps; each starts once all gradients for its output have arrived\n";
    auto pad = [&os](const std::string& s, size_t width) {
        os << s << std::string(s.size() < width ? width - s.size() : 1, ' ');
    };
    pad("step", 6);
    pad("node", 16);
    pad("output", 20);
    pad("sends gradients to", 34);
    os << "backward rule\n";
    bool no_grad_inputs = false;
    for (size_t step = 0; step < order.size(); ++step) {
        const Node& n = *order[step];
        std::string to;
        const std::vector<Edge>& edges = n.next_edges();
        for (size_t k = 0; k < edges.size(); ++k) {
            if (k == 4 && edges.size() > 5) {
                to += ", +" + std::to_string(edges.size() - 4) + " more";
                break;
            }
            const Edge& e = edges[k];
            std::shared_ptr<TensorImpl> leaf = e.fn ? nullptr : e.leaf.lock();
            to += k ? ", " : "";
            to += e.fn ? g.node_name(*e.fn) : leaf ? g.leaf_name(*leaf) : "-";
            no_grad_inputs = no_grad_inputs || (!e.fn && !leaf);
        }
        pad(std::to_string(step + 1), 6);
        pad(g.node_name(n), 16);
        pad(type_str(n.output_sizes(), n.output_dtype()), 20);
        pad(to, 34);
        os << (n.rule().empty() ? "(no rule recorded)" : n.rule())
           << (n.released() ? "   [freed]" : "") << "\n";
    }
    if (no_grad_inputs) os << "(-: an input that needs no gradient, such as data or a target)\n";
    os << "leaves:";
    if (g.leaves.empty()) os << " none";
    for (size_t i = 0; i < g.leaves.size(); ++i) {
        os << (i ? ", " : " ") << g.leaf_name(*g.leaves[i]) << " "
           << type_str(g.leaves[i]->sizes, g.leaves[i]->dtype);
    }
    os << "\n";
}

void print_tape(const Tensor& output) {
    print_tape(output, std::cout);
}

std::string tape_str(const Tensor& output) {
    std::ostringstream os;
    print_tape(output, os);
    return os.str();
}

}  // namespace autograd
}  // namespace tapegrad
