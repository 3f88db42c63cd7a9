// The misuse table: every mistake a user is likely to make, and the message it gets. Each case
// asserts the parts of the message that name the op and the shapes or values at fault. The
// README's troubleshooting table quotes these messages; keep the two in step.

#include <cstdio>
#include <fstream>
#include <string>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using tapegrad_test::TempDir;

TEST_SUITE("reliability/misuse") {
    // ---- backward --------------------------------------------------------------------------

    TEST_CASE("backward: twice without retain_graph names the freed op and the fix") {
        Tensor a = randn({3}).requires_grad_();
        Tensor y = (a * a).sum();
        y.backward();
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error,
                              "backward: the graph through 'sum' was already freed by an earlier "
                              "backward(); pass retain_graph=true to the first backward()");
    }

    TEST_CASE("backward: twice with retain_graph on the first call works and accumulates") {
        Tensor a = testing::make_f64({1.0, 2.0}, {2}, true);
        Tensor y = (a * a).sum();
        y.backward({}, /*retain_graph=*/true);
        y.backward();
        CHECK_VALUES(a.grad(), {4.0, 8.0});
    }

    TEST_CASE("backward: a non-scalar output without a gradient names its shape") {
        Tensor a = randn({2, 2}).requires_grad_();
        CHECK_THROWS_CONTAINS((a * 2.0).backward(), std::logic_error,
                              "backward: output has shape [2, 2]; pass a gradient or call it on a "
                              "scalar");
    }

    TEST_CASE("backward: a gradient of the wrong shape names both shapes") {
        Tensor a = randn({2, 2}).requires_grad_();
        CHECK_THROWS_CONTAINS((a * 2.0).backward(ones({3})), std::invalid_argument,
                              "backward: gradient has shape [3], the output has shape [2, 2]");
    }

    TEST_CASE("backward: an output that does not require grad says why it might not") {
        Tensor a = randn({3});
        CHECK_THROWS_CONTAINS(a.sum().backward(), std::logic_error,
                              "backward: the output does not require grad and has no grad_fn");
        Tensor w = randn({3}).requires_grad_();
        Tensor y;
        {
            NoGradGuard no_grad;
            y = (w * 2.0).sum();
        }
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error, "NoGradGuard");
    }

    TEST_CASE("grad: an input the outputs do not use is refused unless allow_unused") {
        Tensor a = randn({2}).requires_grad_();
        Tensor b = randn({2}).requires_grad_();
        Tensor y = (a * 3.0).sum();
        CHECK_THROWS_CONTAINS(
            autograd::grad({y}, {a, b}), std::invalid_argument,
            "grad: input 1 of shape [2] was not used to compute the outputs; pass "
            "allow_unused=true to get an undefined tensor for it");
    }

    // ---- dtypes ------------------------------------------------------------------------------

    TEST_CASE("requires_grad_: an int64 tensor cannot require gradients") {
        Tensor labels = tensor({1, 2, 3});
        CHECK_THROWS_CONTAINS(labels.requires_grad_(), std::invalid_argument,
                              "requires_grad_: only floating-point tensors can require gradients; "
                              "this one is int64");
        CHECK_THROWS_CONTAINS(zeros({2}, TensorOptions().dtype(kInt64).requires_grad(true)),
                              std::invalid_argument,
                              "only floating-point tensors can require "
                              "gradients",
                              "int64");
    }

    // ---- shape mismatches, one per op family -------------------------------------------------

    TEST_CASE("elementwise: shapes that do not broadcast name both shapes") {
        CHECK_THROWS_CONTAINS(randn({2, 3}) * randn({4}), std::invalid_argument,
                              "mul: shapes do not broadcast: a is [2, 3], b is [4]");
        CHECK_THROWS_CONTAINS(randn({2, 3}) + randn({3, 2}), std::invalid_argument,
                              "add: shapes do not broadcast: a is [2, 3], b is [3, 2]");
    }

    TEST_CASE("linalg: a matrix product of the wrong shapes names both shapes") {
        CHECK_THROWS_CONTAINS(matmul(randn({2, 3}), randn({4, 5})), std::invalid_argument,
                              "matmul: inner dimensions differ: a is [2, 3], b is [4, 5]");
        CHECK_THROWS_CONTAINS(mm(randn({2, 3}), randn({2, 3})), std::invalid_argument,
                              "mm: inner dimensions differ: a is [2, 3], b is [2, 3]");
    }

    TEST_CASE("shape: reshape to the wrong size and cat of mismatched tensors") {
        CHECK_THROWS_CONTAINS(randn({2, 3}).reshape({4, 4}), std::invalid_argument,
                              "reshape: shape [4, 4] is invalid for a tensor of shape [2, 3] "
                              "(6 elements)");
        CHECK_THROWS_CONTAINS(
            cat({randn({2, 3}), randn({2, 4})}, 0), std::invalid_argument,
            "cat: tensor 1 has shape [2, 4], tensor 0 has shape [2, 3] (only dim 0 may differ)");
    }

    TEST_CASE("reduce: a dim out of range names the dim and the valid range") {
        CHECK_THROWS_CONTAINS(
            randn({2, 3}).sum(2), std::invalid_argument,
            "sum: dim 2 is out of range for a tensor with 2 dims (expected -2 to 1)");
    }

    TEST_CASE("activation: softmax over a dim the tensor does not have") {
        CHECK_THROWS_CONTAINS(softmax(randn({2, 3}), 2), std::invalid_argument,
                              "softmax: dim 2 is out of range for a tensor with 2 dims");
    }

    TEST_CASE("loss: mse_loss with a target of another shape names both shapes") {
        CHECK_THROWS_CONTAINS(mse_loss(randn({4, 1}), randn({4})), std::invalid_argument,
                              "mse_loss: target shape [4] differs from input shape [4, 1]");
    }

    TEST_CASE("nn::Linear: an input with the wrong number of features") {
        nn::Linear fc(3, 2);
        CHECK_THROWS_CONTAINS(fc(randn({4, 5})), std::invalid_argument,
                              "linear: input of shape [4, 5] does not fit weight of shape [2, 3] "
                              "(expected [..., in] and [out, in])");
    }

    TEST_CASE("in place: add_ cannot grow self to the broadcast shape") {
        Tensor a = zeros({3});
        CHECK_THROWS_CONTAINS(a.add_(ones({2, 3})), std::invalid_argument,
                              "add_: cannot write the broadcast of self [3] and other [2, 3] into "
                              "self in place");
    }

    // ---- indices -----------------------------------------------------------------------------

    TEST_CASE("index: select and t[i] out of range name the index, dim and shape") {
        Tensor a = randn({3, 4});
        CHECK_THROWS_CONTAINS(a.select(0, 5), std::invalid_argument,
                              "select: index 5 is out of range for dim 0 of size 3 (shape [3, 4])");
        CHECK_THROWS_CONTAINS(a[3], std::invalid_argument, "select: index 3 is out of range");
        CHECK_THROWS_CONTAINS(a.select(1, -5), std::invalid_argument, "select: index -5",
                              "dim 1 of size 4");
    }

    TEST_CASE("index: index_select, gather and Embedding out of range") {
        Tensor a = randn({3, 4});
        CHECK_THROWS_CONTAINS(a.index_select(0, tensor({0, 7})), std::invalid_argument,
                              "index_select: index 7 is out of range");
        CHECK_THROWS_CONTAINS(gather(a, 1, tensor({{0}, {4}, {1}})), std::invalid_argument,
                              "gather: index 4 is out of range for dim 1 of size 4");
        CHECK_THROWS_CONTAINS(a.index_select(0, tensor({0.0, 1.0})), std::invalid_argument,
                              "index_select: index must be an integer tensor, got float32");
        nn::Embedding emb(10, 3);
        CHECK_THROWS_CONTAINS(emb(tensor({1, 10})), std::invalid_argument,
                              "Embedding: index 10 (at flat position 1) is out of range for 10 "
                              "embeddings");
    }

    // ---- item --------------------------------------------------------------------------------

    TEST_CASE("item: a tensor of many elements names the count and the shape") {
        CHECK_THROWS_CONTAINS(
            randn({2, 3}).item<float>(), std::invalid_argument,
            "item: only a one-element tensor converts to a number; this one has 6 "
            "elements, shape [2, 3]");
    }

    // ---- in-place safety ---------------------------------------------------------------------

    TEST_CASE("in place: a parameter updated outside NoGradGuard is refused") {
        Tensor w = randn({3}).requires_grad_();
        CHECK_THROWS_CONTAINS(w.add_(ones({3})), std::logic_error,
                              "add_: a leaf tensor that requires grad cannot be modified in place "
                              "while grad mode is on; wrap the update in NoGradGuard");
        CHECK_THROWS_CONTAINS(w.zero_(), std::logic_error,
                              "zero_: a leaf tensor that requires grad");
        NoGradGuard no_grad;
        CHECK_NOTHROW(w.add_(ones({3})));
    }

    TEST_CASE("in place: an op on a tensor inside a graph is recorded, as LibTorch's") {
        Tensor w = testing::make_f64({1.0, 2.0, 3.0}, {3}, true);
        Tensor h = w * 2.0;
        h.mul_(3.0);
        CHECK(h.grad_fn()->name() == "mul");
        h.sum().backward();
        CHECK_VALUES(w.grad(), {6, 6, 6});
    }

    TEST_CASE("in place: an input modified after the op saved it stops backward") {
        Tensor x = testing::make_f64({1.0, 2.0, 3.0}, {3});
        Tensor w = testing::make_f64({0.5, 0.5, 0.5}, {3}, true);
        Tensor y = (w * x).sum();
        x.mul_(2.0);  // grad_w = x would now be wrong
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error,
                              "backward: a tensor needed for the gradient of 'mul' (input 1) was "
                              "modified in place by mul_ after it was used");
        CHECK_FALSE(w.grad().defined());
    }

    TEST_CASE("in place: a parameter changed under NoGradGuard before backward stops backward") {
        Tensor w = testing::make_f64({0.5, -0.5}, {2}, true);
        Tensor y = (w * w).sum();
        {
            NoGradGuard no_grad;
            w.sub_(ones({2}, kFloat64), 0.1);  // an optimizer step before backward: a classic slip
        }
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error,
                              "a tensor needed for the gradient of 'mul'",
                              "modified in place by sub_");
    }

    TEST_CASE("in place: an output changed under NoGradGuard stops the backward that reuses it") {
        Tensor x = testing::make_f64({0.1, 0.2}, {2}, true);
        Tensor e = exp(x);  // its backward reuses e: grad_x = grad_out * e
        {
            NoGradGuard no_grad;
            e.fill_(0.0);
        }
        CHECK_THROWS_CONTAINS(e.backward(ones({2}, kFloat64)), std::logic_error,
                              "a tensor needed for the gradient of 'exp' (its output) was modified "
                              "in place by fill_");
    }

    TEST_CASE("in place: a view shares the version counter with its base") {
        Tensor x = testing::make_f64({1.0, 2.0, 3.0, 4.0}, {2, 2});
        Tensor w = testing::make_f64({1.0, 1.0}, {2}, true);
        Tensor y = (w * x[0]).sum();
        x[1].zero_();  // another row, same storage: refused conservatively, as LibTorch does
        CHECK_THROWS_CONTAINS(y.backward(), std::logic_error, "modified in place by zero_");
    }

    // ---- optimizers ----------------------------------------------------------------------------

    TEST_CASE("Optimizer: a non-leaf parameter names the op that made it") {
        Tensor w = randn({3}).requires_grad_();
        CHECK_THROWS_CONTAINS(optim::SGD({w * 2.0}, optim::SGDOptions(0.1)), std::invalid_argument,
                              "Optimizer: parameter 0 is not a leaf tensor (made by mul); optimize "
                              "leaves such as model parameters");
    }

    TEST_CASE("Optimizer: an empty parameter list and an int64 parameter are refused") {
        CHECK_THROWS_CONTAINS(optim::SGD(std::vector<Tensor>{}, optim::SGDOptions(0.1)),
                              std::invalid_argument, "Optimizer: got an empty parameter list");
        CHECK_THROWS_CONTAINS(optim::Adam({tensor({1, 2})}, optim::AdamOptions(1e-3)),
                              std::invalid_argument,
                              "Optimizer: parameter 0 has dtype int64; only float32 and float64 "
                              "tensors can be optimized");
    }

    // ---- checkpoints ---------------------------------------------------------------------------

    TEST_CASE("load: a checkpoint of another model names each tensor that does not fit") {
        TempDir dir;
        const std::string path = dir.file("model.pt");
        nn::Sequential small(nn::Linear(3, 2));
        save(small, path);
        nn::Sequential wide(nn::Linear(3, 4));
        const std::string head = "load: '" + path + "' does not fit Sequential: ";
        CHECK_THROWS_CONTAINS(load(wide, path), std::runtime_error, head.c_str(),
                              "0.weight has shape [2, 3] in the "
                              "file, [4, 3] in the module",
                              "0.bias has shape [2] in the file, [4] in "
                              "the module");
        nn::Sequential deeper(nn::Linear(3, 2), nn::ReLU(), nn::Linear(2, 1));
        CHECK_THROWS_CONTAINS(load(deeper, path), std::runtime_error,
                              "missing from the file: 2.weight, 2.bias");
    }

    TEST_CASE("load: a file that is not a checkpoint, a truncated one and a missing one") {
        TempDir dir;
        const std::string text = dir.file("notes.txt");
        tapegrad_test::write_text(text, "hello, world\n");
        nn::Linear fc(3, 2);
        const std::string not_archive = "read_archive: '" + text + "' is not a tapegrad archive";
        CHECK_THROWS_CONTAINS(load(fc, text), std::runtime_error, not_archive.c_str(),
                              "(bad magic; expected the bytes \"TAPEGRAD\" at offset 0)");

        const std::string good = dir.file("fc.pt");
        save(fc, good);
        std::ifstream in(good, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string cut = dir.file("cut.pt");
        tapegrad_test::write_text(cut, bytes.substr(0, bytes.size() - 10));
        const std::string truncated = "read_archive: '" + cut + "' is truncated";
        CHECK_THROWS_CONTAINS(load(fc, cut), std::runtime_error, truncated.c_str());

        CHECK_THROWS_CONTAINS(load(fc, dir.file("absent.pt")), std::runtime_error,
                              "read_archive: cannot open '");
    }

    // ---- data ----------------------------------------------------------------------------------

    TEST_CASE("DataLoader: a batch size of 0 is refused") {
        data::TensorDataset ds(randn({4, 2}), tensor({0, 1, 0, 1}));
        CHECK_THROWS_CONTAINS(data::DataLoader(ds, data::DataLoaderOptions(0)),
                              std::invalid_argument,
                              "DataLoader: batch_size must be positive, got 0");
        CHECK_THROWS_CONTAINS(data::DataLoader(ds, data::DataLoaderOptions().batch_size(-3)),
                              std::invalid_argument, "got -3");
    }

    // ---- losses --------------------------------------------------------------------------------

    TEST_CASE("cross_entropy: a target class out of range names the class and the count") {
        Tensor logits = randn({2, 3}).requires_grad_();
        CHECK_THROWS_CONTAINS(cross_entropy(logits, tensor({0, 3})), std::invalid_argument,
                              "cross_entropy: target 3 is out of range for 3 classes (batch index "
                              "1)");
        CHECK_THROWS_CONTAINS(cross_entropy(logits, tensor({-1, 0})), std::invalid_argument,
                              "cross_entropy: target -1 is out of range");
        CHECK_THROWS_CONTAINS(nll_loss(log_softmax(logits, 1), tensor({5, 0})),
                              std::invalid_argument,
                              "nll_loss: target 5 is out of range for 3 classes");
    }

    TEST_CASE("cross_entropy: float class labels and a target of the wrong length") {
        Tensor logits = randn({2, 3});
        CHECK_THROWS_CONTAINS(cross_entropy(logits, tensor({0.0, 1.0})), std::invalid_argument,
                              "cross_entropy: probability targets have shape [2], expected the "
                              "input's shape [2, 3]; class indices must be int64 (.to(kInt64))");
        CHECK_THROWS_CONTAINS(
            cross_entropy(logits, tensor({0, 1, 2})), std::invalid_argument,
            "cross_entropy: target has shape [3], expected [2] for input of shape "
            "[2, 3]");
    }

}  // TEST_SUITE
