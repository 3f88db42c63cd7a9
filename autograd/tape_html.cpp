#include "autograd/tape_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "autograd/engine.hpp"
#include "autograd/format.hpp"
#include "autograd/graph.hpp"
#include "autograd/node.hpp"
#include "autograd/platform.hpp"

namespace tapegrad {
namespace autograd {

namespace detail {
/// The page around the data: HTML, CSS and the script that draws and steps (tape_html_page.cpp).
/// The data object goes where the template says /*TAPE_DATA*/.
const char* tape_html_template();
}  // namespace detail

namespace {

// ---- what the page shows of a tensor ---------------------------------------------------------

std::string number(double v) {
    return tapegrad::detail::format_number(v, "%.6g");
}

// Nested brackets, one innermost row per line: "[[1, 2],\n [3, 4]]".
std::string full_values(const std::vector<double>& v, const std::vector<int64_t>& sizes) {
    const size_t nd = sizes.size();
    if (nd == 0) return number(v.at(0));
    if (v.empty()) return std::string(nd, '[') + std::string(nd, ']');
    const size_t row = static_cast<size_t>(sizes.back());
    std::vector<int64_t> idx(nd, 0);  // the index of the row's first element
    std::string s;
    for (size_t start = 0; start < v.size(); start += row) {
        // a bracket opens for every dimension whose first row this is, and closes likewise
        size_t opens = 1, closes = 1;
        for (size_t d = nd - 1; d-- > 0 && idx[d] == 0;) ++opens;
        for (size_t d = nd - 1; d-- > 0 && idx[d] == sizes[d] - 1;) ++closes;
        if (start > 0) s += ",\n" + std::string(nd - opens, ' ');
        s += std::string(opens, '[');
        for (size_t j = 0; j < row; ++j) s += (j ? ", " : "") + number(v[start + j]);
        s += std::string(closes, ']');
        for (size_t d = nd - 1; d-- > 0;) {
            if (++idx[d] < sizes[d]) break;
            idx[d] = 0;
        }
    }
    return s;
}

// Small tensors in full; large ones as statistics and their first elements.
std::string shown(const Tensor& t, int64_t max_elements) {
    const std::vector<double> v = t.contiguous().to_vector<double>();
    if (t.numel() <= max_elements) return full_values(v, t.sizes());
    double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0;
    for (double x : v) {
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        sum += x;
        sq += x * x;
    }
    std::string s = std::to_string(t.numel()) + " elements: min " + number(lo) + ", max " +
                    number(hi) + ", mean " + number(sum / static_cast<double>(v.size())) +
                    ", norm " + number(std::sqrt(sq)) + "\nfirst: ";
    for (size_t i = 0; i < std::min<size_t>(6, v.size()); ++i) s += number(v[i]) + ", ";
    return s + "...";
}

std::string type_of(const std::vector<int64_t>& sizes, ScalarType dtype) {
    return shape_str(sizes) + " " + to_string(dtype);
}

// ---- JSON --------------------------------------------------------------------------------------

// A JSON string that is also safe inside <script>: <, > and & as \u escapes, so no text of the
// user's (a tensor's name) can close the script element.
std::string json(const std::string& s) {
    std::string r = "\"";
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        char buf[8];
        if (c == '"' || c == '\\') {
            r += '\\';
            r += static_cast<char>(c);
        } else if (c == '\n') {
            r += "\\n";
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            r += buf;
        } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
            // U+2028 and U+2029 end a line in older JavaScript
            r += static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            r += static_cast<char>(c);
        }
    }
    return r + "\"";
}

std::string json_or_null(const Tensor& t, int64_t max_elements) {
    return t.defined() ? json(shown(t, max_elements)) : "null";
}

// ---- one backward pass, observed ---------------------------------------------------------------

// A hook of ours on every node for one pass, and retain_grad()'s slots emptied for it, so the
// pass leaves no trace: undone in the destructor, also when the pass throws.
class Observer {
public:
    Observer(const std::vector<std::shared_ptr<Node>>& nodes, std::vector<Tensor>& grad_out)
        : nodes_(nodes) {
        for (size_t i = 0; i < nodes.size(); ++i) {
            handles_.push_back(nodes[i]->hooks().add([&grad_out, i](const Tensor& g) {
                grad_out[i] = g.detach();
                return Tensor();
            }));
            retained_.push_back(nodes[i]->retained());
            nodes[i]->retained().reset();
        }
    }
    ~Observer() {
        for (size_t i = 0; i < nodes_.size(); ++i) {
            nodes_[i]->hooks().remove(handles_[i]);
            nodes_[i]->retained() = retained_[i];
        }
    }
    Observer(const Observer&) = delete;
    Observer& operator=(const Observer&) = delete;

private:
    const std::vector<std::shared_ptr<Node>>& nodes_;
    std::vector<unsigned> handles_;
    std::vector<std::weak_ptr<TensorImpl>> retained_;
};

// The leaf an edge ends in, as a tensor (undefined when the input needs no gradient). Edge and
// Node hold leaves and retain_grad() results as TensorImpl handles: these two functions turn
// them into tensors, and Observer only moves them aside and back.
Tensor leaf_of(const Edge& e) {
    std::shared_ptr<TensorImpl> leaf = e.fn ? nullptr : e.leaf.lock();
    return leaf ? tapegrad::detail::wrap(std::move(leaf)) : Tensor();
}

Tensor retained_of(const Node& n) {
    std::shared_ptr<TensorImpl> kept = n.retained().lock();
    return kept ? tapegrad::detail::wrap(std::move(kept)) : Tensor();
}

}  // namespace

std::string tape_html(const Tensor& output, const TapeHtmlOptions& options) {
    if (!output.defined()) throw std::invalid_argument("write_html: the output is undefined");
    if (!output.grad_fn()) {
        throw std::invalid_argument(
            "write_html: the output " + type_of(output.sizes(), output.dtype()) +
            (output.requires_grad() ? " is a leaf: there is no tape to show"
                                    : " does not require grad: nothing was recorded"));
    }
    if (output.numel() != 1) {
        throw std::logic_error("write_html: output has shape " + shape_str(output.sizes()) +
                               "; the page shows backward from a scalar, e.g. a loss or y.sum()");
    }
    // the nodes in creation order (the forward), numbered as print_tape and to_dot number them
    const std::vector<std::shared_ptr<Node>> backward = backward_order(output);
    std::vector<std::shared_ptr<Node>> nodes = backward;
    std::sort(nodes.begin(), nodes.end(),
              [](const auto& a, const auto& b) { return a->sequence_nr() < b->sequence_nr(); });
    std::unordered_map<const Node*, size_t> rank;
    for (size_t i = 0; i < nodes.size(); ++i) {
        rank[nodes[i].get()] = i;
        if (nodes[i]->released()) {
            throw std::logic_error(
                "write_html: the graph through '" + nodes[i]->name() +
                "' was freed by an earlier backward(); call write_html before backward(), or "
                "pass retain_graph=true to backward()");
        }
    }
    tensor_list leaves;
    std::unordered_map<const void*, size_t> leaf_rank;
    for (const auto& n : nodes) {
        for (const Edge& e : n->next_edges()) {
            Tensor leaf = leaf_of(e);
            if (leaf.defined() &&
                leaf_rank.emplace(leaf.unsafeGetTensorImpl(), leaves.size()).second)
                leaves.push_back(leaf);
        }
    }
    // what is known of each op's result
    std::vector<Tensor> value(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) value[i] = retained_of(*nodes[i]);
    for (size_t i = 0; i < options.tensors.size(); ++i) {
        const Tensor& t = options.tensors[i];
        auto it = t.defined() && t.grad_fn() ? rank.find(t.grad_fn().get()) : rank.end();
        if (it == rank.end()) {
            throw std::invalid_argument(
                "write_html: options.tensors[" + std::to_string(i) + "] " +
                (t.defined() ? type_of(t.sizes(), t.dtype()) : std::string("(undefined)")) +
                " is not a result of an op in the output's graph");
        }
        value[it->second] = t;
    }
    value[rank.at(output.grad_fn().get())] = output;

    std::vector<Tensor> grad_out(nodes.size());
    tensor_list leaf_grads;
    {
        Observer observe(nodes, grad_out);
        leaf_grads =
            grad({output}, leaves, {}, /*retain_graph=*/true, false, /*allow_unused=*/true);
    }

    const int64_t m = options.max_elements;
    std::ostringstream d;
    d << "{\"title\": " << json(options.title)
      << ",\n\"output\": {\"name\": " << json(output.name().empty() ? "output" : output.name())
      << ", \"node\": " << rank.at(output.grad_fn().get()) << "},\n\"leaves\": [";
    for (size_t i = 0; i < leaves.size(); ++i) {
        const Tensor& l = leaves[i];
        d << (i ? ",\n " : "\n ")
          << "{\"name\": " << json(l.name().empty() ? "leaf#" + std::to_string(i) : l.name())
          << ", \"type\": " << json(type_of(l.sizes(), l.dtype()))
          << ", \"value\": " << json(shown(l, m))
          << ", \"grad\": " << json_or_null(leaf_grads[i], m) << "}";
    }
    d << "],\n\"nodes\": [";
    for (size_t i = 0; i < nodes.size(); ++i) {
        const Node& n = *nodes[i];
        d << (i ? ",\n " : "\n ") << "{\"name\": " << json(n.name() + "#" + std::to_string(i))
          << ", \"label\": " << json(value[i].defined() ? value[i].name() : "")
          << ", \"type\": " << json(type_of(n.output_sizes(), n.output_dtype()))
          << ", \"rule\": " << json(n.rule()) << ", \"value\": " << json_or_null(value[i], m)
          << ", \"grad\": " << json_or_null(grad_out[i], m) << ", \"inputs\": [";
        const std::vector<Edge>& edges = n.next_edges();
        for (size_t k = 0; k < edges.size(); ++k) {
            const Tensor leaf = leaf_of(edges[k]);
            d << (k ? ", " : "");
            if (edges[k].fn)
                d << "{\"node\": " << rank.at(edges[k].fn.get()) << "}";
            else if (leaf.defined())
                d << "{\"leaf\": " << leaf_rank.at(leaf.unsafeGetTensorImpl()) << "}";
            else
                d << "{}";  // an input that needs no gradient (data, a target)
        }
        d << "]}";
    }
    d << "],\n\"backward\": [";
    for (size_t s = 0; s < backward.size(); ++s) d << (s ? ", " : "") << rank.at(backward[s].get());
    d << "]}";

    std::string page = detail::tape_html_template();
    const std::string slot = "/*TAPE_DATA*/";
    page.replace(page.find(slot), slot.size(), d.str());
    return page;
}

void write_html(const Tensor& output, const std::string& path, const TapeHtmlOptions& options) {
    tapegrad::detail::write_file_atomically("write_html", path, tape_html(output, options));
}

}  // namespace autograd
}  // namespace tapegrad
