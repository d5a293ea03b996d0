#include "actors/identity.hpp"

#include <caf/send.hpp>

#include "common/error.hpp"
#include "host/agent_status.hpp"
#include "host/logging.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/error_response.hpp"

namespace vigil {

namespace {

using self_pointer = identity_actor::stateful_pointer<identity_state>;

void retry_later(self_pointer self, const std::string& why) {
  auto& st = self->state;
  auto delay = backoff_delay(st.config.backoff, st.failures++, st.random());
  module_logger(log_module::provision)
    ->warn("provisioning {} failed ({}); retry {} in {} ms", st.identity.host_id, why,
           st.failures, delay.count());
  self->delayed_send(self, delay, provision_atom::value);
}

void handle_answer(self_pointer self, const http_response& response) {
  auto& st = self->state;
  auto log = module_logger(log_module::provision);
  if (response.status != 200) {
    auto parsed = protocol::parse_body<protocol::error_response>(response.body);
    retry_later(self, parsed ? render(protocol::to_error(*parsed, static_cast<int>(response.status)))
                             : "HTTP " + std::to_string(response.status));
    return;
  }
  auto answer = protocol::parse_body<protocol::provision_response>(response.body);
  if (!answer) {
    retry_later(self, render(answer.error()));
    return;
  }
  if (answer->result == protocol::provision_result::reprovision) {
    auto renewed = renew_host_id(*st.hive, *st.store, st.identity);
    if (!renewed) {
      retry_later(self, render(renewed.error()));
      return;
    }
    st.identity = std::move(*renewed);
    st.failures = 0;
    self->send(self, provision_atom::value);
    return;
  }
  st.identity.agent_token = answer->agent_token;
  if (auto stored = store_token(*st.store, st.identity, st.config.token_box.get()); !stored) {
    retry_later(self, "cannot store the agent token: " + render(stored.error()));
    return;
  }
  st.provisioned = true;
  st.failures = 0;
  record_agent_status([&](agent_status& s) {
    s.provisioned = true;
    s.config_id = answer->config_id;
  });
  self->send(st.transport, credentials_atom::value, st.identity.host_id, st.identity.agent_token);
  log->info("provisioned HostID {} (config {})", st.identity.host_id, answer->config_id);
  for (auto& subscriber : st.subscribers)
    caf::anon_send(subscriber, provisioned_atom::value, st.identity.host_id);
}

} // namespace

identity_actor::behavior_type
identity(identity_actor::stateful_pointer<identity_state> self, agent_identity id,
         identity_config config, std::shared_ptr<hive_store> hive,
         std::shared_ptr<kv_store> store, transport_actor transport) {
  auto& st = self->state;
  st.identity = std::move(id);
  st.config = std::move(config);
  st.hive = std::move(hive);
  st.store = std::move(store);
  st.transport = std::move(transport);
  if (!st.identity.agent_token.empty()) {
    st.provisioned = true;
    self->send(st.transport, credentials_atom::value, st.identity.host_id,
               st.identity.agent_token);
    module_logger(log_module::provision)->info("HostID {} is provisioned", st.identity.host_id);
  } else {
    self->send(self, provision_atom::value);
  }
  return {
    [=](provision_atom) {
      auto& st = self->state;
      if (st.provisioned || st.in_flight)
        return;
      st.in_flight = true;
      protocol::provision_request request;
      request.customer_id = st.config.customer_id;
      request.activation_id = st.config.activation_id;
      request.host_id = st.identity.host_id;
      request.fingerprint = st.identity.fingerprint;
      request.agent_version = st.config.agent_version;
      request.inventory = st.config.inventory;
      http_request http;
      http.method = "POST";
      http.target = "v1/provision";
      http.body = protocol::to_body(request);
      // The transport bounds every attempt with its own timeouts.
      self->request(st.transport, caf::infinite, request_atom::value, std::move(http))
        .then(
          [=](const http_response& response) {
            self->state.in_flight = false;
            handle_answer(self, response);
          },
          [=](const caf::error& error) {
            self->state.in_flight = false;
            retry_later(self, render(error));
          });
    },
    [=](reprovision_atom) -> caf::result<std::string> {
      auto& st = self->state;
      auto renewed = renew_host_id(*st.hive, *st.store, st.identity);
      if (!renewed)
        return renewed.error();
      st.identity = std::move(*renewed);
      st.provisioned = false;
      st.failures = 0;
      self->send(self, provision_atom::value);
      return st.identity.host_id;
    },
    [=](identity_subscribe_atom, const caf::actor& subscriber) {
      auto& st = self->state;
      st.subscribers.push_back(subscriber);
      if (st.provisioned)
        caf::anon_send(subscriber, provisioned_atom::value, st.identity.host_id);
    },
    [=](caf::get_atom) -> caf::result<std::string, bool> {
      return {self->state.identity.host_id, self->state.provisioned};
    },
  };
}

} // namespace vigil
