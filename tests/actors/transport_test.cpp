// The transport actor against a real in-process HTTPS server.

#include "actors/transport.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <doctest/doctest.h>
#include <future>

#include "common/error.hpp"
#include "net/certificates.hpp"
#include "net/https_server.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/temp_dir.hpp"

using namespace vigil;

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;

struct server_fixture {
  test::temp_dir dir;
  std::unique_ptr<https_server> server;
  std::function<http_response(const http_request&)> handler = [](const http_request& r) {
    http_response response;
    response.body = r.method + " " + r.target + " " + r.fields.get("X-Vigil-Host-Id");
    return response;
  };

  server_fixture() {
    REQUIRE(ensure_platform_certificates(dir.path(), {}));
    server_options options;
    options.certificate_chain = dir / "server.pem";
    options.private_key = dir / "server.key";
    auto started = https_server::start(options, [this](const http_request& r) { return handler(r); });
    REQUIRE(started);
    server = std::move(*started);
  }

  platform_client client() {
    client_options options;
    options.trust.ca_bundle = dir / "ca.pem";
    auto base = parse_url("https://127.0.0.1:" + std::to_string(server->port()) + "/CloudAgent/");
    return platform_client{*https_client::make(options), *base};
  }
};

caf::actor_system_config& one_thread(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 1);
  return cfg;
}

} // namespace

TEST_CASE("transport: requests relative to the WebServiceUri carry the credentials") {
  server_fixture f;
  caf::actor_system_config cfg;
  caf::actor_system system{one_thread(cfg)};
  auto transport_handle = system.spawn<caf::detached>(transport, f.client());
  caf::scoped_actor self{system};
  self->send(transport_handle, credentials_atom::value, std::string{"{HOST}"}, std::string{"tok"});
  http_request request;
  request.target = "v1/profile";
  std::string body;
  self->request(transport_handle, std::chrono::seconds{10}, request_atom::value, request)
    .receive([&](const http_response& r) { body = r.body; },
             [&](const caf::error& e) { FAIL("unexpected error: " << render(e)); });
  CHECK(body == "GET /CloudAgent/v1/profile {HOST}");
  // A dead platform is a named error, not a hang or a crash.
  f.server->stop();
  caf::error failure;
  self->request(transport_handle, std::chrono::seconds{10}, request_atom::value, request)
    .receive([&](const http_response&) { FAIL("expected an error"); },
             [&](const caf::error& e) { failure = e; });
  CHECK(code_of(failure) == ec::connection_refused);
  self->send_exit(transport_handle, caf::exit_reason::user_shutdown);
}

TEST_CASE("transport: a slow platform does not block the scheduler") {
  server_fixture f;
  std::promise<void> release;
  auto released = release.get_future().share();
  f.handler = [released](const http_request&) {
    released.wait(); // the platform answers only when the test says so
    http_response response;
    response.body = "slow";
    return response;
  };
  caf::actor_system_config cfg;
  caf::actor_system system{one_thread(cfg)};
  auto transport_handle = system.spawn<caf::detached>(transport, f.client());
  // An ordinary actor on the (single-threaded) scheduler.
  auto pinger = system.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](ping_atom) { return std::string{"pong"}; }};
  });
  caf::scoped_actor self{system};
  http_request request;
  request.target = "v1/checkin";
  // Sent, not requested: the answer comes back later as an ordinary message.
  self->send(transport_handle, request_atom::value, request);
  std::vector<std::string> order;
  self->request(pinger, std::chrono::seconds{10}, ping_atom::value)
    .receive([&](const std::string& answer) { order.push_back(answer); },
             [&](const caf::error& e) { FAIL(render(e)); });
  release.set_value();
  self->receive([&](const http_response& r) { order.push_back(r.body); },
                [&](const caf::error& e) { FAIL(render(e)); });
  CHECK(order == std::vector<std::string>{"pong", "slow"});
  self->send_exit(transport_handle, caf::exit_reason::user_shutdown);
}
