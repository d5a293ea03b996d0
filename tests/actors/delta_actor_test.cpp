// The delta actor under CAF's test scheduler, with an uploader the test
// plays (issue 16, item 12): what it answers, what it makes durable together,
// and when it wakes the uploader.

#include "actors/delta.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include "actors/delta_store.hpp"
#include "common/error.hpp"
#include "storage/memory_store.hpp"

using namespace vigil;

namespace {

/// Counts the wake-ups the delta actor sends.
caf::behavior counting_uploader(caf::event_based_actor*, std::shared_ptr<int> woken) {
  return {[=](upload_atom) { ++*woken; }};
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<kv_store> store = std::make_shared<memory_store>(agent_columns());
  std::shared_ptr<int> woken = std::make_shared<int>(0);
  caf::actor uploader;
  delta_actor actor;

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    system = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
    uploader = system->spawn(counting_uploader, woken);
    actor = system->spawn(delta, store, uploader);
    sched->run();
  }

  /// Records `rows` as the end of a scan of `module` and answers the seq (0:
  /// nothing changed) or the error.
  caf::expected<uint64_t> record(const std::string& module, scan::snapshot rows) {
    REQUIRE(store->put("meta", scan_keys::started(module), "scheduled"));
    std::optional<caf::expected<uint64_t>> answer;
    auto asker = system->spawn([&](caf::event_based_actor* self) {
      self
        ->request(actor, caf::infinite, record_atom::value, module, int64_t{1},
                  std::make_shared<const scan::snapshot>(std::move(rows)))
        .then([&](uint64_t seq) { answer = seq; }, [&](caf::error& e) { answer = e; });
    });
    sched->run();
    REQUIRE(answer);
    return *answer;
  }

  bool started_mark(const std::string& module) {
    auto v = store->get("meta", scan_keys::started(module));
    REQUIRE(v);
    return v->has_value();
  }

  ~fixture() {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(uploader, caf::exit_reason::user_shutdown);
    sched->run();
  }
};

} // namespace

TEST_CASE("delta actor: a change is recorded with the scan's end and wakes the uploader once; "
          "no change wakes nobody") {
  fixture f;
  auto first = f.record("Vulnerability", {{"k1", "a"}});
  REQUIRE(first);
  CHECK(*first == 1);
  CHECK(*f.woken == 1);
  CHECK_FALSE(f.started_mark("Vulnerability")); // the scan's end is durable with its delta
  auto last_end = f.store->get("meta", scan_keys::last_end("Vulnerability"));
  REQUIRE(last_end);
  CHECK(last_end->has_value());
  // The platform acknowledges; the next scan finds the same rows.
  auto heads = pending_heads(*f.store);
  REQUIRE(heads);
  REQUIRE(heads->size() == 1);
  REQUIRE(acknowledge(*f.store, heads->front()));
  auto same = f.record("Vulnerability", {{"k1", "a"}});
  REQUIRE(same);
  CHECK(*same == 0);
  CHECK(*f.woken == 1);
  CHECK_FALSE(f.started_mark("Vulnerability")); // ended all the same
  // A changed row: seq 2, one more wake-up.
  auto second = f.record("Vulnerability", {{"k1", "b"}});
  REQUIRE(second);
  CHECK(*second == 2);
  CHECK(*f.woken == 2);
}

TEST_CASE("delta actor: while a delta is pending the next is refused, and the scan stays "
          "marked as not ended") {
  fixture f;
  REQUIRE(f.record("Inventory", {{"k", "1"}}));
  auto refused = f.record("Inventory", {{"k", "2"}});
  REQUIRE_FALSE(refused);
  CHECK(code_of(refused.error()) == ec::busy);
  CHECK(*f.woken == 1);
  CHECK(f.started_mark("Inventory")); // a restart scans again
}
