#include "host/file_lock.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;

TEST_CASE("file_lock: a second handle waits its timeout, then gets the lock once released") {
  test::temp_dir dir;
  auto file = dir.path() / "registry.reg";
  auto first = lock_sibling(file, 1s);
  REQUIRE(first);
  CHECK(static_cast<bool>(*first));
  CHECK(std::filesystem::exists(file.string() + ".lock"));
  auto start = std::chrono::steady_clock::now();
  auto second = lock_sibling(file, 100ms);
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(second);
  CHECK(code_of(second.error()) == ec::lock_failed);
  CHECK(waited >= 100ms);
  CHECK(waited < 3s);
  file_lock moved = std::move(*first);
  CHECK(static_cast<bool>(moved));
  moved = file_lock{};
  auto third = lock_sibling(file, 100ms);
  REQUIRE(third);
}
