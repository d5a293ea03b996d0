#include "protocol/checkin.hpp"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "protocol/json_reader.hpp"
#include "protocol/modules.hpp"
#include "protocol/sha256.hpp"

namespace vigil::protocol {

namespace {

constexpr std::array<std::pair<std::string_view, order_type>, 5> order_types{{
  {"uninstall", order_type::uninstall},
  {"upgrade", order_type::upgrade},
  {"self_protection", order_type::self_protection},
  {"reprovision", order_type::reprovision},
  {"scan", order_type::scan},
}};

void read_module_status(json_reader& r, module_status& out) {
  r.module("module", out.module);
  r.required("state", out.state);
  r.required("last_scan", out.last_scan);
  r.required("pending_seq", out.pending_seq);
}

/// Reads optional string `field` into `out`, recording `missing (required for
/// <type>)` when `needed` and absent.
void read_order_string(json_reader& r, std::string_view field, bool needed,
                       std::string_view type, std::optional<std::string>& out) {
  if (!r.optional(field, out) && needed && r.ok())
    r.fail(field, "missing (required for " + std::string{type} + ")");
}

void read_order(json_reader& r, order& out) {
  r.non_empty("id", out.id);
  std::string type;
  if (!r.required("type", type))
    return;
  bool known = false;
  for (auto [name, value] : order_types)
    if (name == type) {
      out.type = value;
      known = true;
    }
  if (!r.check(known, "type", "unknown order type " + quoted_value(type)))
    return;
  bool upgrade = out.type == order_type::upgrade;
  read_order_string(r, "target_version", upgrade, type, out.target_version);
  if (upgrade && out.target_version)
    r.check(!out.target_version->empty(), "target_version", "empty");
  // The package's location and hash come from the signed release metadata
  // (SPEC §12): an upgrade order only names the version.
  read_order_string(r, "package_url", false, type, out.package_url);
  read_order_string(r, "sha256", false, type, out.sha256);
  if (out.sha256)
    r.check(is_sha256_hex(*out.sha256), "sha256",
            "not a lowercase hex SHA-256: " + quoted_value(*out.sha256));
  read_order_string(r, "signature", false, type, out.signature);
  if (!r.optional("enabled", out.enabled) && out.type == order_type::self_protection && r.ok())
    r.fail("enabled", "missing (required for self_protection)");
  read_order_string(r, "module", out.type == order_type::scan, type, out.module);
  if (out.module)
    r.check(is_module_name(*out.module), "module", "unknown module " + quoted_value(*out.module));
}

void read_order_ack(json_reader& r, order_ack& out) {
  r.non_empty("id", out.id);
  if (r.required("result", out.result))
    r.check(is_order_result(out.result), "result",
            "not \"done\", \"failed\" or \"refused\": " + quoted_value(out.result));
  r.optional("reason", out.reason);
}

void read_tamper_event(json_reader& r, tamper_event& out) {
  r.required("at", out.at);
  r.non_empty("kind", out.kind);
  r.non_empty("target", out.target);
  r.non_empty("what", out.what);
  r.optional("action", out.action);
  r.optional("pid", out.pid);
  r.optional("exe", out.exe);
  r.optional("uid", out.uid);
  r.required("seq", out.seq);
}

} // namespace

bool is_order_result(std::string_view result) noexcept {
  return result == order_result_done || result == order_result_failed
         || result == order_result_refused;
}

std::string_view to_string(order_type type) noexcept {
  for (auto [name, value] : order_types)
    if (value == type)
      return name;
  return "unknown";
}

nlohmann::json to_json(const module_status& msg) {
  return {{"module", msg.module},
          {"state", msg.state},
          {"last_scan", msg.last_scan},
          {"pending_seq", msg.pending_seq}};
}

nlohmann::json to_json(const order_ack& msg) {
  return {{"id", msg.id}, {"result", msg.result}, {"reason", msg.reason}};
}

nlohmann::json to_json(const tamper_event& msg) {
  return {{"at", msg.at},         {"kind", msg.kind}, {"target", msg.target},
          {"what", msg.what},     {"action", msg.action}, {"pid", msg.pid},
          {"exe", msg.exe},       {"uid", msg.uid},   {"seq", msg.seq}};
}

nlohmann::json to_json(const checkin_request& msg) {
  auto modules = nlohmann::json::array();
  for (const auto& m : msg.modules)
    modules.push_back(to_json(m));
  nlohmann::json out{{"host_id", msg.host_id},
                     {"agent_version", msg.agent_version},
                     {"profile_etag", msg.profile_etag},
                     {"modules", std::move(modules)}};
  if (msg.upgrade)
    out["upgrade"] = {{"state", msg.upgrade->state},
                      {"target", msg.upgrade->target},
                      {"reason", msg.upgrade->reason},
                      {"at", msg.upgrade->at}};
  if (!msg.order_acks.empty()) {
    auto acks = nlohmann::json::array();
    for (const auto& ack : msg.order_acks)
      acks.push_back(to_json(ack));
    out["order_acks"] = std::move(acks);
  }
  if (!msg.tamper_events.empty()) {
    auto events = nlohmann::json::array();
    for (const auto& e : msg.tamper_events)
      events.push_back(to_json(e));
    out["tamper_events"] = std::move(events);
  }
  if (msg.self_protection)
    out["self_protection"] = *msg.self_protection;
  return out;
}

nlohmann::json to_json(const order& msg) {
  nlohmann::json out{{"id", msg.id}, {"type", to_string(msg.type)}};
  if (msg.target_version)
    out["target_version"] = *msg.target_version;
  if (msg.package_url)
    out["package_url"] = *msg.package_url;
  if (msg.sha256)
    out["sha256"] = *msg.sha256;
  if (msg.signature)
    out["signature"] = *msg.signature;
  if (msg.enabled)
    out["enabled"] = *msg.enabled;
  if (msg.module)
    out["module"] = *msg.module;
  return out;
}

nlohmann::json to_json(const checkin_response& msg) {
  auto orders = nlohmann::json::array();
  for (const auto& o : msg.orders)
    orders.push_back(to_json(o));
  nlohmann::json out{{"profile_etag", msg.profile_etag}, {"orders", std::move(orders)}};
  if (msg.upgrade)
    out["upgrade"] = {{"version", msg.upgrade->version}, {"metadata", msg.upgrade->metadata}};
  if (!msg.signed_orders.empty())
    out["signed_orders"] = msg.signed_orders;
  return out;
}

caf::expected<tamper_event> parse_tamper_event(const nlohmann::json& json) {
  json_reader r{json, "tamper_event"};
  tamper_event out;
  read_tamper_event(r, out);
  return r.result(std::move(out));
}

caf::expected<checkin_request> parse_checkin_request(const nlohmann::json& json) {
  json_reader r{json, "checkin_request"};
  checkin_request out;
  r.guid("host_id", out.host_id);
  r.non_empty("agent_version", out.agent_version);
  r.required("profile_etag", out.profile_etag);
  r.objects("modules", out.modules, read_module_status);
  if (r.has("upgrade"))
    r.object("upgrade", [&](json_reader& u) {
      upgrade_report report;
      u.non_empty("state", report.state);
      u.optional("target", report.target);
      u.optional("reason", report.reason);
      u.optional("at", report.at);
      out.upgrade = std::move(report);
    });
  if (r.has("order_acks"))
    r.objects("order_acks", out.order_acks, read_order_ack);
  if (r.has("tamper_events"))
    r.objects("tamper_events", out.tamper_events, read_tamper_event);
  r.optional("self_protection", out.self_protection);
  return r.result(std::move(out));
}

caf::expected<checkin_response> parse_checkin_response(const nlohmann::json& json) {
  json_reader r{json, "checkin_response"};
  checkin_response out;
  r.required("profile_etag", out.profile_etag);
  r.objects("orders", out.orders, read_order);
  if (r.has("upgrade"))
    r.object("upgrade", [&](json_reader& u) {
      upgrade_offer offer;
      u.non_empty("version", offer.version);
      u.non_empty("metadata", offer.metadata);
      out.upgrade = std::move(offer);
    });
  if (r.has("signed_orders"))
    r.required("signed_orders", out.signed_orders);
  return r.result(std::move(out));
}

caf::expected<order> parse_order(const nlohmann::json& json) {
  json_reader r{json, "order"};
  order out;
  read_order(r, out);
  return r.result(std::move(out));
}

std::string message_traits<order>::body(const order& msg) {
  return dump_json(to_json(msg));
}

std::string message_traits<checkin_request>::body(const checkin_request& msg) {
  return dump_json(to_json(msg));
}

std::string message_traits<checkin_response>::body(const checkin_response& msg) {
  return dump_json(to_json(msg));
}

} // namespace vigil::protocol
