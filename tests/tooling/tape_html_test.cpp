// The tape page's content: what it shows, that writing it leaves the graph, the gradients and
// the hooks as they were, and how it refuses what it cannot show. The page's script is tested
// in a real browser by tape_html_browser.sh.

#include "autograd/tape_html.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/graph.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;
namespace fs = std::filesystem;

namespace {
// The data object the page's script reads, as written.
std::string data_of(const std::string& page) {
    const std::string start = "const TAPE = ";
    const size_t a = page.find(start);
    const size_t b = page.find(";\nconst SVG_NS", a);
    REQUIRE(a != std::string::npos);
    REQUIRE(b != std::string::npos);
    return page.substr(a + start.size(), b - a - start.size());
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A fresh directory, removed with its contents.
struct ScratchDir {
    fs::path path =
        fs::temp_directory_path() / ("tapegrad_tape_html_" + std::to_string(::getpid()));
    ScratchDir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// loss = sum(tanh(x * w) + x): two leaves, x used twice.
struct Small {
    Tensor x = make_f64({0.5, -1, 2}, {3}, true);
    Tensor w = make_f64({2, 0.5, -1}, {3}, true);
    Tensor h, loss;
    Small() {
        x.set_name("x");
        w.set_name("w");
        h = tanh(x * w);
        loss = (h + x).sum();
    }
};
}  // namespace

TEST_SUITE("tooling/tape_html") {
    TEST_CASE("tape_html: one self-contained page: inline script and style, nothing fetched") {
        Small s;
        const std::string page = autograd::tape_html(s.loss);
        CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
        CHECK(has(page, "<svg"));
        CHECK(has(page, "<style>"));
        for (const char* external : {"<script src", "<link", "@import", "url(http", "src=\"http",
                                     "href=\"http", "src=\"//", "fetch(", "XMLHttpRequest"})
            CHECK_MESSAGE(!has(page, external), "the page contains " << external);
    }

    TEST_CASE("tape_html: the ops in creation order, the engine's backward order and the rules") {
        Small s;
        const std::string d = data_of(autograd::tape_html(s.loss));
        // mul#0, tanh#1, add#2, sum#3: as print_tape and to_dot number them
        for (const char* name : {"\"mul#0\"", "\"tanh#1\"", "\"add#2\"", "\"sum#3\""})
            CHECK_MESSAGE(has(d, name), name);
        std::string order = "\"backward\": [";
        std::vector<uint64_t> seq;
        for (const auto& n : autograd::backward_order(s.loss)) seq.push_back(n->sequence_nr());
        const uint64_t base = *std::min_element(seq.begin(), seq.end());
        for (size_t i = 0; i < seq.size(); ++i)
            order += (i ? ", " : "") + std::to_string(seq[i] - base);
        CHECK_MESSAGE(has(d, order + "]"), order << " in " << d);
        CHECK(has(d, "\"rule\": \"" + s.h.grad_fn()->rule() + "\""));
        // add#2's inputs: the node tanh#1 and the leaf x
        CHECK(has(d, "\"inputs\": [{\"node\": 1}, {\"leaf\": 0}]"));
    }

    TEST_CASE("tape_html: leaves' values and gradients, as autograd::grad gives them") {
        Tensor x = make_f64({1, 2, 3}, {3}, true);
        x.set_name("x");
        const std::string d = data_of(autograd::tape_html((x * x).sum()));
        CHECK(has(d,
                  "{\"name\": \"x\", \"type\": \"[3] float64\", \"value\": \"[1, 2, 3]\", "
                  "\"grad\": \"[2, 4, 6]\"}"));
        // the gradient arriving at each node: 1 at the sum, ones at the mul
        CHECK(has(d, "\"grad\": \"1\""));
        CHECK(has(d, "\"grad\": \"[1, 1, 1]\""));
    }

    TEST_CASE("tape_html: a 2-D value is printed row by row, a large one summarised") {
        Tensor a = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true);
        Tensor big = arange(0, 100, 1, TensorOptions().dtype(kFloat64)).requires_grad_();
        std::string d = data_of(autograd::tape_html((a * 2.0).sum() + big.sum()));
        CHECK(has(d, "\"value\": \"[[1, 2, 3],\\n [4, 5, 6]]\""));
        CHECK(
            has(d,
                "\"value\": \"100 elements: min 0, max 99, mean 49.5, norm 573.018\\nfirst: 0, 1, "
                "2, 3, 4, 5, ...\""));
        autograd::TapeHtmlOptions all;
        all.max_elements = 100;
        d = data_of(autograd::tape_html((a * 2.0).sum() + big.sum(), all));
        CHECK(has(d, "\"value\": \"[0, 1, 2, 3, 4,"));
    }

    TEST_CASE(
        "tape_html: results shown for the output, options.tensors and live retain_grad tensors") {
        Small s;
        s.h.set_name("h");
        std::string d = data_of(autograd::tape_html(s.loss));
        CHECK(has(d,
                  "\"name\": \"tanh#1\", \"label\": \"\", \"type\": \"[3] float64\", \"rule\": \"" +
                      s.h.grad_fn()->rule() + "\", \"value\": null"));
        CHECK(has(d, "\"name\": \"sum#3\", \"label\": \"\", \"type\": \"[] float64\""));
        autograd::TapeHtmlOptions show;
        show.tensors = {s.h};
        d = data_of(autograd::tape_html(s.loss, show));
        CHECK(has(d, "\"name\": \"tanh#1\", \"label\": \"h\""));
        CHECK_FALSE(has(d,
                        "\"name\": \"tanh#1\", \"label\": \"h\", \"type\": \"[3] float64\", "
                        "\"rule\": \"" +
                            s.h.grad_fn()->rule() + "\", \"value\": null"));
        Small r;
        r.h.retain_grad();
        d = data_of(autograd::tape_html(r.loss));
        CHECK_FALSE(has(d,
                        "\"name\": \"tanh#1\", \"label\": \"\", \"type\": \"[3] float64\", "
                        "\"rule\": \"" +
                            r.h.grad_fn()->rule() + "\", \"value\": null"));
    }

    TEST_CASE("tape_html: leaves .grad(), retain_grad tensors, hooks and the graph as they were") {
        Small s;
        s.h.retain_grad();
        int calls = 0;
        const unsigned handle = s.h.register_hook([&calls](const Tensor&) { ++calls; });
        s.loss.backward(Tensor(), /*retain_graph=*/true);
        CHECK(calls == 1);
        const std::vector<double> x_grad = s.x.grad().to_vector<double>();
        const std::vector<double> h_grad = s.h.grad().to_vector<double>();

        autograd::tape_html(s.loss);
        CHECK(calls == 2);  // the user's hook runs in the page's pass, as in backward()
        CHECK_VALUES(s.x.grad(), x_grad);
        CHECK_VALUES(s.h.grad(), h_grad);
        CHECK(s.loss.grad_fn()->hooks().empty());
        CHECK(s.h.grad_fn()->hooks().size() == 1);  // the user's alone

        // the graph still runs, and accumulates as usual
        s.loss.backward();
        CHECK(calls == 3);
        std::vector<double> twice = x_grad;
        for (double& v : twice) v *= 2;
        CHECK_VALUES(s.x.grad(), twice);
        s.h.remove_hook(handle);

        // before any backward, .grad() stays undefined
        Small fresh;
        autograd::tape_html(fresh.loss);
        CHECK_FALSE(fresh.x.grad().defined());
    }

    TEST_CASE("tape_html: a name cannot close the script element") {
        Tensor x = make_f64({1}, {1}, true);
        x.set_name("</script><b>\"x\"</b>\n");
        const std::string page = autograd::tape_html((x * 3.0).sum());
        CHECK_FALSE(has(page, "</script><b>"));
        CHECK(
            has(page,
                "\"name\": \"\\u003c/script\\u003e\\u003cb\\u003e\\\"x\\\"\\u003c/b\\u003e\\n\""));
    }

    TEST_CASE("tape_html: a chain of 20,000 ops, without recursion") {
        Tensor x = make_f64({0.5}, {1}, true);
        Tensor y = x;
        for (int i = 0; i < 20000; ++i) y = y * 1.0;
        const std::string page = autograd::tape_html(y.sum());
        CHECK(has(page, "\"mul#19999\""));
    }

    TEST_CASE("write_html: writes the page whole, through a temporary it renames") {
        ScratchDir dir;
        Small s;
        const std::string path = (dir.path / "tape.html").string();
        autograd::write_html(s.loss, path);
        std::ifstream in(path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        CHECK(text.str() == autograd::tape_html(s.loss));
        size_t files = 0;
        for (const auto& e : fs::directory_iterator(dir.path)) files += e.is_regular_file();
        CHECK(files == 1);  // no temporary left beside it
    }

    TEST_CASE("write_html: a path it cannot write raises, leaving nothing behind") {
        ScratchDir dir;
        Small s;
        const std::string path = (dir.path / "missing" / "tape.html").string();
        CHECK_THROWS_CONTAINS(autograd::write_html(s.loss, path), std::runtime_error,
                              "write_html: cannot open the directory of", "missing");
        CHECK(fs::is_empty(dir.path));
    }

    TEST_CASE("write_html: refuses what it cannot show") {
        Small s;
        CHECK_THROWS_CONTAINS(autograd::tape_html(Tensor()), std::invalid_argument,
                              "write_html: the output is undefined");
        CHECK_THROWS_CONTAINS(autograd::tape_html(s.x), std::invalid_argument,
                              "write_html: the output [3] float64 is a leaf");
        CHECK_THROWS_CONTAINS(autograd::tape_html(make_f64({1}, {1}) * 2.0), std::invalid_argument,
                              "does not require grad: nothing was recorded");
        CHECK_THROWS_CONTAINS(
            autograd::tape_html(s.h), std::logic_error,
            "write_html: output has shape [3]; the page shows backward from a scalar");
        autograd::TapeHtmlOptions other;
        other.tensors = {Small().h};
        CHECK_THROWS_CONTAINS(
            autograd::tape_html(s.loss, other), std::invalid_argument,
            "write_html: options.tensors[0] [3] float64 is not a result of an op in "
            "the output's graph");
        s.loss.backward();
        CHECK_THROWS_CONTAINS(
            autograd::tape_html(s.loss), std::logic_error,
            "was freed by an earlier backward(); call write_html before backward()");
    }

}  // TEST_SUITE
