#pragma once
// Saving and loading an optimizer's state (moments, step counts, each group's options) in the
// tensor archive format of autograd/serialize.hpp, so a training run can stop and resume to
// the same numbers. Parameters themselves are saved with the model, not here.
//
// Archive entries: "optimizer" (the optimizer's name, as int64 character codes), "version" (the
// format, 1), "groups" and "group<g>.params" (int64 counts), "group<g>.<option>" (float64
// scalars; flags and counts as int64; texts as character codes), and "group<g>.param<i>.<field>"
// for the state of parameter i of group g (tensors shaped like it, step counts as int64
// scalars; a list of tensors as "<field>.size" and "<field>.0", "<field>.1", ...).

#include <string>

#include "optim/optimizer.hpp"

namespace tapegrad {
namespace optim {

/// Writes the optimizer's state and group options to `path`, atomically.
void save(const Optimizer& optimizer, const std::string& path);

/// Replaces the optimizer's state and group options with those saved in `path`. Throws
/// std::invalid_argument naming the problem when the file was saved from another kind of
/// optimizer (both names), by another format version, for other parameters (number of groups
/// or parameters, shapes, dtypes), holds an entry twice, an option out of range or a count past
/// 2^53; the optimizer is then left unchanged. A damaged file raises read_archive's
/// std::runtime_error.
void load(Optimizer& optimizer, const std::string& path);

}  // namespace optim

/// LibTorch's spelling, `tapegrad::save(optimizer, path)`: optim::save.
inline void save(const optim::Optimizer& optimizer, const std::string& path) {
    optim::save(optimizer, path);
}
/// LibTorch's spelling, `tapegrad::load(optimizer, path)`: optim::load.
inline void load(optim::Optimizer& optimizer, const std::string& path) {
    optim::load(optimizer, path);
}

}  // namespace tapegrad
