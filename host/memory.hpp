#pragma once

// The C library's allocator, set for a small long-running daemon: glibc keeps
// up to 8 malloc arenas per core, one per thread that allocates, and keeps
// what a burst freed (a full snapshot's upload) inside them for good. Both
// cost the agent's idle RSS budget (DESIGN.md: 20 MB); bench/footprint.sh
// measures the effect.

#include <malloc.h>

namespace vigil {

/// Caps the allocator at one arena shared by every thread: the agent allocates
/// little outside its bursts, so sharing one lock costs little, while a second
/// arena kept ~0.3 MB of freed memory of its own (bench/footprint.sh: 19.6 ->
/// 19.4 MB idle). Call first thing in main, before any thread starts.
inline void limit_allocator_arenas() noexcept {
  mallopt(M_ARENA_MAX, 1);
}

/// Hands the free pages of every arena back to the OS: call after a burst of
/// allocation is over (the last pending delta uploaded), not on a hot path.
inline void release_free_memory() noexcept {
  malloc_trim(0);
}

} // namespace vigil
