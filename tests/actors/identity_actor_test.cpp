// The identity actor under CAF's test scheduler, against a transport the
// test plays (issue 16, item 12): provisioning retries on the backoff's
// schedule in virtual time, and subscribers hear of success once.

#include "actors/identity.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <doctest/doctest.h>

#include "host/hive_file.hpp"
#include "protocol/body.hpp"
#include "protocol/provision.hpp"
#include "storage/memory_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr const char* host_id = "{00000000-0000-4000-8000-000000000001}";

struct played {
  int refusals_left = 0; ///< provisioning answers 503 this many times
  int provisions = 0;
  std::vector<std::string> credentials; ///< tokens handed to the transport
  std::vector<std::string> told;        ///< HostIDs subscribers were told
};

transport_actor::behavior_type played_transport(transport_actor::pointer,
                                                std::shared_ptr<played> p) {
  return {
    [=](request_atom, http_request& r) -> caf::result<http_response> {
      http_response answer;
      CHECK(r.target == "v1/provision");
      ++p->provisions;
      if (p->refusals_left > 0) {
        --p->refusals_left;
        answer.status = 503;
        answer.body = R"({"code":"unavailable","message":"try later"})";
        return answer;
      }
      protocol::provision_response ok;
      ok.agent_token = "token-1";
      ok.config_id = "default";
      ok.host_id = host_id;
      answer.status = 200;
      answer.body = protocol::to_body(ok);
      return answer;
    },
    [=](upload_atom, const std::string&, uint64_t, const std::string&,
        uint64_t) -> caf::result<bool, bool, uint64_t, uint64_t> { return {true, false, 1, 0}; },
    [=](credentials_atom, std::string&, std::string& token) { p->credentials.push_back(token); },
    [=](proxies_atom, proxy_settings&) {},
    [=](changed_atom) {},
    [=](idle_atom) {},
  };
}

caf::behavior listener(caf::event_based_actor*, std::shared_ptr<played> p) {
  return {[=](provisioned_atom, const std::string& id) { p->told.push_back(id); }};
}

} // namespace

TEST_CASE("identity actor: provisioning retries on the backoff's schedule in virtual time; "
          "subscribers are told once, the transport gets the token") {
  test::temp_dir dir;
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  caf::actor_system system{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(system.scheduler());
  auto p = std::make_shared<played>();
  p->refusals_left = 2;
  auto transport = system.spawn(played_transport, p);
  identity_config config;
  config.backoff = backoff_policy{1000ms, 8000ms, 0.0};
  agent_identity id{host_id, "fingerprint", "", false, {}};
  auto actor = system.spawn(identity, id, config, std::make_shared<hive_file>(dir / "hive.reg"),
                            std::shared_ptr<kv_store>{std::make_shared<memory_store>(agent_columns())},
                            transport);
  auto subscriber = system.spawn(listener, p);
  caf::anon_send(actor, identity_subscribe_atom::value, subscriber);
  sched.run();
  CHECK(p->provisions == 1); // at once: refused
  CHECK(p->told.empty());
  sched.advance_time(999ms);
  sched.run();
  CHECK(p->provisions == 1);
  sched.advance_time(1ms); // 1 s after the first: refused again
  sched.run();
  CHECK(p->provisions == 2);
  sched.advance_time(1999ms);
  sched.run();
  CHECK(p->provisions == 2);
  sched.advance_time(1ms); // 2 s after the second: provisioned
  sched.run();
  CHECK(p->provisions == 3);
  CHECK(p->told == std::vector<std::string>{host_id});
  CHECK(p->credentials == std::vector<std::string>{"token-1"});
  // Provisioned: a provision request does nothing; a late subscriber is told at once.
  caf::anon_send(actor, provision_atom::value);
  auto late = system.spawn(listener, p);
  caf::anon_send(actor, identity_subscribe_atom::value, late);
  sched.run();
  CHECK(p->provisions == 3);
  CHECK(p->told.size() == 2);
  for (auto a : {caf::actor_cast<caf::actor>(actor), caf::actor_cast<caf::actor>(transport),
                 subscriber, late})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  sched.run();
}
