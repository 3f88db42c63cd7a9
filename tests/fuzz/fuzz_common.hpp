#pragma once
// Shared by the libFuzzer targets: the readers take paths, so each input goes through a file of
// its own (one per process, reused for every input).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace tapegrad_fuzz {

/// Writes `size` bytes to this process's scratch file and returns its path.
inline const std::string& write_input(const char* target, const uint8_t* data, size_t size) {
    // removes the file when the fuzzer exits
    static const struct Scratch {
        std::string path;
        ~Scratch() { std::remove(path.c_str()); }
    } scratch{(std::filesystem::temp_directory_path() /
               (std::string("tapegrad_") + target + "_" + std::to_string(::getpid())))
                  .string()};
    const std::string& path = scratch.path;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
    return path;
}

/// Stops the run: a reader broke one of its promises (a wrong exception type is caught by
/// libFuzzer as an uncaught exception already; this is for wrong results).
[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

}  // namespace tapegrad_fuzz
