// The optimizer-state fuzz target's seeds (tests/fuzz/corpus/optim_state), replayed in the
// regular suite so that its sanitizer run covers them without clang: each file loads into the
// optimizer its name starts with and into no other, every broken one (bad_*) into none, and no
// file breaks a promise of the reader (optim_state_target.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/fuzz/optim_state_target.hpp"

TEST_SUITE("optim/fuzz seeds") {
    TEST_CASE(
        "optim::load: every optimizer-state seed loads where it should or is refused cleanly") {
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(
                 std::filesystem::path(TAPEGRAD_FUZZ_CORPUS_DIR) / "optim_state"))
            files.push_back(e.path());
        std::sort(files.begin(), files.end());
        REQUIRE(files.size() >= 20);
        for (const auto& file : files) {
            const std::string name = file.filename().string();
            CAPTURE(name);
            std::vector<std::string> loaded;
            CHECK_NOTHROW(loaded = tapegrad_fuzz::try_load_optim_state(file.string()));
            std::vector<std::string> expected;
            for (const char* optimizer : {"adam", "sgd", "lbfgs"})
                if (name.rfind(optimizer, 0) == 0) expected.push_back(optimizer);
            for (auto& s : loaded)
                std::transform(s.begin(), s.end(), s.begin(),
                               [](char c) { return std::tolower(c); });
            CHECK(loaded == expected);
        }
    }
}
