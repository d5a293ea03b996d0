#include "actors/transport.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/url.hpp"
#include "host/logging.hpp"

namespace vigil {

namespace {

/// How long the transport waits for the resolver: a PAC download and its
/// evaluation are bounded well below this.
constexpr auto resolve_timeout = std::chrono::seconds{90};

/// What vigil-healthcheck shows of the transport: the route of the latest
/// response, or the latest failure. Written only when it changes.
void note_outcome(const platform_client& client, const caf::error& failure) {
  record_agent_status([&](agent_status& s) {
    if (failure) {
      s.last_transport_error = render(failure);
      s.last_transport_error_code = to_string(code_of(failure));
      s.last_transport_error_at = unix_now();
    } else if (!client.last_route().empty()) {
      s.last_route = client.last_route();
    }
  });
}

} // namespace

transport_actor::behavior_type
transport(transport_actor::stateful_pointer<transport_state> self, platform_client client) {
  return transport_with_resolver(self, std::move(client), proxy_resolver_actor{}, std::string{},
                                 blackout_actor{});
}

namespace {

/// One check at a time for the connections kept alive: a burst of requests
/// sets one timer, not one per request.
void schedule_idle_check(transport_actor::stateful_pointer<transport_state> self) {
  if (self->state.idle_check_pending)
    return;
  self->state.idle_check_pending = true;
  self->delayed_send(self, self->state.client->keep_alive() + std::chrono::seconds{1},
                     idle_atom::value);
}

} // namespace

transport_actor::behavior_type
transport_with_resolver(transport_actor::stateful_pointer<transport_state> self,
                        platform_client client, proxy_resolver_actor resolver, std::string target,
                        blackout_actor blackout) {
  self->state.client = std::make_unique<platform_client>(std::move(client));
  self->state.resolver = resolver;
  self->state.target = std::move(target);
  if (resolver)
    self->link_to(resolver);
  if (blackout) {
    // The transport's thread is inside the upload when a window starts, so a
    // listener on the scheduler takes the blackout actor's pushes for it.
    auto blocked = self->state.network_blocked;
    auto listener = self->spawn([blocked, blackout](caf::event_based_actor* l) -> caf::behavior {
      l->send(blackout, blackout_subscribe_atom::value, caf::actor_cast<caf::actor>(l));
      return {[=](blackout_atom, const blackout_answer& windows) {
        blocked->store(!windows.network_allowed);
      }};
    });
    self->link_to(listener);
  }
  // Asks for the routes, applies them, then runs `send`. The transport awaits
  // the answer, so its requests stay one at a time and in order. Once the
  // connection's keep-alive has passed, it is closed if nothing used it.
  auto with_routes = [self](auto promise, auto send_now) {
    auto send = [self, send_now](auto& rp) mutable {
      send_now(rp);
      schedule_idle_check(self);
    };
    if (!self->state.resolver) { // fixed routes (set with proxies_atom)
      send(promise);
      return;
    }
    self->request(self->state.resolver, resolve_timeout, resolve_atom::value, self->state.target)
      .await(
        [=](proxy_settings& settings) mutable {
          self->state.client->set_proxies(std::move(settings));
          send(promise);
        },
        [=](caf::error& err) mutable {
          if (code_of(err) == ec::all_routes_failed) {
            module_logger(log_module::network)->warn("request not sent: {}", render(err));
            promise.deliver(std::move(err));
            return;
          }
          module_logger(log_module::network)
            ->warn("the proxy resolver did not answer ({}); using the last routes", render(err));
          send(promise);
        });
  };
  return {
    [=](request_atom, http_request& request) -> caf::result<http_response> {
      auto promise = self->make_response_promise<http_response>();
      with_routes(promise, [=, request = std::move(request)](auto& rp) mutable {
        auto response = self->state.client->request(std::move(request));
        if (!response) {
          module_logger(log_module::network)->warn("request failed: {}", render(response.error()));
          note_outcome(*self->state.client, response.error());
          rp.deliver(response.error());
          return;
        }
        note_outcome(*self->state.client, {});
        rp.deliver(std::move(*response));
      });
      return promise;
    },
    [=](upload_atom, const std::string& module, uint64_t seq, const std::string& bytes,
        uint64_t received) -> caf::result<bool, bool, uint64_t, uint64_t> {
      auto promise = self->make_response_promise<bool, bool, uint64_t, uint64_t>();
      with_routes(promise, [=](auto& rp) mutable {
        upload_options options;
        options.received = received;
        options.keep_going = [blocked = self->state.network_blocked] { return !blocked->load(); };
        auto result = self->state.client->upload_delta(module, seq, bytes, options);
        if (!result) {
          if (code_of(result.error()) == ec::cancelled)
            module_logger(log_module::upload)
              ->info("network blackout window: {}", context_of(result.error()));
          else
            module_logger(log_module::upload)->warn("upload of {} seq {} failed: {}", module, seq,
                                                    render(result.error()));
          rp.deliver(result.error());
          return;
        }
        rp.deliver(result->applied, result->duplicate, result->expected_seq, result->rows);
      });
      return promise;
    },
    [=](credentials_atom, std::string& host_id, std::string& token) {
      self->state.client->set_credentials(std::move(host_id), std::move(token));
    },
    [=](idle_atom) {
      self->state.idle_check_pending = false;
      if (self->state.client->close_idle_connections() > 0)
        schedule_idle_check(self); // used since: closed at its own keep-alive's end
    },
    [=](proxies_atom, proxy_settings&) {
      // The resolver decides the routes of every request.
    },
    [=](changed_atom) {
      auto& st = self->state;
      if (!st.web_service_uri)
        return;
      auto log = module_logger(log_module::network);
      auto text = st.web_service_uri();
      if (!text) {
        log->error("cannot read the WebServiceUri: {}; still using {}", render(text.error()),
                   st.target);
        return;
      }
      auto next = parse_url(*text);
      if (!next || next->scheme != "https") {
        log->error("WebServiceUri '{}' is not an https URL; still using {}", *text, st.target);
        return;
      }
      if (next->to_string() == st.client->base().to_string())
        return;
      log->info("WebServiceUri is now {} (was {})", next->to_string(),
                st.client->base().to_string());
      st.client->set_base(*next);
      st.target = next->to_string();
    },
  };
}

transport_actor::behavior_type
transport_following_hive(transport_actor::stateful_pointer<transport_state> self,
                         platform_client client, proxy_resolver_actor resolver,
                         std::string target, blackout_actor blackout,
                         std::function<caf::expected<std::string>()> web_service_uri) {
  self->state.web_service_uri = std::move(web_service_uri);
  return transport_with_resolver(self, std::move(client), std::move(resolver), std::move(target),
                                 std::move(blackout));
}

} // namespace vigil
