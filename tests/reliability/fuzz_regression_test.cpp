// Regression tests for inputs found by the fuzzers in tests/fuzz: each file that once crashed a
// reader (or tripped a sanitizer) must now give a clean std::runtime_error. The seed corpora
// are replayed too, so the suite (and its sanitizer run) covers them without clang.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using tapegrad_test::Bytes;
using tapegrad_test::TempDir;

namespace {

// The files of one seed corpus, sorted so that failures read the same on every run.
std::vector<std::string> corpus(const char* target) {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(
             std::filesystem::path(TAPEGRAD_FUZZ_CORPUS_DIR) / target))
        files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 5);
    return files;
}

// The message of what `f` threw, "" for nothing or a std::runtime_error, so that a CHECK on it
// prints any other exception.
template <class F>
std::string unexpected(F&& f) {
    try {
        f();
    } catch (const std::runtime_error&) {
    } catch (const std::exception& e) {
        return std::string("threw ") + e.what();
    }
    return "";
}

}  // namespace

TEST_SUITE("reliability/fuzz regressions") {
    TEST_CASE("read_idx_images: zero images of 2^32-1 x 2^32-1 pixels do not overflow the shape") {
        // Zero images make the data size 0, so the reader used to accept the header and then
        // multiply rows * cols (2^64) in int64: undefined behaviour.
        TempDir dir;
        const std::string path = dir.file("huge.idx");
        tapegrad_test::write_bytes(
            path, Bytes{0, 0, 8, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
        const std::string expected = "read_idx_images: " + path +
                                     ": declared shape [0, 4294967295, 4294967295] is too large";
        CHECK_THROWS_CONTAINS(data::read_idx_images(path), std::runtime_error, expected.c_str());
    }

    TEST_CASE("seed corpora: every IDX, CSV and checkpoint seed loads or raises runtime_error") {
        for (const std::string& f : corpus("idx")) {
            CAPTURE(f);
            CHECK(unexpected([&] { data::read_idx(f); }) == "");
            CHECK(unexpected([&] { data::read_idx_images(f); }) == "");
            CHECK(unexpected([&] { data::read_idx_labels(f); }) == "");
        }
        for (const std::string& f : corpus("csv")) {
            CAPTURE(f);
            CHECK(unexpected([&] { data::read_csv(f); }) == "");
        }
        // the fuzz target's model: valid seeds load into it, broken ones leave it unchanged
        nn::Sequential model(nn::Linear(3, 2), nn::ReLU(), nn::Linear(2, 1));
        for (const std::string& f : corpus("checkpoint")) {
            CAPTURE(f);
            const Tensor before = model->parameters()[0].clone();
            bool loaded = false;
            CHECK(unexpected([&] {
                      load(model, f);
                      loaded = true;
                  }) == "");
            const bool broken = f.find("/bad_") != std::string::npos;
            const bool other_model = f.find("/empty") != std::string::npos ||
                                     f.find("/scalar_and_int64") != std::string::npos;
            CHECK(loaded == (!broken && !other_model));
            if (!loaded) CHECK(model->parameters()[0].equal(before));
        }
    }
}  // TEST_SUITE
