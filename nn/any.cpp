#include "nn/any.hpp"

namespace tapegrad {
namespace nn {

namespace detail {
void throw_forward_arity(const Module& m, size_t expected, size_t got) {
    throw std::invalid_argument("AnyModule: forward of " + m.name() + " takes " +
                                std::to_string(expected) + " argument" +
                                (expected == 1 ? "" : "s") + ", got " + std::to_string(got));
}

void throw_forward_argument(const Module& m, size_t index, const std::type_info& expected,
                            const std::type_info& got) {
    throw std::invalid_argument("AnyModule: forward of " + m.name() + " expects argument " +
                                std::to_string(index) + " to be a " + readable_type_name(expected) +
                                ", got a " + readable_type_name(got));
}
}  // namespace detail

void AnyModule::check(const char* what) const {
    if (!module_) {
        throw std::logic_error(std::string("AnyModule: ") + what + " called on an empty AnyModule");
    }
}

const std::type_info& AnyModule::type_info() const {
    check("type_info");
    return *type_;
}

AnyModule AnyModule::rebound(std::shared_ptr<Module> module) const {
    check("rebound");
    AnyModule out = *this;
    out.object_ = module ? rebind_(module.get()) : nullptr;
    if (!out.object_) {
        throw std::invalid_argument("AnyModule: cannot rebind a " + module_->name() + " to " +
                                    (module ? "a " + module->name() : std::string("null")));
    }
    out.module_ = std::move(module);
    return out;
}

AnyModule AnyModule::clone() const {
    return rebound(ptr()->clone());
}

}  // namespace nn
}  // namespace tapegrad
