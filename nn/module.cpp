#include "nn/module.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <ostream>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"

namespace tapegrad {
namespace nn {

namespace detail {
namespace {
// "tapegrad::nn::LinearImpl" -> "Linear", "my::Net" -> "my::Net".
std::string readable_type_name(const char* mangled) {
    int status = 0;
    char* raw = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string name = status == 0 && raw ? raw : mangled;
    std::free(raw);
    for (const std::string ns : {"(anonymous namespace)::", "tapegrad::nn::"}) {
        for (size_t at; (at = name.find(ns)) != std::string::npos;) name.erase(at, ns.size());
    }
    const std::string impl = "Impl";
    if (name.size() > impl.size() &&
        name.compare(name.size() - impl.size(), impl.size(), impl) == 0)
        name.erase(name.size() - impl.size());
    return name;
}
}  // namespace

void throw_empty_holder(const char* type_name) {
    throw std::logic_error("ModuleHolder: the " + readable_type_name(type_name) +
                           " holder is empty (it was made with nullptr); assign a module to it "
                           "before use");
}
}  // namespace detail

namespace detail {
struct ModuleAccess {
    static const OrderedDict<std::string, std::shared_ptr<Module>>& children(const Module& m) {
        return m.children_;
    }
};
}  // namespace detail

namespace {
std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
}

// Calls visit(path, module) for `root` and every descendant in pre-order, with an explicit
// stack: module trees can be deep, and recursion depth must not grow with model size.
// `path` is a callable building the dotted path on demand, so a walk that needs no names
// stays linear in the number of modules however deep they nest.
template <class Visit>
void walk(const Module& root, const std::string& root_path, Visit&& visit) {
    struct Entry {
        const Module* m;
        size_t depth;
        const std::string* key;
    };
    std::vector<Entry> stack{{&root, 0, nullptr}};
    std::vector<const std::string*> segments;  // the keys from root to the current module
    while (!stack.empty()) {
        const Entry e = stack.back();
        stack.pop_back();
        if (e.depth > 0) {
            segments.resize(e.depth - 1);
            segments.push_back(e.key);
        }
        auto path = [&] {
            std::string p = root_path;
            for (const std::string* key : segments) {
                if (!p.empty()) p += '.';
                p += *key;
            }
            return p;
        };
        visit(path, *e.m);
        const auto& children = detail::ModuleAccess::children(*e.m);
        for (size_t i = children.size(); i-- > 0;) {
            const auto& item = children.items()[i];
            stack.push_back({item.value().get(), e.depth + 1, &item.key()});
        }
    }
}

// Replaces the data of `t` by its conversion to `dtype`, keeping the TensorImpl (and so every
// handle to it, such as an optimizer's parameter list).
void convert_in_place(Tensor& t, ScalarType dtype) {
    if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) return;
    NoGradGuard no_grad;
    t.set_data(t.detach().to(dtype));
    if (t.grad().defined()) t.grad().set_data(t.grad().detach().to(dtype));
}
}  // namespace

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;
// Tears the subtree down with an explicit stack: letting each child's destructor release the
// next would recurse once per level of a deep model.
Module::~Module() {
    std::vector<std::shared_ptr<Module>> pending;
    for (auto& item : children_) pending.push_back(std::move(item.value()));
    children_.clear();
    while (!pending.empty()) {
        std::shared_ptr<Module> m = std::move(pending.back());
        pending.pop_back();
        if (m.use_count() == 1) {
            for (auto& item : m->children_) pending.push_back(std::move(item.value()));
            m->children_.clear();
        }
    }
}

const std::string& Module::name() const {
    if (!name_) name_ = detail::readable_type_name(typeid(*this).name());
    return *name_;
}

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
    OrderedDict<std::string, Tensor> out("parameter");
    if (!recurse) {
        for (const auto& item : parameters_) out.insert(item.key(), item.value());
        return out;
    }
    walk(*this, "", [&](const auto& path, const Module& m) {
        if (m.parameters_.is_empty()) return;
        const std::string prefix = path();
        for (const auto& item : m.parameters_) out.insert(join(prefix, item.key()), item.value());
    });
    return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
    return named_parameters(recurse).values();
}

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
    OrderedDict<std::string, Tensor> out("buffer");
    if (!recurse) {
        for (const auto& item : buffers_) out.insert(item.key(), item.value());
        return out;
    }
    walk(*this, "", [&](const auto& path, const Module& m) {
        if (m.buffers_.is_empty()) return;
        const std::string prefix = path();
        for (const auto& item : m.buffers_) out.insert(join(prefix, item.key()), item.value());
    });
    return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
    return named_buffers(recurse).values();
}

std::vector<std::shared_ptr<Module>> Module::children() const {
    return children_.values();
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const {
    return children_;
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(
    const std::string& name_prefix, bool include_self) const {
    OrderedDict<std::string, std::shared_ptr<Module>> out("module");
    walk(*this, name_prefix, [&](const auto& path_of, const Module& m) {
        const std::string path = path_of();
        if (&m == this) {
            if (!include_self) return;
            std::shared_ptr<const Module> self = weak_from_this().lock();
            if (!self) {
                throw std::logic_error("modules: include_self needs " + name() +
                                       " to be held by a std::shared_ptr (use std::make_shared "
                                       "or a module holder)");
            }
            out.insert(path, std::const_pointer_cast<Module>(self));
            return;
        }
        // Registered children are always held by a shared_ptr.
        out.insert(path, std::const_pointer_cast<Module>(m.shared_from_this()));
    });
    return out;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
    return named_modules("", include_self).values();
}

void Module::apply(const std::function<void(Module&)>& fn) {
    walk(*this, "", [&](const auto&, const Module& m) { fn(const_cast<Module&>(m)); });
}

void Module::train(bool on) {
    apply([on](Module& m) { m.is_training_ = on; });
}

void Module::zero_grad(bool set_to_none) {
    for (Tensor& p : parameters()) {
        Tensor& g = p.mutable_grad();
        if (!g.defined()) continue;
        if (set_to_none) {
            g = Tensor();
        } else {
            NoGradGuard no_grad;
            g = g.detach();
            g.zero_();
        }
    }
}

void Module::to(ScalarType dtype, bool /*non_blocking*/) {
    if (!is_floating_point(dtype)) {
        throw std::invalid_argument(std::string("Module::to: parameters and buffers can only be "
                                                "converted to a floating dtype, not ") +
                                    to_string(dtype));
    }
    for (Tensor& p : parameters()) convert_in_place(p, dtype);
    for (Tensor& b : buffers()) convert_in_place(b, dtype);
}

void Module::pretty_print(std::ostream& stream) const {
    stream << name();
}

void Module::check_name(const char* what, const std::string& n) const {
    if (n.empty()) throw std::invalid_argument(std::string(what) + ": the name is empty");
    if (n.find('.') != std::string::npos) {
        throw std::invalid_argument(std::string(what) + ": name '" + n +
                                    "' contains a dot (dots separate the levels of full names)");
    }
    if (parameters_.contains(n) || buffers_.contains(n) || children_.contains(n)) {
        throw std::invalid_argument(std::string(what) + ": '" + n + "' is already registered in " +
                                    name());
    }
}

Tensor& Module::register_parameter(std::string n, Tensor tensor, bool requires_grad) {
    check_name("register_parameter", n);
    if (!tensor.defined()) {
        throw std::invalid_argument("register_parameter: tensor '" + n + "' is undefined");
    }
    // A parameter is a leaf: cut it from whatever graph produced it.
    if (!tensor.is_leaf()) tensor = tensor.detach();
    tensor.requires_grad_(requires_grad);
    tensor.set_name(n);
    return parameters_.insert(std::move(n), std::move(tensor));
}

Tensor& Module::register_buffer(std::string n, Tensor tensor) {
    check_name("register_buffer", n);
    if (!tensor.defined()) {
        throw std::invalid_argument("register_buffer: tensor '" + n + "' is undefined");
    }
    tensor.set_name(n);
    return buffers_.insert(std::move(n), std::move(tensor));
}

void Module::register_child(std::string n, std::shared_ptr<Module> module) {
    check_name("register_module", n);
    if (!module) throw std::invalid_argument("register_module: module '" + n + "' is null");
    if (module.get() == this) {
        throw std::invalid_argument("register_module: cannot register " + name() +
                                    " inside itself as '" + n + "'");
    }
    // Full dotted names, shown by graph exports; a later registration into a grandparent
    // prefixes them again.
    for (auto& item : module->named_parameters()) item.value().set_name(n + "." + item.key());
    for (auto& item : module->named_buffers()) item.value().set_name(n + "." + item.key());
    children_.insert(std::move(n), std::move(module));
}

std::ostream& operator<<(std::ostream& os, const Module& root) {
    auto indent = [&](size_t depth) { os << std::string(2 * depth, ' '); };
    auto lists_state = [](const Module& m) {
        return !m.describes_parameters() && (!m.parameters_.is_empty() || !m.buffers_.is_empty());
    };
    // Writes m's description; opens a block (and returns true) when it has lines inside.
    auto open = [&](const Module& m, size_t depth) {
        m.pretty_print(os);
        const bool lists = lists_state(m);
        if (m.children_.is_empty() && !lists) return false;
        os << "(\n";
        if (lists) {
            for (const auto& p : m.parameters_) {
                indent(depth + 1);
                os << '(' << p.key() << "): Parameter(" << shape_str(p.value().sizes()) << ", "
                   << to_string(p.value().dtype()) << ")\n";
            }
            for (const auto& b : m.buffers_) {
                indent(depth + 1);
                os << '(' << b.key() << "): Buffer(" << shape_str(b.value().sizes()) << ", "
                   << to_string(b.value().dtype()) << ")\n";
            }
        }
        return true;
    };
    struct Frame {
        const Module* m;
        size_t next;
        size_t depth;
    };
    std::vector<Frame> stack;
    if (open(root, 0)) stack.push_back({&root, 0, 0});
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next < f.m->children_.size()) {
            const auto& item = f.m->children_.items()[f.next++];
            const size_t depth = f.depth + 1;
            indent(depth);
            os << '(' << item.key() << "): ";
            if (open(*item.value(), depth))
                stack.push_back({item.value().get(), 0, depth});
            else
                os << '\n';
        } else {
            const size_t depth = f.depth;
            stack.pop_back();
            indent(depth);
            os << ')';
            if (depth > 0) os << '\n';
        }
    }
    return os;
}

}  // namespace nn
}  // namespace tapegrad
