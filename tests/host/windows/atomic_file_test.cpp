#include "host/atomic_file.hpp"

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
namespace fs = std::filesystem;

TEST_CASE("atomic_file: writes, replaces, and creates missing folders") {
  test::temp_dir dir;
  auto file = dir.path() / "a" / "b" / "settings.json";
  REQUIRE(write_file_atomically(file, "first"));
  CHECK(test::read_file(file) == "first");
  REQUIRE(write_file_atomically(file, std::string(100000, 'x')));
  CHECK(test::read_file(file) == std::string(100000, 'x'));
  auto read = read_whole_file(file);
  REQUIRE(read);
  CHECK(read->size() == 100000);
  // Nothing left beside it.
  CHECK(std::distance(fs::directory_iterator{file.parent_path()}, {}) == 1);
}

TEST_CASE("atomic_file: if_exists::keep never replaces") {
  test::temp_dir dir;
  auto file = dir.path() / "host.key";
  REQUIRE(write_file_atomically(file, "winner", 0600, if_exists::keep));
  auto second = write_file_atomically(file, "loser", 0600, if_exists::keep);
  REQUIRE_FALSE(second);
  CHECK(code_of(second.error()) == ec::already_exists);
  CHECK(test::read_file(file) == "winner");
  CHECK(std::distance(fs::directory_iterator{dir.path()}, {}) == 1);
}

TEST_CASE("atomic_file: files planted at temporary names are never reused") {
  test::temp_dir dir;
  auto file = dir.path() / "status.json";
  // Temporary names are `.<name>.<16 hex digits>.tmp`: plant some, as an
  // attacker would, and check none is opened, changed or removed.
  std::vector<fs::path> planted;
  for (int i = 0; i < 16; ++i) {
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016x", i * 0x11111111u);
    planted.push_back(dir.path() / (".status.json." + std::string{hex} + ".tmp"));
    test::write_file(planted.back(), "planted");
  }
  for (int i = 0; i < 20; ++i)
    REQUIRE(write_file_atomically(file, "real " + std::to_string(i)));
  CHECK(test::read_file(file) == "real 19");
  for (auto& f : planted)
    CHECK(test::read_file(f) == "planted");
  CHECK(std::distance(fs::directory_iterator{dir.path()}, {}) == 17);
}

TEST_CASE("atomic_file: missing files, and the exchange Windows lacks") {
  test::temp_dir dir;
  auto missing = read_whole_file(dir.path() / "nope");
  REQUIRE_FALSE(missing);
  CHECK(code_of(missing.error()) == ec::not_found);
  test::write_file(dir.path() / "a", "a");
  test::write_file(dir.path() / "b", "b");
  auto swapped = exchange_paths(dir.path() / "a", dir.path() / "b");
  REQUIRE_FALSE(swapped);
  CHECK(code_of(swapped.error()) == ec::invalid_argument);
  CHECK(test::read_file(dir.path() / "a") == "a");
  REQUIRE(make_directories(dir.path() / "x" / "y", 0700));
  CHECK(fs::is_directory(dir.path() / "x" / "y"));
  restrict_to_owner(nullptr); // a documented no-op
}
