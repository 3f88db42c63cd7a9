// tapegrad::save / load and the tensor archive: round trips, the byte format, atomic writes,
// and every corrupt or mismatched file, each leaving the module's values untouched.

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"

using namespace tapegrad;
using namespace tapegrad::testing;

namespace {

struct Net : nn::Module {
    Net(int64_t hidden = 4) {
        fc = register_module("fc", nn::Linear(3, hidden));
        bn = register_module("bn", nn::BatchNorm1d(hidden));
    }
    nn::Linear fc{nullptr};
    nn::BatchNorm1d bn{nullptr};
};

// A path in a fresh directory of its own, removed with its contents at the end.
struct TempDir {
    std::string dir;
    TempDir() {
        char tmpl[] = "/tmp/tapegrad_nn_XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
    }
    ~TempDir() { std::system(("rm -rf '" + dir + "'").c_str()); }
    std::string path(const std::string& name) const { return dir + "/" + name; }
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        FILE* p = popen(("ls -A '" + dir + "'").c_str(), "r");
        char buf[512];
        while (fgets(buf, sizeof buf, p)) out.emplace_back(buf, strcspn(buf, "\n"));
        pclose(p);
        return out;
    }
};

std::vector<unsigned char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::vector<double>> values_of(const nn::Module& m) {
    std::vector<std::vector<double>> out;
    for (const Tensor& t : m.parameters()) out.push_back(t.to_vector<double>());
    for (const Tensor& t : m.buffers()) out.push_back(t.to_vector<double>());
    return out;
}

// Saves a trained-looking Net, corrupts its file with `edit`, and checks that loading throws
// std::runtime_error mentioning `expected` and leaves a fresh Net's values untouched.
template <class Edit>
void check_corrupt_load(Edit edit, const std::string& expected) {
    TempDir tmp;
    manual_seed(1);
    auto saved = std::make_shared<Net>();
    save(saved, tmp.path("net.bin"));
    std::vector<unsigned char> bytes = read_bytes(tmp.path("net.bin"));
    edit(bytes);
    write_bytes(tmp.path("net.bin"), bytes);
    manual_seed(2);
    auto fresh = std::make_shared<Net>();
    const auto before = values_of(*fresh);
    CHECK_THROWS_CONTAINS(load(fresh, tmp.path("net.bin")), std::runtime_error, expected.c_str());
    CHECK(values_of(*fresh) == before);
}

}  // namespace

TEST_SUITE("nn/serialize") {
    TEST_CASE("save/load: round-trips parameters and buffers by name") {
        TempDir tmp;
        manual_seed(1);
        auto a = std::make_shared<Net>();
        a->bn->forward(randn({5, 4}));  // move the running statistics away from their defaults
        save(a, tmp.path("net.bin"));
        manual_seed(2);
        auto b = std::make_shared<Net>();
        CHECK(values_of(*a) != values_of(*b));
        const std::vector<Tensor> handles = b->parameters();
        load(b, tmp.path("net.bin"));
        CHECK(values_of(*a) == values_of(*b));
        CHECK(b->bn->num_batches_tracked.item<int64_t>() == 1);
        CHECK(handles[0].is_same(b->fc->weight));                     // loaded in place
        CHECK(tmp.entries() == std::vector<std::string>{"net.bin"});  // no temporary left behind
    }

    TEST_CASE("save/load: a holder module round-trips, and a float64 module loads a float32 file") {
        TempDir tmp;
        nn::Linear a(2, 2);
        save(a, tmp.path("fc.bin"));
        nn::Linear b(2, 2);
        b->to(kFloat64);
        load(b, tmp.path("fc.bin"));
        CHECK(b->weight.dtype() == kFloat64);
        CHECK(b->weight.to(kFloat32).equal(a->weight));
    }

    TEST_CASE("write_archive: writes the documented little-endian layout with a CRC-32") {
        TempDir tmp;
        write_archive(tmp.path("a.bin"),
                      {{"xy", tensor({1.0f, 2.0f})}, {"n", tensor({7}, kInt64)}});
        const std::vector<unsigned char> b = read_bytes(tmp.path("a.bin"));
        const std::vector<unsigned char> expected_head = {
            'T',  'A',  'P',  'E',  'G',  'R',  'A',  'D',  1, 0, 0, 0,  // magic, version 1
            2,    0,    0,    0,    0,    0,    0,    0,                 // count
            2,    0,    0,    0,    'x',  'y',  0,    1,    0, 0, 0, 2,
            0,    0,    0,    0,    0,    0,    0,           // name, float32, [2]
            0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40,  // 1.0f, 2.0f
            1,    0,    0,    0,    'n',  2,    1,    0,    0, 0, 1, 0,
            0,    0,    0,    0,    0,    0,  // name, int64, [1]
            7,    0,    0,    0,    0,    0,    0,    0};
        REQUIRE(b.size() == expected_head.size() + 4);
        CHECK(std::vector<unsigned char>(b.begin(), b.end() - 4) == expected_head);
        const NamedTensors back = read_archive(tmp.path("a.bin"));
        REQUIRE(back.size() == 2);
        CHECK(back[0].first == "xy");
        CHECK(back[0].second.equal(tensor({1.0f, 2.0f})));
        CHECK(back[1].second.equal(tensor({7}, kInt64)));
    }

    TEST_CASE("write_archive: replaces an existing file whole") {
        TempDir tmp;
        write_archive(tmp.path("a.bin"), {{"w", zeros({1000})}});
        write_archive(tmp.path("a.bin"), {{"w", ones({2})}});
        const NamedTensors back = read_archive(tmp.path("a.bin"));
        REQUIRE(back.size() == 1);
        CHECK(back[0].second.equal(ones({2})));
    }

    TEST_CASE("write_archive: a path in a missing directory throws naming it") {
        CHECK_THROWS_CONTAINS(
            write_archive("/nonexistent_dir_tg/a.bin", {{"w", ones({1})}}), std::runtime_error,
            "write_archive: cannot open the directory of '/nonexistent_dir_tg/a.bin': "
            "No such file or directory");
    }

    TEST_CASE("write_archive: rejects an undefined tensor") {
        CHECK_THROWS_CONTAINS(write_archive("/tmp/unused.bin", {{"w", Tensor()}}),
                              std::invalid_argument, "write_archive: tensor 'w' is undefined");
    }

    TEST_CASE("read_archive: a missing file throws naming it") {
        CHECK_THROWS_CONTAINS(read_archive("/nonexistent_dir_tg/a.bin"), std::runtime_error,
                              "read_archive: cannot open '/nonexistent_dir_tg/a.bin'");
    }

    TEST_CASE("load: a file with a bad magic is refused") {
        check_corrupt_load([](auto& b) { b[0] = 'X'; }, "is not a tapegrad archive (bad magic");
    }

    TEST_CASE("load: a file of another format version is refused") {
        check_corrupt_load([](auto& b) { b[8] = 9; },
                           "has format version 9; this build reads version 1");
    }

    TEST_CASE("load: a file shorter than its header is refused as truncated") {
        check_corrupt_load([](auto& b) { b.resize(14); }, "is truncated: it has 14 bytes");
    }

    TEST_CASE("load: a truncated file is refused") {
        check_corrupt_load([](auto& b) { b.resize(b.size() - 40); }, "is truncated: ");
    }

    TEST_CASE("load: a flipped data byte fails the checksum") {
        check_corrupt_load([](auto& b) { b[b.size() - 10] ^= 0x01; },
                           "is corrupt: checksum mismatch");
    }

    TEST_CASE("load: an unknown dtype code is refused") {
        // the first record starts at byte 20: name length 9 ("fc.weight"), then the dtype byte
        check_corrupt_load([](auto& b) { b[20 + 4 + 9] = 9; }, "has unknown dtype code 9");
    }

    TEST_CASE("load: an absurd rank is refused") {
        check_corrupt_load([](auto& b) { b[20 + 4 + 9 + 1 + 3] = 0x10; },
                           "claims 268435458 dimensions");
    }

    TEST_CASE("load: a negative size is refused") {
        check_corrupt_load([](auto& b) { b[20 + 4 + 9 + 1 + 4 + 7] = 0x80; },
                           "has an impossible size");
    }

    TEST_CASE("load: trailing bytes after the last tensor are refused") {
        check_corrupt_load([](auto& b) { b.insert(b.end() - 4, 3, 0); },
                           "3 unexpected bytes after the last tensor");
    }

    TEST_CASE("load: names missing from the file are listed") {
        TempDir tmp;
        write_archive(tmp.path("a.bin"), {{"fc.weight", zeros({4, 3})}});
        auto net = std::make_shared<Net>();
        const auto before = values_of(*net);
        CHECK_THROWS_CONTAINS(
            load(net, tmp.path("a.bin")), std::runtime_error,
            "does not fit Net: missing from the file: fc.bias, bn.weight, bn.bias, "
            "bn.running_mean, bn.running_var, bn.num_batches_tracked");
        CHECK(values_of(*net) == before);
    }

    TEST_CASE("load: names the module does not have are listed") {
        TempDir tmp;
        nn::Linear fc(3, 4);
        NamedTensors state;
        for (const auto& item : fc->named_parameters())
            state.emplace_back(item.key(), item.value());
        state.emplace_back("extra", ones({1}));
        write_archive(tmp.path("a.bin"), state);
        CHECK_THROWS_CONTAINS(load(fc, tmp.path("a.bin")), std::runtime_error,
                              "does not fit Linear: not in the module: extra");
    }

    TEST_CASE("load: a shape mismatch is named") {
        TempDir tmp;
        save(std::make_shared<Net>(5), tmp.path("a.bin"));
        auto net = std::make_shared<Net>(4);
        const auto before = values_of(*net);
        CHECK_THROWS_CONTAINS(load(net, tmp.path("a.bin")), std::runtime_error,
                              "fc.weight has shape [5, 3] in the file, [4, 3] in the module");
        CHECK(values_of(*net) == before);
    }

    TEST_CASE("load: an integer tensor where the module has a floating one is refused") {
        TempDir tmp;
        write_archive(tmp.path("a.bin"), {{"weight", zeros({1, 1}, kInt64)}, {"bias", zeros({1})}});
        nn::Linear fc(1, 1);
        CHECK_THROWS_CONTAINS(load(fc, tmp.path("a.bin")), std::runtime_error,
                              "weight has dtype int64 in the file, float32 in the module");
    }

    TEST_CASE("load: a file holding a name twice is refused") {
        TempDir tmp;
        write_archive(tmp.path("a.bin"), {{"weight", zeros({1, 1})}, {"weight", zeros({1, 1})}});
        nn::Linear fc(1, 1);
        CHECK_THROWS_CONTAINS(load(fc, tmp.path("a.bin")), std::runtime_error,
                              "the file holds 'weight' twice");
    }

}  // TEST_SUITE

TEST_SUITE("nn/serialize") {
    TEST_CASE("save/load: every dtype round-trips with its values, and a view as its elements") {
        TempDir tmp;
        const std::vector<Tensor> list{
            tensor({1.5f, -2.0f}),
            tensor({0.1, -1e300}),
            tensor({int64_t(1) << 62, int64_t(-7)}),
            tensor({-70000, 70000}).to(kInt32),
            tensor({-300, 300}).to(kInt16),
            tensor({-128, 127}).to(kInt8),
            tensor({0, 255}).to(kUInt8),
            tensor({0, 1}).to(kBool),
            arange(6.0).reshape({2, 3}).t(),  // strided: written as [[0, 3], [1, 4], [2, 5]]
        };
        save(list, tmp.path("all.pt"));
        std::vector<Tensor> back;
        load(back, tmp.path("all.pt"));
        REQUIRE(back.size() == list.size());
        for (size_t i = 0; i < list.size(); ++i) {
            CAPTURE(i);
            CHECK(back[i].dtype() == list[i].dtype());
            CHECK(back[i].sizes() == list[i].sizes());
            CHECK(back[i].equal(list[i]));
        }
        CHECK(back[8].is_contiguous());
        CHECK(back[8].to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
    }

    TEST_CASE("load: a bool tensor holding a byte other than 0 or 1 is refused") {
        TempDir tmp;
        write_archive(tmp.path("b.pt"), {{"mask", tensor({0, 1, 1}).to(kBool)}});
        std::vector<unsigned char> b = read_bytes(tmp.path("b.pt"));
        b[b.size() - 5] = 2;  // the last element, just before the checksum
        const uint32_t crc =
            static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), b.data(), b.size() - 4));
        for (int i = 0; i < 4; ++i)
            b[b.size() - 4 + i] = static_cast<unsigned char>(crc >> (8 * i));
        write_bytes(tmp.path("b.pt"), b);
        CHECK_THROWS_CONTAINS(read_archive(tmp.path("b.pt")), std::runtime_error,
                              "is corrupt: tensor 'mask' is bool but element 2 is the byte 2");
    }

    TEST_CASE("save/load: one tensor or a list of them, as torch::save / torch::load") {
        const std::string path = "tapegrad_tensor_" + std::to_string(::getpid()) + ".tg";
        Tensor t = make_f64({1, 2, 3, 4, 5, 6}, {2, 3}, true);
        save(t, path);
        Tensor back;
        load(back, path);
        CHECK(back.dtype() == kFloat64);
        CHECK_SHAPE(back, {2, 3});
        CHECK_VALUES(back, {1, 2, 3, 4, 5, 6});
        CHECK_FALSE(back.requires_grad());
        std::vector<Tensor> list{t, tensor({7, 8}), zeros({0})};
        save(list, path);
        std::vector<Tensor> many;
        load(many, path);
        REQUIRE(many.size() == 3);
        CHECK(many[1].dtype() == kInt64);
        CHECK(many[1].to_vector<int64_t>() == std::vector<int64_t>{7, 8});
        CHECK(many[2].numel() == 0);
        CHECK_THROWS_CONTAINS(load(back, path), std::runtime_error, "holds 3 tensors");
        save(t, path);
        CHECK_THROWS_CONTAINS(load(many, path), std::runtime_error, "entry 0 is named 'tensor'");
        CHECK_THROWS_CONTAINS(save(Tensor(), path), std::invalid_argument, "save");
        std::remove(path.c_str());
    }
}
