// The blackout actor under CAF's test scheduler: virtual time drives both its
// timers and the wall clock it evaluates windows against.

#include "actors/blackout.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <set>

#include "actors/checkin.hpp"
#include "storage/memory_store.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using nlohmann::json;
using time_point = blackout_clock::time_point;

namespace {

/// 2025-01-06 is a Monday.
time_point monday(int h, int min = 0) {
  return std::chrono::sys_days{std::chrono::year{2025} / 1 / 6} + std::chrono::hours{h}
         + std::chrono::minutes{min};
}

int64_t unix_of(time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

json window(std::string start, std::string end, bool network = true, bool collection = false,
            std::string zone = "UTC") {
  return {{"days", {"Mon"}}, {"start", start}, {"end", end}, {"time_zone", zone},
          {"network", network}, {"collection", collection}};
}

struct fixture {
  std::shared_ptr<kv_store> store = std::make_shared<memory_store>(agent_columns());
  std::shared_ptr<actor_bus> bus = std::make_shared<actor_bus>();
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* sched = nullptr;
  /// The wall clock: `start` plus the virtual time elapsed.
  std::function<time_point()> now;
  /// Wall-clock times at which the actor told its subscriber of a change
  /// (not counting the answer to the subscription itself).
  std::shared_ptr<std::vector<time_point>> published = std::make_shared<std::vector<time_point>>();
  /// Every push the subscriber received, the subscription's answer first.
  std::shared_ptr<std::vector<blackout_answer>> pushes
    = std::make_shared<std::vector<blackout_answer>>();
  caf::actor listener;
  blackout_actor actor;

  explicit fixture(time_point start, json windows = json::array(), uint64_t seed = 7) {
    set_windows(std::move(windows));
    cfg.set("scheduler.policy", caf::atom("testing"));
    system = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
    auto origin = sched->clock().now();
    auto* s = sched;
    now = [s, origin, start] {
      return start + std::chrono::duration_cast<blackout_clock::duration>(s->clock().now() - origin);
    };
    listener = system->spawn([published = published, pushes = pushes,
                              now = now](caf::event_based_actor*) {
      return caf::behavior{[=](blackout_atom, const blackout_answer& answer) {
        if (!pushes->empty())
          published->push_back(now());
        pushes->push_back(answer);
      }};
    });
    blackout_options options;
    options.now = now;
    options.host_zone = "UTC";
    options.seed = seed;
    actor = system->spawn(blackout, store, bus, options);
    caf::anon_send(actor, blackout_subscribe_atom::value, listener);
    sched->run();
    REQUIRE(pushes->size() == 1);
  }

  ~fixture() {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
    sched->run();
  }

  void set_windows(json windows) {
    json p{{"config_id", "c"}, {"etag", "\"e\""}, {"log_level", "info"}, {"target_version", ""},
           {"self_protection", false}, {"modules", json::array()},
           {"blackout_windows", std::move(windows)}};
    REQUIRE(store->put("config", checkin_keys::profile, p.dump()));
  }

  /// Stores new windows and tells the bus, as the check-in actor does.
  void change_windows(json windows) {
    set_windows(std::move(windows));
    bus->publish();
    sched->run();
  }

  blackout_answer query() {
    auto out = std::make_shared<std::optional<blackout_answer>>();
    auto target = actor;
    system->spawn([=](caf::event_based_actor* self) {
      self->request(target, caf::infinite, blackout_query_atom::value)
        .then([=](const blackout_answer& answer) { *out = answer; });
    });
    sched->run();
    REQUIRE(out->has_value());
    return **out;
  }

  /// Fires timers one by one until the wall clock reaches `until`.
  void run_until(time_point until) {
    while (now() < until && sched->trigger_timeout())
      sched->run();
  }
};

} // namespace

TEST_CASE("blackout actor: answers outside and inside a window") {
  fixture f{monday(8), json::array({window("09:00", "10:00")})};
  auto before = f.query();
  CHECK(before.network_allowed);
  CHECK(before.collection_allowed);
  CHECK(before.network_until == 0);
  CHECK(before.next_network_start == unix_of(monday(9)));
  CHECK(before.next_collection_start == 0);

  f.run_until(monday(9, 30));
  auto inside = f.query();
  CHECK_FALSE(inside.network_allowed);
  CHECK(inside.collection_allowed);
  CHECK(inside.network_until == unix_of(monday(10)));
  CHECK(inside.next_network_start == unix_of(monday(9) + std::chrono::days{7}));
}

TEST_CASE("blackout actor: starting inside a window, no announcement at start") {
  fixture f{monday(9, 30), json::array({window("09:00", "10:00", true, true)})};
  auto a = f.query();
  CHECK_FALSE(a.network_allowed);
  CHECK_FALSE(a.collection_allowed);
  CHECK(a.network_until == unix_of(monday(10)));
  CHECK(a.collection_until == unix_of(monday(10)));
  CHECK(f.published->empty());
}

TEST_CASE("blackout actor: no stored profile, everything allowed") {
  fixture f{monday(9, 30)};
  REQUIRE(f.store->erase("config", checkin_keys::profile));
  f.bus->publish();
  f.sched->run();
  CHECK(f.query() == blackout_answer{});
}

TEST_CASE("blackout actor: announces the start at once and the end after a jitter below 60 s") {
  fixture f{monday(8), json::array({window("09:00", "10:00")})};
  f.run_until(monday(10, 5));
  REQUIRE(f.published->size() == 2);
  CHECK(f.published->at(0) == monday(9)); // entering: at once
  CHECK(f.published->at(1) >= monday(10));
  CHECK(f.published->at(1) < monday(10, 1));
  CHECK(f.query().network_allowed);
}

TEST_CASE("blackout actor: the resume jitter differs between agents and stays below a minute") {
  std::set<time_point> resumes;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    fixture f{monday(9, 59), json::array({window("09:00", "10:00")}), seed};
    f.run_until(monday(10, 2));
    REQUIRE(f.published->size() == 1);
    CHECK(f.published->front() >= monday(10));
    CHECK(f.published->front() < monday(10, 1));
    resumes.insert(f.published->front());
  }
  CHECK(resumes.size() > 1);
}

TEST_CASE("blackout actor: merged windows end once, at the end of the merged period") {
  fixture f{monday(8), json::array({window("09:00", "10:00"), window("10:00", "11:00"),
                                    window("10:30", "12:00")})};
  f.run_until(monday(9, 1));
  CHECK(f.query().network_until == unix_of(monday(12)));
  f.run_until(monday(12, 2));
  REQUIRE(f.published->size() == 2); // one entry, one end
  CHECK(f.published->at(1) >= monday(12));
  CHECK(f.published->at(1) < monday(12, 1));
}

TEST_CASE("blackout actor: a profile change applies live") {
  fixture f{monday(9, 30)};
  CHECK(f.query().network_allowed);

  f.change_windows(json::array({window("09:00", "10:00")}));
  auto blocked = f.query();
  CHECK_FALSE(blocked.network_allowed);
  CHECK(blocked.network_until == unix_of(monday(10)));
  REQUIRE(f.published->size() == 1); // the entry, at once
  CHECK_FALSE(f.pushes->back().network_allowed);

  // A malformed window (a zone the tz database lacks) is ignored: the profile
  // still parses, the window does not apply.
  f.change_windows(json::array({window("09:00", "10:00", true, false, "Mars/Olympus")}));
  // Leaving the window by a profile change resumes after the jitter too: the
  // query says what the subscribers were told, one source of truth.
  CHECK_FALSE(f.query().network_allowed);
  auto changed_at = f.now();
  f.run_until(changed_at + 61s);
  REQUIRE(f.published->size() == 2); // then the resume
  CHECK(f.pushes->back().network_allowed);
  CHECK(f.published->back() >= changed_at);
  CHECK(f.published->back() < changed_at + 60s);
  CHECK(f.query().network_allowed);
}

TEST_CASE("blackout actor: subscribers hear a collection window's start and end at once") {
  fixture f{monday(8), json::array({window("09:00", "10:00", false, true)})};
  CHECK(f.pushes->front().collection_allowed);
  f.run_until(monday(10, 5));
  REQUIRE(f.published->size() == 2);
  CHECK(f.published->at(0) == monday(9));
  CHECK(f.published->at(1) == monday(10)); // no jitter: nothing contacts the platform
  CHECK_FALSE(f.pushes->at(1).collection_allowed);
  CHECK(f.pushes->at(2).collection_allowed);
  CHECK(f.pushes->at(2).network_allowed);
}

TEST_CASE("blackout actor: collection-only windows leave the network alone") {
  fixture f{monday(9, 30), json::array({window("09:00", "10:00", false, true)})};
  auto a = f.query();
  CHECK(a.network_allowed);
  CHECK_FALSE(a.collection_allowed);
  CHECK(a.collection_until == unix_of(monday(10)));
  CHECK(a.next_network_start == 0);
}
