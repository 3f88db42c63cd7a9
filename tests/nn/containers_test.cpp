// Cloneable and clone(), ModuleList, ModuleDict, ParameterList, ParameterDict, Identity,
// Functional and ExpandingArray.

#include <sstream>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

// A user module written the LibTorch way: everything registered in reset().
struct TwoLayerImpl : nn::Cloneable<TwoLayerImpl> {
    explicit TwoLayerImpl(int64_t hidden) : hidden(hidden) { reset(); }
    void reset() override {
        fc1 = register_module("fc1", nn::Linear(3, hidden));
        fc2 = register_module("fc2", nn::Linear(hidden, 2));
        scale = register_parameter("scale", ones({2}));
        steps = register_buffer("steps", zeros({1}));
    }
    Tensor forward(const Tensor& x) { return fc2(tapegrad::tanh(fc1(x))) * scale; }
    int64_t hidden;
    nn::Linear fc1{nullptr}, fc2{nullptr};
    Tensor scale, steps;
};
TAPEGRAD_MODULE(TwoLayer);

// A plain Module subclass: it cannot know how to copy itself.
struct PlainImpl : nn::Module {
    PlainImpl() { register_parameter("w", ones({1})); }
};

// reset() registers nothing: the constructor did it, so a clone would miss the parameter.
struct ForgetfulImpl : nn::Cloneable<ForgetfulImpl> {
    ForgetfulImpl() { register_parameter("w", ones({1})); }
    void reset() override {}
};

void check_same_values_not_storage(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].equal(b[i]));
        CHECK_FALSE(a[i].is_same(b[i]));
    }
}

}  // namespace

TEST_SUITE("nn/containers") {
    TEST_CASE(
        "clone: copies parameters and buffers, clones submodules, and keeps member handles right") {
        manual_seed(4);
        TwoLayer net(5);
        {
            NoGradGuard no_grad;
            net->steps.fill_(7.0);
        }
        net->fc2->weight.requires_grad_(false);  // a frozen layer stays frozen
        net->eval();
        auto copy = std::dynamic_pointer_cast<TwoLayerImpl>(net->clone());
        REQUIRE(copy);
        check_same_values_not_storage(net->parameters(), copy->parameters());
        check_same_values_not_storage(net->buffers(), copy->buffers());
        CHECK(copy->named_parameters().keys() == net->named_parameters().keys());
        CHECK_FALSE(copy->fc2->weight.requires_grad());
        CHECK(copy->fc1->weight.requires_grad());
        CHECK_FALSE(copy->is_training());
        CHECK_FALSE(copy->fc1->is_training());
        // the members point into the clone's own tree
        CHECK(copy->fc1.get() == copy->children()[0].get());
        CHECK(copy->fc1->weight.is_same(copy->named_parameters()["fc1.weight"]));
        CHECK(copy->hidden == 5);
        // the two train independently
        Tensor x = randn({4, 3});
        CHECK(copy->forward(x).allclose(net->forward(x)));
        {
            NoGradGuard no_grad;
            copy->fc1->weight.add_(1.0);
        }
        CHECK_FALSE(copy->forward(x).allclose(net->forward(x)));
        copy->forward(x).sum().backward();
        CHECK(copy->fc1->weight.grad().defined());
        CHECK_FALSE(net->fc1->weight.grad().defined());
    }

    TEST_CASE("clone: every layer of tapegrad::nn clones, inside a Sequential") {
        manual_seed(5);
        nn::Sequential seq(nn::Linear(4, 6), nn::LayerNorm(std::vector<int64_t>{6}),
                           nn::BatchNorm1d(6), nn::ReLU(), nn::Dropout(0.3), nn::GELU(),
                           nn::Linear(6, 3), nn::LogSoftmax(1));
        seq->forward(randn({5, 4}));  // moves the BatchNorm running statistics
        seq->eval();
        auto copy = std::dynamic_pointer_cast<nn::SequentialImpl>(seq->clone());
        REQUIRE(copy);
        CHECK(copy->size() == seq->size());
        check_same_values_not_storage(seq->parameters(), copy->parameters());
        check_same_values_not_storage(seq->buffers(), copy->buffers());
        Tensor x = randn({3, 4});
        CHECK(copy->forward(x).allclose(seq->forward(x)));
        std::ostringstream a, b;
        a << *seq;
        b << *copy;
        CHECK(a.str() == b.str());
        CHECK(copy->ptr<nn::BatchNorm1dImpl>(2));
    }

    TEST_CASE(
        "clone: a Sequential nested in a user module and a deep chain of them clone without "
        "recursion") {
        auto root = std::make_shared<nn::SequentialImpl>();
        std::shared_ptr<nn::SequentialImpl> tip = root;
        for (int i = 0; i < 20000; ++i) {
            auto next = std::make_shared<nn::SequentialImpl>();
            tip->push_back(next);
            tip = next;
        }
        tip->push_back(nn::Linear(2, 2));
        auto copy = root->clone();
        CHECK(copy->parameters().size() == 2);
        CHECK_FALSE(copy->parameters()[0].is_same(root->parameters()[0]));
        CHECK(copy->parameters()[0].equal(root->parameters()[0]));
    }

    TEST_CASE("clone: a plain Module subclass refuses, naming Cloneable") {
        auto plain = std::make_shared<PlainImpl>();
        CHECK_THROWS_CONTAINS(plain->clone(), std::logic_error,
                              "clone: Plain cannot be cloned: derive it from nn::Cloneable<");
        nn::Sequential seq(nn::Linear(2, 2));
        seq->push_back(nn::Functional(tapegrad::relu));
        CHECK_NOTHROW(seq->clone());
    }

    TEST_CASE("clone: a reset() that misses what the constructor registered is an error") {
        auto m = std::make_shared<ForgetfulImpl>();
        CHECK_THROWS_CONTAINS(m->clone(), std::logic_error,
                              "clone: the clone of Forgetful has no parameter 'w' after reset()");
    }

    TEST_CASE("clone: a plain nn::Module (no subclass) copies itself and its submodules") {
        auto root = std::make_shared<nn::Module>("Root");
        root->register_parameter("w", full({2}, 3.0));
        root->register_module("fc", nn::Linear(2, 2));
        auto copy = root->clone();
        CHECK(copy->name() == "Root");
        check_same_values_not_storage(root->parameters(), copy->parameters());
    }

    TEST_CASE("ModuleList: holds modules by position, with at<T>, ptr, insert and extend") {
        nn::ModuleList list(nn::Linear(3, 4), nn::ReLU());
        list->push_back(std::make_shared<nn::TanhImpl>());
        list->push_back(nn::SigmoidImpl());
        CHECK(list->size() == 4);
        CHECK(list->named_children().keys() == std::vector<std::string>{"0", "1", "2", "3"});
        CHECK(list->at<nn::LinearImpl>(0).options.out_features() == 4);
        CHECK(list->ptr<nn::ReLUImpl>(1));
        CHECK(list->ptr<nn::ReLUImpl>(0) == nullptr);
        CHECK(list[2]->name() == "Tanh");
        list->insert(1, nn::Linear(4, 4));
        CHECK(list->size() == 5);
        CHECK(list[1]->name() == "Linear");
        CHECK(list[2]->name() == "ReLU");
        CHECK(list->named_children()["2"]->name() == "ReLU");
        CHECK(list->named_children().keys() == std::vector<std::string>{"0", "1", "2", "3", "4"});
        CHECK(list->parameters().size() == 4);
        nn::ModuleList more{nn::Identity()};
        list->extend(*more);
        CHECK(list->size() == 6);
        // modules are called by hand
        Tensor x = randn({2, 3});
        for (const auto& m : *list) {
            if (auto* fc = m->as<nn::Linear>()) x = fc->forward(x);
        }
        CHECK_SHAPE(x, {2, 4});
        CHECK_THROWS_CONTAINS(list->at<nn::LinearImpl>(2), std::invalid_argument,
                              "ModuleList: module 2 is a ReLU, not a Linear");
        CHECK_THROWS_CONTAINS(list[6], std::out_of_range,
                              "ModuleList: index 6 is out of range for 6 modules");
        CHECK_THROWS_CONTAINS(list->insert(9, nn::ReLU()), std::out_of_range,
                              "ModuleList: index 9 is out of range");
    }

    TEST_CASE("ModuleList: refuses to hold itself") {
        nn::ModuleList list;
        CHECK_THROWS_CONTAINS(list->push_back(list.ptr()), std::invalid_argument,
                              "cannot register ModuleList inside itself");
        CHECK(list->is_empty());
    }

    TEST_CASE("ModuleDict: modules by name, in insertion order; insert replaces, pop removes") {
        nn::ModuleDict dict(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{
            {"enc", nn::Linear(3, 4).ptr()}, {"act", nn::ReLU().ptr()}});
        dict->insert("dec", nn::Linear(4, 3));
        CHECK(dict->keys() == std::vector<std::string>{"enc", "act", "dec"});
        CHECK(dict->contains("act"));
        CHECK(dict->at<nn::LinearImpl>("dec").options.in_features() == 4);
        dict->insert("act", nn::Tanh());
        CHECK(dict["act"]->name() == "Tanh");
        CHECK(dict->named_children()["act"]->name() == "Tanh");
        CHECK(dict->size() == 3);
        auto enc = dict->pop("enc");
        CHECK(enc->name() == "Linear");
        CHECK(dict->keys() == std::vector<std::string>{"act", "dec"});
        CHECK(dict->parameters().size() == 2);
        CHECK_THROWS_CONTAINS(dict["enc"], std::out_of_range, "no module named 'enc'");
        CHECK_THROWS_CONTAINS(dict->at<nn::LinearImpl>("act"), std::invalid_argument,
                              "ModuleDict: module 'act' is a Tanh, not a Linear");
        auto copy = std::dynamic_pointer_cast<nn::ModuleDictImpl>(dict->clone());
        REQUIRE(copy);
        CHECK(copy->keys() == dict->keys());
        CHECK_FALSE(copy->parameters()[0].is_same(dict->parameters()[0]));
        dict->clear();
        CHECK(dict->empty());
        CHECK(dict->children().empty());
        // a module popped from the dict may now hold the dict without a cycle
        enc->register_module("dict", dict.ptr());
    }

    TEST_CASE("ParameterList and ParameterDict: register tensors, keeping requires_grad") {
        nn::ParameterList list(ones({2}).requires_grad_(), zeros({3}));
        list->append(full({1}, 5.0));
        CHECK(list->size() == 3);
        CHECK(list[0].requires_grad());
        CHECK_FALSE(list[1].requires_grad());
        CHECK(list->named_parameters().keys() == std::vector<std::string>{"0", "1", "2"});
        CHECK_VALUES(list->at(2), {5.0});
        CHECK_THROWS_CONTAINS(list->at(3), std::out_of_range, "index 3 is out of range");

        OrderedDict<std::string, Tensor> init;
        init.insert("a", ones({2}).requires_grad_());
        nn::ParameterDict dict(init);
        dict->insert("b", zeros({1}));
        CHECK(dict->keys() == std::vector<std::string>{"a", "b"});
        CHECK(dict["a"].requires_grad());
        dict->insert("a", full({3}, 2.0));
        CHECK_SHAPE(dict->get("a"), {3});
        CHECK(dict->parameters()[0].is_same(dict["a"]));
        CHECK(dict->pop("b").defined());
        CHECK(dict->size() == 1);
        CHECK_THROWS_CONTAINS(dict["b"], std::out_of_range, "no parameter named 'b'");

        auto copy = std::dynamic_pointer_cast<nn::ParameterListImpl>(list->clone());
        REQUIRE(copy);
        check_same_values_not_storage(list->parameters(), copy->parameters());
        CHECK((*copy)[0].requires_grad());
        CHECK_FALSE((*copy)[1].requires_grad());
    }

    TEST_CASE("Identity returns its input; Functional binds extra arguments after the input") {
        Tensor x = tensor({-2.0, 3.0}, kFloat64);
        CHECK(nn::Identity()(x).is_same(x));
        nn::Functional leaky(tapegrad::leaky_relu, 0.5);
        CHECK_VALUES(leaky(x), {-1.0, 3.0});
        nn::Functional plain(tapegrad::relu);
        CHECK_VALUES(plain(x), {0.0, 3.0});
        nn::Functional lambda([](Tensor t) { return t * 2.0; });
        CHECK_VALUES(lambda(x), {-4.0, 6.0});
        CHECK_THROWS_CONTAINS(nn::Functional(nn::FunctionalImpl::Function()), std::invalid_argument,
                              "Functional: the function is empty");
    }

    TEST_CASE("ExpandingArray: one value repeats, a list must have 1 or D values") {
        ExpandingArray<2> k(3);
        CHECK(*k == std::array<int64_t, 2>{3, 3});
        CHECK(*ExpandingArray<2>({4}) == std::array<int64_t, 2>{4, 4});  // as ATen's int lists
        CHECK(ExpandingArray<2>().empty());  // a pooling stride of {}: the kernel size
        ExpandingArray<3> s({1, 2, 3});
        CHECK(std::vector<int64_t>(s) == std::vector<int64_t>{1, 2, 3});
        CHECK(s->size() == 3);
        std::ostringstream os;
        os << s;
        CHECK(os.str() == "[1, 2, 3]");
        CHECK_THROWS_CONTAINS((ExpandingArray<2>({1, 2, 3})), std::invalid_argument,
                              "ExpandingArray: expected 1 or 2 values, got 3");
    }
}  // TEST_SUITE
