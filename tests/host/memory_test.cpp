// The program's read-only pages handed back after a burst (DESIGN.md's idle
// RSS budget): the resident set shrinks, and the program runs on.

#include "host/memory.hpp"

#include <doctest/doctest.h>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

/// Resident pages of this process (statm's second field), in bytes.
std::size_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

TEST_CASE("memory: the read-only pages of the program and its libraries leave the resident set; "
          "the program runs on") {
  auto before = resident_bytes();
  auto released = vigil::release_program_pages();
  auto after = resident_bytes();
  MESSAGE("resident " << before / 1024 << " KB -> " << after / 1024 << " KB, "
                      << released / 1024 << " KB of read-only segments released");
  // This test program carries more than a megabyte of code (doctest, the host
  // library), most of it mapped by the time this case runs.
  CHECK(released > 1024 * 1024);
  CHECK(after < before);
  // Code runs again from the page cache.
  CHECK(std::to_string(42) == "42");
  CHECK(vigil::release_program_pages() == released); // the same segments, again
}
