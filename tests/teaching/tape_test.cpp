// The tape printout: backward_order checked against the order the engine really runs nodes in
// (recorded by pre-hooks), and print_tape's lines.

#include <map>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>

#include "autograd/graph.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
using autograd::backward_order;
using autograd::Node;

namespace {

// Makes every node reachable from `outputs` append itself to `ran` when the engine runs it.
std::shared_ptr<std::vector<const Node*>> instrument(const tensor_list& outputs) {
    auto ran = std::make_shared<std::vector<const Node*>>();
    for (const auto& n : backward_order(outputs)) {
        const Node* raw = n.get();
        n->hooks().add([ran, raw](const Tensor&) {
            ran->push_back(raw);
            return Tensor();
        });
    }
    return ran;
}

std::vector<const Node*> raw(const std::vector<std::shared_ptr<Node>>& nodes) {
    std::vector<const Node*> r;
    for (const auto& n : nodes) r.push_back(n.get());
    return r;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
}

// Counts the lines written to it, and keeps nothing.
class LineCounter : public std::streambuf {
public:
    size_t lines = 0;

protected:
    int overflow(int c) override {
        lines += c == '\n';
        return c;
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        for (std::streamsize i = 0; i < n; ++i) lines += s[i] == '\n';
        return n;
    }
};

}  // namespace

TEST_SUITE("tape") {
    TEST_CASE("backward_order: matches the order the engine runs the nodes in, on a diamond") {
        Tensor x = make_f64({0.5, -1, 2}, {3}, true);
        Tensor w = make_f64({1, 2, 3}, {3}, true);
        Tensor h = tanh(x * w);
        Tensor a = h.exp(), b = h * h, c = sigmoid(h) * x;
        Tensor y = (a + b).sum() + c.mean() + h.sum();
        const auto order = backward_order(y);
        REQUIRE(order.size() == 12);
        auto ran = instrument({y});
        y.backward();
        CHECK(*ran == raw(order));
        CHECK(order.front().get() == y.grad_fn().get());
        CHECK(order.back()->name() == "mul");  // x * w: the first op of the forward runs last
    }

    TEST_CASE("backward_order: every node comes after all the nodes that send it a gradient") {
        Tensor x = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true);
        Tensor w = make_f64({0.1, -0.2, 0.3, 0.4, 0.5, -0.6}, {3, 2}, true);
        Tensor h = relu(matmul(x, w));
        Tensor y = (softmax(h, 1) * h + h.pow(2.0)).sum() + matmul(h.t(), h).sum();
        const auto order = backward_order(y);
        std::map<const Node*, size_t> pos;
        for (size_t i = 0; i < order.size(); ++i) pos[order[i].get()] = i;
        for (const auto& n : order)
            for (const auto& e : n->next_edges())
                if (e.fn) CHECK(pos.at(n.get()) < pos.at(e.fn.get()));
        auto ran = instrument({y});
        y.backward();
        CHECK(*ran == raw(order));
    }

    TEST_CASE("backward_order: of several outputs matches autograd::backward over them") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor h = x * 3.0;
        Tensor a = (h * h).sum(), b = (h + x).sum();
        const auto order = backward_order(tensor_list{a, b});
        CHECK(order.size() == 5);
        auto ran = instrument({a, b});
        autograd::backward({a, b});
        CHECK(*ran == raw(order));
    }

    TEST_CASE("print_tape: one line per step in backward order, with shapes, targets and rules") {
        Tensor x = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true).set_name("x");
        Tensor w = make_f64({1, -1, 2}, {3}, true).set_name("w");
        Tensor y = tanh(x * w).sum();
        const std::vector<std::string> lines = lines_of(autograd::tape_str(y));
        REQUIRE(lines.size() == 6);
        CHECK(lines[0] ==
              "tape: backward from sum#2 [] float64 runs 3 steps; each starts once all "
              "gradients for its output have arrived");
        CHECK(lines[1].rfind("step  node", 0) == 0);
        const auto order = backward_order(y);
        const char* names[] = {"sum#2", "tanh#1", "mul#0"};
        const char* shapes[] = {"[] float64", "[2, 3] float64", "[2, 3] float64"};
        const char* targets[] = {"tanh#1", "mul#0", "x, w"};
        for (size_t i = 0; i < 3; ++i) {
            const std::string& l = lines[2 + i];
            INFO(l);
            CHECK(l.rfind(std::to_string(i + 1) + " ", 0) == 0);
            CHECK(l.find(names[i]) == 6);
            CHECK(l.find(shapes[i]) == 22);
            CHECK(l.find(targets[i]) == 42);
            CHECK(l.substr(76) == order[i]->rule());
            CHECK_FALSE(order[i]->rule().empty());
        }
        CHECK(lines[5] == "leaves: x [2, 3] float64, w [3] float64");
        y.backward();
        CHECK(lines_of(autograd::tape_str(y))[2].find("[freed]") != std::string::npos);
    }

    TEST_CASE("print_tape: names inputs that need no gradient '-' and unnamed leaves by number") {
        Tensor x = make_f64({1, 2}, {2}, true);
        Tensor c = make_f64({3, 4}, {2});
        const std::vector<std::string> lines = lines_of(autograd::tape_str((c * x).sum()));
        CHECK(lines[3].find("-, leaf#0") == 42);
        CHECK(lines[4] == "(-: an input that needs no gradient, such as data or a target)");
        CHECK(lines.back() == "leaves: leaf#0 [2] float64");
    }

    TEST_CASE("print_tape: of a leaf or a tensor without grad says there is nothing to run") {
        Tensor x = make_f64({1, 2}, {2}, true);
        CHECK(autograd::tape_str(x) ==
              "tape: the output [2] float64 is a leaf: backward puts the "
              "gradient straight into its .grad()\n");
        CHECK(autograd::tape_str(make_f64({1}, {1})) ==
              "tape: the output [1] float64 does not require grad: nothing was recorded\n");
    }

    TEST_CASE("print_tape: a million-node chain prints without overflowing the stack") {
        Tensor x = make_f64({1}, {1}, true);
        Tensor y = x;
        for (int i = 0; i < 1000000; ++i) y = y * 1.0;
        LineCounter counter;
        std::ostream os(&counter);
        autograd::print_tape(y.sum(), os);
        CHECK(counter.lines == 1000001 + 3);
    }
}
