#pragma once
// Test helpers for the train suite: a temporary directory that removes itself, and a capture
// of what the code under test writes to std::cerr.

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace tapegrad_test {

/// A fresh directory under the system's temporary directory, removed with its contents.
class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ =
            std::filesystem::temp_directory_path() /
            ("tapegrad_train_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string path() const { return path_.string(); }
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    /// Names of the entries in the directory, sorted.
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(path_)) {
            names.push_back(e.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }

private:
    std::filesystem::path path_;
};

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Redirects std::cerr into a string for its lifetime.
class CaptureCerr {
public:
    CaptureCerr() : old_(std::cerr.rdbuf(buffer_.rdbuf())) {}
    ~CaptureCerr() { std::cerr.rdbuf(old_); }
    CaptureCerr(const CaptureCerr&) = delete;
    CaptureCerr& operator=(const CaptureCerr&) = delete;
    std::string text() const { return buffer_.str(); }

private:
    std::ostringstream buffer_;
    std::streambuf* old_;
};

}  // namespace tapegrad_test
