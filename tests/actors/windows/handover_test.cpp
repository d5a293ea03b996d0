// The Windows side of the self-patch hand-over: self-patching refuses with
// its reason, and a held program cannot be changed while held, then starts
// detached (host/windows/held_program.cpp). The program started is the child
// of tests/host/windows (child.cpp), copied so the copy can be held.

#include "actors/selfpatch_logic.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <windows.h>

#include "common/error.hpp"
#include "host/held_program.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/windows/helper_program.hpp"
#include "tests/support/wait.hpp"

using namespace vigil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path child() {
  return test::helper_program("host_windows_child.exe");
}

} // namespace

TEST_CASE("selfpatch on Windows: every offer is refused with the reason") {
  auto available = self_patching_available();
  REQUIRE_FALSE(available);
  CHECK(context_of(available.error())
        == "self-patching is not supported in the Windows build yet");
}

TEST_CASE("held program on Windows: nobody swaps it while held; it starts detached") {
  test::temp_dir dir;
  auto program = dir / "vigil-setup.exe";
  REQUIRE(fs::exists(child()));
  fs::copy_file(child(), program);
  auto held = held_program::open(program);
  REQUIRE(held);
  std::error_code err;
  fs::rename(program, dir / "moved.exe", err);
  CHECK(err); // the handle shares no delete access
  {
    std::ofstream overwrite{program, std::ios::binary | std::ios::app};
    CHECK_FALSE(overwrite.is_open()); // nor write access
  }
  auto hash = held->sha256();
  REQUIRE(hash);
  auto out = dir / "handed-over.txt";
  REQUIRE(held->hand_over({"vigil-setup", "write", out.string(), "handed over"}));
  CHECK(test::wait_until([&] { return test::read_file(out) == "handed over"; }, 10s));
}
