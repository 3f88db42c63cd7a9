#include "nn/serialize.hpp"

#include <map>
#include <stdexcept>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/serialize.hpp"

namespace tapegrad {

namespace {
NamedTensors state_of(const nn::Module& module) {
    NamedTensors state;
    for (const auto& item : module.named_parameters()) state.emplace_back(item.key(), item.value());
    for (const auto& item : module.named_buffers()) state.emplace_back(item.key(), item.value());
    return state;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}
}  // namespace

void save(const nn::Module& module, const std::string& path) {
    write_archive(path, state_of(module));
}

void load(nn::Module& module, const std::string& path) {
    const NamedTensors file = read_archive(path);
    const std::string where = "load: '" + path + "' does not fit " + module.name() + ": ";
    std::map<std::string, const Tensor*> by_name;
    for (const auto& [name, t] : file) {
        if (!by_name.emplace(name, &t).second) {
            throw std::runtime_error(where + "the file holds '" + name + "' twice");
        }
    }
    const NamedTensors state = state_of(module);
    std::vector<std::string> missing, problems;
    std::map<std::string, bool> used;
    for (const auto& [name, t] : state) {
        auto it = by_name.find(name);
        if (it == by_name.end()) {
            missing.push_back(name);
            continue;
        }
        used[name] = true;
        const Tensor& src = *it->second;
        if (src.sizes() != t.sizes()) {
            problems.push_back(name + " has shape " + shape_str(src.sizes()) + " in the file, " +
                               shape_str(t.sizes()) + " in the module");
        } else if (src.is_floating_point() != t.is_floating_point()) {
            problems.push_back(name + " has dtype " + to_string(src.dtype()) + " in the file, " +
                               to_string(t.dtype()) + " in the module");
        }
    }
    std::vector<std::string> extra;
    for (const auto& [name, t] : file) {
        if (!used.count(name)) extra.push_back(name);
    }
    std::string message;
    auto add = [&](const std::string& part) { message += (message.empty() ? "" : "; ") + part; };
    if (!missing.empty()) add("missing from the file: " + join(missing));
    if (!extra.empty()) add("not in the module: " + join(extra));
    for (const std::string& p : problems) add(p);
    if (!message.empty()) throw std::runtime_error(where + message);

    // Everything checked: copy. Nothing below can fail on the file's content.
    NoGradGuard no_grad;
    for (const auto& [name, t] : state) {
        Tensor dst = t;
        const Tensor& src = *by_name.at(name);
        dst.copy_(src.dtype() == dst.dtype() ? src : src.to(dst.dtype()));
    }
}

}  // namespace tapegrad
