#pragma once

// Internal to net/: the socket options of https_server's listeners, which
// differ per system (net/posix, net/windows). Not for use outside net/.

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace vigil::detail {

/// Whether several listening sockets may bind one port with the system
/// spreading new connections over them (SO_REUSEPORT on Linux). Windows has
/// no such balancing (its SO_REUSEADDR lets any program take the port and
/// hands each connection to one socket, unspecified which): a server there
/// listens with one socket.
bool can_share_port() noexcept;

/// Sets what `acceptor` (open, not yet bound) needs before bind. A restarted
/// server binds its port again at once, though connections of the last run
/// linger in TIME_WAIT (POSIX: SO_REUSEADDR; Windows allows that by default
/// and gets SO_EXCLUSIVEADDRUSE instead, so that no other program binds the
/// port too). With `shared` (only when `can_share_port()`), the port is
/// shared with the server's other listeners.
void prepare_listener(boost::asio::ip::tcp::acceptor& acceptor, bool shared,
                      boost::system::error_code& error);

} // namespace vigil::detail
