#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::scan {

/// One socket of a `/proc/net/{tcp,tcp6,udp,udp6}` table.
struct socket_entry {
  std::string address;  ///< local address as inet_ntop prints it ("0.0.0.0", "::1")
  uint16_t port = 0;    ///< local port
  bool remote_any = true; ///< the remote end is the any address, port 0 (not connected)
  unsigned state = 0;   ///< the kernel's TCP state number (0x0A LISTEN, 0x07 CLOSE)
  uint32_t uid = 0;     ///< owner
};

/// What one table yielded: its sockets and the 1-based numbers of the lines
/// that could not be parsed.
struct socket_table {
  std::vector<socket_entry> sockets;
  std::vector<size_t> bad_lines;
};

/// Parses the text of a /proc/net socket table; `ipv6` selects the 32-digit
/// address format of tcp6/udp6. Addresses are decoded as the kernel prints
/// them (network-order words shown in host order, as on the host that wrote
/// the text, which is the one reading it). The header line is skipped.
socket_table parse_proc_net(std::string_view text, bool ipv6);

/// Whether `entry` of a table of `protocol` ("tcp", "tcp6", "udp", "udp6") is
/// a listening socket: TCP in state LISTEN, or UDP bound and not connected
/// (connected UDP sockets are clients whose ephemeral ports would make every
/// scan differ).
bool is_listening(const socket_entry& entry, std::string_view protocol) noexcept;

/// The TCP state number for LISTEN.
inline constexpr unsigned tcp_listen = 0x0A;

} // namespace vigil::scan
