// The supervisor actor under CAF's test scheduler: virtual time, no sleeps.

#include "actors/supervisor.hpp"

#include "actors/actor_bus.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>
#include <future>

#include "common/error.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

using crash_atom = caf::atom_constant<caf::atom("crash")>;

/// Children that die on `crash_atom`, and a record of every incarnation.
struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<std::map<std::string, std::vector<caf::actor>>> spawned
    = std::make_shared<std::map<std::string, std::vector<caf::actor>>>();
  /// For each incarnation of "worker": the "transport" handle it was given.
  std::shared_ptr<std::vector<caf::actor_addr>> worker_deps
    = std::make_shared<std::vector<caf::actor_addr>>();
  /// For each incarnation of "watcher": the "worker" handle it was given.
  std::shared_ptr<std::vector<caf::actor_addr>> watcher_deps
    = std::make_shared<std::vector<caf::actor_addr>>();
  caf::actor supervisor_handle;

  fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    system = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
    auto crashing = [](caf::event_based_actor* self) -> caf::behavior {
      return {[=](crash_atom) { self->quit(make_error(ec::unspecified, "boom")); }};
    };
    // Listed dependents first: the supervisor starts by dependency, not by
    // position. "logger" depends on nothing and must never restart with the
    // transport; "watcher" depends on the worker, so on the transport too.
    auto spawn_counted = [this, crashing](const std::string& name) {
      return [this, crashing, name](caf::local_actor* self, const actor_registry& running) {
        auto child = self->spawn(crashing);
        (*spawned)[name].push_back(child);
        if (name == "worker")
          worker_deps->push_back(running.find("transport").address());
        if (name == "watcher")
          watcher_deps->push_back(running.find("worker").address());
        return child;
      };
    };
    std::vector<child_spec> specs{
      {"watcher", {"worker"}, spawn_counted("watcher")},
      {"worker", {"transport"}, spawn_counted("worker")},
      {"logger", {}, spawn_counted("logger")},
      {"transport", {}, spawn_counted("transport")},
    };
    supervisor_handle = caf::actor_cast<caf::actor>(
      system->spawn(supervisor, specs, backoff_policy{1000ms, 8000ms, 0.0}));
    sched->run();
  }

  size_t starts(const std::string& name) { return (*spawned)[name].size(); }
  caf::actor current(const std::string& name) { return (*spawned)[name].back(); }

  void crash(const std::string& name) {
    caf::anon_send(current(name), crash_atom::value);
    sched->run();
  }

  ~fixture() {
    caf::anon_send_exit(supervisor_handle, caf::exit_reason::user_shutdown);
    sched->run();
  }
};

} // namespace

TEST_CASE("supervisor: starts its children dependencies first, wired by name") {
  fixture f;
  CHECK(f.starts("transport") == 1);
  CHECK(f.starts("worker") == 1);
  CHECK(f.starts("watcher") == 1);
  CHECK(f.starts("logger") == 1);
  // Listed before what they use, they still got the right handles.
  CHECK(f.worker_deps->back() == f.current("transport").address());
  CHECK(f.watcher_deps->back() == f.current("worker").address());
}

TEST_CASE("supervisor: start order and restart scope follow the declared dependencies") {
  auto none = [](caf::local_actor*, const actor_registry&) { return caf::actor{}; };
  std::vector<child_spec> specs{{"modules", {"delta"}, none},   {"delta", {"uploader"}, none},
                                {"identity", {"transport"}, none}, {"uploader", {"transport"}, none},
                                {"transport", {}, none},          {"blackout", {}, none}};
  auto order = start_order(specs);
  REQUIRE(order);
  CHECK(*order == std::vector<size_t>{4, 2, 3, 1, 0, 5});
  // The identity actor restarts alone: no module depends on it.
  CHECK(restart_scope(specs, *order, 2) == std::vector<size_t>{2});
  CHECK(restart_scope(specs, *order, 3) == std::vector<size_t>{3, 1, 0});
  CHECK(restart_scope(specs, *order, 4) == std::vector<size_t>{4, 2, 3, 1, 0});
  // Wiring mistakes are named.
  specs.push_back({"orders", {"selfpatch"}, none});
  auto unknown = start_order(specs);
  REQUIRE_FALSE(unknown);
  CHECK(context_of(unknown.error()).find("'selfpatch'") != std::string::npos);
  specs.back() = {"transport2", {"cycle"}, none};
  specs.push_back({"cycle", {"transport2"}, none});
  auto cycle = start_order(specs);
  REQUIRE_FALSE(cycle);
  CHECK(context_of(cycle.error()).find("cycle") != std::string::npos);
}

TEST_CASE("supervisor: a crashed child is restarted after its backoff, with its dependents") {
  fixture f;
  f.crash("transport");
  // Nothing yet: the restart waits for the backoff timer.
  CHECK(f.starts("transport") == 1);
  CHECK(f.sched->advance_time(999ms) == 0);
  CHECK(f.starts("transport") == 1);
  f.sched->advance_time(1ms);
  f.sched->run();
  CHECK(f.starts("transport") == 2);
  // The worker held the dead transport's handle: it was restarted with the
  // new one, and so was the watcher, which holds the worker's.
  CHECK(f.starts("worker") == 2);
  CHECK(f.worker_deps->back() == f.current("transport").address());
  CHECK(f.starts("watcher") == 2);
  CHECK(f.watcher_deps->back() == f.current("worker").address());
  // The logger does not depend on the transport: it kept running.
  CHECK(f.starts("logger") == 1);
}

TEST_CASE("supervisor: only the crashed child and its dependents restart; delays grow") {
  fixture f;
  f.crash("worker");
  f.sched->advance_time(1000ms);
  f.sched->run();
  CHECK(f.starts("worker") == 2);
  CHECK(f.starts("watcher") == 2);
  CHECK(f.starts("transport") == 1);
  CHECK(f.starts("logger") == 1);
  // The second crash waits twice as long, the third four times (capped at 8 s).
  f.crash("worker");
  f.sched->advance_time(1999ms);
  f.sched->run();
  CHECK(f.starts("worker") == 2);
  f.sched->advance_time(1ms);
  f.sched->run();
  CHECK(f.starts("worker") == 3);
  f.crash("worker");
  f.sched->advance_time(3999ms);
  f.sched->run();
  CHECK(f.starts("worker") == 3);
  f.sched->advance_time(1ms);
  f.sched->run();
  CHECK(f.starts("worker") == 4);
}

TEST_CASE("supervisor: a child that stops cleanly is not restarted") {
  fixture f;
  caf::anon_send_exit(f.current("worker"), caf::exit_reason::user_shutdown);
  f.sched->run();
  f.sched->advance_time(60s);
  f.sched->run();
  CHECK(f.starts("worker") == 1);
}

TEST_CASE("supervisor: a heartbeat comes back through every child; a wedged child stops it, "
          "so the watchdog is not pinged") {
  // Real threads: a detached child really blocks in a handler.
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  using wedge_atom = caf::atom_constant<caf::atom("wedge")>;
  auto released = std::make_shared<std::promise<void>>();
  auto release = released->get_future().share();
  auto wedgeable = [release](caf::event_based_actor*) -> caf::behavior {
    return {[release](wedge_atom) { release.wait(); }};
  };
  caf::actor wedged;
  std::vector<child_spec> specs{
    {"calm", {}, [](caf::local_actor* self, const actor_registry&) {
       return caf::actor_cast<caf::actor>(
         self->spawn([](caf::event_based_actor*) -> caf::behavior {
           return {[](crash_atom) {}};
         }));
     }},
    {"wedgeable", {}, [&](caf::local_actor* self, const actor_registry&) {
       wedged = self->spawn<caf::detached>(wedgeable);
       return wedged;
     }},
  };
  auto sup = system.spawn(supervisor, std::move(specs), backoff_policy{});
  CHECK(heartbeat(system, sup, 500ms));
  caf::anon_send(wedged, wedge_atom::value);
  CHECK_FALSE(heartbeat(system, sup, 300ms));
  released->set_value();
  CHECK(heartbeat(system, sup, 500ms));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE("actor bus: a subscriber that is gone is dropped at the next publish; the live one "
          "hears it") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  caf::actor_system system{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(system.scheduler());
  auto heard = std::make_shared<int>(0);
  auto listener = [heard](caf::event_based_actor*) -> caf::behavior {
    return {[heard](changed_atom) { ++*heard; }};
  };
  actor_bus bus;
  auto live = system.spawn(listener);
  {
    // Two incarnations of a restarted actor: the first one dies.
    auto dead = system.spawn(listener);
    bus.subscribe(dead);
    bus.subscribe(live);
    caf::anon_send_exit(dead, caf::exit_reason::kill);
    sched.run();
  }
  CHECK(bus.size() == 2);
  bus.publish();
  sched.run();
  CHECK(bus.size() == 1);
  CHECK(*heard == 1);
  caf::anon_send_exit(live, caf::exit_reason::kill);
  sched.run();
}
