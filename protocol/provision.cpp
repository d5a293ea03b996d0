#include "protocol/provision.hpp"

#include <nlohmann/json.hpp>

#include "protocol/json_reader.hpp"

namespace vigil::protocol {

namespace {

void read_inventory(json_reader& r, host_inventory& out) {
  r.required("hostname", out.hostname);
  r.required("fqdn", out.fqdn);
  r.required("os_name", out.os_name);
  r.required("os_version", out.os_version);
  r.required("kernel", out.kernel);
  r.required("arch", out.arch);
  r.required("ipv4", out.ipv4);
  r.required("ipv6", out.ipv6);
  r.required("macs", out.macs);
}

} // namespace

std::string_view to_string(provision_result result) noexcept {
  switch (result) {
    case provision_result::provisioned: return "provisioned";
    case provision_result::reprovision: return "reprovision";
  }
  return "unknown";
}

nlohmann::json to_json(const host_inventory& msg) {
  return {{"hostname", msg.hostname}, {"fqdn", msg.fqdn},     {"os_name", msg.os_name},
          {"os_version", msg.os_version}, {"kernel", msg.kernel}, {"arch", msg.arch},
          {"ipv4", msg.ipv4},         {"ipv6", msg.ipv6},     {"macs", msg.macs}};
}

nlohmann::json to_json(const provision_request& msg) {
  return {{"customer_id", msg.customer_id}, {"activation_id", msg.activation_id},
          {"host_id", msg.host_id},         {"fingerprint", msg.fingerprint},
          {"agent_version", msg.agent_version}, {"inventory", to_json(msg.inventory)}};
}

nlohmann::json to_json(const provision_response& msg) {
  return {{"result", to_string(msg.result)},
          {"agent_token", msg.agent_token},
          {"config_id", msg.config_id},
          {"host_id", msg.host_id}};
}

caf::expected<provision_request> parse_provision_request(const nlohmann::json& json) {
  json_reader r{json, "provision_request"};
  provision_request out;
  r.guid("customer_id", out.customer_id);
  r.guid("activation_id", out.activation_id);
  r.guid("host_id", out.host_id);
  r.non_empty("fingerprint", out.fingerprint);
  r.non_empty("agent_version", out.agent_version);
  r.object("inventory", [&](json_reader& inventory) { read_inventory(inventory, out.inventory); });
  return r.result(std::move(out));
}

caf::expected<provision_response> parse_provision_response(const nlohmann::json& json) {
  json_reader r{json, "provision_response"};
  provision_response out;
  std::string result;
  if (r.required("result", result)) {
    if (result == "provisioned")
      out.result = provision_result::provisioned;
    else if (result == "reprovision")
      out.result = provision_result::reprovision;
    else
      r.fail("result", "unknown result " + quoted_value(result)
                         + " (expected \"provisioned\" or \"reprovision\")");
  }
  if (out.result == provision_result::provisioned) {
    r.non_empty("agent_token", out.agent_token);
    r.non_empty("config_id", out.config_id);
  } else {
    r.optional("agent_token", out.agent_token);
    r.optional("config_id", out.config_id);
  }
  r.guid("host_id", out.host_id);
  return r.result(std::move(out));
}

std::string message_traits<provision_request>::body(const provision_request& msg) {
  return dump_json(to_json(msg));
}

std::string message_traits<provision_response>::body(const provision_response& msg) {
  return dump_json(to_json(msg));
}

} // namespace vigil::protocol
