// Administration of the reference platform: profiles, the asset view and the
// rows a host's module holds. Called by `vigil-platform` commands, directly or
// through the running server's admin socket.

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/release_metadata.hpp"
#include "host/text_encoding.hpp"
#include "platform/default_content.hpp"
#include "platform/platform_store.hpp"
#include "platform/service.hpp"
#include "platform/service_util.hpp"
#include "protocol/modules.hpp"
#include "protocol/profile.hpp"

using nlohmann::json;

namespace vigil::platform {

namespace {

caf::expected<int> parse_int(std::string_view key, std::string_view text, int low, int high) {
  int value = 0;
  auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (err != std::errc{} || ptr != text.data() + text.size() || value < low || value > high)
    return make_error(ec::invalid_argument, std::string{key} + ": '" + std::string{text}
                                              + "' is not a number from " + std::to_string(low)
                                              + " to " + std::to_string(high));
  return value;
}

caf::expected<bool> parse_bool(std::string_view key, std::string_view text) {
  if (iequals(text, "true") || text == "1" || iequals(text, "on"))
    return true;
  if (iequals(text, "false") || text == "0" || iequals(text, "off"))
    return false;
  return make_error(ec::invalid_argument, std::string{key} + ": '" + std::string{text}
                                            + "' is not true or false");
}

/// The profile entry of `name`, created (inactive) when missing.
protocol::module_config& module_entry(protocol::profile& p, const std::string& name) {
  for (auto& m : p.modules)
    if (m.name == name)
      return m;
  p.modules.push_back({name, false, 4 * 3600, 100});
  return p.modules.back();
}

/// Applies one `KEY=VALUE` to `p`.
caf::expected<void> assign(protocol::profile& p, std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos)
    return make_error(ec::invalid_argument,
                      "'" + std::string{assignment} + "' is not KEY=VALUE");
  auto key = assignment.substr(0, eq);
  auto value = assignment.substr(eq + 1);
  auto dot = key.find('.');
  auto base = key.substr(0, dot);
  std::optional<std::string> module;
  if (dot != std::string_view::npos) {
    module = std::string{key.substr(dot + 1)};
    if (!protocol::is_scan_module(*module))
      return make_error(ec::invalid_argument, std::string{key} + ": no scan module named "
                                                + *module);
  }
  auto each_module = [&](auto&& f) {
    if (module) {
      f(module_entry(p, *module));
    } else {
      for (auto& m : p.modules)
        f(m);
    }
  };
  if (iequals(base, "CapiIntervalSeconds")) {
    auto n = parse_int(key, value, 1, 7 * 24 * 3600);
    if (!n)
      return n.error();
    p.capi_interval_s = *n;
  } else if (iequals(base, "LogLevel")) {
    auto level = fold_case(value);
    if (std::find(std::begin(protocol::log_level_names), std::end(protocol::log_level_names),
                  level)
        == std::end(protocol::log_level_names))
      return make_error(ec::invalid_argument, "LogLevel: '" + std::string{value}
                                                + "' is not trace, debug, info, warning, "
                                                  "error, critical or off");
    p.log_level = level;
  } else if (iequals(base, "TargetVersion")) {
    if (!value.empty() && !version::parse(value))
      return make_error(ec::invalid_argument,
                        "TargetVersion: '" + std::string{value} + "' is not X.Y.Z");
    p.target_version = value;
  } else if (iequals(base, "RolloutPercent")) {
    auto n = parse_int(key, value, 0, 100);
    if (!n)
      return n.error();
    p.rollout_percent = *n;
  } else if (iequals(base, "SelfProtection")) {
    auto b = parse_bool(key, value);
    if (!b)
      return b.error();
    p.self_protection = *b;
  } else if (iequals(base, "Modules")) {
    std::vector<std::string> wanted;
    for (size_t start = 0; start <= value.size();) {
      auto end = value.find(',', start);
      auto name = value.substr(start, end == std::string_view::npos ? value.npos : end - start);
      if (!name.empty()) {
        if (!protocol::is_scan_module(name))
          return make_error(ec::invalid_argument,
                            "Modules: no scan module named '" + std::string{name} + "'");
        wanted.emplace_back(name);
      }
      if (end == std::string_view::npos)
        break;
      start = end + 1;
    }
    for (auto& m : p.modules)
      m.activated = std::find(wanted.begin(), wanted.end(), m.name) != wanted.end();
    for (auto& name : wanted)
      module_entry(p, name).activated = true;
  } else if (iequals(base, "ScanIntervalSeconds")) {
    auto n = parse_int(key, value, 1, 30 * 24 * 3600);
    if (!n)
      return n.error();
    each_module([&](protocol::module_config& m) { m.scan_interval_s = *n; });
  } else if (iequals(base, "CpuLimit")) {
    auto n = parse_int(key, value, 1, 100);
    if (!n)
      return n.error();
    each_module([&](protocol::module_config& m) { m.cpu_limit = *n; });
  } else if (iequals(base, "BlackoutWindows")) {
    auto parsed = json::parse(value, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_array())
      return make_error(ec::invalid_argument, "BlackoutWindows: expected a JSON array of windows");
    std::vector<protocol::blackout_window> windows;
    for (size_t i = 0; i < parsed.size(); ++i) {
      auto w = protocol::parse_blackout_window(parsed[i],
                                               "BlackoutWindows[" + std::to_string(i) + "]");
      if (!w) // the platform refuses a malformed window when it is set (SPEC §9b)
        return make_error(ec::invalid_argument, render(w.error()));
      windows.push_back(std::move(*w));
    }
    p.blackout_windows = std::move(windows);
  } else {
    return make_error(ec::invalid_argument, "unknown profile key '" + std::string{key} + "'");
  }
  return {};
}

} // namespace

caf::expected<json> platform_service::set_profile(const std::string& activation_id,
                                                  const std::vector<std::string>& assignments) {
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  caf::error error;
  auto activation = detail::load_json(store_, column::activations, activation_id, error);
  if (error)
    return error;
  if (!activation)
    return make_error(ec::not_found, "no activation key " + activation_id);
  protocol::profile p;
  if (auto stored = detail::load_json(store_, column::profiles, activation_id, error)) {
    auto parsed = protocol::parse_profile(*stored);
    if (!parsed)
      return parsed.error();
    p = std::move(*parsed);
  } else if (error) {
    return error;
  } else {
    p = default_profile(activation_id,
                        activation->value("modules", std::vector<std::string>{}));
  }
  for (auto& a : assignments)
    if (auto ok = assign(p, a); !ok)
      return ok.error();
  p.etag = profile_etag(p);
  auto body = protocol::to_json(p);
  // What agents will parse must parse: refuse a profile the protocol rejects.
  if (auto check = protocol::parse_profile(body); !check)
    return make_error(ec::invalid_argument, render(check.error()));
  if (auto ok = store_.put(column::profiles, activation_id, body.dump(), {true}); !ok)
    return ok.error();
  if (auto ok = bump_generation(); !ok)
    return ok.error();
  std::lock_guard cache{cache_mutex_};
  profile_cache_[activation_id] = std::make_shared<const protocol::profile>(std::move(p));
  return body;
}

caf::expected<json> platform_service::assets() {
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  json hosts = json::array();
  caf::error failure;
  auto listed = store_.scan(column::hosts, "", [&](std::string_view key, std::string_view value) {
    auto host = json::parse(value, nullptr, false);
    if (host.is_discarded())
      return true;
    json entry{{"host_id", key},
               {"customer_id", host.value("customer_id", "")},
               {"activation_id", host.value("activation_id", "")},
               {"fingerprint", host.value("fingerprint", "")},
               {"hostname", host.contains("inventory") ? host["inventory"].value("hostname", "")
                                                       : std::string{}},
               {"agent_version", host.value("agent_version", "")},
               {"provisioned_at", host.value("provisioned_at", int64_t{0})},
               {"last_checkin", int64_t{0}},
               {"modules", json::object()},
               {"duplicates", json::array()}};
    caf::error checkin_error;
    std::optional<json> checkin;
    {
      std::lock_guard cache{cache_mutex_};
      if (auto i = latest_checkins_.find(std::string{key}); i != latest_checkins_.end())
        checkin = json::parse(i->second, nullptr, false);
    }
    if (!checkin)
      checkin = detail::load_json(store_, column::checkins, key, checkin_error);
    if (checkin && !checkin->is_discarded()) {
      entry["last_checkin"] = checkin->value("last_checkin", int64_t{0});
      entry["agent_version"] = checkin->value("agent_version", "");
      entry["module_states"] = checkin->value("module_states", json::object());
      entry["self_protection"] = checkin->value("self_protection", false);
    }
    if (checkin_error)
      failure = checkin_error;
    std::string host_id{key};
    {
      std::lock_guard rollout{rollout_mutex_};
      auto h = upgrades_.of(host_id);
      entry["upgrade"] = {{"state", h.report.state},
                          {"target", h.report.target},
                          {"reason", h.report.reason},
                          {"at", h.report.at}};
    }
    if (auto config = profile_of(entry["activation_id"].get<std::string>()); config) {
      entry["target_version"] = (*config)->target_version;
      // A protected host gone quiet is flagged, never dropped (SPEC §13).
      if (auto silent = detail::silent_protected_for(entry.value("self_protection", false),
                                             entry.value("last_checkin", int64_t{0}),
                                             (*config)->capi_interval_s, now_()))
        entry["silent_protected_s"] = *silent;
      entry["rollout"] = std::string{to_string(
        decide_upgrade(host_id, entry["agent_version"].get<std::string>(), **config, nullptr))};
    } else {
      failure = config.error();
    }
    auto modules = store_.scan(column::sequences, std::string{key} + "|",
                               [&](std::string_view k, std::string_view) {
                                 auto module = std::string{k.substr(key.size() + 1)};
                                 auto state = read_applied(store_, std::string{key}, module);
                                 if (state)
                                   entry["modules"][module] = {{"last_seq", state->last_seq},
                                                               {"rows", state->rows}};
                                 return true;
                               });
    if (!modules)
      failure = modules.error();
    // The latest tamper events self-protection reported (SPEC §13), oldest first.
    entry["tamper_events"] = json::array();
    auto tampered = store_.scan(column::tamper, host_id + "|",
                                [&](std::string_view, std::string_view value) {
                                  auto event = json::parse(value, nullptr, false);
                                  if (!event.is_discarded())
                                    entry["tamper_events"].push_back(std::move(event));
                                  return true;
                                });
    if (!tampered)
      failure = tampered.error();
    if (entry["tamper_events"].size() > 100)
      entry["tamper_events"].erase(entry["tamper_events"].begin(),
                                   entry["tamper_events"].end() - 100);
    entry["orders"] = json::array();
    if (auto orders = orders_of(host_id); orders) {
      for (auto& [order_key, record] : *orders)
        entry["orders"].push_back(record.to_asset_json());
    } else {
      failure = orders.error();
    }
    hosts.push_back(std::move(entry));
    return true;
  });
  if (!listed)
    return listed.error();
  if (failure)
    return failure;
  // Outstanding duplicates: clones told to re-provision that have not yet.
  auto dups = store_.scan(column::duplicates, "", [&](std::string_view, std::string_view value) {
    auto record = json::parse(value, nullptr, false);
    if (record.is_discarded())
      return true;
    for (auto& h : hosts)
      if (h["host_id"] == record.value("host_id", ""))
        h["duplicates"].push_back(record);
    return true;
  });
  if (!dups)
    return dups.error();
  return hosts;
}

caf::expected<json> platform_service::rows(const std::string& host_id, const std::string& module) {
  auto guard = lock_everything();
  if (!guard)
    return guard.error();
  json out = json::object();
  auto prefix = join_key({host_id, module, ""});
  auto listed = store_.scan(column::rows, prefix, [&](std::string_view k, std::string_view v) {
    out[std::string{k.substr(prefix.size())}] = std::string{v};
    return true;
  });
  if (!listed)
    return listed.error();
  return out;
}

} // namespace vigil::platform
