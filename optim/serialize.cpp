#include "optim/serialize.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/serialize.hpp"

namespace tapegrad {
namespace optim {

namespace {

constexpr int64_t kFormatVersion = 1;
// Counts beyond 2^53 would not survive the conversions to double that step counts go through,
// and no run takes that many steps: a larger one is a corrupt or hostile file.
constexpr int64_t kMaxCount = int64_t{1} << 53;
constexpr size_t kMaxText = 64;

std::string group_prefix(size_t g) {
    return "group" + std::to_string(g) + ".";
}
std::string param_prefix(size_t g, size_t i) {
    return group_prefix(g) + "param" + std::to_string(i) + ".";
}
std::string item_name(const std::string& list, size_t j) {
    return list + "." + std::to_string(j);
}

// A text as an int64 vector of its character codes (the archive holds only tensors).
Tensor text_tensor(const std::string& s) {
    std::vector<int64_t> codes(s.begin(), s.end());
    Tensor t = zeros({static_cast<int64_t>(codes.size())}, kInt64);
    for (size_t i = 0; i < codes.size(); ++i) t.data_ptr<int64_t>()[i] = codes[i];
    return t;
}

// The number of elements of every parameter of a group: the length of LBFGS's flat vectors.
int64_t group_numel(const OptimizerParamGroup& group) {
    int64_t n = 0;
    for (const Tensor& p : group.params()) n += p.numel();
    return n;
}

// Appends every visited field to an archive's list of named tensors. State tensors are written
// in the dtype of their parameter (a parameter converted by Module::to since the last step).
class Writer final : public FieldVisitor {
public:
    Writer(NamedTensors& out, std::string prefix, const Tensor* param = nullptr)
        : out_(out), prefix_(std::move(prefix)), param_(param) {}
    void number(const char* name, double& value, Range) override {
        out_.emplace_back(prefix_ + name, full({}, value, kFloat64));
    }
    void flag(const char* name, bool& value) override {
        out_.emplace_back(prefix_ + name, full({}, value ? 1 : 0, kInt64));
    }
    void count(const char* name, int64_t& value) override {
        out_.emplace_back(prefix_ + name, full({}, value, kInt64));
    }
    void text(const char* name, std::optional<std::string>& value) override {
        if (value) out_.emplace_back(prefix_ + name, text_tensor(*value));
    }
    void tensor(const char* name, Tensor& value, bool, StateShape) override {
        if (value.defined()) out_.emplace_back(prefix_ + name, converted(value));
    }
    void tensors(const char* name, std::deque<Tensor>& values, StateShape) override {
        const std::string list = prefix_ + name;
        out_.emplace_back(list + ".size", full({}, static_cast<int64_t>(values.size()), kInt64));
        for (size_t j = 0; j < values.size(); ++j)
            out_.emplace_back(item_name(list, j), converted(values[j]));
    }

private:
    Tensor converted(const Tensor& t) const {
        return param_ && t.dtype() != param_->dtype() ? t.to(param_->dtype()) : t;
    }
    NamedTensors& out_;
    std::string prefix_;
    const Tensor* param_;
};

// The entries of one archive, with the names taken so far; every message names the file.
class Entries {
public:
    Entries(const std::string& path, const char* optimizer) : path_(path), optimizer_(optimizer) {
        for (auto& [name, t] : read_archive(path))
            if (!entries_.emplace(name, t).second) fail("holds " + name + " twice");
    }

    [[noreturn]] void fail(const std::string& message) const {
        throw std::invalid_argument("optim::load: '" + path_ + "' " + message);
    }
    bool contains(const std::string& name) const { return entries_.count(name) != 0; }
    bool has_prefix(const std::string& prefix) const {
        auto it = entries_.lower_bound(prefix);
        return it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
    }
    const Tensor* find(const std::string& name) {
        auto it = entries_.find(name);
        if (it == entries_.end()) return nullptr;
        taken_.insert(name);
        return &it->second;
    }
    const Tensor& take(const std::string& name) {
        const Tensor* t = find(name);
        if (!t)
            fail("has no " + name + "; was it saved from another optimizer than " + optimizer_ +
                 "?");
        return *t;
    }
    // A scalar entry of the given dtype.
    const Tensor& take_scalar(const std::string& name, ScalarType dtype) {
        const Tensor& t = take(name);
        if (t.dtype() != dtype || t.numel() != 1)
            fail("holds " + name + " as " + to_string(t.dtype()) + " " + shape_str(t.sizes()) +
                 "; expected a " + to_string(dtype) + " scalar");
        return t;
    }
    int64_t take_count(const std::string& name) {
        const int64_t n = take_scalar(name, kInt64).item<int64_t>();
        if (n < 0) fail("holds " + name + " = " + std::to_string(n) + "; expected a count >= 0");
        if (n > kMaxCount)
            fail("holds " + name + " = " + std::to_string(n) +
                 "; a count must be at most 2^53 = " + std::to_string(kMaxCount));
        return n;
    }
    // A short printable text stored by text_tensor(), or nothing if the entry is absent.
    std::optional<std::string> find_text(const std::string& name) {
        const Tensor* t = find(name);
        if (!t) return std::nullopt;
        const bool shape_ok = t->dtype() == kInt64 && t->dim() == 1 && t->numel() >= 1 &&
                              t->numel() <= static_cast<int64_t>(kMaxText);
        if (!shape_ok)
            fail("holds " + name + " as " + to_string(t->dtype()) + " " + shape_str(t->sizes()) +
                 "; expected a text of 1 to " + std::to_string(kMaxText) + " characters");
        std::string s;
        for (int64_t code : t->to_vector<int64_t>()) {
            if (code < 32 || code > 126)
                fail("holds " + name + " with a character that is not printable ASCII");
            s += static_cast<char>(code);
        }
        return s;
    }
    // Throws naming the first entry nobody asked for.
    void check_all_taken() const {
        for (const auto& entry : entries_)
            if (!taken_.count(entry.first))
                fail("holds " + entry.first + ", which " + optimizer_ +
                     " does not have; was it saved from another optimizer?");
    }

private:
    std::string path_;
    const char* optimizer_;
    std::map<std::string, Tensor> entries_;
    std::set<std::string> taken_;
};

// The parameter whose state is read, for the checks of its tensors.
struct StateOwner {
    const Tensor* tensor = nullptr;  // null while reading options
    std::string label;               // "parameter 1 of group 0"
    int64_t group_numel = 0;         // the length of a flat state vector
};

// Fills an options or state object from the entries under `prefix`. State tensors must match
// their parameter in dtype, and in shape as their StateShape says.
class Reader final : public FieldVisitor {
public:
    Reader(Entries& entries, std::string prefix, StateOwner param = {})
        : entries_(entries), prefix_(std::move(prefix)), param_(std::move(param)) {}
    void number(const char* name, double& value, Range) override {
        value = entries_.take_scalar(prefix_ + name, kFloat64).item<double>();
    }
    void flag(const char* name, bool& value) override {
        value = entries_.take_scalar(prefix_ + name, kInt64).item<int64_t>() != 0;
    }
    void count(const char* name, int64_t& value) override {
        value = entries_.take_count(prefix_ + name);
    }
    void text(const char* name, std::optional<std::string>& value) override {
        value = entries_.find_text(prefix_ + name);
    }
    void tensor(const char* name, Tensor& value, bool required, StateShape shape) override {
        const std::string key = prefix_ + name;
        const Tensor* t = required ? &entries_.take(key) : entries_.find(key);
        value = t ? checked(key, *t, shape) : Tensor();
    }
    void tensors(const char* name, std::deque<Tensor>& values, StateShape shape) override {
        const std::string list = prefix_ + name;
        const int64_t n = entries_.take_count(list + ".size");
        values.clear();
        for (int64_t j = 0; j < n; ++j) {
            const std::string key = item_name(list, static_cast<size_t>(j));
            values.push_back(checked(key, entries_.take(key), shape));
        }
    }

private:
    const Tensor& checked(const std::string& key, const Tensor& t, StateShape shape) const {
        const Tensor* p = param_.tensor;
        if (!p) return t;  // not a parameter's state: nothing to match
        std::vector<int64_t> expected = p->sizes();
        if (shape == StateShape::flat) expected = {param_.group_numel};
        if (shape == StateShape::scalar) expected = {};
        if (t.sizes() != expected)
            entries_.fail("holds " + key + " of shape " + shape_str(t.sizes()) + ", but " +
                          (shape == StateShape::like_param
                               ? param_.label + " has shape "
                               : std::string("the optimizer expects ")) +
                          shape_str(expected));
        if (t.dtype() != p->dtype())
            entries_.fail("holds " + key + " as " + to_string(t.dtype()) + ", but " + param_.label +
                          " is " + to_string(p->dtype()));
        return t;
    }

    Entries& entries_;
    std::string prefix_;
    StateOwner param_;
};

}  // namespace

void save(const Optimizer& optimizer, const std::string& path) {
    NamedTensors out;
    out.emplace_back("optimizer", text_tensor(optimizer.name()));
    out.emplace_back("version", full({}, kFormatVersion, kInt64));
    const auto& groups = optimizer.param_groups();
    out.emplace_back("groups", full({}, static_cast<int64_t>(groups.size()), kInt64));
    NoGradGuard no_grad;
    for (size_t g = 0; g < groups.size(); ++g) {
        const auto& params = groups[g].params();
        out.emplace_back(group_prefix(g) + "params",
                         full({}, static_cast<int64_t>(params.size()), kInt64));
        // visit() both reads and writes; a copy of the (small) options keeps them const
        auto options = groups[g].options().clone();
        Writer options_writer(out, group_prefix(g));
        options->visit(options_writer);
        for (size_t i = 0; i < params.size(); ++i) {
            auto it = optimizer.state().find(params[i].unsafeGetTensorImpl());
            if (it == optimizer.state().end() || !it->second) continue;
            // the state is visited in place (the Writer only reads): its tensors are handles,
            // written without a copy of the moments
            Writer state_writer(out, param_prefix(g, i), &params[i]);
            it->second->visit(state_writer);
        }
    }
    write_archive(path, out);
}

void load(Optimizer& optimizer, const std::string& path) {
    Entries entries(path, optimizer.name());
    if (!entries.contains("version"))
        entries.fail(
            "has no optimizer format version; it was not written by this version of "
            "optim::save");
    const int64_t version = entries.take_count("version");
    if (version != kFormatVersion)
        entries.fail("has optimizer format version " + std::to_string(version) +
                     "; this build reads version " + std::to_string(kFormatVersion));
    const std::optional<std::string> type = entries.find_text("optimizer");
    if (!type) entries.fail("names no optimizer type; was it written by optim::save?");
    if (*type != optimizer.name())
        entries.fail("holds the state of " + *type + ", which cannot be loaded into " +
                     optimizer.name());
    auto& groups = optimizer.param_groups();
    const int64_t n_groups = entries.take_count("groups");
    if (n_groups != static_cast<int64_t>(groups.size()))
        entries.fail("holds " + std::to_string(n_groups) + " parameter groups, the optimizer has " +
                     std::to_string(groups.size()));

    // read everything into new objects first, so a failure leaves the optimizer unchanged
    std::vector<std::unique_ptr<OptimizerOptions>> new_options;
    OptimizerState new_state;
    for (size_t g = 0; g < groups.size(); ++g) {
        const auto& params = groups[g].params();
        const int64_t n_params = entries.take_count(group_prefix(g) + "params");
        if (n_params != static_cast<int64_t>(params.size()))
            entries.fail("holds " + std::to_string(n_params) + " parameters in group " +
                         std::to_string(g) + ", the optimizer has " +
                         std::to_string(params.size()));
        auto options = groups[g].options().clone();
        Reader options_reader(entries, group_prefix(g));
        options->visit(options_reader);
        try {
            options->check(optimizer.name());
        } catch (const std::invalid_argument& e) {
            entries.fail("holds options for group " + std::to_string(g) +
                         " that are refused: " + e.what());
        }
        new_options.push_back(std::move(options));
        for (size_t i = 0; i < params.size(); ++i) {
            const std::string prefix = param_prefix(g, i);
            if (!entries.has_prefix(prefix)) continue;
            auto state = optimizer.make_state();
            if (!state)
                entries.fail("holds state for " + prefix + " but " + optimizer.name() +
                             " keeps none");
            Reader state_reader(
                entries, prefix,
                {&params[i], "parameter " + std::to_string(i) + " of group " + std::to_string(g),
                 group_numel(groups[g])});
            state->visit(state_reader);
            new_state[params[i].unsafeGetTensorImpl()] = std::move(state);
        }
    }
    entries.check_all_taken();

    for (size_t g = 0; g < groups.size(); ++g) groups[g].set_options(std::move(new_options[g]));
    optimizer.state() = std::move(new_state);
}

}  // namespace optim
}  // namespace tapegrad
