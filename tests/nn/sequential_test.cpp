// Sequential: construction, forward, naming, indexing, printing, errors.

#include <sstream>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {
// Modules whose forward is not Tensor(Tensor): two inputs, a pair out, a pair in.
struct AddImpl : nn::Module {
    Tensor forward(const Tensor& a, const Tensor& b) { return a + b; }
};
struct SplitImpl : nn::Module {
    std::pair<Tensor, Tensor> forward(Tensor x) { return {x * 2.0, x * 3.0}; }
};
struct JoinImpl : nn::Module {
    Tensor forward(const std::pair<Tensor, Tensor>& p) { return p.first + p.second; }
};
struct ScaleImpl : nn::Module {
    Tensor forward(const Tensor& x, double factor) { return x * factor; }
};
}  // namespace

TEST_SUITE("nn/sequential") {
    TEST_CASE("Sequential: forward chains the modules in order") {
        manual_seed(12);
        nn::Sequential seq(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
        Tensor x = randn({5, 3});
        auto first = seq->ptr<nn::LinearImpl>(0);
        auto last = seq->ptr<nn::LinearImpl>(2);
        REQUIRE(first);
        REQUIRE(last);
        CHECK(seq(x).allclose(last->forward(relu(first->forward(x)))));
        CHECK(seq->size() == 3);
        CHECK(seq->named_parameters().keys() ==
              std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
        CHECK(seq->ptr<nn::ReLUImpl>(0) == nullptr);
    }

    TEST_CASE("Sequential: push_back appends, with or without a name") {
        nn::Sequential seq;
        seq->push_back(nn::Linear(2, 2));
        seq->push_back("act", nn::Tanh());
        seq->push_back(std::make_shared<nn::SigmoidImpl>());
        CHECK(seq->named_children().keys() == std::vector<std::string>{"0", "act", "2"});
        CHECK_SHAPE(seq(ones({1, 2})), {1, 2});
    }

    TEST_CASE("Sequential: a braced list names the children") {
        nn::Sequential seq({{"fc", nn::Linear(2, 3)}, {"act", nn::GELU()}});
        std::ostringstream os;
        os << *seq;
        CHECK(os.str() ==
              "Sequential(\n"
              "  (fc): Linear(in_features=2, out_features=3, bias=true)\n"
              "  (act): GELU()\n"
              ")");
    }

    TEST_CASE("Sequential: forward on an empty Sequential is a logic error") {
        nn::Sequential seq;
        CHECK_THROWS_CONTAINS(seq(ones({1})), std::logic_error,
                              "Sequential: forward called on an empty Sequential");
    }

    TEST_CASE("Sequential: indexing past the end throws out_of_range") {
        auto seq = nn::Sequential(nn::ReLU(), nn::Linear(2, 3));
        CHECK(seq[1]->name() == "Linear");  // the holder forwards [] as LibTorch's does
        CHECK_THROWS_CONTAINS(seq[2], std::out_of_range, "Sequential: index 2 is out of range");
        seq = nn::Sequential(nn::ReLU());
        CHECK_THROWS_CONTAINS((*seq)[1], std::out_of_range,
                              "Sequential: index 1 is out of range for 1 modules");
    }

    TEST_CASE("Sequential: modules with any forward signature chain through AnyValue") {
        Tensor x = tensor({1.0, 2.0}, kFloat64);
        nn::Sequential seq(std::make_shared<AddImpl>(), std::make_shared<SplitImpl>(),
                           std::make_shared<JoinImpl>(), nn::ReLU());
        // the first module takes both inputs; each next one the previous result
        CHECK_VALUES(seq->forward(x, x), {10.0, 20.0});
        nn::Sequential pairs(std::make_shared<SplitImpl>());
        auto [a, b] = pairs->forward<std::pair<Tensor, Tensor>>(x);
        CHECK_VALUES(a, {2.0, 4.0});
        CHECK_VALUES(b, {3.0, 6.0});
        CHECK(pairs->forward<nn::AnyValue>(x).try_get<std::pair<Tensor, Tensor>>() != nullptr);
        CHECK_THROWS_CONTAINS(pairs->forward(x), std::invalid_argument,
                              "AnyValue: asked for a tapegrad::Tensor, but it holds a std::pair");
        CHECK_THROWS_CONTAINS(seq->forward(x), std::invalid_argument,
                              "AnyModule: forward of Add takes 2 arguments, got 1");
        nn::Sequential scaled(std::make_shared<ScaleImpl>());
        CHECK_VALUES(scaled->forward(x, 0.5), {0.5, 1.0});
        CHECK_THROWS_CONTAINS(scaled->forward(x, 1), std::invalid_argument,
                              "AnyModule: forward of Scale expects argument 1 to be a double, got "
                              "a int");
    }

    TEST_CASE("AnyModule: forward<T>, any_forward, get, ptr and type_info") {
        nn::AnyModule any(nn::Linear(2, 3));
        nn::init::ones_(any.get<nn::LinearImpl>().weight);
        nn::init::zeros_(any.get<nn::Linear>()->bias);
        CHECK(any.forwards_tensor());
        CHECK_VALUES(any.forward(ones({1, 2})), {2.0, 2.0, 2.0});
        CHECK_VALUES(any.any_forward(ones({1, 2})).get<Tensor>(), {2.0, 2.0, 2.0});
        CHECK(any.type_info() == typeid(nn::LinearImpl));
        CHECK(any.ptr<nn::LinearImpl>());
        CHECK(any.ptr<nn::ReLUImpl>() == nullptr);
        CHECK_THROWS_CONTAINS(any.get<nn::ReLUImpl>(), std::invalid_argument,
                              "AnyModule: asked for a ReLU, but it holds a Linear");
        nn::AnyModule add(std::make_shared<AddImpl>());
        CHECK_FALSE(add.forwards_tensor());
        CHECK_VALUES(add.forward(full({1}, 2.0), full({1}, 3.0)), {5.0});
        nn::AnyModule empty;
        CHECK_THROWS_CONTAINS(empty.forward(ones({1})), std::logic_error,
                              "AnyModule: any_forward called on an empty AnyModule");
        nn::AnyModule copy = any.clone();
        CHECK_FALSE(copy.ptr().get() == any.ptr().get());
        CHECK(copy.forward(ones({1, 2})).equal(any.forward(ones({1, 2}))));
    }

    TEST_CASE("Sequential: at<T>, ptr, extend, a nested Sequential, and clone") {
        manual_seed(3);
        nn::Sequential inner(nn::Linear(3, 3), nn::Tanh());
        nn::Sequential seq(nn::Linear(2, 3), inner);
        nn::Sequential tail(nn::Linear(3, 1), nn::Sigmoid());
        seq->extend(*tail);
        CHECK(seq->size() == 4);
        CHECK(seq->at<nn::LinearImpl>(2).options.out_features() == 1);
        CHECK_THROWS_CONTAINS(seq->at<nn::LinearImpl>(3), std::invalid_argument,
                              "Sequential: module 3 is a Sigmoid, not a Linear");
        CHECK(seq->ptr(1).get() == inner.get());
        Tensor x = randn({4, 2});
        const Tensor expected =
            tail->forward(inner->forward(seq->at<nn::LinearImpl>(0).forward(x)));
        CHECK(seq->forward(x).allclose(expected));
        CHECK(seq->forward<nn::AnyValue>(x).get<Tensor>().allclose(expected));
        auto copy = std::dynamic_pointer_cast<nn::SequentialImpl>(seq->clone());
        REQUIRE(copy);
        CHECK(copy->forward(x).allclose(expected));
        CHECK(copy->ptr(1).get() != inner.get());
        CHECK(copy->named_parameters().keys() == seq->named_parameters().keys());
    }

    TEST_CASE("Sequential: push_back rejects an empty module") {
        nn::Sequential seq;
        CHECK_THROWS_CONTAINS(seq->push_back("x", nn::AnyModule()), std::invalid_argument,
                              "Sequential: module 'x' is empty");
    }

}  // TEST_SUITE
