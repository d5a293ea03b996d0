#include "net/local_command.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <sys/stat.h>
#include <thread>

#include "common/error.hpp"

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using boost::system::error_code;

namespace vigil {

struct local_command_server::impl {
  std::filesystem::path path;
  local_command_handler handler;
  asio::io_context io{1};
  local::acceptor acceptor{io};
  std::thread thread;
  bool stopped = false;
};

namespace {

constexpr size_t max_request_bytes = 1024 * 1024;

asio::awaitable<void> serve_one(local_command_server::impl& self, local::socket socket) {
  error_code error;
  asio::streambuf buffer{max_request_bytes};
  auto n = co_await asio::async_read_until(socket, buffer, '\n',
                                           asio::redirect_error(asio::use_awaitable, error));
  if (error)
    co_return;
  std::string request{asio::buffers_begin(buffer.data()),
                      asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n - 1)};
  std::string response;
  try {
    response = self.handler(request);
  } catch (const std::exception& e) {
    response = R"({"error":"internal error"})";
  }
  response += '\n';
  co_await asio::async_write(socket, asio::buffer(response),
                             asio::redirect_error(asio::use_awaitable, error));
}

asio::awaitable<void> accept_loop(local_command_server::impl& self) {
  for (;;) {
    error_code error;
    auto socket = co_await self.acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted || !self.acceptor.is_open())
      co_return;
    if (!error)
      co_await serve_one(self, std::move(socket)); // admin commands run one at a time
  }
}

} // namespace

caf::expected<std::unique_ptr<local_command_server>>
local_command_server::start(std::filesystem::path socket_path, local_command_handler handler) {
  auto state = std::make_unique<impl>();
  state->path = std::move(socket_path);
  state->handler = std::move(handler);
  std::error_code ignored;
  std::filesystem::remove(state->path, ignored); // a stale socket from a killed server
  error_code error;
  local::endpoint endpoint{state->path.string()};
  state->acceptor.open(endpoint.protocol(), error);
  if (!error)
    state->acceptor.bind(endpoint, error);
  if (!error && ::chmod(state->path.c_str(), 0600) != 0)
    return make_system_error(errno, "chmod " + state->path.string());
  if (!error)
    state->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    return make_error(ec::io_error,
                      "cannot listen on " + state->path.string() + ": " + error.message());
  asio::co_spawn(state->io, accept_loop(*state), asio::detached);
  state->thread = std::thread{[io = &state->io] { io->run(); }};
  return std::unique_ptr<local_command_server>{new local_command_server{std::move(state)}};
}

local_command_server::local_command_server(std::unique_ptr<impl> state)
  : impl_{std::move(state)} {
}

local_command_server::~local_command_server() {
  stop();
}

void local_command_server::stop() {
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  asio::post(impl_->io, [state = impl_.get()] {
    error_code ignored;
    state->acceptor.close(ignored);
  });
  impl_->thread.join();
  std::error_code ignored;
  std::filesystem::remove(impl_->path, ignored);
}

caf::expected<std::string> send_local_command(const std::filesystem::path& socket_path,
                                              const std::string& request,
                                              std::chrono::milliseconds timeout) {
  std::error_code exists_error;
  if (!std::filesystem::exists(socket_path, exists_error))
    return make_error(ec::not_found, "no server socket at " + socket_path.string());
  asio::io_context io{1};
  local::socket socket{io};
  error_code error;
  socket.connect(local::endpoint{socket_path.string()}, error);
  if (error == asio::error::connection_refused || error == asio::error::not_found)
    return make_error(ec::connection_refused, "no server listens on " + socket_path.string());
  if (error)
    return make_error(ec::io_error, "cannot connect to " + socket_path.string() + ": "
                                      + error.message());
  // Bound the wait: the server answers each command quickly or not at all.
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  auto line = request + '\n';
  asio::write(socket, asio::buffer(line), error);
  if (error)
    return make_error(ec::io_error, "cannot send to " + socket_path.string() + ": "
                                      + error.message());
  asio::streambuf buffer{16 * 1024 * 1024};
  auto n = asio::read_until(socket, buffer, '\n', error);
  if (error)
    return make_error(error == asio::error::would_block || error == asio::error::try_again
                        ? ec::timeout
                        : ec::io_error,
                      "no answer from " + socket_path.string() + ": " + error.message());
  return std::string{asio::buffers_begin(buffer.data()),
                     asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n - 1)};
}

} // namespace vigil
