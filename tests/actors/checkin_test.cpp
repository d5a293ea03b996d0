// The check-in actor under CAF's test scheduler against an identity, a
// transport and a blackout actor the test plays: virtual time, no network
// (issue 16, items 9 and 12).

#include "actors/checkin.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include "protocol/checkin.hpp"
#include "storage/memory_store.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

struct played {
  bool provisioned = false;
  int identity_asked = 0;
  int checkins = 0;
  int profile_fetches = 0;
  bool platform_down = false; ///< check-ins answer 503
  protocol::profile profile;  ///< what GET v1/profile serves; its etag goes with check-ins
  std::vector<caf::actor> subscribers;
  std::vector<caf::actor> blackout_subscribers;

  played() {
    profile.config_id = "test";
    profile.etag = "\"p1\"";
    profile.capi_interval_s = 300;
  }
};

identity_actor::behavior_type played_identity(identity_actor::pointer,
                                              std::shared_ptr<played> p) {
  return {
    [=](provision_atom) {},
    [=](reprovision_atom) -> caf::result<std::string> { return std::string{"{H}"}; },
    [=](identity_subscribe_atom, const caf::actor& s) { p->subscribers.push_back(s); },
    [=](caf::get_atom) -> caf::result<std::string, bool> {
      ++p->identity_asked;
      return {std::string{"{00000000-0000-4000-8000-000000000001}"}, p->provisioned};
    },
  };
}

transport_actor::behavior_type played_transport(transport_actor::pointer,
                                                std::shared_ptr<played> p) {
  return {
    [=](request_atom, http_request& r) -> caf::result<http_response> {
      http_response answer;
      if (r.target == "v1/checkin") {
        ++p->checkins;
        if (p->platform_down) {
          answer.status = 503;
          answer.body = R"({"code":"unavailable","message":"try later"})";
          return answer;
        }
        answer.status = 200;
        answer.body = protocol::to_body(protocol::checkin_response{p->profile.etag, {}, {}, {}});
      } else if (r.target == "v1/profile") {
        ++p->profile_fetches;
        answer.status = 200;
        answer.body = protocol::to_json(p->profile).dump();
      } else {
        answer.status = 304;
      }
      return answer;
    },
    [=](upload_atom, const std::string&, uint64_t, const std::string&,
        uint64_t) -> caf::result<bool, bool, uint64_t, uint64_t> { return {true, false, 1, 0}; },
    [=](credentials_atom, std::string&, std::string&) {},
    [=](proxies_atom, proxy_settings&) {},
    [=](changed_atom) {},
    [=](idle_atom) {},
  };
}

blackout_actor::behavior_type played_blackout(blackout_actor::pointer,
                                              std::shared_ptr<played> p) {
  return {
    [=](blackout_query_atom) -> caf::result<blackout_answer> { return blackout_answer{}; },
    [=](blackout_subscribe_atom, const caf::actor& s) { p->blackout_subscribers.push_back(s); },
    [=](changed_atom) {},
    [=](blackout_tick_atom, uint64_t) {},
    [=](blackout_resume_atom) {},
  };
}

/// A provisioned agent's check-in actor, with or without a blackout actor.
struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<played> p = std::make_shared<played>();
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>(agent_columns());
  identity_actor identity;
  transport_actor transport;
  blackout_actor windows;
  checkin_actor actor;

  explicit fixture(bool with_windows) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    system = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
    p->provisioned = true;
    identity = system->spawn(played_identity, p);
    transport = system->spawn(played_transport, p);
    if (with_windows)
      windows = system->spawn(played_blackout, p);
    actor = system->spawn(checkin, std::shared_ptr<kv_store>{store}, transport, identity,
                          std::string{"0.1.0"}, std::make_shared<actor_bus>(), windows,
                          std::shared_ptr<const trusted_keys>{}, selfpatch_actor{},
                          orders_actor{}, protector_actor{});
    sched->run();
  }

  void advance(std::chrono::seconds by) {
    sched->advance_time(by);
    sched->run();
  }

  /// What the blackout actor would push to its subscribers.
  void push_windows(bool network_allowed) {
    blackout_answer answer;
    answer.network_allowed = network_allowed;
    for (auto& s : p->blackout_subscribers)
      caf::anon_send(s, blackout_atom::value, answer);
    sched->run();
  }

  ~fixture() {
    for (caf::actor a : {caf::actor_cast<caf::actor>(actor), caf::actor_cast<caf::actor>(identity),
                         caf::actor_cast<caf::actor>(transport),
                         caf::actor_cast<caf::actor>(windows)})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched->run();
  }
};

} // namespace

TEST_CASE("checkin: waits for the identity actor's word instead of asking every second") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  caf::actor_system system{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(system.scheduler());
  auto p = std::make_shared<played>();
  auto store = std::make_shared<memory_store>(agent_columns());
  auto identity = system.spawn(played_identity, p);
  auto transport = system.spawn(played_transport, p);
  auto actor = system.spawn(checkin, std::shared_ptr<kv_store>{store}, transport, identity,
                            std::string{"0.1.0"}, std::make_shared<actor_bus>(), blackout_actor{},
                            std::shared_ptr<const trusted_keys>{}, selfpatch_actor{},
                            orders_actor{}, protector_actor{});
  sched.run();
  REQUIRE(p->subscribers.size() == 1);
  // A minute of not being provisioned: asked once (it used to poll every second).
  for (int i = 0; i < 60; ++i) {
    sched.advance_time(1s);
    sched.run();
  }
  CHECK(p->identity_asked == 1);
  CHECK(p->checkins == 0);
  // Provisioned: the identity actor says so, and the check-in goes at once.
  p->provisioned = true;
  caf::anon_send(p->subscribers.front(), provisioned_atom::value,
                 std::string{"{00000000-0000-4000-8000-000000000001}"});
  sched.run();
  CHECK(p->checkins == 1);
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(identity, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE("checkin: one check-in per CAPI interval of virtual time; a profile with a new "
          "interval reschedules from its arrival") {
  fixture f{false};
  CHECK(f.p->checkins == 1); // at the start
  CHECK(f.p->profile_fetches == 1);
  f.advance(299s);
  CHECK(f.p->checkins == 1);
  f.advance(1s);
  CHECK(f.p->checkins == 2);
  CHECK(f.p->profile_fetches == 1); // same ETag: not fetched again
  // The administrator shortens the interval to 60 s.
  f.p->profile.etag = "\"p2\"";
  f.p->profile.capi_interval_s = 60;
  f.advance(300s);
  CHECK(f.p->checkins == 3);
  CHECK(f.p->profile_fetches == 2);
  f.advance(59s);
  CHECK(f.p->checkins == 3);
  f.advance(1s);
  CHECK(f.p->checkins == 4);
  for (int minute = 0; minute < 10; ++minute)
    f.advance(60s);
  CHECK(f.p->checkins == 14);
}

TEST_CASE("checkin: a platform that refuses is asked again one interval later, not sooner") {
  fixture f{false};
  REQUIRE(f.p->checkins == 1);
  f.p->platform_down = true;
  f.advance(300s);
  CHECK(f.p->checkins == 2); // refused
  f.advance(299s);
  CHECK(f.p->checkins == 2);
  f.p->platform_down = false;
  f.advance(1s);
  CHECK(f.p->checkins == 3);
}

TEST_CASE("checkin: nothing goes inside a network window; the window's end brings a check-in "
          "at once") {
  fixture f{true};
  REQUIRE(f.p->blackout_subscribers.size() == 1);
  CHECK(f.p->checkins == 0); // before the blackout actor's first word: not yet
  f.push_windows(true);
  CHECK(f.p->checkins == 1);
  f.push_windows(false); // a window starts
  for (int interval = 0; interval < 12; ++interval) // an hour inside it
    f.advance(300s);
  CHECK(f.p->checkins == 1);
  f.push_windows(true); // its (jittered) end
  CHECK(f.p->checkins == 2);
  f.advance(300s); // and the schedule goes on
  CHECK(f.p->checkins == 3);
}
