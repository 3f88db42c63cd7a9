// libFuzzer target for the tensor archive's header: each input is an archive without its
// checksum, completed with the right CRC-32 so that it reaches every header check (see
// archive_header_check.hpp for the promises checked). Run it with a malloc limit, so that a size
// claimed by a header and allocated before it is checked against the file stops the run:
//   build-fuzz/tests/fuzz/fuzz_archive_header corpus-copy -malloc_limit_mb=64
// Seeds: tests/fuzz/corpus/archive_header (written by make_seeds.py).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/fuzz/archive_header_check.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<uint8_t> file = tapegrad_fuzz::with_checksum(data, size);
    const std::string& path = tapegrad_fuzz::write_input("archive_header", file.data(), file.size());
    const tapegrad_fuzz::HeaderVerdict verdict = tapegrad_fuzz::check_archive_header(path, file);
    if (!verdict.broken.empty()) tapegrad_fuzz::fail(verdict.broken.c_str());
    return 0;
}
