// https_server's listeners on Windows (net/detail/listener.hpp): one socket,
// which no other program may bind beside it.
#include "net/detail/listener.hpp"

#include <winsock2.h>

namespace vigil::detail {

namespace {

// Asio has no name for SO_EXCLUSIVEADDRUSE.
using exclusive_address =
  boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_EXCLUSIVEADDRUSE>;

} // namespace

bool can_share_port() noexcept {
  return false;
}

void prepare_listener(boost::asio::ip::tcp::acceptor& acceptor, bool shared,
                      boost::system::error_code& error) {
  acceptor.set_option(exclusive_address(true), error);
}

} // namespace vigil::detail
