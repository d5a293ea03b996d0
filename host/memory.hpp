#pragma once

// The C library's allocator, set for a small long-running daemon: glibc keeps
// up to 8 malloc arenas per core, one per thread that allocates, and keeps
// what a burst freed (a full snapshot's upload) inside them for good. Both
// cost the agent's idle RSS budget (DESIGN.md: 20 MB); bench/footprint.sh
// measures the effect. Defined per OS: posix/memory.cpp (glibc's malloc,
// the ELF segments), windows/memory.cpp (the CRT heap and the working set).

#include <cstddef>

namespace vigil {

/// Caps the allocator at one arena shared by every thread: the agent allocates
/// little outside its bursts, so sharing one lock costs little, while a second
/// arena kept ~0.3 MB of freed memory of its own (bench/footprint.sh: 19.6 ->
/// 19.4 MB idle). Call first thing in main, before any thread starts. Windows'
/// process heap has no per-thread arenas: nothing to do there.
void limit_allocator_arenas() noexcept;

/// Unmaps from this process the pages of its program and libraries that only
/// read-only file contents back (code, constants, unwind tables): their
/// `PT_LOAD` segments without write permission, as the loader mapped them.
/// Start-up, the first scans and uploads touch most of the agent's 10 MB of
/// code once; the kernel's fault-around maps their neighbours too; all of it
/// then stays counted in the idle RSS (DESIGN.md: 20 MB) although an idle
/// agent runs a few hundred KB of it. The pages stay in the page cache: what
/// the agent runs next comes back with a minor fault, shared with any other
/// process that maps the file. The same step as Windows services'
/// EmptyWorkingSet. Writable segments (data, relocated RELRO, bss) are never
/// touched: those pages are the process's own. Returns the bytes unmapped.
std::size_t release_program_pages() noexcept;

/// Hands the free pages of every arena back to the OS, and the program's
/// read-only pages (`release_program_pages`): call after a burst of work is
/// over (the last pending delta uploaded), not on a hot path. Windows:
/// the CRT heap's free blocks back to the system, then the working set
/// emptied (EmptyWorkingSet), which covers the program's pages too.
void release_free_memory() noexcept;

} // namespace vigil
