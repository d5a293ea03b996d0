// The installers' mutual exclusion (SPEC §3 exit code 1618) on both systems:
// the same source in installer_test and installer_windows_test.

#include <doctest/doctest.h>

#include <optional>
#include <thread>

#include "common/error.hpp"
#include "installer/setup_lock.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

/// Takes the lock of `root` on another thread (a Windows mutex is reentrant
/// for the thread that owns it): nothing when taken, else the error's code.
std::optional<ec> take_elsewhere(const std::filesystem::path& root) {
  std::optional<ec> code;
  std::thread other{[&] {
    if (auto lock = setup_lock::take(root); !lock)
      code = code_of(lock.error());
  }};
  other.join();
  return code;
}

} // namespace

TEST_CASE("setup_lock: a second installer on the same root is busy until the first ends; "
          "another root is free") {
  test::temp_dir a;
  test::temp_dir b;
  {
    auto first = setup_lock::take(a.path());
    REQUIRE(first);
    CHECK(take_elsewhere(a.path()) == ec::busy);
    CHECK_FALSE(take_elsewhere(b.path()));
    auto moved = std::move(*first); // held by whoever holds it
    CHECK(take_elsewhere(a.path()) == ec::busy);
  }
  CHECK_FALSE(take_elsewhere(a.path()));
}
