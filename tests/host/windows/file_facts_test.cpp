#include "host/file_facts.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

TEST_CASE("file_facts: a file, a folder and a missing file") {
  test::temp_dir dir;
  auto file = dir.path() / "VERSION";
  test::write_file(file, "1.2.3");
  auto facts = file_facts_of(file);
  REQUIRE(facts);
  CHECK(facts->regular);
  CHECK(facts->size == 5);
  CHECK(facts->mode == 0);
  CHECK(facts->inode != 0);
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  CHECK(facts->modified_ns > now_ns - int64_t{86400} * 1000000000);
  CHECK(facts->modified_ns <= now_ns + int64_t{60} * 1000000000);
  auto again = file_facts_of(file);
  REQUIRE(again);
  CHECK(*again == *facts);
  auto other_file = dir.path() / "other";
  test::write_file(other_file, "x");
  auto other = file_facts_of(other_file);
  REQUIRE(other);
  CHECK((other->inode != facts->inode || other->device != facts->device));
  auto folder = file_facts_of(dir.path());
  REQUIRE(folder);
  CHECK_FALSE(folder->regular);
  auto missing = file_facts_of(dir.path() / "missing");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  (void) running_as_admin(); // answers without failing, elevated or not
}
