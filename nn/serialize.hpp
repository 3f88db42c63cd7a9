#pragma once
// tapegrad::save / tapegrad::load for modules: every parameter and buffer by its dotted name,
// in the tensor archive format of autograd/serialize.hpp (magic, version, names, dtypes,
// shapes, data, CRC-32), written through a temporary file and a rename.

#include <memory>
#include <string>

#include "nn/module.hpp"

namespace tapegrad {

/// Writes the module's parameters and buffers to `path`.
void save(const nn::Module& module, const std::string& path);
template <class M>
void save(const std::shared_ptr<M>& module, const std::string& path) {
    save(static_cast<const nn::Module&>(*module), path);
}
template <class M>
void save(const nn::ModuleHolder<M>& module, const std::string& path) {
    save(static_cast<const nn::Module&>(*module), path);
}

/// Reads `path` into the module's parameters and buffers, converting between float32 and
/// float64. Every check (names missing or extra, shapes, dtypes, the file's own integrity)
/// runs before anything is copied, so on any std::runtime_error the module keeps its values.
void load(nn::Module& module, const std::string& path);
template <class M>
void load(const std::shared_ptr<M>& module, const std::string& path) {
    load(static_cast<nn::Module&>(*module), path);
}
template <class M>
void load(nn::ModuleHolder<M>& module, const std::string& path) {
    load(static_cast<nn::Module&>(*module), path);
}

}  // namespace tapegrad
