// The collectors of a POSIX host: every type of SPEC §7.
#include <array>

#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr std::array<std::pair<std::string_view, collector_fn>, 12> collectors{{
  {"os", collect_os},
  {"network", collect_network},
  {"packages", collect_packages},
  {"file", collect_file},
  {"dir", collect_dir},
  {"sysctl", collect_sysctl},
  {"services", collect_services},
  {"listening_ports", collect_listening_ports},
  {"users", collect_users},
  {"kernel_modules", collect_kernel_modules},
  {"command", collect_command},
  {"registry", collect_registry},
}};

} // namespace

std::span<const std::pair<std::string_view, collector_fn>> collector_table() noexcept {
  return collectors;
}

} // namespace vigil::scan::detail
