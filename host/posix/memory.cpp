#include "host/memory.hpp"

#include <cstdint>
#include <cstring>
#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

namespace vigil {

void limit_allocator_arenas() noexcept {
  mallopt(M_ARENA_MAX, 1);
}

void release_free_memory() noexcept {
  malloc_trim(0);
  release_program_pages();
}

std::size_t release_program_pages() noexcept {
  struct totals {
    std::size_t page = 0;
    std::size_t released = 0;
  } t{static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), 0};
  ::dl_iterate_phdr(
    [](dl_phdr_info* info, std::size_t, void* data) -> int {
      auto& t = *static_cast<totals*>(data);
      // The program itself ("") and libraries from files; not the vDSO,
      // which the kernel maps and no file backs.
      const char* name = info->dlpi_name;
      if (name == nullptr || (name[0] != '\0' && name[0] != '/'))
        return 0;
      for (int i = 0; i < info->dlpi_phnum; ++i) {
        const auto& segment = info->dlpi_phdr[i];
        if (segment.p_type != PT_LOAD || (segment.p_flags & PF_W) != 0 || segment.p_memsz == 0)
          continue;
        // Whole pages inside the segment only: a page it shares with a
        // writable neighbour is left alone.
        auto begin = info->dlpi_addr + segment.p_vaddr;
        auto end = begin + segment.p_memsz;
        begin = (begin + t.page - 1) / t.page * t.page;
        end = end / t.page * t.page;
        if (end <= begin)
          continue;
        if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0)
          t.released += end - begin;
      }
      return 0;
    },
    &t);
  return t.released;
}

} // namespace vigil
