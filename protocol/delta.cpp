#include "protocol/delta.hpp"

#include <nlohmann/json.hpp>

#include "protocol/json_reader.hpp"

namespace vigil::protocol {

nlohmann::json to_json(const delta& msg) {
  auto upserts = nlohmann::json::array();
  for (const auto& row : msg.upserts)
    upserts.push_back({{"key", row.key}, {"value", row.value}});
  return {{"module", msg.module},
          {"seq", msg.seq},
          {"full", msg.full},
          {"upserts", std::move(upserts)},
          {"removals", msg.removals}};
}

caf::expected<delta> parse_delta(const nlohmann::json& json) {
  json_reader r{json, "delta"};
  delta out;
  r.module("module", out.module);
  if (r.required("seq", out.seq))
    r.check(out.seq >= 1, "seq", "must be at least 1");
  r.required("full", out.full);
  r.objects("upserts", out.upserts, [](json_reader& row, delta_row& item) {
    row.non_empty("key", item.key);
    row.required("value", item.value);
  });
  if (r.required("removals", out.removals)) {
    for (size_t i = 0; i < out.removals.size(); ++i)
      if (!r.check(!out.removals[i].empty(), "removals[" + std::to_string(i) + "]", "empty"))
        break;
    r.check(!out.full || out.removals.empty(), "removals", "not empty in a full snapshot");
  }
  return r.result(std::move(out));
}

} // namespace vigil::protocol
