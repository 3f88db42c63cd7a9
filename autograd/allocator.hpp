#pragma once
// Where tensors' memory comes from. Large blocks are kept for reuse when freed (see
// allocator.cpp); these calls bound or drop that cache. Small blocks go straight to malloc.

#include <cstddef>
#include <cstdint>

namespace tapegrad {
namespace allocator {

/// Blocks of at least this many bytes are cached when freed; smaller ones are freed at once.
constexpr int64_t kMinCachedBytes = int64_t(256) << 10;

/// Caps the bytes held in the cache (default 1 GiB); 0 turns caching off. Blocks above the cap
/// are freed when their tensor goes. Thread-safe.
void set_cache_limit(int64_t bytes);
int64_t cache_limit();
/// Bytes held in the cache now (freed tensors' blocks waiting for a tensor of their size).
int64_t cached_bytes();
/// Frees every cached block (returning it to the system), e.g. between two phases of a
/// program that use different shapes. Thread-safe.
void empty_cache();

namespace detail {
/// `bytes` of memory (at least 1) for a storage, 16-byte aligned; nullptr when out of memory.
void* allocate(size_t bytes);
/// Returns a block from allocate(bytes) with the same `bytes`.
void release(void* block, size_t bytes);
}  // namespace detail

}  // namespace allocator
}  // namespace tapegrad
