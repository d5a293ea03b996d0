#include "protocol/profile.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocol/json_reader.hpp"

namespace vigil::protocol {

namespace {

void read_module_config(json_reader& r, module_config& out) {
  r.module("name", out.name);
  r.required("activated", out.activated);
  if (r.required("scan_interval_s", out.scan_interval_s))
    r.check(out.scan_interval_s >= 1, "scan_interval_s", "must be at least 1");
  if (r.required("cpu_limit", out.cpu_limit))
    r.check(out.cpu_limit >= 1 && out.cpu_limit <= 100, "cpu_limit",
            "out of range: " + std::to_string(out.cpu_limit) + " (expected 1 to 100)");
}

void read_window(json_reader& r, blackout_window& out) {
  r.required("days", out.days);
  r.required("start", out.start);
  r.required("end", out.end);
  r.optional("time_zone", out.time_zone);
  r.optional("network", out.network);
  r.optional("collection", out.collection);
  if (!r.ok())
    return;
  if (auto problem = validate(out))
    r.fail(problem->field, problem->what);
}

void read_windows(json_reader& r, std::vector<blackout_window>& out,
                  std::vector<caf::error>* dropped) {
  if (dropped == nullptr) {
    r.objects("blackout_windows", out, read_window);
    return;
  }
  out.clear();
  auto* windows = r.find("blackout_windows");
  if (windows == nullptr || !windows->is_array()) {
    r.objects("blackout_windows", out, read_window); // records the error
    return;
  }
  auto base = r.path_of("blackout_windows");
  for (size_t i = 0; i < windows->size(); ++i) {
    auto parsed = parse_blackout_window((*windows)[i], base + "[" + std::to_string(i) + "]");
    if (parsed)
      out.push_back(std::move(*parsed));
    else
      dropped->push_back(std::move(parsed.error()));
  }
}

} // namespace

nlohmann::json to_json(const module_config& msg) {
  return {{"name", msg.name},
          {"activated", msg.activated},
          {"scan_interval_s", msg.scan_interval_s},
          {"cpu_limit", msg.cpu_limit}};
}

nlohmann::json to_json(const blackout_window& msg) {
  nlohmann::json out{{"days", msg.days},
                     {"start", msg.start},
                     {"end", msg.end},
                     {"network", msg.network},
                     {"collection", msg.collection}};
  if (msg.time_zone)
    out["time_zone"] = *msg.time_zone;
  return out;
}

nlohmann::json to_json(const profile& msg) {
  auto modules = nlohmann::json::array();
  for (const auto& m : msg.modules)
    modules.push_back(to_json(m));
  auto windows = nlohmann::json::array();
  for (const auto& w : msg.blackout_windows)
    windows.push_back(to_json(w));
  nlohmann::json out{{"config_id", msg.config_id},
                     {"etag", msg.etag},
                     {"capi_interval_s", msg.capi_interval_s},
                     {"log_level", msg.log_level},
                     {"target_version", msg.target_version},
                     {"self_protection", msg.self_protection},
                     {"modules", std::move(modules)},
                     {"blackout_windows", std::move(windows)}};
  if (msg.rollout_percent != 100) // absent means 100: profiles without a rollout stay as they were
    out["rollout_percent"] = msg.rollout_percent;
  return out;
}

caf::expected<blackout_window> parse_blackout_window(const nlohmann::json& json,
                                                     std::string path) {
  json_reader r{json, std::move(path)};
  blackout_window out;
  read_window(r, out);
  return r.result(std::move(out));
}

caf::expected<profile> parse_profile(const nlohmann::json& json,
                                     std::vector<caf::error>* dropped_windows) {
  json_reader r{json, "profile"};
  profile out;
  r.non_empty("config_id", out.config_id);
  r.non_empty("etag", out.etag);
  if (r.optional("capi_interval_s", out.capi_interval_s))
    r.check(out.capi_interval_s >= 1, "capi_interval_s", "must be at least 1");
  if (r.required("log_level", out.log_level)) {
    auto known = std::find(std::begin(log_level_names), std::end(log_level_names), out.log_level)
                 != std::end(log_level_names);
    r.check(known, "log_level",
            "unknown log level " + quoted_value(out.log_level)
              + " (expected trace, debug, info, warning, error, critical or off)");
  }
  r.optional("target_version", out.target_version);
  if (r.optional("rollout_percent", out.rollout_percent))
    r.check(out.rollout_percent >= 0 && out.rollout_percent <= 100, "rollout_percent",
            "out of range: " + std::to_string(out.rollout_percent) + " (expected 0 to 100)");
  r.required("self_protection", out.self_protection);
  r.objects("modules", out.modules, read_module_config);
  for (size_t i = 0; i < out.modules.size() && r.ok(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (out.modules[j].name == out.modules[i].name) {
        r.fail("modules[" + std::to_string(i) + "].name",
               "duplicate module " + quoted_value(out.modules[i].name));
        break;
      }
  read_windows(r, out.blackout_windows, dropped_windows);
  return r.result(std::move(out));
}

caf::expected<profile> parse_profile_body(std::string_view body,
                                          std::vector<caf::error>& dropped_windows) {
  std::optional<profile> value;
  std::vector<caf::error> dropped;
  auto err = parse_json_text(body, "profile", [&](const nlohmann::json& json) -> caf::error {
    auto parsed = parse_profile(json, &dropped);
    if (!parsed)
      return std::move(parsed.error());
    value.emplace(std::move(*parsed));
    return caf::error{};
  });
  if (err)
    return err;
  for (auto& e : dropped)
    dropped_windows.push_back(std::move(e));
  return caf::expected<profile>{std::move(*value)};
}

std::string message_traits<profile>::body(const profile& msg) {
  return dump_json(to_json(msg));
}

} // namespace vigil::protocol
