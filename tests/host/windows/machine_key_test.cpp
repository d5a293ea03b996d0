#include "host/machine_key.hpp"

#include <doctest/doctest.h>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "host/secret_box.hpp"
#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

TEST_CASE("machine_key: created once, sealed by DPAPI, the same on every load") {
  test::temp_dir dir;
  paths p{dir.path()};
  auto file = secret_box::host_key_file(p);
  CHECK_FALSE(std::filesystem::exists(file));
  auto first = load_machine_key(p);
  REQUIRE(first);
  REQUIRE(std::filesystem::exists(file));
  auto sealed = test::read_file(file);
  // A DPAPI blob, not the raw key.
  CHECK(sealed.size() > first->bytes.size());
  CHECK(sealed.find(std::string(reinterpret_cast<const char*>(first->bytes.data()),
                                first->bytes.size()))
        == std::string::npos);
  auto second = load_machine_key(p);
  REQUIRE(second);
  CHECK(second->bytes == first->bytes);
  CHECK(test::read_file(file) == sealed);
}

TEST_CASE("machine_key: a tampered host.key is refused with an error naming it") {
  test::temp_dir dir;
  paths p{dir.path()};
  REQUIRE(load_machine_key(p));
  auto file = secret_box::host_key_file(p);
  auto sealed = test::read_file(file);
  sealed[sealed.size() / 2] ^= 0x5a;
  sealed[sealed.size() - 1] ^= 0x01;
  test::write_file(file, sealed);
  auto key = load_machine_key(p);
  REQUIRE_FALSE(key);
  CHECK(code_of(key.error()) == ec::corruption);
  CHECK(context_of(key.error()).find(file.filename().string()) != std::string::npos);
  // Never silently replaced.
  CHECK(test::read_file(file) == sealed);
}

TEST_CASE("machine_key: secret_box seals and opens through it") {
  test::temp_dir dir;
  paths p{dir.path()};
  auto box = secret_box::open(p);
  REQUIRE(box);
  auto sealed = box->seal("hunter2", "proxy-password");
  REQUIRE(sealed);
  auto again = secret_box::open(p);
  REQUIRE(again);
  auto opened = again->open_sealed(*sealed, "proxy-password");
  REQUIRE(opened);
  CHECK(*opened == "hunter2");
  CHECK_FALSE(again->open_sealed(*sealed, "other-purpose"));
}

TEST_CASE("machine_key: threads racing on first use end with one key") {
  test::temp_dir dir;
  paths p{dir.path()};
  std::vector<caf::expected<machine_key>> keys(4, make_error(ec::unspecified));
  std::vector<std::thread> threads;
  for (auto& slot : keys)
    threads.emplace_back([&] { slot = load_machine_key(p); });
  for (auto& t : threads)
    t.join();
  for (auto& key : keys) {
    REQUIRE(key);
    CHECK(key->bytes == keys[0]->bytes);
  }
  // One file, no temporaries left behind.
  CHECK(std::distance(std::filesystem::directory_iterator{
                        secret_box::host_key_file(p).parent_path()},
                      {})
        == 1);
}
