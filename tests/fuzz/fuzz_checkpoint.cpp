// libFuzzer target for the checkpoint loader: read_archive, then tapegrad::load into a fixed
// model. Every input must load or raise std::runtime_error, and a failed load must leave the
// model's values untouched. Random bytes rarely carry a valid CRC-32, so each input is also
// tried with its checksum fixed, which lets the fuzzer reach load()'s name and shape checks.
// Seeds: tests/fuzz/corpus/checkpoint (archives of the model below and broken variants).

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "autograd/serialize.hpp"
#include "nn/nn.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {

using namespace tapegrad;

// Sequential(Linear(3, 2), ReLU(), Linear(2, 1)): 0.weight [2, 3], 0.bias [2], 2.weight [1, 2],
// 2.bias [1]. Made once; each input starts from its first values, so runs do not depend on
// what earlier inputs loaded.
nn::Sequential& model() {
    static nn::Sequential m(nn::Linear(3, 2), nn::ReLU(), nn::Linear(2, 1));
    return m;
}

// The parameters' bytes: compared bit for bit, since a loaded NaN never equals itself.
std::vector<uint8_t> snapshot(const nn::Sequential& m) {
    std::vector<uint8_t> out;
    for (const Tensor& p : m->parameters()) {
        const auto* b = static_cast<const uint8_t*>(p.raw_data());
        out.insert(out.end(), b, b + p.numel() * static_cast<int64_t>(sizeof(float)));
    }
    return out;
}

void restore(nn::Sequential& m, const std::vector<uint8_t>& bytes) {
    size_t at = 0;
    for (const Tensor& p : m->parameters()) {
        const size_t n = static_cast<size_t>(p.numel()) * sizeof(float);
        std::memcpy(p.raw_data(), bytes.data() + at, n);
        at += n;
    }
}

void try_load(const std::string& path) {
    try {
        const NamedTensors tensors = read_archive(path);
        for (const auto& [name, t] : tensors) {
            if (!t.defined()) tapegrad_fuzz::fail("read_archive returned an undefined tensor");
        }
    } catch (const std::runtime_error&) {
    }
    static const std::vector<uint8_t> initial = snapshot(model());
    restore(model(), initial);
    try {
        load(model(), path);
    } catch (const std::runtime_error&) {
        if (snapshot(model()) != initial) tapegrad_fuzz::fail("a failed load changed the model");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try_load(tapegrad_fuzz::write_input("checkpoint", data, size));
    if (size >= 24) {
        std::vector<uint8_t> fixed(data, data + size);
        const uint32_t crc =
            static_cast<uint32_t>(crc32_z(crc32_z(0, nullptr, 0), fixed.data(), size - 4));
        const uint8_t le[4] = {uint8_t(crc), uint8_t(crc >> 8), uint8_t(crc >> 16),
                               uint8_t(crc >> 24)};
        if (std::memcmp(le, &fixed[size - 4], 4) != 0) {
            std::memcpy(&fixed[size - 4], le, 4);
            try_load(tapegrad_fuzz::write_input("checkpoint", fixed.data(), size));
        }
    }
    return 0;
}
