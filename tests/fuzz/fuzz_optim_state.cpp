// libFuzzer target for the optimizer-state reader (the checks are in optim_state_target.hpp).
// Each input is also tried with its CRC-32 fixed, so the fuzzer reaches load()'s own checks.
// Seeds: tests/fuzz/corpus/optim_state, written by tests/fuzz/make_optim_seeds.py; run as
//   cp -r tests/fuzz/corpus/optim_state /tmp/os && build-fuzz/tests/fuzz/fuzz_optim_state /tmp/os

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/fuzz/fuzz_common.hpp"
#include "tests/fuzz/optim_state_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    tapegrad_fuzz::try_load_optim_state(tapegrad_fuzz::write_input("optim_state", data, size));
    if (size >= 24) {
        std::vector<uint8_t> fixed(data, data + size);
        const uint32_t crc =
            static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), fixed.data(), size - 4));
        const uint8_t le[4] = {uint8_t(crc), uint8_t(crc >> 8), uint8_t(crc >> 16),
                               uint8_t(crc >> 24)};
        if (std::memcmp(le, &fixed[size - 4], 4) != 0) {
            std::memcpy(&fixed[size - 4], le, 4);
            tapegrad_fuzz::try_load_optim_state(
                tapegrad_fuzz::write_input("optim_state", fixed.data(), size));
        }
    }
    return 0;
}
