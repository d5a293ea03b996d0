#include "host/registry_watch.hpp"

#include <doctest/doctest.h>
#include <future>
#include <thread>

#include "tests/host/windows/temp_mount.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

const std::string root{agent_key};

} // namespace

TEST_CASE("registry_watch: another writer's change is seen within the deadline") {
  test::temp_mount m;
  auto watch = registry_watch::open(m.mount());
  REQUIRE(watch);
  // The key exists now (open creates it), with nothing in it.
  for (auto* key : watch->current().keys())
    CHECK(key->values.empty());
  auto nothing = watch->poll(50ms);
  REQUIRE(nothing);
  CHECK(nothing->empty());
  std::thread writer{[&] {
    registry_hive store{m.mount()};
    REQUIRE(store.update([&](hive& h) {
      h.set(root + "\\Logs", reg_value::dword("TraceLevel", 6));
      return caf::expected<void>{};
    }));
  }};
  std::vector<hive_change> seen;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto changes = watch->poll(200ms);
    REQUIRE(changes);
    seen.insert(seen.end(), changes->begin(), changes->end());
    if (watch->current().get(root + "\\Logs", "TraceLevel"))
      break;
  }
  writer.join();
  auto want = hive_change{hive_change::kind::value_set, root + "\\Logs", "TraceLevel"};
  CHECK(std::find(seen.begin(), seen.end(), want) != seen.end());
}

TEST_CASE("registry_watch: interrupt ends a poll blocked without a timeout") {
  test::temp_mount m;
  auto watch = registry_watch::open(m.mount());
  REQUIRE(watch);
  auto blocked = std::async(std::launch::async, [&] { return watch->poll(-1ms); });
  CHECK(blocked.wait_for(100ms) == std::future_status::timeout);
  watch->interrupt();
  REQUIRE(blocked.wait_for(5s) == std::future_status::ready);
  auto result = blocked.get();
  REQUIRE(result);
  CHECK(result->empty());
  CHECK(watch->interrupted());
  auto later = watch->poll(-1ms); // returns at once: interrupted for good
  CHECK(later);
}
