// The parts of the host seam the installers stand on, on both systems (the
// same source in host_test and host_windows_test): the hive removed whole
// (Force=True, the undo of a fresh install), the program files put in place
// of the old ones, and a private directory for a run's files.

#include <doctest/doctest.h>

#include "common/error.hpp"
#include "host/atomic_file.hpp"
#include "host/hive_store.hpp"
#include "host/paths.hpp"
#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace vigil;

TEST_CASE("hive_store: erase removes the whole stored hive, and nothing stored is no error") {
  test::temp_dir dir;
  paths p{dir.path()};
  auto store = open_hive_store(p);
  REQUIRE(store->erase()); // nothing stored yet
  REQUIRE(store->update([](hive& h) -> caf::expected<void> {
    h.set(std::string{agent_key}, reg_value::sz("CustomerId", "{1}"));
    h.set(std::string{agent_key} + "\\Proxy", reg_value::sz("ProxyUrls", "http://127.0.0.1:1"));
    return {};
  }));
  for (auto& file : store->files()) // the .reg file and its lock on POSIX
    CHECK_MESSAGE(fs::exists(file), file);
  REQUIRE(store->erase());
  auto loaded = store->load();
  REQUIRE(loaded);
  CHECK(loaded->empty());
  for (auto& file : store->files())
    CHECK_FALSE_MESSAGE(fs::exists(file), file);
  // Written again after an erase, as a reinstall does.
  REQUIRE(store->update([](hive& h) -> caf::expected<void> {
    h.set(std::string{agent_key}, reg_value::sz("CustomerId", "{2}"));
    return {};
  }));
  auto again = store->load();
  REQUIRE(again);
  auto* value = again->get(agent_key, "CustomerId");
  REQUIRE(value);
  CHECK(*value->as_string() == "{2}");
  CHECK_FALSE(again->get(std::string{agent_key} + "\\Proxy", "ProxyUrls"));
  REQUIRE(store->erase());
}

TEST_CASE("replace_directory: the new files take the old ones' place, the old ones go aside; "
          "a first install only moves") {
  test::temp_dir dir;
  auto files = dir / "VigilAgent";
  auto staging = dir / "VigilAgent.staging";
  auto previous = dir / "VigilAgent.previous";
  test::write_file(staging / "VERSION", "0.1.0\n");
  REQUIRE(replace_directory(staging, files, previous));
  CHECK(test::read_file(files / "VERSION") == "0.1.0\n");
  CHECK_FALSE(fs::exists(staging));
  CHECK_FALSE(fs::exists(previous));
  test::write_file(staging / "VERSION", "0.2.0\n");
  REQUIRE(replace_directory(staging, files, previous));
  CHECK(test::read_file(files / "VERSION") == "0.2.0\n");
  CHECK(test::read_file(previous / "VERSION") == "0.1.0\n");
  CHECK_FALSE(fs::exists(staging));
  // Put back, as a failed install's undo does.
  REQUIRE(replace_directory(previous, files, staging));
  CHECK(test::read_file(files / "VERSION") == "0.1.0\n");
  CHECK(test::read_file(staging / "VERSION") == "0.2.0\n");
  // A missing incoming directory moves nothing.
  fs::remove_all(staging);
  auto missing = replace_directory(dir / "nothing", files, staging);
  CHECK_FALSE(missing);
  CHECK(test::read_file(files / "VERSION") == "0.1.0\n");
}

TEST_CASE("make_private_directory: a new directory each time, under the parent") {
  test::temp_dir dir;
  auto first = make_private_directory(dir.path(), "vigil-enroll-");
  auto second = make_private_directory(dir.path(), "vigil-enroll-");
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first != *second);
  CHECK(fs::is_directory(*first));
  CHECK(first->parent_path() == dir.path());
  CHECK(first->filename().string().starts_with("vigil-enroll-"));
  CHECK_FALSE(make_private_directory(dir / "missing", "x-"));
}
