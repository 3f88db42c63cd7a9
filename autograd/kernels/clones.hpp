#pragma once
// TAPEGRAD_VECTOR_LOOP before a kernel function makes GCC build it three times, for AVX-512
// (x86-64-v4), AVX2 and the baseline, and pick one when the library loads, by the CPU: the
// library itself is built for any x86-64. For compute-bound loops only (tanh: 157 -> 24 us for
// 64 x 1024 floats on AVX-512, bench/kernels.cpp). The file must be compiled with
// -ffp-contract=off, so that no copy fuses a * b + c into an FMA (one rounding instead of two):
// every CPU then computes the same bits. Not in sanitizer builds: the load-time chooser (an IFUNC
// resolver) runs before ThreadSanitizer's runtime is up, and crashes.

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__) && !defined(TAPEGRAD_SANITIZED)
#define TAPEGRAD_VECTOR_LOOP __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define TAPEGRAD_VECTOR_LOOP
#endif
