// Command-line flags for the examples: `--flag value` pairs, parsed strictly (a typo or a value
// that is not a number stops the program with a message, instead of training with 0 epochs),
// and `--help` printing the usage line.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

class Args {
public:
    /// usage: the line printed by --help and after a mistake, e.g. "[--epochs N] [--lr X]".
    Args(int argc, char** argv, std::string usage) : program_(argv[0]), usage_(std::move(usage)) {
        for (int i = 1; i < argc; ++i) {
            const std::string flag = argv[i];
            if (flag == "--help" || flag == "-h") {
                std::printf("usage: %s %s\n", program_.c_str(), usage_.c_str());
                std::exit(0);
            }
            if (flag.rfind("--", 0) != 0 || i + 1 >= argc) fail(flag + " needs a value");
            values_[flag] = argv[++i];
        }
    }

    /// An integer flag, at least `min`.
    long long integer(const std::string& flag, long long fallback, long long min = 1) {
        const char* v = take(flag);
        if (!v) return fallback;
        char* end = nullptr;
        errno = 0;
        const long long x = std::strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno != 0 || x < min)
            fail(flag + " wants an integer >= " + std::to_string(min) + ", got '" + v + "'");
        return x;
    }

    /// A positive real flag (learning rates, accuracies).
    double real(const std::string& flag, double fallback) {
        const char* v = take(flag);
        if (!v) return fallback;
        char* end = nullptr;
        errno = 0;
        const double x = std::strtod(v, &end);
        if (*v == '\0' || *end != '\0' || errno != 0 || !(x >= 0))
            fail(flag + " wants a number >= 0, got '" + v + "'");
        return x;
    }

    std::string text(const std::string& flag, std::string fallback) {
        const char* v = take(flag);
        return v ? std::string(v) : fallback;
    }

    /// Call after reading every flag: anything left over is a mistake.
    void done() {
        if (!values_.empty()) fail("unknown option " + values_.begin()->first);
    }

private:
    const char* take(const std::string& flag) {
        auto it = values_.find(flag);
        if (it == values_.end()) return nullptr;
        taken_ = it->second;
        values_.erase(it);
        return taken_.c_str();
    }

    [[noreturn]] void fail(const std::string& why) const {
        std::fprintf(stderr, "%s: %s\nusage: %s %s\n", program_.c_str(), why.c_str(),
                     program_.c_str(), usage_.c_str());
        std::exit(2);
    }

    std::string program_, usage_, taken_;
    std::map<std::string, std::string> values_;
};
