// libFuzzer target for the IDX readers (plain and gzip). Every input must give a tensor of the
// declared shape or a std::runtime_error; any other exception, a crash or a sanitizer report is
// a bug. Seeds: tests/fuzz/corpus/idx.

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "data/idx.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = tapegrad_fuzz::write_input("idx", data, size);
    try {
        const tapegrad::Tensor t = tapegrad::data::read_idx(path);
        if (t.dim() < 1) tapegrad_fuzz::fail("read_idx returned a 0-d tensor");
    } catch (const std::runtime_error&) {
    }
    try {
        const tapegrad::Tensor t = tapegrad::data::read_idx_images(path, /*scale=*/true);
        if (t.dim() != 2) tapegrad_fuzz::fail("read_idx_images did not return [n, rows * cols]");
        for (float v : t.to_vector<float>())
            if (!(v >= 0.0f && v <= 1.0f)) tapegrad_fuzz::fail("a scaled pixel is outside [0, 1]");
    } catch (const std::runtime_error&) {
    }
    try {
        const tapegrad::Tensor t = tapegrad::data::read_idx_labels(path);
        if (t.dim() != 1) tapegrad_fuzz::fail("read_idx_labels did not return [n]");
    } catch (const std::runtime_error&) {
    }
    return 0;
}
