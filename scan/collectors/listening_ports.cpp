// The `listening_ports` collector: sockets waiting for peers, from
// <root>/proc/net/{tcp,tcp6,udp,udp6}.
//
//   listening_ports/<proto>/<address>:<port>  {"address", "port", "protocol", "uid"}
//       e.g. listening_ports/tcp/0.0.0.0:22, listening_ports/tcp6/[::]:22
//   error/listening_ports/<proto>:<line>      {"error"}  a line that does not parse
//   error/listening_ports/<proto>             {"error"}  a table that cannot be read
//
// TCP sockets count in state LISTEN; UDP sockets when bound and not connected.
// Inodes and queue sizes are left out: they change without the service changing.
// A missing tcp6/udp6 table (IPv6 disabled) is not an error.

#include "common/error.hpp"
#include "scan/collectors/collectors.hpp"
#include "scan/proc_net.hpp"

namespace vigil::scan::detail {

caf::expected<void> collect_listening_ports(const collector_call& call) {
  constexpr size_t table_cap = 64 * 1024 * 1024;
  for (std::string protocol : {"tcp", "tcp6", "udp", "udp6"}) {
    bool ipv6 = protocol.ends_with('6');
    auto text = call.fs.read_file("/proc/net/" + protocol, table_cap);
    if (!text) {
      if (!(ipv6 && code_of(text.error()) == ec::not_found))
        call.add_error("error/listening_ports/" + protocol, text.error());
      continue;
    }
    auto table = parse_proc_net(*text, ipv6);
    for (auto line : table.bad_lines)
      call.add_error("error/listening_ports/" + protocol + ":" + std::to_string(line),
                     make_error(ec::parse_error, "/proc/net/" + protocol + ": line "
                                                   + std::to_string(line) + " is malformed"));
    for (const auto& socket : table.sockets) {
      if (!is_listening(socket, protocol))
        continue;
      auto endpoint = ipv6 ? "[" + socket.address + "]" : socket.address;
      endpoint += ":" + std::to_string(socket.port);
      call.add("listening_ports/" + protocol + "/" + endpoint, {{"address", socket.address},
                                                                {"port", socket.port},
                                                                {"protocol", protocol},
                                                                {"uid", socket.uid}});
    }
    call.pace();
  }
  return {};
}

} // namespace vigil::scan::detail
