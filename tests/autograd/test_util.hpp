#pragma once
// Helpers shared by the autograd tests: gradient-check and exception macros, value
// comparisons, and the reader for the PyTorch golden file.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/engine.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/tensor.hpp"

namespace tapegrad {
namespace testing {

/// Options for a gradcheck input: float64 and requires grad.
inline TensorOptions f64() {
    return TensorOptions().dtype(kFloat64).requires_grad(true);
}

/// A float64 tensor of `shape` holding `values` (row-major), built without any op.
inline Tensor make_f64(const std::vector<double>& values, const std::vector<int64_t>& shape,
                       bool requires_grad = false) {
    Tensor t = empty(shape, kFloat64);
    REQUIRE(static_cast<size_t>(t.numel()) == values.size());
    if (!values.empty())
        std::memcpy(t.data_ptr<double>(), values.data(), values.size() * sizeof(double));
    if (requires_grad) t.requires_grad_();
    return t;
}

/// An int64 tensor of `shape` holding `values`.
inline Tensor make_i64(const std::vector<int64_t>& values, const std::vector<int64_t>& shape) {
    Tensor t = empty(shape, kInt64);
    REQUIRE(static_cast<size_t>(t.numel()) == values.size());
    if (!values.empty())
        std::memcpy(t.data_ptr<int64_t>(), values.data(), values.size() * sizeof(int64_t));
    return t;
}

/// The golden file's input formula: sin(1.7 i + 0.3) * scale + shift over the flat index.
/// Its values stay at least 0.1 * scale away from `shift` for the first 12 elements, which
/// keeps kinks (abs, relu, clamp) out of reach of the finite differences.
inline Tensor grid(const std::vector<int64_t>& shape, double scale = 1.0, double shift = 0.0,
                   bool requires_grad = true) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        v[static_cast<size_t>(i)] = std::sin(1.7 * i + 0.3) * scale + shift;
    return make_f64(v, shape, requires_grad);
}

/// "" when `t` holds `expected` within atol + rtol * |expected|, else a description.
inline std::string mismatch(const Tensor& t, const std::vector<double>& expected,
                            double rtol = 1e-12, double atol = 1e-14) {
    if (!t.defined()) return "the tensor is undefined";
    const std::vector<double> got = t.to_vector<double>();
    std::ostringstream os;
    os.precision(17);
    if (got.size() != expected.size()) {
        os << "got " << got.size() << " elements (shape " << shape_str(t.sizes()) << "), expected "
           << expected.size();
        return os.str();
    }
    for (size_t i = 0; i < got.size(); ++i) {
        const double diff = std::abs(got[i] - expected[i]);
        if (!(diff <= atol + rtol * std::abs(expected[i]))) {
            os << "element " << i << ": got " << got[i] << ", expected " << expected[i];
            return os.str();
        }
    }
    return "";
}

/// Checks the values of a tensor (any dtype) against a list, to 1e-12 relative by default.
#define CHECK_VALUES(t, ...)                                                            \
    do {                                                                                \
        const std::string tg_mismatch_ = ::tapegrad::testing::mismatch(t, __VA_ARGS__); \
        CHECK_MESSAGE(tg_mismatch_.empty(), #t ": " << tg_mismatch_);                   \
    } while (0)

/// As CHECK_VALUES with a tolerance for float32 results.
#define CHECK_VALUES_F32(t, ...)                                       \
    do {                                                               \
        const std::string tg_mismatch_ =                               \
            ::tapegrad::testing::mismatch(t, __VA_ARGS__, 1e-6, 1e-6); \
        CHECK_MESSAGE(tg_mismatch_.empty(), #t ": " << tg_mismatch_);  \
    } while (0)

/// Checks a shape against a brace list.
#define CHECK_SHAPE(t, ...)                                         \
    CHECK_MESSAGE((t).sizes() == std::vector<int64_t>(__VA_ARGS__), \
                  #t " has shape " << shape_str((t).sizes()))

/// Runs the finite-difference gradient check; prints its message on failure. At least one
/// input must require grad, or the check would prove nothing.
#define CHECK_GRADIENTS(fn, ...)                                                         \
    do {                                                                                 \
        const std::vector<::tapegrad::Tensor> tg_inputs_ = __VA_ARGS__;                  \
        bool tg_any_ = false;                                                            \
        for (const auto& tg_t_ : tg_inputs_) tg_any_ = tg_any_ || tg_t_.requires_grad(); \
        REQUIRE_MESSAGE(tg_any_, "no input of the gradient check requires grad");        \
        const auto tg_result_ = ::tapegrad::autograd::gradcheck(fn, tg_inputs_);         \
        CHECK_MESSAGE(tg_result_.ok, "gradcheck: " << tg_result_.message);               \
    } while (0)

/// The same for second derivatives.
#define CHECK_GRADGRADIENTS(fn, ...)                                                 \
    do {                                                                             \
        const std::vector<::tapegrad::Tensor> tg_inputs_ = __VA_ARGS__;              \
        const auto tg_result_ = ::tapegrad::autograd::gradgradcheck(fn, tg_inputs_); \
        CHECK_MESSAGE(tg_result_.ok, "gradgradcheck: " << tg_result_.message);       \
    } while (0)

/// The message of the exception of type E (or a subclass) that `f` throws, or a description
/// of what happened instead, starting with '<'.
template <class E, class F>
std::string thrown_message(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("<threw a different exception type: ") + e.what() + ">";
    } catch (...) {
        return "<threw a non-std exception>";
    }
    return "<did not throw>";
}

inline bool contains_all(const std::string& s, std::initializer_list<const char*> parts,
                         std::string* missing) {
    if (!s.empty() && s[0] == '<') {
        *missing = "";
        return false;
    }
    for (const char* p : parts) {
        if (s.find(p) == std::string::npos) {
            *missing = p;
            return false;
        }
    }
    return true;
}

/// Checks that `expr` throws `Exception` with a message containing every given substring.
#define CHECK_THROWS_CONTAINS(expr, Exception, ...)                                            \
    do {                                                                                       \
        const std::string tg_msg_ =                                                            \
            ::tapegrad::testing::thrown_message<Exception>([&] { (void)(expr); });             \
        std::string tg_missing_;                                                               \
        CHECK_MESSAGE(::tapegrad::testing::contains_all(tg_msg_, {__VA_ARGS__}, &tg_missing_), \
                      #expr " should throw " #Exception " mentioning \""                       \
                          << tg_missing_ << "\"; got: " << tg_msg_);                           \
    } while (0)

// ---- golden file ---------------------------------------------------------------------------

struct GoldenTensor {
    std::vector<int64_t> shape;  // empty for a 0-d tensor
    std::vector<double> values;
};

struct GoldenCase {
    std::string name;
    std::string op;
    std::vector<GoldenTensor> inputs;
    GoldenTensor out;
    std::vector<double> gout;
    std::vector<std::vector<double>> grads;  // grads[i] for input i; empty when not listed
    std::vector<bool> has_grad;
};

/// Parses "shape 2 3 : v v v" (the shape part may be "scalar" or empty for 0-d) or ": v v".
inline GoldenTensor parse_golden_values(const std::string& rest, const std::string& where) {
    GoldenTensor t;
    const size_t colon = rest.find(':');
    if (colon == std::string::npos) throw std::runtime_error("golden file: no ':' in " + where);
    std::istringstream head(rest.substr(0, colon));
    std::string word;
    while (head >> word) {
        if (word == "shape" || word == "scalar") continue;
        t.shape.push_back(std::stoll(word));
    }
    std::istringstream values(rest.substr(colon + 1));
    double v;
    while (values >> v) t.values.push_back(v);
    return t;
}

/// Reads every case of ops_golden.txt (format at the top of that file).
inline std::vector<GoldenCase> read_golden(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("golden file: cannot open " + path);
    std::vector<GoldenCase> cases;
    GoldenCase cur;
    bool open = false;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ls(line);
        std::string key;
        ls >> key;
        std::string rest;
        std::getline(ls, rest);
        const std::string where = "line \"" + line.substr(0, 40) + "\"";
        if (key == "case") {
            cur = GoldenCase{};
            std::istringstream(rest) >> cur.name;
            open = true;
        } else if (!open) {
            throw std::runtime_error("golden file: " + where + " outside a case");
        } else if (key == "op") {
            const size_t first = rest.find_first_not_of(' ');
            cur.op = first == std::string::npos ? "" : rest.substr(first);
        } else if (key.rfind("in", 0) == 0) {
            const size_t i = std::stoul(key.substr(2));
            if (cur.inputs.size() <= i) cur.inputs.resize(i + 1);
            cur.inputs[i] = parse_golden_values(rest, where);
        } else if (key == "out") {
            cur.out = parse_golden_values(rest, where);
        } else if (key == "gout") {
            cur.gout = parse_golden_values(rest, where).values;
        } else if (key.rfind("grad", 0) == 0) {
            const size_t i = std::stoul(key.substr(4));
            if (cur.grads.size() <= i) {
                cur.grads.resize(i + 1);
                cur.has_grad.resize(i + 1, false);
            }
            cur.grads[i] = parse_golden_values(rest, where).values;
            cur.has_grad[i] = true;
        } else if (key == "end") {
            cur.has_grad.resize(cur.inputs.size(), false);
            cur.grads.resize(cur.inputs.size());
            cases.push_back(cur);
            open = false;
        } else {
            throw std::runtime_error("golden file: unknown " + where);
        }
    }
    if (open) throw std::runtime_error("golden file: case " + cur.name + " has no 'end'");
    return cases;
}

/// Checks one golden case: its inputs rebuilt in float64 (requiring grad where the file lists a
/// gradient), `fn` applied, the output compared to 1e-12 relative, then backward(gout) and each
/// listed gradient. A case without gout is an op with no gradient: its output must not require
/// grad.
inline void check_golden_case(const GoldenCase& c,
                              const std::function<Tensor(const std::vector<Tensor>&)>& fn) {
    INFO("golden case ", c.name, ": ", c.op);
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < c.inputs.size(); ++i)
        inputs.push_back(make_f64(c.inputs[i].values, c.inputs[i].shape, c.has_grad[i]));
    const Tensor out = fn(inputs);
    CHECK(out.sizes() == c.out.shape);
    CHECK_MESSAGE(mismatch(out, c.out.values).empty(), mismatch(out, c.out.values));
    if (c.gout.empty()) {
        CHECK_FALSE(out.requires_grad());
        return;
    }
    REQUIRE(out.requires_grad());
    out.backward(make_f64(c.gout, c.out.shape));
    for (size_t i = 0; i < c.inputs.size(); ++i) {
        if (!c.has_grad[i]) continue;
        const std::string err = mismatch(inputs[i].grad(), c.grads[i]);
        CHECK_MESSAGE(err.empty(), "grad of input " << i << ": " << err);
    }
}

/// The cases of the project's golden file, read once.
inline const std::vector<GoldenCase>& golden_cases() {
    static const std::vector<GoldenCase> cases = read_golden(TAPEGRAD_GOLDEN_DIR "/ops_golden.txt");
    return cases;
}

}  // namespace testing
}  // namespace tapegrad
