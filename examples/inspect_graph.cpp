// Trains one step of a tiny MLP and shows what autograd recorded: the tape backward will walk
// (printed, and written to <prefix>_tape.txt), and the graph as DOT text (<prefix>.dot) and,
// when Graphviz is installed, as a picture (<prefix>.svg).
//   inspect_graph [--out PREFIX (default mlp_graph)]
#include <cstdio>
#include <fstream>
#include <string>
#include <tapegrad.hpp>

#include "args.hpp"
namespace tg = tapegrad;

// x [batch, 2] -> hidden [batch, 3] -> relu -> out [batch, 1]
struct MLPImpl : tg::nn::Module {
    tg::nn::Linear hidden{nullptr}, out{nullptr};
    MLPImpl() {
        hidden = register_module("hidden", tg::nn::Linear(2, 3));
        out = register_module("out", tg::nn::Linear(3, 1));
    }
    tg::Tensor forward(const tg::Tensor& x) { return out(tg::relu(hidden(x))); }
};
TAPEGRAD_MODULE(MLP);

int main(int argc, char** argv) {
    Args args(argc, argv, "[--out PREFIX (default mlp_graph)]");
    const std::string prefix = args.text("--out", "mlp_graph");
    args.done();
    tg::manual_seed(0);
    MLP model;
    tg::optim::SGD opt(model->parameters(), tg::optim::SGDOptions(0.1));
    auto x = tg::tensor({0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0}, tg::kFloat32).reshape({4, 2});
    auto y = tg::tensor({0.0, 1.0, 1.0, 0.0}, tg::kFloat32).reshape({4, 1});

    auto loss = tg::mse_loss(model(x), y);
    loss.set_name("loss");
    std::printf("forward recorded %zu nodes; backward will run them in this order:\n\n",
                tg::autograd::backward_order(loss).size());
    tg::autograd::print_tape(loss);
    std::ofstream(prefix + "_tape.txt") << tg::autograd::tape_str(loss);

    opt.zero_grad();
    loss.backward();

    // after backward the boxes are dashed (their saved tensors are freed) and the small
    // parameters show their values and gradients
    tg::autograd::DotOptions show;
    show.show_values = true;
    tg::autograd::render(loss, prefix + ".dot", show);
    if (tg::autograd::graphviz_available()) {
        tg::autograd::render(loss, prefix + ".svg", show);
        std::printf("\nwrote %s.svg, %s.dot and %s_tape.txt\n", prefix.c_str(), prefix.c_str(),
                    prefix.c_str());
    } else {
        std::printf(
            "\nwrote %s.dot and %s_tape.txt (Graphviz is not installed: draw the graph "
            "with `dot -Tsvg %s.dot` elsewhere)\n",
            prefix.c_str(), prefix.c_str(), prefix.c_str());
    }

    opt.step();
    const double before = loss.item<double>();
    const double after = tg::mse_loss(model(x), y).item<double>();
    std::printf("loss %.4f -> %.4f after one SGD step (it should go down)\n", before, after);
    return after < before ? 0 : 1;
}
