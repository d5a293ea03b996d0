// The collectors of a Windows host: those with a Windows meaning. `network`
// (GetAdaptersAddresses), `services` (the service control manager),
// `listening_ports` (GetExtendedTcpTable/GetExtendedUdpTable) and `users`
// (NetUserEnum, NetLocalGroupEnum) read the live system and give rows in the
// Linux collectors' shapes. Left out: `command` (its search path and
// unprivileged user are Linux's), and `sysctl` and `kernel_modules`, which
// Windows does not have. A manifest naming one gets the usual unknown-type
// error row.
#include <array>

#include "scan/collectors/collectors.hpp"

namespace vigil::scan::detail {

namespace {

constexpr std::array<std::pair<std::string_view, collector_fn>, 9> collectors{{
  {"os", collect_os},
  {"network", collect_network},
  {"packages", collect_packages},
  {"file", collect_file},
  {"dir", collect_dir},
  {"services", collect_services},
  {"listening_ports", collect_listening_ports},
  {"users", collect_users},
  {"registry", collect_registry},
}};

} // namespace

std::span<const std::pair<std::string_view, collector_fn>> collector_table() noexcept {
  return collectors;
}

} // namespace vigil::scan::detail
