// The uploader under CAF's test scheduler, against a transport the test plays:
// virtual time, no network (issue 16, item 5).

#include "actors/uploader.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <atomic>
#include <condition_variable>
#include <doctest/doctest.h>
#include <mutex>
#include <set>

#include "actors/delta_store.hpp"
#include "protocol/upload.hpp"
#include "storage/memory_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// What the played platform does and saw.
struct platform_script {
  std::set<std::string> rejected;   ///< modules whose status requests get HTTP 503
  std::vector<std::string> requests; ///< "GET <target>" and "PUT <module>/<seq>", in order
};

/// A transport that answers as a platform would: each delta is expected, then
/// applied in one piece; the modules in `rejected` get 503 for their status.
transport_actor::behavior_type played_transport(transport_actor::pointer,
                                                std::shared_ptr<platform_script> script) {
  return {
    [=](request_atom, http_request& r) -> caf::result<http_response> {
      script->requests.push_back(r.method + " " + r.target);
      http_response answer;
      for (auto& module : script->rejected)
        if (r.target.find("/" + module + "/") != std::string::npos) {
          answer.status = 503;
          answer.body = R"({"code":"unavailable","message":"try later"})";
          return answer;
        }
      // "v1/deltas/<module>/<seq>": expected is this seq, nothing held yet.
      auto seq_at = r.target.rfind('/');
      protocol::upload_status status;
      status.seq = std::stoull(r.target.substr(seq_at + 1));
      status.module = r.target.substr(r.target.rfind('/', seq_at - 1) + 1,
                                      seq_at - r.target.rfind('/', seq_at - 1) - 1);
      status.expected_seq = status.seq;
      answer.status = 200;
      answer.body = protocol::to_body(status);
      return answer;
    },
    [=](upload_atom, const std::string& module, uint64_t seq, const std::string&,
        uint64_t) -> caf::result<bool, bool, uint64_t, uint64_t> {
      script->requests.push_back("PUT " + module + "/" + std::to_string(seq));
      return {true, false, seq + 1, 1};
    },
    [=](credentials_atom, std::string&, std::string&) {},
    [=](proxies_atom, proxy_settings&) {},
    [=](changed_atom) {},
    [=](idle_atom) {},
  };
}

struct fixture {
  std::shared_ptr<kv_store> store = std::make_shared<memory_store>(agent_columns());
  std::shared_ptr<actor_bus> bus = std::make_shared<actor_bus>();
  std::shared_ptr<platform_script> script = std::make_shared<platform_script>();
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* sched = nullptr;
  transport_actor transport;
  uploader_actor uploader_handle;

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    system = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
  }

  void record(const std::string& module, const std::string& value) {
    auto d = record_delta(*store, module, scan::snapshot{{"k", value}}, 1);
    REQUIRE(d);
  }

  void start() {
    transport = system->spawn(played_transport, script);
    uploader_handle = system->spawn(uploader, store, transport, bus, blackout_actor{},
                                    backoff_policy{1000ms, 8000ms, 0.0});
    sched->run();
  }

  bool pending(const std::string& module) {
    auto p = has_pending_delta(*store, module);
    REQUIRE(p);
    return *p;
  }

  ~fixture() {
    caf::anon_send_exit(uploader_handle, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
    sched->run();
  }
};

/// A memory store whose batches wait while `hold` is on: the synced batch of
/// an acknowledgement or a renumbering that takes long (a large baseline, a
/// slow disk), stretched at will.
class slow_store final : public test::forwarding_store {
public:
  std::atomic<bool> entered{false}; ///< a batch is waiting

  void hold(bool on) {
    std::lock_guard lock{mutex_};
    held_ = on;
    released_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;

  caf::expected<void> do_write(const write_batch& batch, write_options options) override {
    std::unique_lock lock{mutex_};
    if (held_) {
      entered = true;
      released_.wait(lock, [this] { return !held_; });
    }
    return inner_.write(batch, options);
  }
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// A scheduled actor that counts its own 10 ms timer: it stands for the
/// check-in and module timers sharing the scheduler with the uploader.
caf::behavior metronome(caf::event_based_actor* self, std::shared_ptr<std::atomic<int>> ticks) {
  self->send(self, tick_atom::value);
  return {[=](tick_atom) {
    ++*ticks;
    self->delayed_send(self, 10ms, tick_atom::value);
  }};
}

size_t count(const std::vector<std::string>& lines, const std::string& text) {
  size_t n = 0;
  for (auto& line : lines)
    n += line.find(text) != std::string::npos;
  return n;
}

} // namespace

TEST_CASE("uploader: a module whose uploads keep failing does not hold up the others") {
  fixture f;
  // Inventory sorts first: it used to be the only module the uploader tried.
  f.record("Inventory", "a");
  f.record("Vulnerability", "b");
  f.record("PolicyCompliance", "c");
  f.script->rejected.insert("Inventory");
  f.start();
  CHECK(f.pending("Inventory"));
  CHECK_FALSE(f.pending("Vulnerability"));
  CHECK_FALSE(f.pending("PolicyCompliance"));
  CHECK(count(f.script->requests, "PUT Vulnerability/1") == 1);
  CHECK(count(f.script->requests, "PUT PolicyCompliance/1") == 1);
  // Inventory retries on its own backoff: 1 s, then 2 s, ...
  auto tries = [&] { return count(f.script->requests, "/Inventory/"); };
  CHECK(tries() == 1);
  f.sched->advance_time(999ms);
  f.sched->run();
  CHECK(tries() == 1);
  f.sched->advance_time(1ms);
  f.sched->run();
  CHECK(tries() == 2);
  // Meanwhile a new Vulnerability delta goes at once, not after Inventory's timer.
  f.record("Vulnerability", "b2");
  caf::anon_send(f.uploader_handle, upload_atom::value);
  f.sched->run();
  CHECK(count(f.script->requests, "PUT Vulnerability/2") == 1);
  CHECK(tries() == 2); // the event did not bring Inventory's retry forward
  // The platform takes Inventory again: its next retry goes through.
  f.script->rejected.clear();
  f.sched->advance_time(2000ms);
  f.sched->run();
  CHECK_FALSE(f.pending("Inventory"));
}

TEST_CASE("uploader: each module's deltas go in seq order, heads only") {
  fixture f;
  f.record("Vulnerability", "1");
  auto first = pending_heads(*f.store);
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  CHECK(first->front().seq == 1);
  f.start();
  CHECK_FALSE(f.pending("Vulnerability"));
  f.record("Vulnerability", "2");
  f.record("UDC", "x");
  auto heads = pending_heads(*f.store);
  REQUIRE(heads);
  REQUIRE(heads->size() == 2);
  CHECK(heads->at(0).module == "UDC");
  CHECK(heads->at(1).module == "Vulnerability");
  CHECK(heads->at(1).seq == 2);
}

TEST_CASE("uploader: a long synced batch holds no scheduler thread; timers keep their schedule "
          "(issue 16, item 1)") {
  auto slow = std::make_shared<slow_store>();
  REQUIRE(record_delta(*slow, "Vulnerability", scan::snapshot{{"k", "v"}}, 1));
  // One scheduler thread, as the worst case of the agent's two.
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system system{cfg};
  auto ticks = std::make_shared<std::atomic<int>>(0);
  auto clock = system.spawn(metronome, ticks);
  REQUIRE(test::wait_until([&] { return *ticks > 0; }, 10s));
  auto script = std::make_shared<platform_script>();
  auto transport = system.spawn(played_transport, script);
  auto bus = std::make_shared<actor_bus>();
  slow->hold(true); // the acknowledgement's batch takes as long as the test says
  auto up = spawn_uploader(system, slow, transport, bus, blackout_actor{},
                           backoff_policy{1000ms, 8000ms, 0.0});
  REQUIRE(test::wait_until([&] { return slow->entered.load(); }, 10s));
  // On the old code the uploader ran on the scheduler's one thread, stuck in
  // the batch: the ticker never ran again.
  auto before = ticks->load();
  CHECK(test::wait_until([&] { return *ticks >= before + 10; }, 5s));
  slow->hold(false);
  CHECK(test::wait_until(
    [&] {
      auto p = has_pending_delta(*slow, "Vulnerability");
      return p && !*p;
    },
    10s));
  caf::anon_send_exit(up, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(clock, caf::exit_reason::user_shutdown);
}
