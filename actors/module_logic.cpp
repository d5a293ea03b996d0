#include "actors/module_logic.hpp"

namespace vigil {

namespace {

std::optional<uint64_t> dword_of(const hive& h, std::string_view module, std::string_view name) {
  auto* value = h.get(scan_on_demand_key(module), name);
  if (value == nullptr || value->type != reg_type::dword)
    return std::nullopt;
  return value->as_number();
}

} // namespace

std::string scan_on_demand_key(std::string_view module) {
  return std::string{agent_key} + "\\ScanOnDemand\\" + std::string{module};
}

uint32_t on_demand_cpu_limit(const hive& h, std::string_view module) {
  auto limit = dword_of(h, module, "CpuLimit");
  if (!limit || *limit < 2 || *limit > 100)
    return 100;
  return static_cast<uint32_t>(*limit);
}

bool scan_on_startup_requested(const hive& h, std::string_view module) {
  return dword_of(h, module, "ScanOnStartup") == 1u;
}

bool scan_on_demand_requested(const hive& h, std::string_view module) {
  return dword_of(h, module, "ScanOnDemand") == uint64_t{scan_on_demand::requested};
}

demand_decision decide_demand(const module_condition& condition) noexcept {
  if (!condition.activated)
    return demand_decision::not_activated;
  if (condition.scanning)
    return demand_decision::busy;
  if (condition.delta_pending)
    return demand_decision::delta_pending;
  return demand_decision::start;
}

const char* to_string(demand_decision decision) noexcept {
  switch (decision) {
    case demand_decision::start: return "start";
    case demand_decision::not_activated: return "not_activated";
    case demand_decision::busy: return "busy";
    case demand_decision::delta_pending: return "delta_pending";
  }
  return "unknown";
}

std::chrono::nanoseconds cpu_limit_pause(std::chrono::nanoseconds cpu_used,
                                         std::chrono::nanoseconds wall_elapsed,
                                         uint32_t limit_percent) noexcept {
  if (limit_percent >= 100 || limit_percent == 0)
    return std::chrono::nanoseconds{0};
  // The wall time the CPU used so far may take at this limit.
  auto allowed_wall = std::chrono::nanoseconds{cpu_used.count() * 100 / limit_percent};
  return allowed_wall > wall_elapsed ? allowed_wall - wall_elapsed : std::chrono::nanoseconds{0};
}

} // namespace vigil
