#pragma once
// The values LibTorch 1.13 produced for the data suite (tests/data/gen_data_golden.cpp wrote
// them): lines `key: values...`.

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tapegrad_test {

/// The golden file's lines by key, read once.
inline const std::map<std::string, std::string>& data_golden() {
    static const std::map<std::string, std::string> lines = [] {
        std::ifstream in(TAPEGRAD_DATA_GOLDEN);
        if (!in) throw std::runtime_error("cannot open " + std::string(TAPEGRAD_DATA_GOLDEN));
        std::map<std::string, std::string> out;
        std::string line;
        while (std::getline(in, line)) {
            const size_t colon = line.find(':');
            if (colon != std::string::npos) out[line.substr(0, colon)] = line.substr(colon + 1);
        }
        return out;
    }();
    return lines;
}

/// The values under `key`, parsed as T; throws if the key is missing.
template <class T>
std::vector<T> golden_values(const std::string& key) {
    const auto& lines = data_golden();
    const auto it = lines.find(key);
    if (it == lines.end()) throw std::runtime_error("data_golden.txt has no key '" + key + "'");
    std::istringstream in(it->second);
    std::vector<T> values;
    T v;
    while (in >> v) values.push_back(v);
    return values;
}

}  // namespace tapegrad_test
