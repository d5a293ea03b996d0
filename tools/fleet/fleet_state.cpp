#include "tools/fleet/fleet_state.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace vigil::fleet {

using nlohmann::json;

std::string state_text(const saved_fleet& fleet) {
  std::string out = json{{"rows", fleet.model.rows}, {"row_changes", fleet.model.row_changes},
                         {"agents", fleet.agents.size()}}
                      .dump()
                    + "\n";
  for (auto& a : fleet.agents) {
    json modules = json::array();
    for (auto& t : a.modules)
      modules.push_back(json::array({t.name, t.acked_seq, t.acked_gen, t.gen, t.pending_seq,
                                     t.pending_full}));
    out += json{{"host", a.host_id}, {"seed", a.seed}, {"modules", modules}}.dump() + "\n";
  }
  return out;
}

caf::expected<saved_fleet> parse_state_text(std::string_view text) {
  saved_fleet fleet;
  std::size_t line_no = 0;
  std::size_t announced = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_no;
    if (line.empty())
      continue;
    auto fail = [&](const std::string& why) {
      return make_error(ec::parse_error, "state line " + std::to_string(line_no) + ": " + why);
    };
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return fail("not a JSON object");
    try {
      if (line_no == 1) {
        fleet.model.rows = j.at("rows").get<std::size_t>();
        fleet.model.row_changes = j.at("row_changes").get<std::size_t>();
        announced = j.at("agents").get<std::size_t>();
        continue;
      }
      agent_state a;
      a.host_id = j.at("host").get<std::string>();
      a.seed = j.at("seed").get<uint64_t>();
      for (auto& m : j.at("modules")) {
        module_track t;
        t.name = m.at(0).get<std::string>();
        t.acked_seq = m.at(1).get<uint64_t>();
        t.acked_gen = m.at(2).get<uint64_t>();
        t.gen = m.at(3).get<uint64_t>();
        t.pending_seq = m.at(4).get<uint64_t>();
        t.pending_full = m.at(5).get<bool>();
        a.modules.push_back(std::move(t));
      }
      fleet.agents.push_back(std::move(a));
    } catch (const json::exception& e) {
      return fail(e.what());
    }
  }
  if (line_no == 0)
    return make_error(ec::parse_error, "state: empty");
  if (fleet.agents.size() != announced)
    return make_error(ec::parse_error, "state: " + std::to_string(fleet.agents.size())
                                         + " agents, the first line announces "
                                         + std::to_string(announced) + " (truncated?)");
  return fleet;
}

caf::expected<verify_counts> verify_agent(const agent_state& agent, const row_model& model,
                                          const rows_reader& read) {
  verify_counts total;
  for (auto& t : agent.modules) {
    auto held = read(agent.host_id, t.name);
    if (!held)
      return held.error();
    scan::snapshot acknowledged;
    if (t.acked_seq != 0)
      acknowledged = rows_at(model, agent.seed, t.name, t.acked_gen);
    if (t.pending_seq != 0)
      total += compare_either(acknowledged, rows_at(model, agent.seed, t.name, t.gen), *held);
    else
      total += compare_rows(acknowledged, *held);
  }
  return total;
}

} // namespace vigil::fleet
