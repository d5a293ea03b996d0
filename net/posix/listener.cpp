// https_server's listeners on POSIX systems (net/detail/listener.hpp): one
// per thread on a port shared by SO_REUSEPORT.
#include "net/detail/listener.hpp"

#include <sys/socket.h>

namespace vigil::detail {

namespace {

using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

} // namespace

bool can_share_port() noexcept {
  return true;
}

void prepare_listener(boost::asio::ip::tcp::acceptor& acceptor, bool shared,
                      boost::system::error_code& error) {
  acceptor.set_option(boost::asio::socket_base::reuse_address(true), error);
  if (!error && shared)
    acceptor.set_option(reuse_port(true), error);
}

} // namespace vigil::detail
