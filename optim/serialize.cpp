#include "optim/serialize.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "autograd/ops.hpp"
#include "autograd/serialize.hpp"

namespace tapegrad {
namespace optim {

namespace {

std::string group_prefix(size_t g) {
    return "group" + std::to_string(g) + ".";
}
std::string param_prefix(size_t g, size_t i) {
    return group_prefix(g) + "param" + std::to_string(i) + ".";
}

// Appends every visited field to an archive's list of named tensors.
class Writer final : public FieldVisitor {
public:
    Writer(NamedTensors& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}
    void number(const char* name, double& value) override {
        out_.emplace_back(prefix_ + name, full({}, value, kFloat64));
    }
    void flag(const char* name, bool& value) override {
        out_.emplace_back(prefix_ + name, full({}, value ? 1 : 0, kInt64));
    }
    void count(const char* name, int64_t& value) override {
        out_.emplace_back(prefix_ + name, full({}, value, kInt64));
    }
    void tensor(const char* name, Tensor& value, bool /*required*/) override {
        if (value.defined()) out_.emplace_back(prefix_ + name, value);
    }

private:
    NamedTensors& out_;
    std::string prefix_;
};

// The entries of one archive, with the names taken so far; every message names the file.
class Entries {
public:
    Entries(const std::string& path, const char* optimizer) : path_(path), optimizer_(optimizer) {
        for (auto& [name, t] : read_archive(path)) entries_[name] = t;
    }

    [[noreturn]] void fail(const std::string& message) const {
        throw std::invalid_argument("optim::load: '" + path_ + "' " + message);
    }
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
        return n;
    }
    // Throws naming the first entry nobody asked for.
    void check_all_taken() const {
        for (const auto& entry : entries_)
            if (!taken_.count(entry.first))
                fail("holds " + entry.first + ", which " + optimizer_ +
                     " does not have; was it saved from another optimizer?");
    }
    const char* optimizer() const { return optimizer_; }

private:
    std::string path_;
    const char* optimizer_;
    std::map<std::string, Tensor> entries_;
    std::set<std::string> taken_;
};

// Fills an options or state object from the entries under `prefix`. State tensors must match
// their parameter `param` in shape and dtype.
class Reader final : public FieldVisitor {
public:
    Reader(Entries& entries, std::string prefix, const Tensor* param, std::string param_label)
        : entries_(entries),
          prefix_(std::move(prefix)),
          param_(param),
          param_label_(std::move(param_label)) {}
    void number(const char* name, double& value) override {
        value = entries_.take_scalar(prefix_ + name, kFloat64).item<double>();
    }
    void flag(const char* name, bool& value) override {
        value = entries_.take_scalar(prefix_ + name, kInt64).item<int64_t>() != 0;
    }
    void count(const char* name, int64_t& value) override {
        value = entries_.take_count(prefix_ + name);
    }
    void tensor(const char* name, Tensor& value, bool required) override {
        const std::string key = prefix_ + name;
        const Tensor* t = required ? &entries_.take(key) : entries_.find(key);
        if (!t) {
            value = Tensor();
            return;
        }
        if (!param_) {  // not a parameter's state: nothing to match
            value = *t;
            return;
        }
        if (t->sizes() != param_->sizes())
            entries_.fail("holds " + key + " of shape " + shape_str(t->sizes()) + ", but " +
                          param_label_ + " has shape " + shape_str(param_->sizes()));
        if (t->dtype() != param_->dtype())
            entries_.fail("holds " + key + " as " + to_string(t->dtype()) + ", but " +
                          param_label_ + " is " + to_string(param_->dtype()));
        value = *t;
    }

private:
    Entries& entries_;
    std::string prefix_;
    const Tensor* param_;
    std::string param_label_;
};

}  // namespace

void save(const Optimizer& optimizer, const std::string& path) {
    NamedTensors out;
    const auto& groups = optimizer.param_groups();
    out.emplace_back("groups", full({}, static_cast<int64_t>(groups.size()), kInt64));
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
            Writer state_writer(out, param_prefix(g, i));
            it->second->visit(state_writer);
        }
    }
    write_archive(path, out);
}

void load(Optimizer& optimizer, const std::string& path) {
    Entries entries(path, optimizer.name());
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
        Reader options_reader(entries, group_prefix(g), nullptr, "");
        options->visit(options_reader);
        options->check();
        new_options.push_back(std::move(options));
        for (size_t i = 0; i < params.size(); ++i) {
            const std::string prefix = param_prefix(g, i);
            if (!entries.has_prefix(prefix)) continue;
            auto state = optimizer.make_state();
            Reader state_reader(
                entries, prefix, &params[i],
                "parameter " + std::to_string(i) + " of group " + std::to_string(g));
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
