// Graphs whose shape depends on the data (docs/INTERNALS.md, "Graphs whose shape depends on the
// data"). A network learns to evaluate arithmetic expressions such as "((3-7)+(2+5))":
//  * a recursive network follows each expression's own tree: a digit is a learned vector, an
//    operator combines its two operands' vectors with its own weights, so every expression
//    records a graph of a different shape;
//  * then a loop "ponders" the root's vector, step after step, until a learned halting score
//    adds up to 1 (adaptive computation time, at most kMaxSteps): how many steps it takes depends
//    on the data too.
// It prints the graph's node count for a few expressions, trains until the mean absolute error
// on new expressions is below --target, and checks the gradients with autograd::gradcheck.
//   dynamic_graphs [--steps N] [--max-leaves N] [--lr X] [--seed N] [--target X]
#include <cctype>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <tapegrad.hpp>
#include <vector>

#include "args.hpp"
namespace tg = tapegrad;
using tg::Tensor;

constexpr int64_t kDim = 16, kMaxSteps = 6;
constexpr double kHaltAt = 0.99, kPonderCost = 0.01;

// A random expression of `leaves` digits joined by + and -, fully parenthesised. Grown without
// recursion: a random digit is replaced by "(a op b)" until there are enough digits.
std::string random_expression(int leaves, std::mt19937& rng) {
    auto digit = [&] { return char('0' + rng() % 10); };
    std::string e(1, digit());
    for (int n = 1; n < leaves; ++n) {
        std::vector<size_t> digits;
        for (size_t i = 0; i < e.size(); ++i)
            if (std::isdigit(static_cast<unsigned char>(e[i]))) digits.push_back(i);
        const size_t at = digits[rng() % digits.size()];
        e.replace(at, 1, std::string{'(', e[at], rng() % 2 ? '+' : '-', digit(), ')'});
    }
    return e;
}

// The expression in postfix order ("(3-7)" -> "37-"): a stack of pending operators (shunting
// yard), so a deeply nested expression needs no deep recursion.
std::string to_postfix(const std::string& e) {
    std::string out, ops;
    for (char c : e) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            out += c;
        } else if (c == '(') {
            ops += c;
        } else if (c == ')') {
            while (!ops.empty() && ops.back() != '(') out += ops.back(), ops.pop_back();
            if (ops.empty()) throw std::invalid_argument("unbalanced ')' in " + e);
            ops.pop_back();
        } else if (c == '+' || c == '-') {
            while (!ops.empty() && ops.back() != '(') out += ops.back(), ops.pop_back();
            ops += c;
        }
    }
    while (!ops.empty()) out += ops.back(), ops.pop_back();
    return out;
}

// The parameters, as plain tensors so that gradcheck can take them as its inputs.
enum { kDigits, kAddW, kAddB, kSubW, kSubB, kStepW, kStepB, kHaltW, kHaltB, kOutW, kOutB };
std::vector<Tensor> init_parameters() {
    auto u = [](std::vector<int64_t> sizes, double bound) {
        return ((tg::rand(sizes) * 2.0 - 1.0) * bound).requires_grad_();
    };
    const double b1 = 1.0 / std::sqrt(2.0 * kDim), b2 = 1.0 / std::sqrt(double(kDim));
    auto halt_b = tg::full({1}, -1.0).requires_grad_();  // start by pondering a few steps
    return {u({10, kDim}, 1.0),
            u({kDim, 2 * kDim}, b1),
            u({kDim}, b1),
            u({kDim, 2 * kDim}, b1),
            u({kDim}, b1),
            u({kDim, kDim}, b2),
            u({kDim}, b2),
            u({kDim}, 1.0),
            halt_b,
            u({kDim}, b2),
            u({1}, b2)};
}

struct Prediction {
    Tensor value;   // [1]: the expression's value / 10
    Tensor ponder;  // [1]: steps taken + the last step's remainder (ACT's ponder cost)
    int steps = 0;
};

Prediction predict(const std::vector<Tensor>& p, const std::string& postfix) {
    // the tree: a stack machine over the postfix string, one vector per pending operand
    std::vector<Tensor> stack;
    for (char c : postfix) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            stack.push_back(p[kDigits].select(0, c - '0'));
            continue;
        }
        Tensor right = stack.back();
        stack.pop_back();
        const Tensor both = tg::cat({stack.back(), right});  // [2 * kDim]
        const bool add = c == '+';
        stack.back() = tg::tanh(tg::matmul(p[add ? kAddW : kSubW], both) + p[add ? kAddB : kSubB]);
    }
    // the loop: each step refines the state and says how much it would like to stop; the output
    // is the steps' readouts weighted by those halting scores, the last taking what remains
    Prediction out;
    Tensor state = stack.back(), total_halt = tg::zeros({1}, p[kOutB].dtype());
    out.value = tg::zeros({1}, p[kOutB].dtype());
    for (out.steps = 1;; ++out.steps) {
        state = tg::tanh(tg::matmul(p[kStepW], state) + p[kStepB]);
        const Tensor halt = tg::sigmoid((p[kHaltW] * state).sum() + p[kHaltB]);
        const Tensor readout = (p[kOutW] * state).sum() + p[kOutB];
        if (out.steps == kMaxSteps || (total_halt + halt).item<double>() >= kHaltAt) {
            const Tensor remainder = 1.0 - total_halt;
            out.value = out.value + remainder * readout;
            out.ponder = remainder + double(out.steps);
            return out;
        }
        out.value = out.value + halt * readout;
        total_halt = total_halt + halt;
    }
}

int value_of(const std::string& postfix) {  // the exact value, by the same stack machine
    std::vector<int> stack;
    for (char c : postfix) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            stack.push_back(c - '0');
            continue;
        }
        const int right = stack.back();
        stack.pop_back();
        stack.back() = c == '+' ? stack.back() + right : stack.back() - right;
    }
    return stack.back();
}

int main(int argc, char** argv) {
    Args args(argc, argv, "[--steps N] [--max-leaves N] [--lr X] [--seed N] [--target X]");
    const int64_t train_steps = args.integer("--steps", 3000);
    const int max_leaves = int(args.integer("--max-leaves", 5));
    const double lr = args.real("--lr", 3e-3);
    const uint64_t seed = args.integer("--seed", 1, 0);
    const double target = args.real("--target", 0.3);
    args.done();
    tg::manual_seed(seed);
    std::mt19937 rng(static_cast<uint32_t>(seed));
    auto draw = [&] { return to_postfix(random_expression(1 + int(rng() % max_leaves), rng)); };

    std::vector<Tensor> params = init_parameters();
    auto show_graphs = [&](const char* when) {  // one graph per expression, each its own size
        std::printf("%s\n%-24s %6s %6s %12s\n", when, "expression", "value", "steps",
                    "graph nodes");
        for (const char* e :
             {"7", "(3-7)", "((3-7)+2)", "((3-7)+(2+5))", "(((((1+2)+3)+4)+5)+6)"}) {
            const Prediction y = predict(params, to_postfix(e));
            std::printf("%-24s %6d %6d %12zu\n", e, value_of(to_postfix(e)), y.steps,
                        tg::autograd::backward_order(y.value).size());
        }
    };
    show_graphs("before training:");

    // the gradients of every parameter, in float64, against central differences
    auto check_gradients = [&](const char* when) {
        std::vector<Tensor> p64;
        for (const Tensor& t : params) p64.push_back(t.detach().to(tg::kFloat64).requires_grad_());
        bool ok = true;
        for (const char* e : {"(4+9)", "((8-2)+(1-(3+3)))"}) {
            const std::string postfix = to_postfix(e);
            auto fn = [&](const std::vector<Tensor>& in) { return predict(in, postfix).value; };
            const auto check = tg::autograd::gradcheck(fn, p64);
            std::printf("gradcheck %s on %-18s (loop steps %d): %s%s\n", when, e,
                        predict(p64, postfix).steps, check.ok ? "passed" : "FAILED ",
                        check.message.c_str());
            ok = ok && check.ok;
        }
        return ok;
    };
    const bool grads_before = check_gradients("before training");

    // mean absolute error (in units of the value) over 500 fresh expressions
    std::vector<std::string> test;
    for (int i = 0; i < 500; ++i) test.push_back(draw());
    auto test_error = [&] {
        tg::NoGradGuard no_grad;
        double sum = 0;
        for (const auto& e : test)
            sum += std::fabs(10.0 * predict(params, e).value.item<double>() - value_of(e));
        return sum / double(test.size());
    };
    tg::optim::Adam optimizer(params, tg::optim::AdamOptions(lr));
    tg::optim::CosineAnnealingLR schedule(optimizer, /*T_max=*/train_steps);
    for (int64_t step = 1; step <= train_steps; ++step) {
        Tensor loss = tg::zeros({1});
        for (int i = 0; i < 16; ++i) {  // 16 expressions, 16 graphs of their own, one backward
            const std::string e = draw();
            const Prediction y = predict(params, e);
            loss = loss + (y.value - value_of(e) / 10.0).pow(2) + kPonderCost * y.ponder;
        }
        optimizer.zero_grad();
        (loss / 16.0).backward();
        optimizer.step();
        schedule.step();
        if (step % (train_steps / 5 > 0 ? train_steps / 5 : 1) == 0)
            std::printf("step %5lld  loss %.4f  test mean absolute error %.3f\n", (long long)step,
                        loss.item<double>() / 16.0, test_error());
    }

    show_graphs("after training:");
    std::vector<int> steps_taken(kMaxSteps + 1);
    for (const auto& e : test) {
        tg::NoGradGuard no_grad;
        ++steps_taken[size_t(predict(params, e).steps)];
    }
    std::printf("steps of the loop over the %zu test expressions:", test.size());
    for (int64_t n = 1; n <= kMaxSteps; ++n)
        std::printf("  %lld: %d", (long long)n, steps_taken[size_t(n)]);
    std::printf("\n");

    const bool grads_after = check_gradients("after training");
    const double error = test_error();
    const bool grads_ok = grads_before && grads_after;
    std::printf("test mean absolute error %.3f (expected below %.2f), gradients %s\n", error,
                target, grads_ok ? "right" : "WRONG");
    return error < target && grads_ok ? 0 : 1;
}
