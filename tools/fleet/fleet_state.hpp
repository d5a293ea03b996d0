#pragma once

// The agents' final state, saved (`--state FILE`) so the platform can be
// verified again later (`--verify-only`): after it restarted, after it was
// killed, after its data was damaged on purpose. And the host-by-host check
// itself, against any reader of the platform's rows.

#include <caf/expected.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/fleet/fleet_agent.hpp"
#include "tools/fleet/fleet_rows.hpp"
#include "tools/fleet/fleet_verify.hpp"

namespace vigil::fleet {

/// A saved fleet: the row model and each agent's identity and bookkeeping
/// (tokens and profiles are not kept: verifying needs neither).
struct saved_fleet {
  row_model model;
  std::vector<agent_state> agents;
};

/// `fleet` as text: one JSON line for the model, then one per agent.
std::string state_text(const saved_fleet& fleet);

/// The fleet `text` describes; `ec::parse_error` naming the line otherwise.
caf::expected<saved_fleet> parse_state_text(std::string_view text);

/// Reads one host's module from the platform.
using rows_reader =
  std::function<caf::expected<held_rows>(const std::string& host, const std::string& module)>;

/// Compares, module by module, what `agent` had acknowledged (rebuilt from
/// `model`) with what `read` says the platform holds. A delta whose fate
/// the agent never learnt may or may not be there (`compare_either`). A read
/// that fails is returned as the error.
caf::expected<verify_counts> verify_agent(const agent_state& agent, const row_model& model,
                                          const rows_reader& read);

} // namespace vigil::fleet
