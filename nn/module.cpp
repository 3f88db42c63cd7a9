#include "nn/module.hpp"

#include <algorithm>
#include <ostream>
#include <unordered_set>

#include "autograd/grad_mode.hpp"
#include "autograd/ops.hpp"
#include "autograd/platform.hpp"

namespace tapegrad {
namespace nn {

namespace detail {
namespace {
thread_local uint64_t visits = 0;

// "tapegrad::nn::LinearImpl" -> "Linear", "my::Net" -> "my::Net".
std::string readable_name(const char* mangled) {
    std::string name = tapegrad::detail::demangle(mangled);
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

std::string readable_type_name(const std::type_info& type) {
    return readable_name(type.name());
}

uint64_t module_visits() {
    return visits;
}

void throw_empty_holder(const char* type_name) {
    throw std::logic_error("ModuleHolder: the " + readable_name(type_name) +
                           " holder is empty (it was made with nullptr); assign a module to it "
                           "before use");
}

struct ModuleAccess {
    static const OrderedDict<std::string, std::shared_ptr<Module>>& children(const Module& m) {
        return m.children_;
    }
    static std::shared_ptr<Module> clone_shallow(const Module& m) { return m.clone_shallow_(); }
    static void clone_assign(Module& target, const Module& fresh) { target.clone_assign_(fresh); }
    static void clone_adopt(Module& target, const Module& source, const std::string& key,
                            std::shared_ptr<Module> child) {
        target.clone_adopt_(source, key, std::move(child));
    }
};
}  // namespace detail

namespace {
using detail::ModuleAccess;

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
        ++detail::visits;
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
        const auto& children = ModuleAccess::children(*e.m);
        for (size_t i = children.size(); i-- > 0;) {
            const auto& item = children.items()[i];
            stack.push_back({item.value().get(), e.depth + 1, &item.key()});
        }
    }
}

// Replaces the data of `t` by its conversion to `dtype`, keeping the tensor's identity (and so
// every handle to it, such as an optimizer's parameter list).
void convert_in_place(Tensor& t, ScalarType dtype) {
    if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) return;
    NoGradGuard no_grad;
    t.set_data(t.detach().to(dtype));
    if (t.grad().defined()) t.grad().set_data(t.grad().detach().to(dtype));
}

void name_tensor(const Tensor& t, const std::string& name) {
    // compare first: naming is lazy, and a model that is already named is only read
    if (t.name() != name) Tensor(t).set_name(name);
}

void remove_one(std::vector<Module*>& parents, const Module* parent) {
    auto it = std::find(parents.begin(), parents.end(), parent);
    if (it != parents.end()) parents.erase(it);
}
}  // namespace

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;

Module::Module(const Module& other)
    : std::enable_shared_from_this<Module>(other),
      parameters_(other.parameters_),
      buffers_(other.buffers_),
      children_(other.children_),
      name_(other.name_),
      is_training_(other.is_training_) {
    attach_children();
}

Module& Module::operator=(const Module& other) {
    if (this == &other) return *this;
    detach_children();
    parameters_ = other.parameters_;
    buffers_ = other.buffers_;
    children_ = other.children_;
    name_ = other.name_;
    is_training_ = other.is_training_;
    attach_children();  // parents_ stays: this module is where it was in its own tree
    return *this;
}

void Module::attach_children() {
    for (auto& item : children_) item.value()->parents_.push_back(this);
}

void Module::detach_children() {
    for (auto& item : children_) remove_one(item.value()->parents_, this);
}

// Tears the subtree down with an explicit stack: letting each child's destructor release the
// next would recurse once per level of a deep model.
Module::~Module() {
    std::vector<std::shared_ptr<Module>> pending;
    auto release_children = [&pending](Module& m) {
        for (auto& item : m.children_) {
            remove_one(item.value()->parents_, &m);
            pending.push_back(std::move(item.value()));
        }
        m.children_.clear();
    };
    release_children(*this);
    while (!pending.empty()) {
        std::shared_ptr<Module> m = std::move(pending.back());
        pending.pop_back();
        if (m.use_count() == 1) release_children(*m);
    }
}

const std::string& Module::name() const {
    if (!name_) name_ = detail::readable_type_name(typeid(*this));
    return *name_;
}

// A root (a module nothing registered) also gives every parameter and buffer its full dotted
// name here: register_module names only one level, so that building a deep model stays linear.
OrderedDict<std::string, Tensor> Module::named_tensors(
    const char* what, OrderedDict<std::string, Tensor> Module::*which, bool recurse) const {
    OrderedDict<std::string, Tensor> out(what);
    if (!recurse) {
        for (const auto& item : this->*which) out.insert(item.key(), item.value());
        return out;
    }
    const bool root = parents_.empty();
    walk(*this, "", [&](const auto& path, const Module& m) {
        const bool names = root && !(m.parameters_.is_empty() && m.buffers_.is_empty());
        if ((m.*which).is_empty() && !names) return;
        const std::string prefix = path();
        for (const auto& item : m.*which) out.insert(join(prefix, item.key()), item.value());
        if (!names) return;
        for (const auto* tensors : {&m.parameters_, &m.buffers_}) {
            for (const auto& item : *tensors) name_tensor(item.value(), join(prefix, item.key()));
        }
    });
    return out;
}

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
    return named_tensors("parameter", &Module::parameters_, recurse);
}

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
    return named_tensors("buffer", &Module::buffers_, recurse);
}

// parameters() and buffers() build no names: linear in the number of modules however deep.
std::vector<Tensor> Module::tensors(OrderedDict<std::string, Tensor> Module::*which,
                                    bool recurse) const {
    if (!recurse) return (this->*which).values();
    std::vector<Tensor> out;
    walk(*this, "", [&](const auto&, const Module& m) {
        for (const auto& item : m.*which) out.push_back(item.value());
    });
    return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
    return tensors(&Module::parameters_, recurse);
}

std::vector<Tensor> Module::buffers(bool recurse) const {
    return tensors(&Module::buffers_, recurse);
}

std::vector<std::shared_ptr<Module>> Module::children() const {
    return children_.values();
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const {
    return children_;
}

namespace {
std::shared_ptr<Module> shared_self(const Module& m, const char* what) {
    std::shared_ptr<const Module> self = m.weak_from_this().lock();
    if (!self) {
        throw std::logic_error(std::string(what) + ": include_self needs " + m.name() +
                               " to be held by a std::shared_ptr (use std::make_shared or a "
                               "module holder)");
    }
    return std::const_pointer_cast<Module>(self);
}
}  // namespace

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(
    const std::string& name_prefix, bool include_self) const {
    OrderedDict<std::string, std::shared_ptr<Module>> out("module");
    walk(*this, name_prefix, [&](const auto& path, const Module& m) {
        if (&m == this) {
            if (include_self) out.insert(path(), shared_self(m, "modules"));
            return;
        }
        // Registered children are always held by a shared_ptr.
        out.insert(path(), std::const_pointer_cast<Module>(m.shared_from_this()));
    });
    return out;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
    std::vector<std::shared_ptr<Module>> out;
    walk(*this, "", [&](const auto&, const Module& m) {
        if (&m == this) {
            if (include_self) out.push_back(shared_self(m, "modules"));
            return;
        }
        out.push_back(std::const_pointer_cast<Module>(m.shared_from_this()));
    });
    return out;
}

void Module::apply(const std::function<void(Module&)>& fn) {
    walk(*this, "", [&](const auto&, const Module& m) { fn(const_cast<Module&>(m)); });
}

void Module::apply(const std::function<void(const std::string&, Module&)>& fn,
                   const std::string& name_prefix) {
    walk(*this, name_prefix,
         [&](const auto& path, const Module& m) { fn(path(), const_cast<Module&>(m)); });
}

void Module::apply(const std::function<void(const std::shared_ptr<Module>&)>& fn) const {
    for (const auto& m : modules()) fn(m);
}

void Module::train(bool on) {
    apply([on](Module& m) { m.is_training_ = on; });
}

// LibTorch 1.13: the gradient is detached from any graph it belongs to, then zeroed in place
// (so a handle taken before sees zeros) or released.
void Module::zero_grad(bool set_to_none) {
    NoGradGuard no_grad;
    for (Tensor& p : parameters()) {
        Tensor& g = p.mutable_grad();
        if (!g.defined()) continue;
        if (set_to_none) {
            g = Tensor();
        } else {
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

void Module::to(Device device, bool /*non_blocking*/) {
    tapegrad::detail::check_cpu("Module::to", device);
}

void Module::to(Device device, ScalarType dtype, bool non_blocking) {
    tapegrad::detail::check_cpu("Module::to", device);
    to(dtype, non_blocking);
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

// Registering `module` under this one makes a cycle when this module is already inside it:
// when this module is among module's descendants, or equivalently module among this one's
// ancestors. The two searches run in turns, one module each, and the first to run out of
// modules decides; so the check costs twice the smaller of the two (a new, empty module at
// either end costs one step), and building a deep model one level at a time stays linear in
// either direction.
void Module::check_no_cycle(const char* what, const std::string& n, const Module& module) const {
    if (&module == this) {
        throw std::invalid_argument(std::string(what) + ": cannot register " + name() +
                                    " inside itself as '" + n + "'");
    }
    std::vector<const Module*> down{&module}, up{this};
    std::unordered_set<const Module*> seen_down{&module}, seen_up{this};
    bool found = false;
    while (!found && !down.empty() && !up.empty()) {
        const Module* d = down.back();
        down.pop_back();
        ++detail::visits;
        for (const auto& item : d->children_) {
            const Module* c = item.value().get();
            if (c == this) found = true;
            if (seen_down.insert(c).second) down.push_back(c);
        }
        const Module* u = up.back();
        up.pop_back();
        ++detail::visits;
        for (const Module* p : u->parents_) {
            if (p == &module) found = true;
            if (seen_up.insert(p).second) up.push_back(p);
        }
    }
    if (found) {
        throw std::invalid_argument(std::string(what) + ": cannot register " + module.name() +
                                    " as '" + n + "' inside " + name() + ": that " + module.name() +
                                    " already contains this " + name() +
                                    ", so the modules would form a cycle");
    }
}

void Module::register_child(std::string n, std::shared_ptr<Module> module) {
    check_name("register_module", n);
    if (!module) throw std::invalid_argument("register_module: module '" + n + "' is null");
    check_no_cycle("register_module", n, *module);
    // One level of naming: the module's own tensors become "n.weight". Deeper names come
    // from named_parameters() on the root, so registration costs no walk of the subtree.
    for (const auto& item : module->parameters_) name_tensor(item.value(), n + "." + item.key());
    for (const auto& item : module->buffers_) name_tensor(item.value(), n + "." + item.key());
    module->parents_.push_back(this);
    children_.insert(std::move(n), std::move(module));
}

void Module::replace_child(const std::string& n, std::shared_ptr<Module> module) {
    std::shared_ptr<Module>* slot = children_.find(n);
    if (!slot) {
        throw std::out_of_range("replace_module: " + name() + " has no submodule named '" + n +
                                "'");
    }
    if (!module) throw std::invalid_argument("replace_module: module '" + n + "' is null");
    if (module == *slot) return;
    check_no_cycle("replace_module", n, *module);
    remove_one((*slot)->parents_, this);
    module->parents_.push_back(this);
    *slot = std::move(module);
}

void Module::unregister_module(const std::string& n) {
    std::shared_ptr<Module>* slot = children_.find(n);
    if (!slot) {
        throw std::out_of_range("unregister_module: " + name() + " has no submodule named '" + n +
                                "'");
    }
    remove_one((*slot)->parents_, this);
    children_.erase(n);
}

// ---- clone ----------------------------------------------------------------------------------

std::shared_ptr<Module> Module::clone_shallow_() const {
    // A plain nn::Module (no subclass) has nothing but what the base holds, so it can be
    // copied; a subclass may hold anything, so it must say how (Cloneable<Derived>).
    if (typeid(*this) != typeid(Module)) {
        const std::string n = detail::readable_type_name(typeid(*this));
        throw std::logic_error("clone: " + n + " cannot be cloned: derive it from nn::Cloneable<" +
                               n + "Impl> (or nn::Cloneable<" + n +
                               ">) and register its parameters, buffers and submodules in "
                               "reset(), as in LibTorch");
    }
    auto copy = std::make_shared<Module>(*this);
    clone_reset_state_(*copy);
    clone_copy_tensors_(*copy, *this, /*register_missing=*/true);
    return copy;
}

void Module::clone_reset_state_(Module& copy) {
    copy.detach_children();
    copy.children_.clear();
    copy.parameters_.clear();
    copy.buffers_.clear();
}

namespace {
void copy_tensors(const char* what, const Module& original, OrderedDict<std::string, Tensor>& to,
                  const OrderedDict<std::string, Tensor>& from, bool register_missing,
                  const std::function<void(const std::string&, const Tensor&)>& add) {
    NoGradGuard no_grad;
    for (const auto& item : from) {
        Tensor data = item.value().detach().clone();
        Tensor* slot = to.find(item.key());
        if (!slot && register_missing) {
            add(item.key(), data);
            slot = to.find(item.key());
        } else if (!slot) {
            throw std::logic_error("clone: the clone of " + original.name() + " has no " + what +
                                   " '" + item.key() + "' after reset(); register every " + what +
                                   " in reset(), not only in the constructor");
        } else if (slot->is_same(item.value())) {
            // set_data would change the original too
            throw std::logic_error("clone: reset() of " + original.name() + " registered the " +
                                   "original's " + what + " '" + item.key() +
                                   "' again; make new tensors in reset()");
        } else {
            slot->set_data(data);
        }
        if (item.value().requires_grad() != slot->requires_grad())
            slot->requires_grad_(item.value().requires_grad());
    }
    if (to.size() != from.size()) {
        throw std::logic_error("clone: the clone of " + original.name() + " has " +
                               std::to_string(to.size()) + " " + what + "s after reset(), the " +
                               "original " + std::to_string(from.size()));
    }
}
}  // namespace

void Module::clone_copy_tensors_(Module& copy, const Module& original, bool register_missing) {
    copy_tensors("parameter", original, copy.parameters_, original.parameters_, register_missing,
                 [&](const std::string& key, const Tensor& t) {
                     copy.register_parameter(key, t, /*requires_grad=*/false);  // set below
                 });
    copy_tensors("buffer", original, copy.buffers_, original.buffers_, register_missing,
                 [&](const std::string& key, const Tensor& t) { copy.register_buffer(key, t); });
}

void Module::clone_assign_(const Module& fresh) {
    // only plain modules reach here (clone_shallow_ refused the rest)
    *this = fresh;
}

void Module::clone_adopt_(const Module& source, const std::string& key,
                          std::shared_ptr<Module> child) {
    if (typeid(*this) == typeid(Module)) {
        register_child(key, std::move(child));
        return;
    }
    throw std::logic_error("clone: the clone of " + source.name() + " has no submodule '" + key +
                           "' after reset(); register every submodule in reset(), not only in "
                           "the constructor");
}

// Each work item pairs a module of the clone with the module it copies: the clone's own
// tensors are copied already; its submodules get the state of fresh copies of the source's.
std::shared_ptr<Module> Module::clone() const {
    std::shared_ptr<Module> root = clone_shallow_();
    std::vector<std::pair<Module*, const Module*>> work{{root.get(), this}};
    while (!work.empty()) {
        auto [target, source] = work.back();
        work.pop_back();
        for (const auto& item : source->children_) {
            std::shared_ptr<Module> fresh = item.value()->clone_shallow_();
            if (std::shared_ptr<Module>* existing = target->children_.find(item.key())) {
                if (typeid(**existing) != typeid(*fresh)) {
                    throw std::logic_error("clone: submodule '" + item.key() + "' of " +
                                           source->name() + " is a " + item.value()->name() +
                                           ", but reset() made a " + (*existing)->name());
                }
                (*existing)->clone_assign_(*fresh);
                work.emplace_back(existing->get(), item.value().get());
            } else {
                Module* adopted = fresh.get();
                target->clone_adopt_(*source, item.key(), std::move(fresh));
                work.emplace_back(adopted, item.value().get());
            }
        }
        if (target->children_.size() != source->children_.size()) {
            throw std::logic_error("clone: the clone of " + source->name() + " has " +
                                   std::to_string(target->children_.size()) +
                                   " submodules after reset(), the original " +
                                   std::to_string(source->children_.size()));
        }
    }
    return root;
}

// ---- printing -------------------------------------------------------------------------------

std::ostream& operator<<(std::ostream& os, const Module& root) {
    // Past kMaxIndent levels the indentation stops growing and the depth is written instead:
    // printing a 20,000-deep model must not write 400 MB of spaces.
    constexpr size_t kMaxIndent = 32;
    auto indent = [&](size_t depth) {
        os << std::string(2 * std::min(depth, kMaxIndent), ' ');
        if (depth > kMaxIndent) os << '<' << depth << "> ";
    };
    auto lists_state = [](const Module& m) {
        return !m.describes_parameters() && (!m.parameters_.is_empty() || !m.buffers_.is_empty());
    };
    // Writes m's description; opens a block (and returns true) when it has lines inside.
    auto open = [&](const Module& m, size_t depth) {
        ++detail::visits;
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
