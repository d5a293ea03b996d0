// The self-patch actor's pure parts: what the host remembers across upgrades,
// ranged downloads, and the descriptor the staged package runs from.

#include "actors/selfpatch_logic.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/sha256.hpp"
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

TEST_CASE("selfpatch: the hash is of the descriptor's file, whatever replaces the path") {
  test::temp_dir dir;
  auto file = dir / "pkg";
  test::write_file(file, "the verified package");
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  // Someone swaps the path after it was opened.
  std::filesystem::rename(file, dir / "old");
  test::write_file(file, "something else");
  auto hash = sha256_of_descriptor(fd);
  ::close(fd);
  REQUIRE(hash);
  CHECK(*hash == sha256_hex("the verified package"));
}
