// The seeds of the archive-header fuzz target (tests/fuzz/corpus/archive_header), replayed
// through the target's own check (tests/fuzz/archive_header_check.hpp), so the suite and its
// sanitizer run cover them without clang: valid seeds load and write back to the same bytes,
// "bad_" seeds are refused with a std::runtime_error that names the file.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/autograd/test_util.hpp"
#include "tests/data/temp_files.hpp"
#include "tests/fuzz/archive_header_check.hpp"

using tapegrad_test::TempDir;

TEST_SUITE("reliability/fuzz regressions") {
    TEST_CASE("seed corpus: every archive-header seed loads and writes back, or is refused") {
        std::vector<std::string> seeds;
        for (const auto& e : std::filesystem::directory_iterator(
                 std::filesystem::path(TAPEGRAD_FUZZ_CORPUS_DIR) / "archive_header"))
            seeds.push_back(e.path().string());
        std::sort(seeds.begin(), seeds.end());
        REQUIRE(seeds.size() >= 19);
        TempDir dir;
        int loaded = 0;
        for (const std::string& seed : seeds) {
            CAPTURE(seed);
            const tapegrad_test::Bytes input = [&] {
                std::ifstream in(seed, std::ios::binary);
                return tapegrad_test::Bytes((std::istreambuf_iterator<char>(in)),
                                            std::istreambuf_iterator<char>());
            }();
            const std::vector<uint8_t> file =
                tapegrad_fuzz::with_checksum(input.data(), input.size());
            const std::string path = dir.file("archive");
            tapegrad_test::write_bytes(path, file);
            const tapegrad_fuzz::HeaderVerdict verdict =
                tapegrad_fuzz::check_archive_header(path, file);
            CHECK(verdict.broken == "");
            const bool bad = std::filesystem::path(seed).filename().string().rfind("bad_", 0) == 0;
            CHECK(verdict.loaded == !bad);
            loaded += verdict.loaded;
        }
        CHECK(loaded == 6);
    }
}
