// Writes the tape page of a small network's loss, and the gradients backward() then gives, for
// the browser test (tape_html_browser.mjs) to compare with what the page shows.
//   tape_demo PAGE.html EXPECTED.json
#include <cstdio>
#include <fstream>
#include <tapegrad.hpp>
namespace tg = tapegrad;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: tape_demo PAGE.html EXPECTED.json\n");
        return 2;
    }
    tg::manual_seed(3);
    auto x = tg::tensor({{0.5, -1.0, 2.0}, {1.5, 0.25, -0.75}}).set_name("x");  // data [2, 3]
    x.requires_grad_();
    auto w = tg::randn({3, 4}, tg::requires_grad()).set_name("w");
    auto b = tg::zeros({4}, tg::requires_grad()).set_name("b");
    auto v = tg::randn({4, 1}, tg::requires_grad()).set_name("v");
    auto target = tg::tensor({{1.0}, {-1.0}});
    auto h = tg::tanh(tg::matmul(x, w) + b).set_name("h");  // [2, 4]
    auto y = tg::matmul(h, v).set_name("y");                // [2, 1]
    auto loss = tg::mse_loss(y, target).set_name("loss");
    tg::autograd::TapeHtmlOptions options;
    options.tensors = {h, y};
    tg::autograd::write_html(loss, argv[1], options);

    loss.backward();
    std::ofstream out(argv[2]);
    out.precision(17);
    out << "{";
    const tg::tensor_list leaves{x, w, b, v};
    for (size_t i = 0; i < leaves.size(); ++i) {
        out << (i ? ", " : "") << "\"" << leaves[i].name() << "\": [";
        const auto g = leaves[i].grad().to_vector<double>();
        for (size_t j = 0; j < g.size(); ++j) out << (j ? ", " : "") << g[j];
        out << "]";
    }
    out << "}\n";
    std::printf("wrote %s and %s\n", argv[1], argv[2]);
    return out ? 0 : 1;
}
