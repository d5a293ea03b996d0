// The self-patch actor's pure parts: what the host remembers across upgrades,
// ranged downloads, the package's durable pieces and the held file the staged
// package runs from. Portable: the Windows build runs it too
// (tests/actors/windows).

#include "actors/selfpatch_logic.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "host/file_append.hpp"
#include "host/held_program.hpp"
#include "host/process_id.hpp"
#include "storage/memory_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

TEST_CASE("selfpatch: serials and versions only grow; rollbacks are remembered per version") {
  memory_store store{agent_columns()};
  auto empty = load_upgrade_memory(store);
  REQUIRE(empty);
  CHECK(empty->highest_serial == 0);
  CHECK(empty->highest_version.empty());
  REQUIRE(remember_upgrade(store, 5, "0.2.0"));
  REQUIRE(remember_upgrade(store, 3, "0.1.9")); // older: nothing goes back
  auto known = load_upgrade_memory(store);
  REQUIRE(known);
  CHECK(known->highest_serial == 5);
  CHECK(known->highest_version == "0.2.0");
  REQUIRE(remember_upgrade(store, 0, "0.10.0")); // numeric order, not text
  CHECK(load_upgrade_memory(store)->highest_version == "0.10.0");
  CHECK_FALSE(*rolled_back_serial(store, "0.3.0"));
  REQUIRE(remember_rollback(store, "0.3.0", 7));
  CHECK(**rolled_back_serial(store, "0.3.0") == 7);
}

TEST_CASE("selfpatch: ranged pieces and Content-Range totals") {
  CHECK(next_range(0, 10, 4) == "bytes=0-3");
  CHECK(next_range(8, 10, 4) == "bytes=8-9");
  CHECK(content_range_total("bytes 0-3/10") == 10u);
  CHECK_FALSE(content_range_total("bytes 0-3/*"));
  CHECK_FALSE(content_range_total("items 0-3/10"));
}

TEST_CASE("selfpatch: the held package's hash is of the file opened, whatever happens to the path") {
  test::temp_dir dir;
  auto file = dir / "pkg";
  test::write_file(file, "the verified package");
  auto held = held_program::open(file);
  REQUIRE(held);
  // Someone tries to swap the path after it was opened: POSIX lets the name
  // move (the descriptor keeps the old file), Windows refuses while it is held.
  std::error_code moved;
  std::filesystem::rename(file, dir / "old", moved);
  if (!moved)
    test::write_file(file, "something else");
  auto hash = held->sha256();
  REQUIRE(hash);
  CHECK(*hash == sha256_hex("the verified package"));
  auto missing = held_program::open(dir / "missing");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
}

TEST_CASE("selfpatch: the package is appended piece by piece; free space is known") {
  test::temp_dir dir;
  auto part = dir / "pkg.part";
  REQUIRE(append_durably(part, "first "));
  REQUIRE(append_durably(part, "second"));
  REQUIRE(append_durably(part, ""));
  CHECK(test::read_file(part) == "first second");
  auto free = free_disk_bytes(dir.path());
  REQUIRE(free);
  CHECK(*free > 0);
  CHECK_FALSE(free_disk_bytes(dir / "missing" / "deeper"));
}

TEST_CASE("selfpatch: the upgrade watcher's liveness by process id") {
  CHECK(process_alive(current_process_id()));
  CHECK_FALSE(process_alive(0));
  CHECK_FALSE(process_alive(-1));
}
