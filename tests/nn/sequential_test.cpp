// Sequential: construction, forward, naming, indexing, printing, errors.

#include <sstream>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

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

    TEST_CASE("Sequential: push_back rejects an empty module") {
        nn::Sequential seq;
        CHECK_THROWS_CONTAINS(seq->push_back("x", nn::AnyModule()), std::invalid_argument,
                              "Sequential: module 'x' is empty");
    }

}  // TEST_SUITE
