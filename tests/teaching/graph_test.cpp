// Graph export: to_dot parsed back and checked node by node and edge by edge, render with and
// without Graphviz, and a million-node chain.

#include "autograd/graph.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/teaching/dot_parse.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using autograd::DotOptions;
using autograd::to_dot;

namespace {

// y = sum(x * w) with x [2, 3] and w [3]: two leaves, mul, sum.
struct SmallGraph {
    Tensor x = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true).set_name("x");
    Tensor w = make_f64({1, -1, 2}, {3}, true).set_name("w");
    Tensor y = (x * w).sum();
};

struct Net : nn::Module {
    nn::Linear fc1{nullptr}, fc2{nullptr};
    Net() {
        fc1 = register_module("fc1", nn::Linear(3, 4));
        fc2 = register_module("fc2", nn::Linear(4, 1));
    }
    Tensor forward(const Tensor& x) { return fc2(relu(fc1(x))); }
};

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace

TEST_SUITE("graph") {
    TEST_CASE("to_dot: one box per node, one ellipse per leaf, edges in data-flow direction") {
        SmallGraph s;
        const DotGraph g = parse_dot(to_dot(s.y));
        CHECK(g.name == "tapegrad");
        REQUIRE(g.nodes.size() == 5);  // l0 l1 n0 n1 out0
        CHECK(g.label_lines("l0") == std::vector<std::string>{"x", "[2, 3] float64"});
        CHECK(g.label_lines("l1") == std::vector<std::string>{"w", "[3] float64"});
        CHECK(g.label_lines("n0") == std::vector<std::string>{"mul#0", "[2, 3] float64"});
        CHECK(g.label_lines("n1") == std::vector<std::string>{"sum#1", "[] float64"});
        CHECK(g.label_lines("out0") == std::vector<std::string>{"output", "[] float64"});
        CHECK(g.nodes.at("l0").at("shape") == "ellipse");
        CHECK(g.nodes.at("n0").at("shape") == "box");
        REQUIRE(g.edges.size() == 4);
        CHECK(g.count_edges("l0", "n0") == 1);
        CHECK(g.count_edges("l1", "n0") == 1);
        CHECK(g.count_edges("n0", "n1") == 1);
        CHECK(g.count_edges("n1", "out0") == 1);
        // a two-input op numbers its inputs, so a - b and b - a look different
        for (const auto& e : g.edges) {
            if (e.from == "l0") CHECK(e.attrs.at("label") == "0");
            if (e.from == "l1") CHECK(e.attrs.at("label") == "1");
        }
        CHECK(g.nodes.at("n0").at("tooltip") == s.y.grad_fn()->next_edges()[0].fn->rule());
    }

    TEST_CASE(
        "to_dot: inputs that need no gradient are not drawn and a shared input gets two edges") {
        Tensor x = make_f64({1, 2}, {2}, true).set_name("x");
        Tensor c = make_f64({3, 4}, {2});  // a constant
        Tensor xx = x * x;
        Tensor cx = c * x;
        Tensor y = (xx + cx).sum();
        const DotGraph g = parse_dot(to_dot(y));
        // leaves: x only; nodes: mul(x, x), mul(c, x), add, sum
        CHECK(g.nodes.count("l0") == 1);
        CHECK(g.nodes.count("l1") == 0);
        CHECK(g.nodes.size() == 1 + 4 + 1);
        CHECK(g.count_edges("l0", "n0") == 2);
        CHECK(g.count_edges("l0", "n1") == 1);
        CHECK(g.count_edges("n0", "n2") == 1);
        CHECK(g.count_edges("n1", "n2") == 1);
    }

    TEST_CASE("to_dot: module parameters appear under their dotted names") {
        manual_seed(3);
        auto net = std::make_shared<Net>();
        Tensor loss = net->forward(randn({5, 3})).pow(2).mean();
        const DotGraph g = parse_dot(to_dot(loss));
        std::vector<std::string> leaf_names;
        for (const auto& id : g.node_order)
            if (id[0] == 'l') leaf_names.push_back(g.label_lines(id)[0]);
        CHECK(leaf_names ==
              std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
        bool found = false;
        for (const auto& id : g.node_order)
            if (id[0] == 'l' && g.label_lines(id)[0] == "fc1.weight")
                found = g.label_lines(id)[1] == "[4, 3] float32";
        CHECK(found);
    }

    TEST_CASE("to_dot: quotes, backslashes and line breaks in names are escaped") {
        const std::string odd = "say \"hi\" \\ to\nme";
        Tensor x = make_f64({1}, {1}, true).set_name(odd);
        Tensor y = (x * 2.0).set_name("y \"out\"");
        const DotGraph g = parse_dot(to_dot(y));
        CHECK(g.nodes.at("l0").at("label") == odd + "\n[1] float64");
        CHECK(g.label_lines("out0")[0] == "y \"out\"");
    }

    TEST_CASE("to_dot: shows values and gradients of small tensors when asked, rules too") {
        SmallGraph s;
        Tensor big = make_f64(std::vector<double>(20, 1.0), {20}, true).set_name("big");
        Tensor xw = s.x * s.w;
        xw.retain_grad();
        Tensor xw_sum = xw.sum();
        Tensor y = xw_sum + big.sum();
        y.backward();
        DotOptions o;
        o.show_values = true;
        o.show_rules = true;
        const DotGraph g = parse_dot(to_dot(y, o));
        // leaves in first-use order: x, w, big
        CHECK(g.label_lines("l1") ==
              std::vector<std::string>{"w", "[3] float64", "value [1, -1, 2]", "grad [5, 7, 9]"});
        CHECK(g.label_lines("l2").size() == 2);  // 20 elements: more than max_elements
        CHECK(g.label_lines("n0") == std::vector<std::string>{"mul#0", "[2, 3] float64",
                                                              xw.grad_fn()->rule(), "retain_grad",
                                                              "value [1, -2, 6, 4, -5, 12]",
                                                              "grad [1, 1, 1, 1, 1, 1]"});
        CHECK(g.label_lines("out0") ==
              std::vector<std::string>{"output", "[] float64", "value 36"});
        const DotGraph plain = parse_dot(to_dot(y));
        CHECK(plain.label_lines("l1").size() == 2);
    }

    TEST_CASE("to_dot: the same program gives the same text, wherever it runs in a process") {
        const std::string first = to_dot(SmallGraph().y);
        Tensor unrelated = make_f64({1}, {1}, true) * 3.0;  // moves the global sequence numbers on
        CHECK(to_dot(SmallGraph().y) == first);
    }

    TEST_CASE("to_dot: nodes freed by backward are drawn dashed") {
        SmallGraph s;
        CHECK(parse_dot(to_dot(s.y)).nodes.at("n0").count("style") == 0);
        s.y.backward();
        const DotGraph g = parse_dot(to_dot(s.y));
        CHECK(g.nodes.at("n0").at("style") == "filled,dashed");
        CHECK(g.nodes.at("n1").at("style") == "filled,dashed");
    }

    TEST_CASE("to_dot: several outputs share the nodes they have in common") {
        SmallGraph s;
        Tensor xw = s.x * s.w;
        Tensor a = xw.sum(), b = xw.mean();
        const DotGraph g = parse_dot(to_dot(tensor_list{a, b}));
        CHECK(g.nodes.size() == 2 + 3 + 2);
        CHECK(g.count_edges("n0", "n1") == 1);
        CHECK(g.count_edges("n0", "n2") == 1);
        CHECK(g.count_edges("n1", "out0") == 1);
        CHECK(g.count_edges("n2", "out1") == 1);
    }

    TEST_CASE("to_dot: of a tensor without a graph draws only the output") {
        const DotGraph g = parse_dot(to_dot(make_f64({1, 2}, {2})));
        CHECK(g.nodes.size() == 1);
        CHECK(g.edges.empty());
    }

    TEST_CASE("to_dot: a million-node chain exports without overflowing the stack") {
        Tensor x = make_f64({1}, {1}, true);
        Tensor y = x;
        for (int i = 0; i < 1000000; ++i) y = y + 0.0;
        const std::string text = to_dot(y);
        size_t arrows = 0;
        for (size_t p = text.find("->"); p != std::string::npos; p = text.find("->", p + 2))
            ++arrows;
        CHECK(arrows == 1000000 + 1);  // leaf -> n0, n(i) -> n(i+1), n999999 -> out0
        CHECK(text.find("  n999999 -> out0;\n") != std::string::npos);
    }

    TEST_CASE("render: writes DOT text for .dot, and refuses a file name without a known format") {
        SmallGraph s;
        const std::string path = "teaching_render_test.dot";
        autograd::render(s.y, path);
        CHECK(read_file(path) == to_dot(s.y));
        std::remove(path.c_str());
        CHECK_THROWS_CONTAINS(autograd::render(s.y, "graph.jpeg2000"), std::invalid_argument,
                              "render", "graph.jpeg2000", ".svg");
    }

    TEST_CASE("render: draws an SVG with Graphviz when it is installed") {
        if (!autograd::graphviz_available()) {
            MESSAGE("Graphviz's dot is not installed: only the error path is tested");
            return;
        }
        SmallGraph s;
        const std::string path = "teaching render test.svg";  // a space, to catch shell quoting
        autograd::render(s.y, path);
        const std::string svg = read_file(path);
        CHECK(svg.find("<svg") != std::string::npos);
        CHECK(svg.find("mul#0") != std::string::npos);
        CHECK(svg.find("sum#1") != std::string::npos);
        std::remove(path.c_str());
    }

    TEST_CASE("render: says clearly that Graphviz is missing when dot is not on the PATH") {
        SmallGraph s;
        const char* old = std::getenv("PATH");
        const std::string saved = old ? old : "";
        setenv("PATH", "/nonexistent-teaching-dir", 1);
        const bool available = autograd::graphviz_available();
        const std::string msg = thrown_message<std::runtime_error>(
            [&] { autograd::render(s.y, "teaching_missing.svg"); });
        setenv("PATH", saved.c_str(), 1);
        CHECK_FALSE(available);
        CHECK(msg.find("render: Graphviz's 'dot' program is not installed") != std::string::npos);
        CHECK(msg.find("apt-get install graphviz") != std::string::npos);
        CHECK(msg.find("teaching_missing.svg") != std::string::npos);
        std::FILE* f = std::fopen("teaching_missing.svg", "r");
        CHECK(f == nullptr);
        if (f) std::fclose(f);
    }
}
