// Memory on Windows (memory.hpp). The process heap has no per-thread arenas
// to cap. What a burst leaves behind goes back in two steps: the CRT heap
// hands its free blocks to the system (_heapmin), then the working set is
// emptied, so the pages the process touched during the burst (its program's
// code among them) leave its resident set until they are touched again,
// served from the standby list like the page cache on Linux.
#include "host/memory.hpp"

#include <malloc.h>
#include <windows.h>
#include <psapi.h>

namespace vigil {

void limit_allocator_arenas() noexcept {
}

std::size_t release_program_pages() noexcept {
  PROCESS_MEMORY_COUNTERS before{}, after{};
  HANDLE self = ::GetCurrentProcess();
  ::GetProcessMemoryInfo(self, &before, sizeof before);
  if (!::EmptyWorkingSet(self))
    return 0;
  ::GetProcessMemoryInfo(self, &after, sizeof after);
  return before.WorkingSetSize > after.WorkingSetSize
           ? before.WorkingSetSize - after.WorkingSetSize
           : 0;
}

void release_free_memory() noexcept {
  _heapmin();
  release_program_pages();
}

} // namespace vigil
