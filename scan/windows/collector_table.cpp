// The collectors of a Windows host: those with a Windows meaning so far. Left
// out until they get one: `network` (the host seam's adapter list,
// host/windows/adapters.hpp, is there to build it on), `services` (the
// service control manager), `listening_ports` (GetExtendedTcpTable), `users`
// (NetUserEnum), `command` (its search path and unprivileged user are
// Linux's), and `sysctl` and `kernel_modules`, which Windows does not have.
// A manifest naming one gets the usual unknown-type error row.
#include <array>

#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr std::array<std::pair<std::string_view, collector_fn>, 5> collectors{{
  {"os", collect_os},
  {"packages", collect_packages},
  {"file", collect_file},
  {"dir", collect_dir},
  {"registry", collect_registry},
}};

} // namespace

std::span<const std::pair<std::string_view, collector_fn>> collector_table() noexcept {
  return collectors;
}

} // namespace vigil::scan::detail
