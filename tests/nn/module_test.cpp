// nn::Module and ModuleHolder: registration, dotted names, traversal, modes, conversion,
// printing, and the errors of misuse.

#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

struct Block : nn::Module {
    Block() {
        fc = register_module("fc", nn::Linear(3, 4));
        scale = register_parameter("scale", ones({4}));
        count = register_buffer("count", zeros({1}));
    }
    Tensor forward(const Tensor& x) { return fc(x) * scale; }
    nn::Linear fc{nullptr};
    Tensor scale, count;
};

struct NetImpl : nn::Module {
    NetImpl() {
        block = register_module("block", std::make_shared<Block>());
        head = register_module("head", nn::Linear(nn::LinearOptions(4, 2).bias(false)));
        drop = register_module("drop", nn::Dropout(0.5));
    }
    Tensor forward(const Tensor& x) { return head(drop(block->forward(x))); }
    std::shared_ptr<Block> block;
    nn::Linear head{nullptr};
    nn::Dropout drop{nullptr};
};
TAPEGRAD_MODULE(Net);

std::vector<std::string> keys_of(const OrderedDict<std::string, Tensor>& d) {
    return d.keys();
}

}  // namespace

TEST_SUITE("nn/module") {
    TEST_CASE(
        "Module: named_parameters gives dotted names, each module's own before its children's") {
        Net net;
        // PyTorch's order: modules in pre-order, each with its parameters in registration order
        CHECK(keys_of(net->named_parameters()) ==
              std::vector<std::string>{"block.scale", "block.fc.weight", "block.fc.bias",
                                       "head.weight"});
        CHECK(keys_of(net->named_parameters(/*recurse=*/false)).empty());
        CHECK(keys_of(net->block->named_parameters(false)) == std::vector<std::string>{"scale"});
        CHECK(keys_of(net->named_buffers()) == std::vector<std::string>{"block.count"});
        CHECK(net->parameters().size() == 4);
        CHECK(net->buffers().size() == 1);
    }

    TEST_CASE(
        "Module: parameters are leaves that require grad, named with their full dotted names") {
        Net net;
        for (const auto& item : net->named_parameters()) {
            CHECK(item.value().is_leaf());
            CHECK(item.value().requires_grad());
            CHECK(item.value().name() == item.key());
        }
        CHECK(net->block->count.name() == "block.count");
        CHECK_FALSE(net->block->count.requires_grad());
    }

    TEST_CASE("Module: to(device) keeps a CPU module as it is and refuses CUDA, naming it") {
        nn::Linear fc(3, 2);
        const Tensor w = fc->weight;
        fc->to(Device(kCPU));
        fc->to(kCPU, kFloat64);
        CHECK(fc->weight.is_same(w));  // the same parameter, converted in place
        CHECK(fc->weight.dtype() == kFloat64);
        CHECK_THROWS_CONTAINS(fc->to(Device(kCUDA)), std::invalid_argument, "Module::to", "cuda",
                              "CPU only");
        CHECK_THROWS_CONTAINS(fc->to(Device("cuda:0"), kFloat32), std::invalid_argument, "cuda:0");
        CHECK(fc->weight.dtype() == kFloat64);  // a refused move changes nothing
    }

    TEST_CASE("Module: parameters share storage with the module's members") {
        Net net;
        CHECK(net->parameters()[3].is_same(net->head->weight));
        CHECK(net->parameters()[0].is_same(net->block->scale));
        CHECK(net->named_parameters()["block.scale"].is_same(net->block->scale));
    }

    TEST_CASE("Module: register_parameter detaches a tensor that came out of the graph") {
        nn::Module m;
        Tensor a = ones({2}).requires_grad_();
        Tensor& p = m.register_parameter("p", a * 2.0);
        CHECK(p.is_leaf());
        CHECK(p.requires_grad());
        CHECK_VALUES(p, {2.0, 2.0});
        Tensor& frozen = m.register_parameter("frozen", ones({2}), /*requires_grad=*/false);
        CHECK_FALSE(frozen.requires_grad());
    }

    TEST_CASE(
        "Module: children, named_children, modules and named_modules walk the tree in pre-order") {
        Net net;
        CHECK(net->named_children().keys() == std::vector<std::string>{"block", "head", "drop"});
        CHECK(net->children().size() == 3);
        CHECK(net->named_modules().keys() ==
              std::vector<std::string>{"", "block", "block.fc", "head", "drop"});
        CHECK(net->named_modules("net").keys() ==
              std::vector<std::string>{"net", "net.block", "net.block.fc", "net.head", "net.drop"});
        CHECK(net->modules().size() == 5);
        CHECK(net->modules(/*include_self=*/false).size() == 4);
        CHECK(net->modules()[0].get() == net.get());
    }

    TEST_CASE("Module: modules(include_self) needs the module to be held by a shared_ptr") {
        NetImpl on_stack;
        CHECK_THROWS_CONTAINS(on_stack.modules(), std::logic_error,
                              "modules: include_self needs Net to be held by a std::shared_ptr");
    }

    TEST_CASE("Module: a deep chain of modules is walked and destroyed without recursion") {
        auto root = std::make_shared<nn::Module>("Chain");
        {
            std::shared_ptr<nn::Module> tip = root;
            for (int i = 0; i < 100000; ++i) {
                auto child = std::make_shared<nn::Module>("Chain");
                tip->register_module("c", child);
                tip = child;
            }
            tip->register_parameter("w", ones({1}));
            root->eval();
            CHECK_FALSE(tip->is_training());
        }
        CHECK(root->parameters().size() == 1);
        root.reset();  // the destructor must not recurse 100000 levels deep
    }

    TEST_CASE("Module: train and eval set the mode on every descendant") {
        Net net;
        CHECK(net->is_training());
        net->eval();
        for (const auto& m : net->modules()) CHECK_FALSE(m->is_training());
        net->train();
        for (const auto& m : net->modules()) CHECK(m->is_training());
    }

    TEST_CASE(
        "Module: zero_grad fills the gradients with zeros by default (LibTorch 1.13), or releases "
        "them") {
        Net net;
        net->eval();
        net->forward(ones({2, 3})).sum().backward();
        std::vector<Tensor> before;
        for (const Tensor& p : net->parameters()) {
            REQUIRE(p.grad().defined());
            CHECK(p.grad().abs().sum().item<double>() > 0.0);
            before.push_back(p.grad());
        }
        net->zero_grad();
        for (const Tensor& p : net->parameters()) {
            REQUIRE(p.grad().defined());
            CHECK(p.grad().abs().sum().item<double>() == 0.0);
        }
        // zeroed in place: a handle taken before sees the zeros, as in LibTorch
        for (const Tensor& g : before) CHECK(g.abs().sum().item<double>() == 0.0);
        net->zero_grad(/*set_to_none=*/true);
        for (const Tensor& p : net->parameters()) CHECK_FALSE(p.grad().defined());
    }

    TEST_CASE(
        "Module: to(kFloat64) converts parameters and buffers in place, keeping the handles") {
        Net net;
        const std::vector<Tensor> before = net->parameters();
        const std::vector<double> values = before[0].to_vector<double>();
        net->to(kFloat64);
        for (const Tensor& p : before) CHECK(p.dtype() == kFloat64);
        CHECK(net->block->count.dtype() == kFloat64);
        CHECK(before[0].to_vector<double>() == values);
        CHECK(before[0].is_leaf());
        CHECK(before[0].requires_grad());
        // The old handles keep working: a backward through the converted module reaches them.
        net->eval();
        net->forward(ones({2, 3}, kFloat64)).sum().backward();
        CHECK(before[0].grad().defined());
        CHECK(before[0].grad().dtype() == kFloat64);
    }

    TEST_CASE("Module: to() refuses an integer dtype") {
        Net net;
        CHECK_THROWS_CONTAINS(
            net->to(kInt64), std::invalid_argument,
            "Module::to: parameters and buffers can only be converted to a floating "
            "dtype, not int64");
    }

    TEST_CASE("Module: apply visits every module") {
        Net net;
        int linears = 0;
        net->apply([&](nn::Module& m) {
            if (auto* lin = dynamic_cast<nn::LinearImpl*>(&m)) {
                ++linears;
                nn::init::zeros_(lin->weight);
            }
        });
        CHECK(linears == 2);
        CHECK(net->head->weight.abs().sum().item<double>() == 0.0);
    }

    TEST_CASE("Module: printing shows the tree with options and the shapes of plain parameters") {
        Net net;
        std::ostringstream os;
        os << *net;
        CHECK(os.str() ==
              "Net(\n"
              "  (block): Block(\n"
              "    (scale): Parameter([4], float32)\n"
              "    (count): Buffer([1], float32)\n"
              "    (fc): Linear(in_features=3, out_features=4, bias=true)\n"
              "  )\n"
              "  (head): Linear(in_features=4, out_features=2, bias=false)\n"
              "  (drop): Dropout(p=0.5, inplace=false)\n"
              ")");
        std::ostringstream holder;
        holder << nn::Linear(2, 1);
        CHECK(holder.str() == "Linear(in_features=2, out_features=1, bias=true)");
    }

    TEST_CASE("Module: the name comes from the class, without Impl, unless given") {
        CHECK(nn::LinearImpl(1, 1).name() == "Linear");
        CHECK(Block().name() == "Block");
        CHECK(nn::Module("Custom").name() == "Custom");
    }

    TEST_CASE("Module: register_* rejects an empty name") {
        nn::Module m;
        CHECK_THROWS_CONTAINS(m.register_parameter("", ones({1})), std::invalid_argument,
                              "register_parameter: the name is empty");
    }

    TEST_CASE("Module: register_* rejects a name with a dot") {
        nn::Module m;
        CHECK_THROWS_CONTAINS(m.register_module("a.b", nn::Linear(1, 1)), std::invalid_argument,
                              "register_module: name 'a.b' contains a dot");
    }

    TEST_CASE("Module: register_* rejects a name already in use") {
        nn::Module m("M");
        m.register_parameter("w", ones({1}));
        CHECK_THROWS_CONTAINS(m.register_buffer("w", ones({1})), std::invalid_argument,
                              "register_buffer: 'w' is already registered in M");
    }

    TEST_CASE("Module: register_parameter rejects an undefined tensor") {
        nn::Module m;
        CHECK_THROWS_CONTAINS(m.register_parameter("w", Tensor()), std::invalid_argument,
                              "register_parameter: tensor 'w' is undefined");
    }

    TEST_CASE("Module: register_buffer rejects an undefined tensor") {
        nn::Module m;
        CHECK_THROWS_CONTAINS(m.register_buffer("b", Tensor()), std::invalid_argument,
                              "register_buffer: tensor 'b' is undefined");
    }

    TEST_CASE("Module: register_module rejects a null module") {
        nn::Module m;
        CHECK_THROWS_CONTAINS(m.register_module("fc", std::shared_ptr<nn::LinearImpl>()),
                              std::invalid_argument, "register_module: module 'fc' is null");
    }

    TEST_CASE("Module: register_module rejects the module itself") {
        auto m = std::make_shared<nn::Module>("Loop");
        CHECK_THROWS_CONTAINS(m->register_module("self", m), std::invalid_argument,
                              "register_module: cannot register Loop inside itself as 'self'");
    }

    TEST_CASE("Module: register_module refuses a cycle of two modules, naming both") {
        auto a = std::make_shared<nn::Module>("A");
        auto b = std::make_shared<nn::Module>("B");
        a->register_module("b", b);
        CHECK_THROWS_WITH_AS(b->register_module("a", a),
                             "register_module: cannot register A as 'a' inside B: that A already "
                             "contains this B, so the modules would form a cycle",
                             std::invalid_argument);
        REQUIRE(b->children().empty());
        // nothing was registered: the tree is still walked and printed in finite time
        CHECK(a->modules().size() == 2);
    }

    TEST_CASE(
        "Module: register_module refuses an ancestor several levels up, and accepts a shared "
        "child") {
        auto root = std::make_shared<nn::Module>("Root");
        auto mid = std::make_shared<nn::Module>("Mid");
        auto leaf = std::make_shared<nn::Module>("Leaf");
        root->register_module("mid", mid);
        mid->register_module("leaf", leaf);
        CHECK_THROWS_CONTAINS(
            leaf->register_module("up", root), std::invalid_argument,
            "cannot register Root as 'up' inside Leaf: that Root already contains "
            "this Leaf");
        CHECK_THROWS_CONTAINS(leaf->register_module("up", mid), std::invalid_argument,
                              "cannot register Mid as 'up' inside Leaf");
        // the same module under two parents is a DAG, not a cycle (weight sharing)
        auto other = std::make_shared<nn::Module>("Other");
        other->register_module("leaf", leaf);
        root->register_module("other", other);
        CHECK(root->modules().size() == 5);
    }

    TEST_CASE(
        "Module: replace_module refuses a cycle too, and unregister_module forgets the parent") {
        auto a = std::make_shared<nn::Module>("A");
        auto b = std::make_shared<nn::Module>("B");
        auto c = std::make_shared<nn::Module>("C");
        a->register_module("x", b);
        b->register_module("y", c);
        CHECK_THROWS_CONTAINS(
            c->register_module("z", std::make_shared<nn::Module>("D"))->register_module("loop", a),
            std::invalid_argument, "would form a cycle");
        CHECK_THROWS_CONTAINS(b->replace_module("y", a), std::invalid_argument,
                              "replace_module: cannot register A as 'y' inside B");
        b->unregister_module("y");
        // b no longer holds c, so c may now hold a's whole tree (c, z, a, a.x)
        c->register_module("a", a);
        CHECK(c->named_modules().keys() == std::vector<std::string>{"", "z", "a", "a.x"});
        CHECK_THROWS_CONTAINS(b->unregister_module("y"), std::out_of_range,
                              "unregister_module: B has no submodule named 'y'");
    }

    // A chain of `depth` modules, each with one parameter, built from the leaf up (each new module
    // registers the chain so far) or from the root down (the tip registers a new module).
    std::shared_ptr<nn::Module> chain(int depth, bool bottom_up) {
        auto root = std::make_shared<nn::Module>("Chain");
        root->register_parameter("w", zeros({1}));
        std::shared_ptr<nn::Module> tip = root;
        for (int i = 1; i < depth; ++i) {
            auto m = std::make_shared<nn::Module>("Chain");
            m->register_parameter("w", zeros({1}));
            if (bottom_up) {
                m->register_module("c", root);
                root = m;
            } else {
                tip->register_module("c", m);
                tip = m;
            }
        }
        return root;
    }

    TEST_CASE("Module: nesting 20,000 deep costs work linear in the depth, in either direction") {
        constexpr int kDepth = 20000;
        for (bool bottom_up : {true, false}) {
            CAPTURE(bottom_up);
            const uint64_t before = nn::detail::module_visits();
            auto root = chain(kDepth, bottom_up);
            // each registration checks for a cycle in a few steps, without walking the subtree
            CHECK(nn::detail::module_visits() - before <= 4 * static_cast<uint64_t>(kDepth));
            const uint64_t walked = nn::detail::module_visits();
            CHECK(root->parameters().size() == static_cast<size_t>(kDepth));
            root->train(false);
            CHECK(nn::detail::module_visits() - walked == 2 * static_cast<uint64_t>(kDepth));
            // registration named each parameter one level deep, not with the whole path
            const Tensor deepest = root->parameters().back();
            CHECK(deepest.name() == "c.w");
        }
    }

    TEST_CASE(
        "Module: printing a 20,000-deep model is linear in its size, with depths past 32 marked") {
        auto root = chain(20000, /*bottom_up=*/true);
        std::ostringstream os;
        os << *root;
        const std::string text = os.str();
        // every module prints an open line, a parameter line and a closing line, each of at most
        // 64 spaces of indentation plus a depth mark and the text
        CHECK(text.size() < 20000u * 3u * 100u);
        CHECK(text.find("\n" + std::string(64, ' ') + "<33> (c): Chain(\n") != std::string::npos);
        CHECK(text.find("<20000> (w): Parameter([1], float32)\n") != std::string::npos);
        CHECK(text.find(std::string(66, ' ')) == std::string::npos);
        std::ostringstream shallow;
        shallow << *chain(3, true);
        CHECK(shallow.str() ==
              "Chain(\n"
              "  (w): Parameter([1], float32)\n"
              "  (c): Chain(\n"
              "    (w): Parameter([1], float32)\n"
              "    (c): Chain(\n"
              "      (w): Parameter([1], float32)\n"
              "    )\n"
              "  )\n"
              ")");
    }

    TEST_CASE("Module: named_parameters on the root gives every tensor its full dotted name") {
        auto root = chain(4, /*bottom_up=*/true);
        const auto params = root->parameters();
        CHECK(params[3].name() == "c.w");  // registration names one level only
        // a module that is not a root does not rename: its names would be partial
        root->children()[0]->named_parameters();
        CHECK(params[3].name() == "c.w");
        const auto named = root->named_parameters();
        CHECK(named.keys() == std::vector<std::string>{"w", "c.w", "c.c.w", "c.c.c.w"});
        for (const auto& item : named) CHECK(item.value().name() == item.key());
    }

    TEST_CASE(
        "OrderedDict: named_parameters()[i] gives the i-th item, front() and back() the ends") {
        Net net;
        auto params = net->named_parameters();
        CHECK(params[0].key() == "block.scale");
        CHECK(params[size_t(3)].value().is_same(net->head->weight));
        CHECK(params.front().key() == "block.scale");
        CHECK(params.back().key() == "head.weight");
        CHECK_THROWS_CONTAINS(params[4], std::out_of_range,
                              "OrderedDict: index 4 is out of range for 4 parameters");
        params.erase("block.fc.bias");
        CHECK(params.keys() ==
              std::vector<std::string>{"block.scale", "block.fc.weight", "head.weight"});
        CHECK(params["head.weight"].is_same(net->head->weight));
    }

    TEST_CASE("Module: as<T>() casts to a module class or a holder's, or gives null") {
        Net net;
        nn::Module& head = *net->head;
        CHECK(head.as<nn::Linear>() == net->head.get());
        CHECK(head.as<nn::LinearImpl>() == net->head.get());
        CHECK(head.as<nn::ReLU>() == nullptr);
        const nn::Module& block = *net->block;
        CHECK(block.as<Block>() == net->block.get());
        int linears = 0;
        net->apply([&](nn::Module& m) {
            if (auto* fc = m.as<nn::Linear>()) linears += fc->options.in_features() > 0;
        });
        CHECK(linears == 2);
    }

    TEST_CASE("Module: apply with names and with shared pointers visits every module") {
        Net net;
        std::vector<std::string> names;
        net->apply([&](const std::string& name, nn::Module&) { names.push_back(name); }, "net");
        CHECK(names ==
              std::vector<std::string>{"net", "net.block", "net.block.fc", "net.head", "net.drop"});
        size_t count = 0;
        net->apply([&](const std::shared_ptr<nn::Module>& m) { count += m != nullptr; });
        CHECK(count == 5);
    }

    TEST_CASE("TORCH_MODULE: works after a rename, as TAPEGRAD_MODULE") {
        struct TinyImpl : nn::Module {
            TinyImpl(int64_t n) { w = register_parameter("w", ones({n})); }
            Tensor forward(const Tensor& x) { return x * w; }
            Tensor w;
        };
        TORCH_MODULE(Tiny);
        static_assert(std::is_same_v<Tiny::Impl, TinyImpl>, "Tiny::Impl names the module class");
        Tiny tiny(3);
        CHECK_VALUES(tiny(full({3}, 2.0)), {2.0, 2.0, 2.0});
        Tiny empty{nullptr};
        CHECK(empty.is_empty());
    }

    TEST_CASE("ModuleHolder: an empty holder throws a logic_error when used") {
        nn::Linear fc{nullptr};
        CHECK(fc.is_empty());
        CHECK_FALSE(static_cast<bool>(fc));
        CHECK_THROWS_CONTAINS(fc->forward(ones({1, 1})), std::logic_error,
                              "ModuleHolder: the Linear holder is empty");
    }

    TEST_CASE("ModuleHolder: holders share their module, and call forward through operator()") {
        nn::Linear a(2, 3);
        nn::Linear b = a;
        CHECK(b.get() == a.get());
        nn::init::ones_(a->weight);
        nn::init::zeros_(a->bias);
        CHECK_VALUES(b(ones({1, 2})), {2.0, 2.0, 2.0});
    }

    TEST_CASE("OrderedDict: operator[] on a missing key throws naming it") {
        Net net;
        CHECK_THROWS_CONTAINS(net->named_parameters()["nope"], std::out_of_range,
                              "OrderedDict: no parameter named 'nope'");
    }

    TEST_CASE("OrderedDict: insert rejects a duplicate key") {
        OrderedDict<std::string, int> d("entry");
        d.insert("a", 1);
        CHECK_THROWS_CONTAINS(d.insert("a", 2), std::invalid_argument,
                              "OrderedDict: entry 'a' is already defined");
    }

}  // TEST_SUITE
