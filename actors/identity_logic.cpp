#include "actors/identity_logic.hpp"

#include "common/error.hpp"
#include "common/redact.hpp"
#include "host/logging.hpp"
#include "protocol/guid.hpp"

namespace vigil {

namespace {

const std::string meta = "meta";

/// How `secret_box::seal` output starts: a token stored by an older version,
/// in clear, does not.
constexpr std::string_view sealed_prefix = "v1:";

caf::expected<std::string> meta_value(kv_store& store, const char* key) {
  auto value = store.get(meta, key);
  if (!value)
    return value.error();
  return value->value_or(std::string{});
}

caf::expected<void> write_host_id(hive_store& hive, const std::string& host_id) {
  auto written = hive.update([&](vigil::hive& h) -> caf::expected<void> {
    h.set(agent_key, reg_value::sz("HostID", host_id));
    return {};
  });
  if (!written)
    return written.error();
  return {};
}

} // namespace

caf::expected<agent_identity> establish_identity(hive_store& hive, kv_store& store,
                                                 const std::string& fingerprint,
                                                 const secret_box* token_box) {
  auto h = hive.load();
  if (!h)
    return h.error();
  agent_identity identity;
  identity.fingerprint = fingerprint;
  auto log = module_logger(log_module::provision);
  if (auto* value = h->get(agent_key, "HostID"); value && value->as_string()
                                                 && protocol::is_guid(*value->as_string())) {
    identity.host_id = *value->as_string();
  } else if (value) {
    // A HostID that is there but garbled is not a fresh install: the HostID
    // the platform issued the token to is this machine's, and a new one would
    // list the host twice.
    auto token_host = meta_value(store, identity_keys::token_host);
    if (!token_host)
      return token_host.error();
    if (protocol::is_guid(*token_host)) {
      identity.host_id = *token_host;
      identity.repairs.push_back("the hive's HostID was corrupt: restored to " + identity.host_id
                                 + ", the HostID the platform knows this machine by");
    } else {
      identity.repairs.push_back("the hive's HostID was corrupt and the store holds none: "
                                 "this machine takes a new one");
    }
  }
  auto stored = meta_value(store, identity_keys::fingerprint);
  if (!stored)
    return stored.error();
  if (identity.host_id.empty()) {
    identity.host_id = protocol::make_guid();
    log->info("no HostID yet: created {}", identity.host_id);
  } else if (!stored->empty() && *stored != fingerprint) {
    auto old = identity.host_id;
    identity.host_id = protocol::make_guid();
    identity.cloned = true;
    log->warn("this machine's fingerprint changed (the installation was cloned): HostID {} "
              "replaced by {}",
              old, identity.host_id);
  }
  if (auto ok = write_host_id(hive, identity.host_id); !ok)
    return ok.error();
  auto token = meta_value(store, identity_keys::token);
  auto token_host = meta_value(store, identity_keys::token_host);
  if (!token || !token_host)
    return !token ? token.error() : token_host.error();
  bool stored_in_clear = false;
  if (!token->empty() && *token_host == identity.host_id) {
    if (token_box && token->starts_with(sealed_prefix)) {
      if (auto opened = token_box->open_sealed(*token, token_purpose))
        identity.agent_token = std::move(*opened);
      else
        log->warn("the stored agent token does not open ({}): provisioning again",
                  render(opened.error()));
    } else {
      identity.agent_token = *token;
      stored_in_clear = true;
    }
    register_secret(identity.agent_token);
  }
  write_batch batch;
  batch.put(meta, identity_keys::fingerprint, fingerprint);
  if (identity.agent_token.empty()) {
    batch.erase(meta, identity_keys::token);
    batch.erase(meta, identity_keys::token_host);
  } else if (stored_in_clear && token_box) {
    // Stored in clear by an older version: sealed from now on.
    auto sealed = token_box->seal(identity.agent_token, token_purpose);
    if (!sealed)
      return sealed.error();
    batch.put(meta, identity_keys::token, *sealed);
  }
  if (auto ok = store.write(batch, {true}); !ok)
    return ok.error();
  return identity;
}

caf::expected<agent_identity> renew_host_id(hive_store& hive, kv_store& store,
                                            agent_identity current) {
  auto old = current.host_id;
  current.host_id = protocol::make_guid();
  current.agent_token.clear();
  module_logger(log_module::provision)
    ->warn("the platform knows HostID {} from another machine: re-provisioning as {}", old,
           current.host_id);
  if (auto ok = write_host_id(hive, current.host_id); !ok)
    return ok.error();
  write_batch batch;
  batch.erase(meta, identity_keys::token);
  batch.erase(meta, identity_keys::token_host);
  if (auto ok = store.write(batch, {true}); !ok)
    return ok.error();
  return current;
}

caf::expected<void> store_token(kv_store& store, const agent_identity& identity,
                                const secret_box* token_box) {
  register_secret(identity.agent_token);
  auto stored = identity.agent_token;
  if (token_box) {
    auto sealed = token_box->seal(identity.agent_token, token_purpose);
    if (!sealed)
      return sealed.error();
    stored = std::move(*sealed);
  }
  write_batch batch;
  batch.put(meta, identity_keys::token, stored);
  batch.put(meta, identity_keys::token_host, identity.host_id);
  return store.write(batch, {true});
}

caf::expected<agent_settings> read_agent_settings(const hive& h) {
  agent_settings settings;
  std::string problems;
  auto read = [&](const char* name, std::string& out, bool guid) {
    auto* value = h.get(agent_key, name);
    if (value == nullptr || !value->as_string() || value->as_string()->empty()) {
      problems += std::string{problems.empty() ? "" : "; "} + name + " is missing";
      return;
    }
    out = *value->as_string();
    if (guid && !protocol::is_guid(out))
      problems += std::string{problems.empty() ? "" : "; "} + name + " '" + out
                  + "' is not a {GUID}";
  };
  read("CustomerId", settings.customer_id, true);
  read("ActivationId", settings.activation_id, true);
  read("WebServiceUri", settings.web_service_uri, false);
  if (!problems.empty())
    return make_error(ec::invalid_argument,
                      "the hive (" + std::string{agent_key} + ") is incomplete: " + problems);
  return settings;
}

} // namespace vigil
