// libFuzzer target for the tensor archive's header: each input is an archive without its
// checksum, completed with the right CRC-32 so that it reaches every header check (see
// archive_header_check.hpp for the promises checked), and no size a header claims may be
// allocated before it is checked against the file: the target sets -malloc_limit_mb=64 itself
// (unless the command line sets a limit), so any allocation that large stops the run.
// Seeds: tests/fuzz/corpus/archive_header (written by make_seeds.py).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/fuzz/archive_header_check.hpp"
#include "tests/fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    static std::vector<char*> args(*argv, *argv + *argc);
    for (const char* a : args) {
        if (std::strncmp(a, "-malloc_limit_mb=", 17) == 0) return 0;
    }
    static char limit[] = "-malloc_limit_mb=64";
    args.push_back(limit);
    args.push_back(nullptr);
    *argc += 1;
    *argv = args.data();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<uint8_t> file = tapegrad_fuzz::with_checksum(data, size);
    const std::string& path =
        tapegrad_fuzz::write_input("archive_header", file.data(), file.size());
    const tapegrad_fuzz::HeaderVerdict verdict = tapegrad_fuzz::check_archive_header(path, file);
    if (!verdict.broken.empty()) tapegrad_fuzz::fail(verdict.broken.c_str());
    return 0;
}
