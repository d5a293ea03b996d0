#include "protocol/status.hpp"

#include <nlohmann/json.hpp>

#include "protocol/json_reader.hpp"

namespace vigil::protocol {

nlohmann::json to_json(const status_response& msg) {
  return {{"status", msg.status},
          {"protocol", msg.protocol},
          {"version", msg.version},
          {"time", msg.time}};
}

caf::expected<status_response> parse_status_response(const nlohmann::json& json) {
  json_reader r{json, "status_response"};
  status_response out;
  r.required("status", out.status);
  if (r.required("protocol", out.protocol))
    r.check(out.protocol >= 1, "protocol", "must be at least 1");
  r.required("version", out.version);
  r.required("time", out.time);
  return r.result(std::move(out));
}

std::string message_traits<status_response>::body(const status_response& msg) {
  return dump_json(to_json(msg));
}

} // namespace vigil::protocol
