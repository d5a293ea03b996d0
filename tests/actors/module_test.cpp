// The module actor under CAF's test scheduler: virtual time, scans that finish
// when the test says so.

#include "actors/module.hpp"

#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_response_promise.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "actors/blackout.hpp"
#include "actors/checkin.hpp"
#include "actors/delta_store.hpp"
#include "actors/hive_writer.hpp"
#include "host/file_lock.hpp"
#include "host/hive_file.hpp"
#include "storage/memory_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

using done_atom = caf::atom_constant<caf::atom("done")>;

/// A memory store that counts reads of the stored profile, so a test can tell
/// how often the module parses it.
class profile_counting_store final : public test::forwarding_store {
public:
  std::atomic<int> profile_reads{0};

private:
  caf::expected<std::optional<std::string>> do_get(std::string_view column,
                                                   std::string_view key) override {
    if (column == "config" && key == checkin_keys::profile)
      ++profile_reads;
    return inner_.get(column, key);
  }
};

struct fixture {
  test::temp_dir dir;
  paths root{dir.path()};
  std::shared_ptr<profile_counting_store> counted = std::make_shared<profile_counting_store>();
  std::shared_ptr<kv_store> store = counted;
  std::shared_ptr<hive_file> hive = std::make_shared<hive_file>(root.hive_file());
  std::shared_ptr<actor_bus> bus = std::make_shared<actor_bus>();
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* sched = nullptr;
  /// Workers of scans started and not yet finished; finish() ends the oldest.
  std::shared_ptr<std::vector<caf::actor>> running = std::make_shared<std::vector<caf::actor>>();
  std::shared_ptr<std::vector<uint32_t>> launched = std::make_shared<std::vector<uint32_t>>();
  caf::actor actor;
  delta_actor deltas;
  scan_launcher launch; ///< the launcher of the tests' controlled workers
  /// Whether `finish` also acknowledges the scan's delta, as a platform that
  /// is up would within moments.
  bool uploads_succeed = true;

  blackout_actor windows; ///< the blackout actor, when the test has windows

  hive_writer_actor writer; ///< with `with_writer`: the detached hive writer
  /// The writer's own actor system, on real threads: a detached actor in the
  /// test scheduler's system would read its virtual clock from its thread
  /// while the test advances it (a data race ThreadSanitizer reports).
  caf::actor_system_config threads_cfg;
  std::unique_ptr<caf::actor_system> threads;

  /// With `blackout_windows`, a real blackout actor whose wall clock starts
  /// at `start` and follows virtual time.
  explicit fixture(bool activated = true, json blackout_windows = nullptr,
                   blackout_clock::time_point start = {}, bool with_writer = false) {
    set_profile(activated, 3600, blackout_windows.is_null() ? json::array() : blackout_windows);
    protocol::manifest m;
    m.module = "Vulnerability";
    m.version = 1;
    REQUIRE(store->put("manifest", "Vulnerability", protocol::to_json(m).dump()));
    cfg.set("scheduler.policy", caf::atom("testing"));
    system = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
    auto launcher = [running = running, launched = launched](
                      caf::local_actor* self, const protocol::manifest&, uint32_t limit,
                      std::shared_ptr<const std::atomic<bool>>) {
      launched->push_back(limit);
      auto worker = self->spawn([](caf::event_based_actor* w) -> caf::behavior {
        auto promise = std::make_shared<caf::typed_response_promise<snapshot_ptr>>();
        return {
          [=](run_atom) {
            *promise = w->make_response_promise<snapshot_ptr>();
            return *promise;
          },
          [=](done_atom, const std::string& value) { // the scan ends when the test says so
            promise->deliver(std::make_shared<const scan::snapshot>(scan::snapshot{{"k", value}}));
            w->quit();
          },
        };
      });
      running->push_back(worker);
      return caf::actor_cast<caf::actor>(worker);
    };
    launch = launcher;
    deltas = system->spawn(delta, store, caf::actor{});
    if (!blackout_windows.is_null()) {
      blackout_options options;
      auto origin = sched->clock().now();
      options.now = [s = sched, origin, start] {
        return start
               + std::chrono::duration_cast<blackout_clock::duration>(s->clock().now() - origin);
      };
      options.host_zone = "UTC";
      options.seed = 1;
      windows = system->spawn(blackout, store, bus, options);
    }
    if (with_writer) {
      threads = std::make_unique<caf::actor_system>(threads_cfg);
      writer = threads->spawn<caf::detached>(hive_writer, hive);
    }
    actor = caf::actor_cast<caf::actor>(system->spawn(module, std::string{"Vulnerability"}, root,
                                                      store, hive, bus, deltas, launcher, windows,
                                                      writer));
    sched->run();
  }

  ~fixture() {
    // Scans still running hold workers the system would wait for forever.
    for (auto& worker : *running)
      caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(deltas, caf::exit_reason::user_shutdown);
    if (windows)
      caf::anon_send_exit(windows, caf::exit_reason::user_shutdown);
    if (writer)
      caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sched->run();
    // The writer's thread ends once no handle to it is left.
    writer = hive_writer_actor{};
    threads.reset();
  }

  /// Waits (on the writer's own thread's pace) until every hive update sent
  /// to the writer so far is written.
  void written() {
    caf::scoped_actor waiter{*threads};
    bool done = false;
    waiter->request(writer, std::chrono::seconds{60}, caf::get_atom::value)
      .receive([&](bool) { done = true; }, [&](caf::error&) {});
    REQUIRE(done);
  }

  void set_profile(bool activated, int interval, json blackout_windows = json::array()) {
    json modules = json::array();
    if (activated)
      modules.push_back({{"name", "Vulnerability"}, {"activated", true},
                         {"scan_interval_s", interval}, {"cpu_limit", 40}});
    json p{{"config_id", "c"}, {"etag", "\"e\""}, {"log_level", "info"}, {"target_version", ""},
           {"self_protection", false}, {"modules", modules},
           {"blackout_windows", std::move(blackout_windows)}};
    REQUIRE(store->put("config", checkin_keys::profile, p.dump()));
  }

  /// Ends the oldest running scan with one row `k` = `value`.
  void finish(const std::string& value = "v") {
    REQUIRE_FALSE(running->empty());
    caf::anon_send(running->front(), done_atom::value, value);
    running->erase(running->begin());
    sched->run();
    if (uploads_succeed)
      acknowledge_uploads();
  }

  /// What the uploader does once the platform acknowledged: every pending
  /// delta becomes the baseline, and the bus says so.
  void acknowledge_uploads() {
    auto pending = pending_deltas(*store);
    REQUIRE(pending);
    for (auto& d : *pending)
      REQUIRE(acknowledge(*store, d));
    bus->publish();
    sched->run();
  }

  bool has_pending() {
    auto pending = has_pending_delta(*store, "Vulnerability");
    REQUIRE(pending);
    return *pending;
  }

  /// Lets `duration` of virtual time pass, firing every timer on the way.
  void advance(std::chrono::seconds duration) {
    for (auto step = std::chrono::seconds{0}; step < duration; step += std::chrono::seconds{10}) {
      sched->advance_time(std::chrono::seconds{10});
      sched->run();
    }
  }

  void request_on_demand(uint32_t value = 1) {
    REQUIRE(hive->update([&](vigil::hive& h) -> caf::expected<void> {
      h.set(scan_on_demand_key("Vulnerability"), reg_value::dword("ScanOnDemand", value));
      return {};
    }));
    caf::anon_send(actor, changed_atom::value);
    sched->run();
  }

  std::optional<uint64_t> on_demand_value() {
    auto h = hive->load();
    auto* v = h->get(scan_on_demand_key("Vulnerability"), "ScanOnDemand");
    return v ? v->as_number() : std::nullopt;
  }
};

} // namespace



TEST_CASE("module: a request while scanning waits, stays 1, then starts") {
  fixture f;
  REQUIRE(f.launched->size() == 1); // the first scheduled scan runs
  f.request_on_demand();
  CHECK(f.launched->size() == 1);
  CHECK(f.on_demand_value() == 1u);
  f.finish();
  CHECK(f.launched->size() == 2);  // the waiting request started right after
  CHECK(f.on_demand_value() == 2u);
  f.finish();
  CHECK(f.on_demand_value() == 0u);
}


TEST_CASE("module: scans at once when never scanned, then once per interval") {
  fixture f;
  REQUIRE(f.launched->size() == 1);
  CHECK(f.launched->at(0) == 40); // scheduled scans use the profile's CPU limit
  CHECK(f.on_demand_value() == 0u); // the key was created for the activated module
  f.finish();
  f.advance(std::chrono::seconds{3590});
  CHECK(f.launched->size() == 1);
  f.advance(std::chrono::seconds{80});
  CHECK(f.launched->size() == 2);
}

TEST_CASE("module: an on-demand scan resets the interval") {
  fixture f;
  f.finish();                            // t = 0: scheduled scan done
  f.advance(std::chrono::seconds{1800});
  f.request_on_demand();                 // t = 1800
  REQUIRE(f.launched->size() == 2);
  CHECK(f.launched->back() == 100);      // no CpuLimit in the hive: 100
  CHECK(f.on_demand_value() == 2u);
  f.finish();
  CHECK(f.on_demand_value() == 0u);
  f.advance(std::chrono::seconds{2000}); // t = 3800: past the old due time, not the new one
  CHECK(f.launched->size() == 2);
  f.advance(std::chrono::seconds{1700}); // t = 5500: past 1800 + 3600
  CHECK(f.launched->size() == 3);
}

TEST_CASE("module: profile changes apply live") {
  fixture f{false};
  CHECK(f.launched->empty()); // not activated: never scanned
  f.request_on_demand();
  CHECK(f.launched->empty());
  CHECK(f.on_demand_value() == 1u); // refused; the value stays 1
  f.set_profile(true, 600);
  caf::anon_send(f.actor, changed_atom::value);
  f.sched->run();
  // Activated now: the pending on-demand request starts.
  REQUIRE(f.launched->size() == 1);
  f.finish();
  f.advance(std::chrono::seconds{620});
  CHECK(f.launched->size() == 2); // the new 600 s interval
}

TEST_CASE("module: the profile is parsed once per change, never on timers (issue 16, item 9)") {
  fixture f;
  REQUIRE(f.launched->size() == 1); // never scanned: at once
  f.finish();
  // An hour of schedule checks reads no profile: the module keeps its settings.
  auto before = f.counted->profile_reads.load();
  f.advance(std::chrono::seconds{600});
  CHECK(f.counted->profile_reads.load() == before);
  // A change (hive or profile): read once, not once per step of the reaction.
  f.set_profile(true, 600);
  caf::anon_send(f.actor, changed_atom::value);
  f.sched->run();
  CHECK(f.counted->profile_reads.load() == before + 1);
  f.advance(std::chrono::seconds{620});
  CHECK(f.launched->size() == 2); // the new 600 s interval applies
}

TEST_CASE("module: with the hive's lock held by someone else, a requested scan starts at once; "
          "ScanOnDemand follows when the lock is free (issue 16, item 1)") {
  fixture f{true, nullptr, {}, true};
  REQUIRE(f.launched->size() == 1); // never scanned: at once
  f.finish();
  f.written();
  REQUIRE(f.on_demand_value() == 0u);
  REQUIRE(f.hive->update([](vigil::hive& h) -> caf::expected<void> {
    h.set(scan_on_demand_key("Vulnerability"), reg_value::dword("ScanOnDemand", 1));
    return {};
  }));
  {
    // vigil-reg, or an administrator's script, holds the hive's lock.
    auto held = lock_sibling(f.hive->path(), std::chrono::seconds{1});
    REQUIRE(held);
    caf::anon_send(f.actor, changed_atom::value);
    f.sched->run(); // on the old code, the module waited here for the lock (30 s), then failed
    CHECK(f.launched->size() == 2);
    f.advance(std::chrono::seconds{60}); // timers keep running
    CHECK(f.on_demand_value() == 1u);    // the write waits for the lock, not the module
  }
  f.written();
  CHECK(f.on_demand_value() == 2u); // scanning
  f.finish();
  f.written();
  CHECK(f.on_demand_value() == 0u); // done
}

TEST_CASE("module: no scan starts while its delta is pending; the acknowledgement opens the gate") {
  fixture f;
  f.uploads_succeed = false; // the platform is away
  f.finish("v1");            // first scan: a full snapshot, pending
  CHECK(f.has_pending());
  f.request_on_demand();
  CHECK(f.launched->size() == 1); // refused: delta pending
  CHECK(f.on_demand_value() == 1u);
  f.advance(std::chrono::seconds{3700}); // past the interval: the scheduled scan waits too
  CHECK(f.launched->size() == 1);
  f.acknowledge_uploads(); // the platform came back
  REQUIRE(f.launched->size() == 2); // the waiting request starts at once
  CHECK(f.on_demand_value() == 2u);
  f.finish("v1"); // nothing changed: no delta, nothing pending
  CHECK_FALSE(f.has_pending());
  CHECK(f.on_demand_value() == 0u);
}

TEST_CASE("module: a scan interrupted by a crash runs again at the next start") {
  fixture f;
  f.finish();
  REQUIRE(f.store->put("meta", scan_keys::started("Vulnerability"), "scheduled"));
  auto again = caf::actor_cast<caf::actor>(f.system->spawn(
    module, std::string{"Vulnerability"}, f.root, f.store, f.hive, f.bus, f.deltas, f.launch,
    blackout_actor{}, hive_writer_actor{}));
  f.sched->run();
  CHECK(f.launched->size() == 2); // at once, not an interval later
  caf::anon_send_exit(again, caf::exit_reason::user_shutdown);
  f.sched->run();
}

TEST_CASE("module: a collection window holds scheduled scans, not on-demand ones, until it ends") {
  // 2025-01-06 is a Monday; the window is 09:00-10:00 UTC with collection on.
  auto monday_0930 = std::chrono::sys_days{std::chrono::year{2025} / 1 / 6} + std::chrono::hours{9}
                     + std::chrono::minutes{30};
  json window{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "10:00"}, {"time_zone", "UTC"},
              {"network", false}, {"collection", true}};
  fixture f{true, json::array({window}), monday_0930};
  CHECK(f.launched->empty()); // never scanned, so due at once, but inside the window
  f.advance(std::chrono::seconds{1700}); // 09:58:20
  CHECK(f.launched->empty());
  f.request_on_demand(); // an administrator's request runs inside the window
  REQUIRE(f.launched->size() == 1);
  CHECK(f.launched->back() == 100);
  f.finish();
  f.advance(std::chrono::seconds{60}); // 09:59:20
  CHECK(f.launched->size() == 1);
  // The on-demand scan reset the interval (SPEC §8): nothing due at 10:00.
  f.advance(std::chrono::seconds{120});
  CHECK(f.launched->size() == 1);
}

TEST_CASE("module: a scheduled scan held by a collection window starts when it ends") {
  auto monday_0930 = std::chrono::sys_days{std::chrono::year{2025} / 1 / 6} + std::chrono::hours{9}
                     + std::chrono::minutes{30};
  json window{{"days", {"Mon"}}, {"start", "09:00"}, {"end", "10:00"}, {"time_zone", "UTC"},
              {"network", false}, {"collection", true}};
  fixture f{true, json::array({window}), monday_0930};
  CHECK(f.launched->empty());
  f.sched->advance_time(std::chrono::seconds{1799}); // 09:59:59
  f.sched->run();
  CHECK(f.launched->empty());
  // The window's end: the blackout actor's timer fires and tells the module.
  f.sched->advance_time(std::chrono::seconds{1});
  f.sched->run();
  CHECK(f.launched->size() == 1);
  CHECK(f.launched->back() == 40); // the profile's limit: a scheduled scan
}

TEST_CASE("module: a garbled stored scan time is rebuilt, not a crash at every start") {
  fixture f;
  f.finish();
  REQUIRE(f.store->put("meta", scan_keys::last_end("Vulnerability"), "garbage"));
  auto again = caf::actor_cast<caf::actor>(f.system->spawn(
    module, std::string{"Vulnerability"}, f.root, f.store, f.hive, f.bus, f.deltas, f.launch,
    blackout_actor{}, hive_writer_actor{}));
  f.sched->run();
  CHECK(f.launched->size() == 2); // alive, and scanning at once as if never scanned
  caf::anon_send_exit(again, caf::exit_reason::user_shutdown);
  f.sched->run();
}
