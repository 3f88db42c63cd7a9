#pragma once
// What fuzz_archive_header checks for one input, shared with the regular suite
// (tests/reliability/archive_header_seeds_test.cpp), which replays the seeds through it.
//
// The input is an archive without its checksum; the check appends the right CRC-32, so every
// input passes the checksum and reaches the header's own checks: magic, version, count, name
// lengths, dtype codes, ranks, and sizes against the bytes the file has. The promises:
// read_archive returns tensors or raises std::runtime_error naming the file (any other
// exception escapes to the caller: to libFuzzer a crash, to the suite a failure), and what it
// returns, written back with write_archive, gives the very bytes it read.

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/serialize.hpp"

namespace tapegrad_fuzz {

struct HeaderVerdict {
    bool loaded = false;  ///< read_archive returned tensors
    std::string broken;   ///< a broken promise, "" when none
};

/// The input completed with its CRC-32 (little-endian), as the file to read.
inline std::vector<uint8_t> with_checksum(const uint8_t* data, size_t size) {
    std::vector<uint8_t> file(data, data + size);
    const uint32_t crc = static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), data, size));
    for (int shift = 0; shift < 32; shift += 8) file.push_back(static_cast<uint8_t>(crc >> shift));
    return file;
}

/// Runs read_archive on `path`, which holds `file`; when it loads, writes the tensors back to
/// `path` + ".again" and compares the bytes.
inline HeaderVerdict check_archive_header(const std::string& path,
                                          const std::vector<uint8_t>& file) {
    HeaderVerdict verdict;
    tapegrad::NamedTensors tensors;
    try {
        tensors = tapegrad::read_archive(path);
    } catch (const std::runtime_error& e) {
        if (std::string(e.what()).find("'" + path + "'") == std::string::npos)
            verdict.broken = std::string("the error does not name the file: ") + e.what();
        return verdict;
    }
    verdict.loaded = true;
    for (const auto& [name, t] : tensors) {
        if (!t.defined()) {
            verdict.broken = "read_archive returned an undefined tensor '" + name + "'";
            return verdict;
        }
    }
    const std::string again = path + ".again";
    tapegrad::write_archive(again, tensors);
    std::ifstream in(again, std::ios::binary);
    const std::vector<uint8_t> written((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
    std::remove(again.c_str());
    if (written != file) {
        verdict.broken = "written back, the " + std::to_string(tensors.size()) +
                         " tensors read give other bytes (" + std::to_string(written.size()) +
                         " instead of " + std::to_string(file.size()) + ")";
    }
    return verdict;
}

}  // namespace tapegrad_fuzz
