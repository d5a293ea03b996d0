#include "protocol/manifest.hpp"

#include "protocol/json_reader.hpp"

namespace vigil::protocol {

nlohmann::json to_json(const collector& msg) {
  auto out = msg.spec.is_object() ? msg.spec : nlohmann::json::object();
  out["type"] = msg.type;
  return out;
}

nlohmann::json to_json(const manifest& msg) {
  auto collectors = nlohmann::json::array();
  for (const auto& c : msg.collectors)
    collectors.push_back(to_json(c));
  return {{"module", msg.module}, {"version", msg.version}, {"collectors", std::move(collectors)}};
}

caf::expected<manifest> parse_manifest(const nlohmann::json& json) {
  json_reader r{json, "manifest"};
  manifest out;
  r.module("module", out.module);
  if (r.required("version", out.version))
    r.check(out.version >= 0, "version", "must not be negative");
  r.objects("collectors", [&](json_reader& c, size_t i) {
    collector item;
    if (c.non_empty("type", item.type)) {
      item.spec = (*r.find("collectors"))[i];
      out.collectors.push_back(std::move(item));
    }
  });
  return r.result(std::move(out));
}

std::string message_traits<manifest>::body(const manifest& msg) {
  return dump_json(to_json(msg));
}

} // namespace vigil::protocol
