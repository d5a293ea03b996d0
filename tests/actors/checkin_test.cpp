// The check-in actor under CAF's test scheduler against an identity and a
// transport the test plays: virtual time, no network (issue 16, item 9).

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
  std::vector<caf::actor> subscribers;
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
        answer.status = 200;
        answer.body = protocol::to_body(protocol::checkin_response{"\"e\"", {}, {}, {}});
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
