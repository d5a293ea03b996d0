#include "platform/service.hpp"

#include "common/signed_document.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "platform/default_content.hpp"
#include "platform/os_family.hpp"
#include "platform/platform_store.hpp"
#include "platform/service_util.hpp"
#include "protocol/checkin.hpp"
#include "protocol/endpoints.hpp"
#include "protocol/error_response.hpp"
#include "protocol/guid.hpp"
#include "protocol/headers.hpp"
#include "protocol/manifest.hpp"
#include "protocol/modules.hpp"
#include "protocol/profile.hpp"
#include "protocol/provision.hpp"
#include "protocol/sha256.hpp"
#include "protocol/status.hpp"

using nlohmann::json;

namespace vigil::platform {

using namespace detail;
namespace codes = protocol::error_codes;

platform_service::platform_service(kv_store& store, service_options options, clock now,
                                   request_logger log)
  : store_{store}, options_{std::move(options)}, now_{std::move(now)}, log_{std::move(log)} {
}

namespace {

/// The cross-instance lock of provisioning and administration ("VigilAll").
constexpr int64_t everything_lock = 0x56696769'6c416c6cLL;

/// A host's cross-instance lock key: FNV-1a of its HostID, the same in every
/// instance and build (std::hash promises neither).
int64_t host_lock_key(std::string_view host_id) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : host_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h);
}

} // namespace

caf::expected<platform_service::instance_guard> platform_service::lock_everything(bool refresh) {
  instance_guard guard;
  guard.exclusive = std::unique_lock{global_};
  if (options_.instance_locks) {
    auto held = options_.instance_locks->hold(everything_lock, lock_mode::exclusive);
    if (!held)
      return held.error();
    guard.across.push_back(std::move(*held));
    if (refresh)
      if (auto ok = refresh_caches(); !ok)
        return ok.error();
  }
  return guard;
}

caf::expected<platform_service::instance_guard>
platform_service::lock_host(const std::string& host_id) {
  if (options_.instance_locks) {
    // Another instance changed what this one caches: refresh alone first.
    auto moved = generation_moved();
    if (!moved)
      return moved.error();
    if (*moved) {
      auto alone = lock_everything();
      if (!alone)
        return alone.error();
    }
  }
  instance_guard guard;
  guard.shared = std::shared_lock{global_};
  guard.stripe = std::unique_lock{stripes_[std::hash<std::string>{}(host_id) % stripes_.size()]};
  if (options_.instance_locks) {
    for (auto [key, mode] : {std::pair{everything_lock, lock_mode::shared},
                             std::pair{host_lock_key(host_id), lock_mode::exclusive}}) {
      auto held = options_.instance_locks->hold(key, mode);
      if (!held)
        return held.error();
      guard.across.push_back(std::move(*held));
    }
  }
  return guard;
}

caf::expected<bool> platform_service::generation_moved() {
  auto now = store_.get(column::settings, setting::generation);
  if (!now)
    return now.error();
  std::lock_guard guard{generation_mutex_};
  return now->value_or("") != seen_generation_;
}

caf::expected<void> platform_service::bump_generation() {
  if (!options_.instance_locks)
    return {};
  auto next = protocol::random_hex(16);
  if (auto ok = store_.put(column::settings, setting::generation, next, {true}); !ok)
    return ok.error();
  // This instance's caches are already up to date with its own change.
  std::lock_guard guard{generation_mutex_};
  seen_generation_ = next;
  return {};
}

caf::expected<std::unordered_set<std::string>> platform_service::hosts_with_open_orders() {
  std::unordered_set<std::string> hosts;
  auto scanned = store_.scan(column::orders, "", [&](std::string_view key, std::string_view value) {
    auto record = order_record::parse(value);
    if (record && !is_final(record->state))
      hosts.emplace(key.substr(0, key.find('|')));
    return true;
  });
  if (!scanned)
    return scanned.error();
  return hosts;
}

caf::expected<void> platform_service::refresh_caches() {
  auto now = store_.get(column::settings, setting::generation);
  if (!now)
    return now.error();
  {
    std::lock_guard guard{generation_mutex_};
    if (now->value_or("") == seen_generation_)
      return {};
  }
  auto with_orders = hosts_with_open_orders();
  if (!with_orders)
    return with_orders.error();
  if (auto loaded = load_rollouts(); !loaded)
    return loaded.error();
  {
    std::lock_guard guard{cache_mutex_};
    auth_cache_.clear();
    profile_cache_.clear();
    hosts_with_orders_ = std::move(*with_orders);
  }
  std::lock_guard guard{generation_mutex_};
  seen_generation_ = now->value_or("");
  return {};
}

caf::expected<std::shared_ptr<const protocol::profile>>
platform_service::profile_of(const std::string& activation_id) {
  {
    std::lock_guard guard{cache_mutex_};
    if (auto i = profile_cache_.find(activation_id); i != profile_cache_.end())
      return i->second;
  }
  caf::error error;
  std::shared_ptr<const protocol::profile> result;
  if (auto stored = load_json(store_, column::profiles, activation_id, error)) {
    auto p = protocol::parse_profile(*stored);
    if (!p)
      return make_error(ec::corruption, "stored profile of " + activation_id + ": "
                                          + render(p.error()));
    result = std::make_shared<const protocol::profile>(std::move(*p));
  } else if (error) {
    return error;
  } else {
    auto activation = load_json(store_, column::activations, activation_id, error);
    if (error)
      return error;
    std::vector<std::string> modules;
    if (activation && activation->contains("modules"))
      modules = (*activation)["modules"].get<std::vector<std::string>>();
    result = std::make_shared<const protocol::profile>(default_profile(activation_id, modules));
  }
  std::lock_guard guard{cache_mutex_};
  profile_cache_[activation_id] = result;
  return result;
}

caf::expected<std::optional<platform_service::host_auth>>
platform_service::auth_of(const std::string& host_id) {
  {
    std::lock_guard guard{cache_mutex_};
    if (auto i = auth_cache_.find(host_id); i != auth_cache_.end())
      return std::optional<host_auth>{i->second};
  }
  caf::error error;
  auto host = load_json(store_, column::hosts, host_id, error);
  if (error)
    return error;
  if (!host)
    return std::optional<host_auth>{};
  std::string os_name;
  if (auto i = host->find("inventory"); i != host->end() && i->is_object())
    os_name = i->value("os_name", "");
  host_auth auth{host->value("token_sha256", ""), host->value("activation_id", ""),
                 std::string{os_family_of(os_name)}};
  std::lock_guard guard{cache_mutex_};
  auth_cache_[host_id] = auth;
  return std::optional<host_auth>{auth};
}

caf::expected<void> platform_service::initialize() {
  // Everything is loaded below: a refresh first would load it twice.
  auto guard = lock_everything(false);
  if (!guard)
    return guard.error();
  if (auto loaded = load_rollouts(); !loaded)
    return loaded.error();
  // Only hosts with an order not yet acknowledged look at their orders.
  auto with_orders = hosts_with_open_orders();
  if (!with_orders)
    return with_orders.error();
  {
    std::lock_guard cache{cache_mutex_};
    hosts_with_orders_ = std::move(*with_orders);
  }
  for (auto family : os_families) {
    for (auto name : protocol::module_names) {
      std::string module{name};
      auto key = manifest_key(module, family);
      auto existing = store_.get(column::manifests, key);
      if (!existing)
        return existing.error();
      if (*existing)
        continue;
      auto m = default_manifest(module, family);
      if (auto ok = store_.put(column::manifests, key, protocol::to_json(m).dump(), {true}); !ok)
        return ok.error();
    }
  }
  // What is loaded is as of this generation (nobody changes it meanwhile: the
  // lock is held), so only later changes make a request refresh.
  if (options_.instance_locks) {
    auto generation = store_.get(column::settings, setting::generation);
    if (!generation)
      return generation.error();
    std::lock_guard seen{generation_mutex_};
    seen_generation_ = generation->value_or("");
  }
  return {};
}

http_response platform_service::handle(const http_request& request) {
  request_context ctx;
  http_response response;
  try {
    auto route = protocol::match_route(options_.base_path, request.target);
    if (!route) {
      response = error_answer(codes::not_found, "no such endpoint");
    } else {
      auto guard = route->kind == protocol::endpoint::provision
                     ? lock_everything()
                     : lock_host(std::string{request.fields.get(protocol::header_host_id)});
      response = guard ? dispatch(request, *route, ctx) : store_failure(guard.error());
    }
  } catch (const std::exception& e) {
    response = store_failure(make_error(ec::unspecified, e.what()));
  }
  if (log_)
    log_({request.method, request.target, request.fields.get(protocol::header_host_id),
          response.status, request.body.size(), response.body.size(), request.connection,
          ctx.outcome});
  return response;
}

http_response platform_service::dispatch(const http_request& request,
                                         const protocol::route& found, request_context& ctx) {
  auto* route = &found;
  auto wants = [&](std::string_view method) { return request.method == method; };
  using protocol::endpoint;
  if (route->kind == endpoint::status) {
    if (!wants("GET"))
      return error_answer(codes::invalid_request, "status takes GET");
    protocol::status_response status;
    status.version = options_.version;
    status.time = now_();
    return json_answer(200, protocol::to_body(status));
  }
  auto version = request.fields.get(protocol::header_protocol);
  if (!version.empty() && version != std::to_string(protocol::protocol_version))
    return error_answer(codes::unsupported_protocol,
                        "protocol version " + version + " is not supported (1 is)");
  if (route->kind == endpoint::provision) {
    if (!wants("POST"))
      return error_answer(codes::invalid_request, "provision takes POST");
    return provision(request, ctx);
  }
  // Everything else needs an agent token.
  auto host_id = request.fields.get(protocol::header_host_id);
  auto authorization = request.fields.get(protocol::header_authorization);
  auto token = protocol::parse_bearer(authorization); // a view into `authorization`
  if (host_id.empty() || !token)
    return error_answer(codes::unauthorized, "missing X-Vigil-Host-Id or bearer token");
  auto auth = auth_of(host_id);
  if (!auth)
    return store_failure(auth.error());
  if (!*auth || (*auth)->token_sha256 != protocol::sha256_hex(*token))
    return error_answer(codes::unauthorized, "unknown host or wrong agent token");
  ctx.host_id = host_id;
  ctx.activation_id = (*auth)->activation_id;
  ctx.os_family = (*auth)->os_family;
  switch (route->kind) {
    case endpoint::checkin:
      return wants("POST") ? checkin(request, ctx)
                           : error_answer(codes::invalid_request, "checkin takes POST");
    case endpoint::profile:
      return wants("GET") ? profile(request, ctx)
                          : error_answer(codes::invalid_request, "profile takes GET");
    case endpoint::manifest:
      return wants("GET") ? manifest(request, ctx, route->module)
                          : error_answer(codes::invalid_request, "manifests take GET");
    case endpoint::delta:
      if (wants("GET"))
        return delta_status(ctx, route->module, route->seq);
      if (wants("PUT"))
        return delta_chunk(request, ctx, route->module, route->seq);
      return error_answer(codes::invalid_request, "deltas take GET or PUT");
    case endpoint::delta_complete:
      return wants("POST") ? delta_complete(request, ctx, route->module, route->seq)
                           : error_answer(codes::invalid_request, "completion takes POST");
    case endpoint::release_package:
      return wants("GET") ? release_package(request, ctx, route->version)
                          : error_answer(codes::invalid_request, "release packages take GET");
    case endpoint::release_patch:
      return wants("GET") ? release_patch(ctx, route->version, route->from)
                          : error_answer(codes::invalid_request, "release patches take GET");
    default: return error_answer(codes::not_found, "no such endpoint");
  }
}

http_response platform_service::provision(const http_request& request, request_context&) {
  auto req = protocol::parse_body<protocol::provision_request>(request.body);
  if (!req)
    return error_answer(codes::invalid_request, render(req.error()));
  caf::error error;
  auto activation = load_json(store_, column::activations, req->activation_id, error);
  if (error)
    return store_failure(error);
  if (!activation || activation->value("customer_id", "") != req->customer_id)
    return error_answer(codes::unauthorized, "unknown CustomerId/ActivationId pair");
  auto existing = load_json(store_, column::hosts, req->host_id, error);
  if (error)
    return store_failure(error);
  auto now = now_();
  auto config = profile_of(req->activation_id);
  if (!config)
    return store_failure(config.error());
  protocol::provision_response answer;
  answer.host_id = req->host_id;
  answer.config_id = (*config)->config_id;
  if (existing && existing->value("fingerprint", "") != req->fingerprint) {
    // Same HostID, another machine: a clone. The newer one makes a new identity.
    auto key = join_key({req->fingerprint, req->host_id});
    auto seen = load_json(store_, column::duplicates, key, error);
    json record = seen.value_or(json{{"first_seen", now}, {"count", 0}});
    record["host_id"] = req->host_id;
    record["fingerprint"] = req->fingerprint;
    record["count"] = record.value("count", 0) + 1;
    record["last_seen"] = now;
    if (auto ok = store_.put(column::duplicates, key, record.dump(), {true}); !ok)
      return store_failure(ok.error());
    answer.result = protocol::provision_result::reprovision;
    return json_answer(200, protocol::to_body(answer));
  }
  auto token = protocol::random_hex(32);
  json host = existing.value_or(json{{"provisioned_at", now}});
  host["customer_id"] = req->customer_id;
  host["activation_id"] = req->activation_id;
  host["fingerprint"] = req->fingerprint;
  host["token_sha256"] = protocol::sha256_hex(token);
  host["agent_version"] = req->agent_version;
  host["inventory"] = protocol::to_json(req->inventory);
  host["last_provisioned_at"] = now;
  write_batch batch;
  batch.put(column::hosts, req->host_id, host.dump());
  // A clone that obeyed: it comes back with its fingerprint and a new HostID,
  // so its outstanding duplicate records are resolved.
  auto cleared = store_.scan(column::duplicates, req->fingerprint + "|",
                             [&](std::string_view key, std::string_view) {
                               batch.erase(column::duplicates, std::string{key});
                               return true;
                             });
  if (!cleared)
    return store_failure(cleared.error());
  if (auto ok = store_.write(batch, {true}); !ok)
    return store_failure(ok.error());
  // A new token for a HostID others may have cached the old one of.
  if (existing)
    if (auto ok = bump_generation(); !ok)
      return store_failure(ok.error());
  {
    std::lock_guard guard{cache_mutex_};
    auth_cache_[req->host_id] = {host["token_sha256"], req->activation_id,
                                 std::string{os_family_of(req->inventory.os_name)}};
  }
  answer.agent_token = token;
  return json_answer(200, protocol::to_body(answer));
}

http_response platform_service::checkin(const http_request& request, request_context& ctx) {
  auto req = protocol::parse_body<protocol::checkin_request>(request.body);
  if (!req)
    return error_answer(codes::invalid_request, render(req.error()));
  if (req->host_id != ctx.host_id)
    return error_answer(codes::invalid_request, "checkin_request.host_id differs from the header");
  auto config = profile_of(ctx.activation_id);
  if (!config)
    return store_failure(config.error());
  json states = json::object();
  for (auto& m : req->modules)
    states[m.module] = protocol::to_json(m);
  // Upgrade reports drive halting (SPEC §12), so a changed one is stored at
  // once, with the halt it causes, rather than with the next flush.
  std::optional<release_record> halted;
  bool upgrade_changed = req->upgrade && record_upgrade(ctx.host_id, *req->upgrade, halted);
  protocol::checkin_response answer;
  answer.profile_etag = (*config)->etag;
  decide_upgrade(ctx.host_id, req->agent_version, **config, &answer.upgrade);
  json upgrade_state;
  {
    std::lock_guard guard{rollout_mutex_};
    upgrade_state = upgrades_.to_json(ctx.host_id);
  }
  auto record_json = json{{"last_checkin", now_()},
                          {"agent_version", req->agent_version},
                          {"module_states", std::move(states)},
                          {"upgrade", std::move(upgrade_state)}};
  if (req->self_protection)
    record_json["self_protection"] = *req->self_protection;
  auto record = record_json.dump();
  bool has_orders = false;
  // Tamper events (SPEC §13) are kept per host, keyed by the agent's own
  // sequence number, so one sent again is stored once.
  bool write_now = upgrade_changed || halted || !req->tamper_events.empty();
  {
    std::lock_guard guard{cache_mutex_};
    // A host without outstanding orders has only final ones (or none): any
    // acknowledgement it repeats changes nothing, and is not looked up.
    has_orders = hosts_with_orders_.count(ctx.host_id) > 0;
    latest_checkins_[ctx.host_id] = record;
    if (has_orders || write_now)
      unsaved_checkins_.erase(ctx.host_id); // this newer record is written below
    else
      unsaved_checkins_[ctx.host_id] = std::move(record);
  }
  if (!has_orders && !write_now)
    return json_answer(200, protocol::to_body(answer));
  write_batch batch;
  if (halted)
    put_release(batch, *halted);
  for (auto& event : req->tamper_events)
    batch.put(column::tamper, join_key({ctx.host_id, padded(event.seq)}),
              protocol::to_json(event).dump());
  order_round round;
  if (has_orders) {
    auto collected = orders_at_checkin(ctx.host_id, req->order_acks, batch);
    if (!collected) {
      std::lock_guard guard{cache_mutex_};
      unsaved_checkins_.try_emplace(ctx.host_id, record);
      return store_failure(collected.error());
    }
    round = std::move(*collected);
  }
  if (!round.remove_host)
    batch.put(column::checkins, ctx.host_id, record);
  // Deliveries and acknowledgements are stored (synced) before the answer:
  // an acknowledged order is never delivered again, even across a crash.
  if (auto ok = store_.write(batch, {true}); !ok) {
    // A failed write leaves the halt in memory (it is reported and acted on),
    // the report for the next flush, and the orders as they were: the agent
    // sends its acknowledgements again.
    std::lock_guard guard{cache_mutex_};
    if (!round.remove_host)
      unsaved_checkins_.try_emplace(ctx.host_id, record);
    return store_failure(ok.error());
  }
  // Other instances must drop the removed host's token, or see the halt.
  if (round.remove_host || halted)
    if (auto ok = bump_generation(); !ok)
      return store_failure(ok.error());
  if (round.remove_host) {
    forget_host(ctx.host_id);
  } else if (has_orders && !round.outstanding) {
    std::lock_guard guard{cache_mutex_};
    hosts_with_orders_.erase(ctx.host_id);
  }
  if (options_.order_log)
    for (auto& line : round.log_lines)
      options_.order_log(line);
  answer.signed_orders = std::move(round.envelopes);
  return json_answer(200, protocol::to_body(answer));
}

http_response platform_service::profile(const http_request& request, request_context& ctx) {
  auto config = profile_of(ctx.activation_id);
  if (!config)
    return store_failure(config.error());
  auto& etag = (*config)->etag;
  if (request.fields.get(protocol::header_if_none_match) == etag) {
    http_response r;
    r.status = 304;
    r.fields.set(std::string{protocol::header_etag}, etag);
    return r;
  }
  auto r = json_answer(200, protocol::to_body(**config));
  r.fields.set(std::string{protocol::header_etag}, etag);
  return r;
}

http_response platform_service::manifest(const http_request& request, request_context& ctx,
                                         const std::string& module) {
  if (!known_module(module))
    return error_answer(codes::not_found, "no module named " + module);
  // The host's own family's manifest: a Windows host gets no dpkg paths.
  caf::error error;
  auto stored = load_json(store_, column::manifests, manifest_key(module, ctx.os_family), error);
  if (error)
    return store_failure(error);
  if (!stored)
    return error_answer(codes::not_found, "no manifest for " + module + " on " + ctx.os_family);
  // The version alone, whatever the family: agents send back the version
  // they cached as "v<version>" (net/platform_client.cpp), and a host's
  // family does not change under its HostID.
  auto etag = "\"v" + std::to_string(stored->value("version", 0)) + "\"";
  if (request.fields.get(protocol::header_if_none_match) == etag) {
    http_response r;
    r.status = 304;
    r.fields.set(std::string{protocol::header_etag}, etag);
    return r;
  }
  // Signed with the root key agents pinned at install (DESIGN "One trust
  // root"): a manifest names what every host runs, so no TLS path or front
  // end may change it.
  auto body = stored->dump();
  auto r = json_answer(200, options_.signer ? sign_document(*options_.signer, body) : body);
  r.fields.set(std::string{protocol::header_etag}, etag);
  return r;
}

caf::expected<void> platform_service::flush_checkins() {
  std::unordered_map<std::string, std::string> unsaved;
  {
    std::lock_guard guard{cache_mutex_};
    unsaved.swap(unsaved_checkins_);
  }
  if (unsaved.empty())
    return {};
  write_batch batch;
  for (auto& [host, record] : unsaved)
    batch.put(column::checkins, host, record);
  auto ok = store_.write(batch);
  if (!ok) { // keep them for the next try, unless newer ones arrived
    std::lock_guard guard{cache_mutex_};
    for (auto& [host, record] : unsaved)
      unsaved_checkins_.try_emplace(host, std::move(record));
  }
  return ok;
}

caf::expected<std::string> platform_service::customer_of(const std::string& activation_id) {
  caf::error error;
  auto activation = load_json(store_, column::activations, activation_id, error);
  if (error)
    return error;
  if (!activation || !activation->contains("customer_id"))
    return make_error(ec::not_found, "no activation key " + activation_id);
  return (*activation)["customer_id"].get<std::string>();
}

caf::expected<std::pair<std::string, std::string>>
platform_service::create_customer(const std::vector<std::string>& modules) {
  for (auto& m : modules)
    if (!known_module(m))
      return make_error(ec::invalid_argument, "unknown module '" + m + "'");
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  auto customer_id = protocol::make_guid();
  auto activation_id = protocol::make_guid();
  write_batch batch;
  batch.put(column::customers, customer_id, json{{"modules", modules}, {"created", now_()}}.dump());
  batch.put(column::activations, activation_id,
            json{{"customer_id", customer_id}, {"modules", modules}}.dump());
  if (auto ok = store_.write(batch, {true}); !ok)
    return ok.error();
  return std::make_pair(customer_id, activation_id);
}

} // namespace vigil::platform
