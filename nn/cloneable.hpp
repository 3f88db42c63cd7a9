#pragma once
// Cloneable<Derived>: the base that gives a module a deep clone(), as LibTorch's. A module
// registers its parameters, buffers and submodules in reset() (its constructor calls reset());
// clone() copies the module, lets reset() make fresh tensors and submodules, and then copies
// the values into them and clones each submodule in turn.
//
//   struct NetImpl : nn::Cloneable<NetImpl> {
//       NetImpl() { reset(); }
//       void reset() override { fc = register_module("fc", nn::Linear(4, 2)); }
//       nn::Linear fc{nullptr};
//   };

#include <memory>

#include "nn/module.hpp"

namespace tapegrad {
namespace nn {

/// Derive `Derived` from Cloneable<Derived> (instead of Module) to make it cloneable.
template <class Derived>
class Cloneable : public virtual Module {
public:
    using Module::Module;

    /// Registers (again) every parameter, buffer and submodule, initialised; clone() calls it
    /// on a copy of the module before copying the values.
    virtual void reset() = 0;

private:
    std::shared_ptr<Module> clone_shallow_() const override {
        auto copy = std::make_shared<Derived>(static_cast<const Derived&>(*this));
        Module::clone_reset_state_(*copy);
        copy->reset();
        Module::clone_copy_tensors_(*copy, *this, /*register_missing=*/false);
        return copy;
    }
    void clone_assign_(const Module& fresh) override {
        static_cast<Derived&>(*this) = dynamic_cast<const Derived&>(fresh);
    }
};

}  // namespace nn
}  // namespace tapegrad

/// Declares the layer `Name` (NameImpl and its holder `Name`) as the shared body
/// nn::detail::Base<D, NameImpl> under LibTorch's name, with the body's constructors: the 1-d,
/// 2-d and 3-d variants of the conv and norm layers.
#define TAPEGRAD_ND_LAYER(Name, Base, D)                                    \
    class Name##Impl : public ::tapegrad::nn::detail::Base<D, Name##Impl> { \
    public:                                                                 \
        using ::tapegrad::nn::detail::Base<D, Name##Impl>::Base;            \
    };                                                                      \
    TAPEGRAD_MODULE(Name)
