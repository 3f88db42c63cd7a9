// Regression tests for inputs found by the fuzzers in tests/fuzz: each file that once crashed a
// reader (or tripped a sanitizer) must now give a clean std::runtime_error.

#include <cstdint>
#include <string>

#include "tapegrad.hpp"
#include "tests/autograd/test_util.hpp"
#include "tests/data/temp_files.hpp"

using namespace tapegrad;
using tapegrad_test::Bytes;
using tapegrad_test::TempDir;

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

}  // TEST_SUITE
