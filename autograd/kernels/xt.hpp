#pragma once
// The one way tapegrad includes xtensor (kernel .cpp files only, never a public header):
// XSIMD's vector math on (the build links xtensor::use_xsimd), and the plain allocator for
// xtensor's own containers in every file alike (TOOLCHAIN.md: its aligned default costs
// 30-40 ns an allocation; CMake cannot pass a function-like macro on the command line).

#define XTENSOR_DEFAULT_ALLOCATOR(T) std::allocator<T>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace tapegrad {
namespace kernels {

/// A flat, row-major xtensor view of n elements at p (static layout, so XSIMD applies).
template <class T>
auto flat(T* p, int64_t n) {
    using Shape = std::array<std::size_t, 1>;
    return xt::adapt(p, static_cast<std::size_t>(n), xt::no_ownership(),
                     Shape{static_cast<std::size_t>(n)});
}

}  // namespace kernels
}  // namespace tapegrad
